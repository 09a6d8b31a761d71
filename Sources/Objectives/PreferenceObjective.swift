import Foundation
import Engine

/// An offline preference objective as a value with its parameters (TRL's loss types and defaults). β and the other
/// coefficients are stored as Double and applied in Float, as the functions take them.
public enum PreferenceObjective: Codable, Hashable, Sendable {
    /// −log σ(β·h), h = (lp_c − ref_c) − (lp_r − ref_r) (Rafailov et al. 2023).
    case dpo(beta: Double)
    /// (h − 1/(2β))² on length-normalised log-ratios (Azar et al. 2023).
    case ipo(beta: Double)
    /// Conservative DPO: labels flipped with probability ε (TRL's `label_smoothing`).
    case cdpo(beta: Double, labelSmoothing: Double)
    /// Robust DPO (Chowdhury et al. 2024): the unbiased loss under flip rate ε.
    case robustDPO(beta: Double, labelSmoothing: Double)
    /// max(0, 1 − β·h) (SLiC-style hinge).
    case hinge(beta: Double)
    /// SimPO (Meng et al. 2024): reference-free, length-normalised, target margin γ.
    case simpo(beta: Double, gamma: Double)
    /// ORPO (Hong et al. 2024): NLL on the chosen plus λ·odds-ratio loss.
    case orpo(lambda: Double)
    /// KTO (Ethayarajh et al. 2024) on the pairs made unpaired; needs the mismatched-completion KL baseline, so it is
    /// assembled by the training loop rather than by `loss(_:)`.
    case kto(beta: Double)

    /// Whether `loss(_:)` applies (every objective but KTO).
    public var isPaired: Bool { if case .kto = self { return false } else { return true } }

    /// The loss on paired log-probabilities (SimPO, ORPO and IPO need `pairs`' lengths).
    public func loss(_ pairs: PreferencePairs) -> PreferenceLossResult {
        switch self {
        case let .dpo(beta): return dpoLoss(pairs, beta: Float(beta))
        case let .ipo(beta): return ipoLoss(pairs, beta: Float(beta))
        case let .cdpo(beta, eps): return conservativeDPOLoss(pairs, beta: Float(beta), labelSmoothing: Float(eps))
        case let .robustDPO(beta, eps): return robustDPOLoss(pairs, beta: Float(beta), labelSmoothing: Float(eps))
        case let .hinge(beta): return hingePreferenceLoss(pairs, beta: Float(beta))
        case let .simpo(beta, gamma):
            return simpoLoss(chosenLogProbs: pairs.chosenLogProbs, rejectedLogProbs: pairs.rejectedLogProbs, chosenLengths: pairs.chosenLengths!,
                             rejectedLengths: pairs.rejectedLengths!, beta: Float(beta), gamma: Float(gamma))
        case let .orpo(lambda):
            return orpoLoss(chosenLogProbs: pairs.chosenLogProbs, rejectedLogProbs: pairs.rejectedLogProbs, chosenLengths: pairs.chosenLengths!,
                            rejectedLengths: pairs.rejectedLengths!, beta: Float(lambda))
        case .kto: fatalError("PreferenceObjective.kto is unpaired: the training loop assembles it with ktoLoss")
        }
    }
}
