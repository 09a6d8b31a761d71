import Foundation
import Engine

extension PolicyLoss {
    /// ECPO: for negative advantages the behaviour probability is replaced by max(sg(π)/(1 + ε + δ), π_old), which caps
    /// the ratio at 1 + ε + δ while keeping its gradient; then PPO's clipped surrogate (δ = 0.1):
    ///   old'_t = max(sg(lp_t) − log(1 + ε_hi + δ), old_t) if A_t < 0, else old_t;   ρ'_t = exp(lp_t − old'_t);
    ///   ℓ_t = max(−ρ'_t·A_t, −clip(ρ'_t, 1 − ε_lo, 1 + ε_hi)·A_t).
    ///
    /// For A < 0 this is PPO except above ρ = 1 + ε + δ, where plain PPO's loss (without dual clip) grows without
    /// bound: there ρ' = (1 + ε + δ)·π/sg(π), so the value is −A·(1 + ε + δ) and the gradient −A·(1 + ε + δ)·∇lp (a
    /// bounded but nonzero push down, unlike dual-clip's zero). We read the catalogue's ε as the upper clip ε_hi. No
    /// reference-framework code exists for it; `clipFraction` counts PPO-clipped tokens and capped tokens.
    public static func ecpo(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                            clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.2, delta: Float = 0.1) -> PolicyLossResult {
        let lp = inputs.logProbs, old = inputs.oldLogProbs
        let logCap = Foundation.log(1 + clipEpsilonHigh + delta)                                // log(1 + ε + δ)
        let negative = indicator(inputs.advantages) { $0 < 0 }
        let effectiveOld = select(negative, maximum(lp.detached() - logCap, old), old)          // log of max(sg(π)/(1+ε+δ), π_old)
        let ratio = (lp - effectiveOld).exp()                                                   // ρ'
        let (perToken, ppoClipped) = clippedSurrogate(ratio: ratio, advantages: inputs.advantages,
                                                      lower: 1 - clipEpsilonLow, upper: 1 + clipEpsilonHigh, dualClip: nil)
        var clipped = ppoClipped
        let effective = effectiveOld.value, behaviour = old.value
        for i in 0..<ratio.count where effective[i] != behaviour[i] { clipped[i] = true }
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped))
    }
}
