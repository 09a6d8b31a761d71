import Foundation
import Engine

// KL to the reference policy (the k1, k2, k3 estimators of Schulman 2020, "Approximating KL divergence"), per token,
// and the two places a training loop can put it: in the reward (a per-token penalty, no gradient) or in the loss.

/// Which per-token estimator of KL(π ‖ π_ref), for a token sampled from π (lp = log π, ref = log π_ref).
public enum KLEstimator: String, Codable, Equatable, Sendable {
    /// k1 = lp − ref: unbiased value, high variance, can be negative.
    case k1
    /// k2 = ½(lp − ref)²: biased value, low variance; its on-policy gradient is exactly ∇KL(π ‖ π_ref).
    case k2
    /// k3 = e^{ref − lp} − (ref − lp) − 1 ≥ 0: unbiased value, low variance (verl's `low_var_kl`, GRPO's KL).
    case k3
}

/// The per-token KL estimators as differentiable tensors (gradient through `logProbs`; `referenceLogProbs` constant).
///
/// Pitfall 4: all three are estimates of the VALUE of KL(π ‖ π_ref) on samples from π; as losses on fixed samples
/// their gradients differ. On-policy, E_π[∇k1] = 0, E_π[∇k2] = ∇KL(π ‖ π_ref), and E_π[∇k3] = ∇KL(π_ref ‖ π) (the
/// reverse direction): k3 in the loss has the right value and a biased gradient. Off-policy samples need importance
/// weights on top.
public enum KL {
    /// k1 = lp − ref.
    public static func k1(logProbs lp: Tensor, referenceLogProbs ref: Tensor) -> Tensor {
        let logRatio = lp - ref
        return logRatio
    }

    /// k2 = ½(lp − ref)².
    public static func k2(logProbs lp: Tensor, referenceLogProbs ref: Tensor) -> Tensor {
        let logRatio = lp - ref
        return 0.5 * logRatio.square()
    }

    /// k3 = e^{ref − lp} − (ref − lp) − 1 (≥ 0 since eˣ ≥ 1 + x). verl clamps ref − lp to ±20 and k3 to ±10; we do not.
    public static func k3(logProbs lp: Tensor, referenceLogProbs ref: Tensor) -> Tensor {
        let referenceLogRatio = ref - lp
        return referenceLogRatio.exp() - referenceLogRatio - 1
    }

    /// The chosen estimator, per token ([B, T] in, [B, T] out).
    public static func perToken(_ estimator: KLEstimator, logProbs: Tensor, referenceLogProbs: Tensor) -> Tensor {
        switch estimator {
        case .k1: return k1(logProbs: logProbs, referenceLogProbs: referenceLogProbs)
        case .k2: return k2(logProbs: logProbs, referenceLogProbs: referenceLogProbs)
        case .k3: return k3(logProbs: logProbs, referenceLogProbs: referenceLogProbs)
        }
    }

    /// The chosen estimator on plain arrays (values only, computed in Double).
    public static func perToken(_ estimator: KLEstimator, logProbs: [Float], referenceLogProbs: [Float]) -> [Float] {
        require(logProbs.count == referenceLogProbs.count, "KL.perToken: \(logProbs.count) vs \(referenceLogProbs.count) values")
        return zip(logProbs, referenceLogProbs).map { lp, ref in
            let logRatio = Double(lp) - Double(ref)
            switch estimator {
            case .k1: return Float(logRatio)
            case .k2: return Float(0.5 * logRatio * logRatio)
            case .k3: return Float(Foundation.exp(-logRatio) + logRatio - 1)
            }
        }
    }
}

/// KL regularisation toward the reference, placed in ONE of two places (KL in both the reward and the loss
/// regularises twice, so one value of this type can never do both):
/// - `.reward` (InstructGPT / verl's `use_kl_in_reward`, default estimator k1 on the behaviour log-probs): the
///   per-token reward becomes r_t − β·kl_t before advantages are computed; no gradient flows through the penalty.
/// - `.loss` (GRPO / verl's `use_kl_loss`, default estimator k3 on the current log-probs): β·aggregate(kl_t) is added
///   to the policy loss, aggregated like it.
/// A training loop calls both `penalized…Rewards` and `lossTerm`; the one that does not match `placement` is the
/// identity (rewards unchanged) or zero. To regularise twice on purpose, use two values.
public struct KLRegularization: Codable, Equatable, Sendable {
    public enum Placement: String, Codable, Equatable, Sendable { case reward, loss }

