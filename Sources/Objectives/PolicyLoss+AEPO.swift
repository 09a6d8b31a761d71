import Foundation
import Engine

/// AEPO's knobs: an entropy band [H_low, H_high] with hysteresis, and the PPO surrogate it masks.
public struct AEPOConfig: Codable, Equatable, Sendable {
    /// H_high: above this batch entropy, negative-advantage tokens are masked (they raise entropy).
    public var entropyHigh: Double
    /// H_low: below this batch entropy, they are restored. Between the two the previous state is kept.
    public var entropyLow: Double
    /// What is masked: every token with A_t < 0, or every token of a sequence whose mean advantage is < 0.
    public var granularity: Granularity
    /// The PPO surrogate's ε_lo, ε_hi and dual clip (see `PolicyLoss.ppoClip`).
    public var clipEpsilonLow: Float, clipEpsilonHigh: Float
    public var dualClip: Float?

    public enum Granularity: String, Codable, Equatable, Sendable { case token, sequence }

    public init(entropyHigh: Double, entropyLow: Double, granularity: Granularity = .token,
                clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.2, dualClip: Float? = 3) {
        require(entropyLow <= entropyHigh, "AEPOConfig: H_low \(entropyLow) > H_high \(entropyHigh)")
        self.entropyHigh = entropyHigh; self.entropyLow = entropyLow; self.granularity = granularity
        self.clipEpsilonLow = clipEpsilonLow; self.clipEpsilonHigh = clipEpsilonHigh; self.dualClip = dualClip
    }
}

/// AEPO's hysteresis state, carried by the training loop from one batch to the next (no hidden state).
public struct AEPOState: Codable, Equatable, Sendable {
    /// Whether negative-advantage tokens are currently masked.
    public var negativesMasked: Bool

    public init(negativesMasked: Bool = false) { self.negativesMasked = negativesMasked }

    /// The hysteresis switch: mask when H > H_high, restore when H < H_low, otherwise keep the current state.
    public func next(batchEntropy: Double, config: AEPOConfig) -> AEPOState {
        if batchEntropy > config.entropyHigh { return AEPOState(negativesMasked: true) }
        if batchEntropy < config.entropyLow { return AEPOState(negativesMasked: false) }
        return self
    }
}

extension PolicyLoss {
    /// AEPO-style entropy band: PPO's clipped surrogate in which negative-advantage tokens (or sequences) are masked
    /// while the batch entropy is too high, and restored once it has fallen below H_low:
    ///   state' = state.next(H),   ℓ_t = keep_t·ℓ_t^PPO,   keep_t = 0 if state'.negativesMasked and A_t < 0, else 1.
    ///
    /// Negative samples push probability off sampled tokens and raise entropy; positive samples sharpen. Masking the
    /// negatives while H > H_high lets entropy fall; restoring them below H_low stops the collapse. The batch entropy
    /// H is `batchEntropy` if given, else the masked mean of `inputs.entropies` (one of them is required). The new
    /// state is decided on this batch and applied to it; return it to the caller for the next batch. Masked tokens
    /// contribute zero loss and gradient but stay in the normalisation (the loss scale does not jump when the switch
    /// flips, and global token counts keep their meaning).
    public static func aepo(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                            config: AEPOConfig, state: AEPOState, batchEntropy: Double? = nil) -> (result: PolicyLossResult, state: AEPOState) {
        let entropy: Double
        if let batchEntropy { entropy = batchEntropy } else {
            require(inputs.entropies != nil, "aepo: pass batchEntropy or inputs.entropies")
            entropy = diagnostics(inputs).entropy
        }
        let newState = state.next(batchEntropy: entropy, config: config)
        let keep = inputs.logProbs.graph.constant(
            aepoKeep(advantages: inputs.advantages, mask: inputs.mask, masking: newState.negativesMasked,
                     granularity: config.granularity), inputs.mask.shape)
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let (ppoPerToken, clipped) = clippedSurrogate(ratio: ratio, advantages: inputs.advantages,
                                                      lower: 1 - config.clipEpsilonLow, upper: 1 + config.clipEpsilonHigh,
                                                      dualClip: config.dualClip)
        let perToken = keep * ppoPerToken
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return (PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped)), newState)
    }

    /// keep_t ∈ {0, 1} [B, T]: 0 for negative-advantage tokens (or tokens of negative sequences) when masking.
    static func aepoKeep(advantages: Tensor, mask: Tensor, masking: Bool, granularity: AEPOConfig.Granularity) -> [Float] {
        guard masking else { return [Float](repeating: 1, count: advantages.count) }
        switch granularity {
        case .token:
            let a = advantages.value
            return (0..<advantages.count).map { a[$0] < 0 ? 0 : 1 }
        case .sequence:
            let sequenceAdvantage = maskedRowMeans(advantages, mask: mask)
            return sequenceAdvantage.map { $0 < 0 ? 0 : 1 }
        }
    }
}
