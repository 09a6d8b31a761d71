import Foundation
import Engine

/// The entropy bonus (−c·H), aggregated like the policy loss, and per-token entropies from logits.
public enum EntropyBonus {
    /// −c·aggregate(H_t): adding it to the loss rewards entropy (verl: `pg_loss − entropy_coeff · entropy_loss`, with
    /// the same `loss_agg_mode`). `entropies` [B, T] carry the gradient (e.g. from `Transformer.tokenLogProbs`).
    public static func loss(entropies: Tensor, mask: Tensor, coefficient: Float, aggregation: Aggregation = .tokenMean,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil) -> Tensor {
        let entropy = aggregate(entropies, mask: mask, mode: aggregation,
                                globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return -coefficient * entropy
    }

    /// H = −Σ_v p_v·log p_v over the last axis of logits [..., V] → [...] (differentiable).
    public static func entropies(logits: Tensor) -> Tensor {
        let logProbabilities = logits.logSoftmax()
        let probabilities = logProbabilities.exp()
        return -(probabilities * logProbabilities).sum(axis: -1)
    }
}
