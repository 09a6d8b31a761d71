import Foundation
import Engine

// Policy losses. Each takes `PolicyInputs` ([B, T] tensors: current log-probs lp
// with gradient, behaviour log-probs old, advantages A broadcast to tokens, mask m, optional entropies), builds the
// per-token loss ℓ_t of its equation, reduces it with `aggregate` (the separate, explicit choice of `Aggregation`,
// with the optional global token / sequence counts of the whole optimizer step) and reports
// `PolicyDiagnostics`. Gradients flow through `inputs.logProbs` only. ρ = exp(lp − old), sg = stop-gradient.
//
// This file: the shared vocabulary, vanilla PG, importance sampling, PPO clip. One file per further objective:
// PolicyLoss+CISPO, +GSPO, +GPPO, +ECPO, +BAPO, +AEPO, +Lopti.

/// The policy losses. Pure functions: inputs in, loss and diagnostics out, no hidden state (BAPO's bounds and
/// AEPO's hysteresis state are passed in and returned explicitly).
public enum PolicyLoss {

    /// Vanilla policy gradient (REINFORCE surrogate): ℓ_t = −A_t·lp_t, so ∇ℓ_t = −A_t·∇lp_t.
    ///
    /// The loss of REINFORCE, RLOO, GPG, PSR/NSR/W-REINFORCE and RAFT (A = max(r, 0) makes it SFT on correct
    /// samples). verl: `compute_policy_loss_gpg` / `vanilla` without ratio. Its value is not an objective estimate,
    /// only its gradient is.
    public static func vanilla(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                               globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil) -> PolicyLossResult {
        let advantage = inputs.advantages
        let perToken = -(advantage * inputs.logProbs)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs))
    }

    /// Importance sampling without clipping: ℓ_t = −ρ_t·A_t, ρ_t = exp(lp_t − old_t); ∇ℓ_t = −ρ_t·A_t·∇lp_t.
    ///
    /// tinker's `importance_sampling` loss (used for on-policy distillation) and the RAFT+IS ablation of Xiong et
    /// al. 2025. Unbounded ratios: off-policy samples can dominate (importance weights without a clip).
    public static func importanceSampling(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                                          globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil) -> PolicyLossResult {
        let advantage = inputs.advantages
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let perToken = -(ratio * advantage)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs))
    }

    /// PPO's clipped surrogate (Schulman et al. 2017) with clip-higher (DAPO, Yu et al. 2025) and dual-clip (Ye et
    /// al. 2020):
    ///   ℓ_t = max(−ρ_t·A_t, −clip(ρ_t, 1 − ε_lo, 1 + ε_hi)·A_t);   if A_t < 0: ℓ_t = min(ℓ_t, −c·A_t).
    ///
    /// Gradient: −A·ρ·∇lp where the unclipped branch is active; 0 where the clipped branch is (A > 0 and
    /// ρ > 1 + ε_hi, or A < 0 and ρ < 1 − ε_lo) and where the dual clip bites (A < 0 and ρ > c). Defaults ε = 0.2,
    /// c = 3 (verl always applies the dual clip with `clip_ratio_c = 3`; pass nil to switch it off); DAPO's clip-higher
    /// is `clipEpsilonHigh: 0.28`. verl additionally clamps lp − old to ±20 before exp; we do not.
    ///
    /// Pitfall 6: with ρ ≡ 1 (one epoch, one minibatch) clipping never bites and the gradient equals vanilla PG's,
    /// while the value is −mean(A) ≈ 0 (so test the gradient, not the value).
    public static func ppoClip(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                               globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                               clipEpsilonLow: Float = 0.2, clipEpsilonHigh: Float = 0.2,
                               dualClip: Float? = 3) -> PolicyLossResult {
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let (perToken, clipped) = clippedSurrogate(ratio: ratio, advantages: inputs.advantages,
                                                   lower: 1 - clipEpsilonLow, upper: 1 + clipEpsilonHigh, dualClip: dualClip)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped))
    }

    // MARK: Shared pieces

    /// The per-token PPO surrogate with explicit ratio bounds [lower, upper] (PPO: [1 − ε_lo, 1 + ε_hi]; BAPO:
    /// [c_low, c_high]) and an optional dual clip c. Returns ℓ [B, T] and, per token, whether a clipped branch is
    /// active (the unclipped branch lost the max, or the dual clip won the min) — verl's `pg_clipfrac` plus
    /// `pg_clipfrac_lower`.
    static func clippedSurrogate(ratio: Tensor, advantages: Tensor, lower: Float, upper: Float,
                                 dualClip: Float?) -> (perToken: Tensor, clipped: [Bool]) {
        require(lower <= 1 && upper >= 1, "clipped surrogate: bounds [\(lower), \(upper)] must contain 1")
        let advantage = advantages
        let unclippedLoss = -(advantage * ratio)
        let clippedLoss = -(advantage * ratio.clamped(lower, upper))
        var perToken = maximum(unclippedLoss, clippedLoss)
        let clippedValues = clippedLoss.value, unclippedValues = unclippedLoss.value
        var clipped = (0..<ratio.count).map { clippedValues[$0] > unclippedValues[$0] }
        if let c = dualClip {
            require(c > 1, "dual clip: c = \(c) must exceed 1")
            let dualClipLoss = advantage * -c                                     // −c·A, constant
            let negative = indicator(advantage) { $0 < 0 }
            let pessimistic = perToken
            perToken = select(negative, minimum(pessimistic, dualClipLoss), pessimistic)
            let a = advantage.value, p = pessimistic.value, d = dualClipLoss.value
            for i in 0..<ratio.count where a[i] < 0 && p[i] > d[i] {
                clipped[i] = true
            }
        }
        return (perToken, clipped)
    }

    /// 1 where `condition(x)` holds, else 0: a constant [same shape] for `select` and masks.
    static func indicator(_ x: Tensor, _ condition: (Float) -> Bool) -> Tensor {
        let v = x.value
        return x.graph.constant((0..<x.count).map { condition(v[$0]) ? 1 : 0 }, x.shape)
    }

    /// The masked diagnostics every loss reports (ratio and k3-KL against the behaviour policy).
    static func diagnostics(_ inputs: PolicyInputs, clipped: [Bool]? = nil) -> PolicyDiagnostics {
        PolicyDiagnostics.measure(logProbs: inputs.logProbs, oldLogProbs: inputs.oldLogProbs, mask: inputs.mask,
                                  clipped: clipped, entropies: inputs.entropies)
    }
}
