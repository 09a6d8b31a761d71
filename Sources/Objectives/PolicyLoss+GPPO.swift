import Foundation
import Engine

extension PolicyLoss {
    /// GPPO, gradient-preserving clipping (Su et al. 2025, Klear-Reasoner): the forward value of PPO's clipped
    /// surrogate, but tokens on the clipped side keep a bounded gradient instead of none:
    ///   ℓ_t = −A_t·ρ̃_t,   ρ̃_t = ρ_t·sg(clip(ρ_t, 1 − ε_l, 1 + ε_h) / ρ_t)   on the clipped side, ρ̃_t = ρ_t elsewhere,
    /// where the clipped side is {A > 0, ρ > 1 + ε_h} ∪ {A < 0, ρ < 1 − ε_l} (where PPO's max picks the clipped branch).
    ///
    /// Value: ρ̃ = clip(ρ), so ℓ equals PPO's (without dual clip). Exact gradient with respect to lp_t:
    ///   −A_t·(1 + ε_h)  if A_t > 0 and ρ_t > 1 + ε_h;
    ///   −A_t·(1 − ε_l)  if A_t < 0 and ρ_t < 1 − ε_l;
    ///   −A_t·ρ_t        otherwise (as PPO).
    /// This is the paper's (1 ± ε)/sg(ρ)·ρ form with β₁ = β₂ = 1. On the clipped side the value is flat while the
    /// gradient is not, so finite differences only agree inside the range. Defaults ε_l = ε_h = 0.2.
    public static func gppo(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                            clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.2) -> PolicyLossResult {
        let advantage = inputs.advantages
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let lower = 1 - clipEpsilonLow, upper = 1 + clipEpsilonHigh
        let a = advantage.value, r = ratio.value
        let clippedSide = (0..<ratio.count).map { i in (a[i] > 0 && r[i] > upper) || (a[i] < 0 && r[i] < lower) }
        let boundedWeight = ratio.detached().clamped(lower, upper) / ratio.detached()            // sg(clip(ρ)/ρ)
        let onClippedSide = ratio.graph.constant(clippedSide.map { $0 ? 1 : 0 }, ratio.shape)
        let gradientPreservingRatio = select(onClippedSide, ratio * boundedWeight, ratio)           // ρ̃
        let perToken = -(advantage * gradientPreservingRatio)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clippedSide))
    }
}
