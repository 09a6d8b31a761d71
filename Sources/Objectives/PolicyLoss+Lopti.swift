import Foundation
import Engine

extension PolicyLoss {
    /// Lopti, low-probability token isolation (Yang et al. 2025, "Do Not Let Low-Probability Tokens Over-Dominate in
    /// RL for LLMs"): split the response tokens by their behaviour probability and update in two passes,
    ///   pass 1 on  m_low  = m·[π_old(o_t) < η],   pass 2 on  m_high = m·[π_old(o_t) ≥ η],   η = 0.4,
    /// so that the large gradients of low-probability tokens cannot swamp the high-probability ones.
    ///
    /// Returns the inputs of the two passes: the same tensors with the mask restricted (each pass normalises over its
    /// own tokens, being its own update). The training loop takes an optimizer step on the first, RECOMPUTES the
    /// current log-probabilities, and takes a second step on the second (old log-probs and therefore the split are
    /// unchanged). Any policy loss can be used per pass; the paper uses GRPO's clipped surrogate (`lopti`).
    public static func loptiPasses(_ inputs: PolicyInputs, probabilityThreshold: Float = 0.4)
        -> (lowProbability: PolicyInputs, highProbability: PolicyInputs) {
        let (low, high) = loptiMasks(oldLogProbs: inputs.oldLogProbs.scalars, mask: inputs.mask.scalars,
                                     probabilityThreshold: probabilityThreshold)
        let g = inputs.mask.graph, shape = inputs.mask.shape
        var lowPass = inputs, highPass = inputs
        lowPass.mask = g.constant(low, shape)
        highPass.mask = g.constant(high, shape)
        return (lowPass, highPass)
    }

    /// Lopti's two token masks on arrays (for building the passes' batches): m·[exp(old) < η] and m·[exp(old) ≥ η].
    public static func loptiMasks(oldLogProbs: [Float], mask: [Float], probabilityThreshold: Float = 0.4)
        -> (lowProbability: [Float], highProbability: [Float]) {
        require(oldLogProbs.count == mask.count, "loptiMasks: \(oldLogProbs.count) log-probs, \(mask.count) mask values")
        let logThreshold = Foundation.log(probabilityThreshold)
        let isLow = oldLogProbs.map { $0 < logThreshold }
        let low = zip(mask, isLow).map { m, lowToken in lowToken ? m : 0 }
        let high = zip(mask, isLow).map { m, lowToken in lowToken ? 0 : m }
        return (low, high)
    }

    /// Both Lopti passes' PPO-clip losses on the same inputs (see `loptiPasses`; for a real update the second must be
    /// rebuilt after the first step). `globalTokenCounts` are the token counts of the low / high pass over the whole
    /// optimizer step, when these inputs are one minibatch of it.
    public static func lopti(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                             globalTokenCounts: (lowProbability: Int, highProbability: Int)? = nil,
                             globalSequenceCount: Int? = nil, probabilityThreshold: Float = 0.4,
                             clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.2,
                             dualClip: Float? = 3) -> (lowProbability: PolicyLossResult, highProbability: PolicyLossResult) {
        let passes = loptiPasses(inputs, probabilityThreshold: probabilityThreshold)
        let low = ppoClip(passes.lowProbability, aggregation: aggregation,
                          globalTokenCount: globalTokenCounts?.lowProbability, globalSequenceCount: globalSequenceCount,
                          clipEpsilonLow: clipEpsilonLow, clipEpsilonHigh: clipEpsilonHigh, dualClip: dualClip)
        let high = ppoClip(passes.highProbability, aggregation: aggregation,
                           globalTokenCount: globalTokenCounts?.highProbability, globalSequenceCount: globalSequenceCount,
                           clipEpsilonLow: clipEpsilonLow, clipEpsilonHigh: clipEpsilonHigh, dualClip: dualClip)
        return (low, high)
    }
}