    /// β, the KL coefficient.
    public var coefficient: Float
    public var estimator: KLEstimator
    public var placement: Placement

    public init(coefficient: Float, estimator: KLEstimator, placement: Placement) {
        self.coefficient = coefficient; self.estimator = estimator; self.placement = placement
    }

    /// KL as a per-token reward penalty (verl's default estimator there: k1).
    public static func inReward(coefficient: Float, estimator: KLEstimator = .k1) -> KLRegularization {
        KLRegularization(coefficient: coefficient, estimator: estimator, placement: .reward)
    }

    /// KL as a loss term (verl's `low_var_kl` = k3 by default; GRPO uses β = 0.04).
    public static func inLoss(coefficient: Float, estimator: KLEstimator = .k3) -> KLRegularization {
        KLRegularization(coefficient: coefficient, estimator: estimator, placement: .loss)
    }

    /// Per-token rewards [B, T] (T = `columns`): each sequence's reward R_b on its last response token, minus β·kl_t
    /// on every response token when placement is `.reward` (verl's `compute_rewards` / `apply_kl_penalty`); for GAE.
    /// `logProbs` are the behaviour (sampling) log-probabilities. Values only, no gradient.
    public func penalizedTokenRewards(sequenceRewards: [Float], logProbs: [Float], referenceLogProbs: [Float],
                                      mask: [Float], columns: Int) -> [Float] {
        require(sequenceRewards.count * columns == mask.count && logProbs.count == mask.count && referenceLogProbs.count == mask.count,
                "penalizedTokenRewards: \(sequenceRewards.count) rewards × \(columns) columns vs \(mask.count) tokens")
        var rewards = [Float](repeating: 0, count: mask.count)
        for b in sequenceRewards.indices {
            if let last = (0..<columns).last(where: { mask[b * columns + $0] != 0 }) { rewards[b * columns + last] = sequenceRewards[b] }
        }
        guard placement == .reward else { return rewards }
        let kl = KL.perToken(estimator, logProbs: logProbs, referenceLogProbs: referenceLogProbs)
        return rewards.indices.map { i in rewards[i] - coefficient * kl[i] * mask[i] }
    }

    /// Per-sequence rewards R_b − β·Σ_t kl_{b,t} when placement is `.reward`, else R_b unchanged: the sum of
    /// `penalizedTokenRewards` over each sequence, which is what verl's outcome estimators (GRPO, RLOO, …) score.
    public func penalizedSequenceRewards(sequenceRewards: [Float], logProbs: [Float], referenceLogProbs: [Float],
                                         mask: [Float], columns: Int) -> [Float] {
        let tokenRewards = penalizedTokenRewards(sequenceRewards: sequenceRewards, logProbs: logProbs,
                                                 referenceLogProbs: referenceLogProbs, mask: mask, columns: columns)
        return sequenceRewards.indices.map { b in
            (0..<columns).reduce(Float(0)) { $0 + tokenRewards[b * columns + $1] }
        }
    }

    /// β·aggregate(kl(lp, ref)) when placement is `.loss` (gradient through `logProbs`), else a zero scalar.
    public func lossTerm(logProbs: Tensor, referenceLogProbs: Tensor, mask: Tensor, aggregation: Aggregation = .tokenMean,
                         globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil) -> Tensor {
        guard placement == .loss else { return logProbs.graph.scalar(0) }
        let beta = coefficient
        let kl = KL.perToken(estimator, logProbs: logProbs, referenceLogProbs: referenceLogProbs)
        return beta * aggregate(kl, mask: mask, mode: aggregation,
                                globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
    }
}
