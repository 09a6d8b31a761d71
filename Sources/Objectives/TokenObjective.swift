import Foundation
import Engine

// The supervised and distillation objectives as values, like `PolicyObjective` and `PreferenceObjective`: each case
// carries its parameters and `loss(...)` applies it, so a method built on them is data with a name derived from it.

/// A supervised objective on the log-probabilities of target tokens (`logProbs` [B, T], `mask` [B, T]).
public enum SupervisedObjective: Codable, Hashable, Sendable {
    /// SFT: ℓ_t = −lp_t.
    case sft
    /// DFT (Wu et al. 2025): ℓ_t = −sg(p_t)·lp_t.
    case dft

    public func loss(logProbs: Tensor, mask: Tensor, aggregation: Aggregation = .tokenMean, globalTokenCount: Int? = nil) -> Tensor {
        switch self {
        case .sft: return sftLoss(logProbs: logProbs, mask: mask, aggregation: aggregation, globalTokenCount: globalTokenCount)
        case .dft: return dftLoss(logProbs: logProbs, mask: mask, aggregation: aggregation, globalTokenCount: globalTokenCount)
        }
    }
}

/// A distillation objective between the student's and the teacher's full next-token distributions (logits [B, T, V],
/// the teacher's constant; mask [B, T]), at a softmax temperature.
public enum DistillationObjective: Codable, Hashable, Sendable {
    /// KL(π_T ‖ π_θ) per token (mode-covering; GKD at β = 0).
    case forwardKL(temperature: Float)
    /// KL(π_θ ‖ π_T) per token (mode-seeking; GKD at β = 1, MiniLLM without its sequence term).
    case reverseKL(temperature: Float)
    /// GKD's generalized Jensen–Shannon divergence at β ∈ [0, 1] (Agarwal et al. 2024).
    case generalizedJSD(beta: Float, temperature: Float)

    public func loss(studentLogits: Tensor, teacherLogits: Tensor, mask: Tensor, aggregation: Aggregation = .tokenMean,
                     globalTokenCount: Int? = nil) -> Tensor {
        switch self {
        case let .forwardKL(t):
            return forwardKLDistillationLoss(studentLogits: studentLogits, teacherLogits: teacherLogits, mask: mask, temperature: t,
                                             aggregation: aggregation, globalTokenCount: globalTokenCount)
        case let .reverseKL(t):
            return reverseKLDistillationLoss(studentLogits: studentLogits, teacherLogits: teacherLogits, mask: mask, temperature: t,
                                             aggregation: aggregation, globalTokenCount: globalTokenCount)
        case let .generalizedJSD(beta, t):
            return generalizedJSDLoss(studentLogits: studentLogits, teacherLogits: teacherLogits, mask: mask, beta: beta, temperature: t,
                                      aggregation: aggregation, globalTokenCount: globalTokenCount)
        }
    }

    /// The first parameter out of its valid range, or nil: temperature in (0, 100], β in [0, 1].
    public func problem() -> String? {
        switch self {
        case let .forwardKL(t), let .reverseKL(t): return t > 0 && t <= 100 ? nil : "temperature must be in (0, 100]"
        case let .generalizedJSD(beta, t):
            return t > 0 && t <= 100 && beta >= 0 && beta <= 1 ? nil : "temperature must be in (0, 100], beta in [0, 1]"
        }
    }
}
