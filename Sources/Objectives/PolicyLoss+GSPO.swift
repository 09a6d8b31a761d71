import Foundation
import Engine

extension PolicyLoss {
    /// GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization"): one importance ratio per SEQUENCE,
    ///   s_i = exp((1/|y_i|)·Σ_t (lp_{i,t} − old_{i,t})),   ℓ_i = max(−s_i·A_i, −clip(s_i, 1 − ε_lo, 1 + ε_hi)·A_i),
    /// so ∇ℓ_i = −A_i·s_i·(1/|y_i|)·Σ_t ∇lp_{i,t} when unclipped, 0 when clipped (the whole sequence).
    ///
    /// Coded as verl's `compute_policy_loss_gspo` (the GSPO-token form): per token, log s_{i,t} = sg(log s_i) + lp_t −
    /// sg(lp_t), whose value is s_i and whose gradient with respect to lp_t is s_i; aggregated with
    /// `.sequenceMeanOfTokenMeans` (verl forces that mode) it is exactly the sequence-level gradient above. With
    /// token-level advantages this is GSPO-token. Defaults are the paper's ε_lo = 3e-4, ε_hi = 4e-4 (sequence ratios
    /// stay close to 1). verl also clamps log s ≤ 10; we do not. `clipFraction` counts tokens of clipped sequences.
    public static func gspo(_ inputs: PolicyInputs, aggregation: Aggregation = .sequenceMeanOfTokenMeans,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                            clipEpsilonLow: Float = 3e-4, clipEpsilonHigh: Float = 4e-4) -> PolicyLossResult {
        let lp = inputs.logProbs
        let logRatio = lp - inputs.oldLogProbs
        let sequenceLogRatio = lp.graph.constant(maskedRowMeans(logRatio, mask: inputs.mask), lp.shape)  // sg(log s_i), [B, T]
        let ratio = (sequenceLogRatio + lp - lp.detached()).exp()                                    // s_{i,t}
        let (perToken, clipped) = clippedSurrogate(ratio: ratio, advantages: inputs.advantages,
                                                   lower: 1 - clipEpsilonLow, upper: 1 + clipEpsilonHigh, dualClip: nil)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped))
    }

    /// Per-row masked means of x [B, T], repeated over each row's T columns (a row without tokens gets 0).
    static func maskedRowMeans(_ x: Tensor, mask: Tensor) -> [Float] {
        let rows = x.shape[0], columns = x.shape[1], v = x.value, m = mask.value
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<rows {
            var sum = 0.0, count = 0.0
            for t in 0..<columns where m[b * columns + t] != 0 {
                sum += Double(v[b * columns + t]); count += 1
            }
            let rowMean = Float(count > 0 ? sum / count : 0)
            for t in 0..<columns { out[b * columns + t] = rowMean }
        }
        return out
    }
}
