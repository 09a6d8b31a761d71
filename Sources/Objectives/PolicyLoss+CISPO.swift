import Foundation
import Engine

extension PolicyLoss {
    /// CISPO (MiniMax-M1, 2025): clip the importance-sampling WEIGHT, never the token's gradient:
    ///   ℓ_t = −sg(clip(ρ_t, 1 − ε_lo, 1 + ε_hi))·A_t·lp_t,   so ∇ℓ_t = −clip(ρ_t, …)·A_t·∇lp_t for every token.
    ///
    /// Unlike PPO, a token whose ratio left the range still contributes, with a bounded weight. MiniMax-M1 effectively
    /// disables the lower bound (pass `clipEpsilonLow: 1`) and tunes ε_hi; our defaults are the catalogue's ε 0.2 and
    /// DAPO's ε_hi 0.28. The value −w·A·lp is a surrogate: only its gradient is meaningful (a finite difference of the
    /// value also sees w change with lp wherever w is not clipped). `clipFraction` counts tokens whose weight was clipped.
    public static func cispo(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                             globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                             clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.28) -> PolicyLossResult {
        let advantage = inputs.advantages
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let weight = ratio.detached().clamped(1 - clipEpsilonLow, 1 + clipEpsilonHigh)    // sg(clip(ρ))
        let perToken = -(weight * advantage * inputs.logProbs)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        let w = weight.value, r = ratio.value
        let clipped = (0..<ratio.count).map { w[$0] != r[$0] }
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped))
    }
}
