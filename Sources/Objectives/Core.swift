import Foundation
import Engine

// Shared vocabulary of the objective library. Every objective is a small pure function from per-token (or
// per-sequence) log-probabilities, masks, rewards or preferences to a scalar loss whose gradient flows through the
// current log-probabilities only (everything else enters as a constant).
//
// Notation: lp = current log-prob of the sampled token, old = behaviour (sampling) log-prob,
// ref = reference log-prob, m = response mask, A = advantage, ρ = exp(lp − old), sg = stop-gradient.
// Shapes: per-token tensors are [B, T] (B sequences, T response columns), aligned with `Rollout.responseMask`.

/// How per-token losses become one scalar (a separate, explicit choice: it changes the gradient's weighting of long and short responses).
public enum Aggregation: Codable, Equatable, Sendable {
    /// Σ_{b,t} ℓ·m / N_tokens, N_tokens = Σ m over the whole batch, or `globalTokenCount` when the batch is one of
    /// several minibatches / micro-batches (never per-micro-batch counts, which would weight micro-batches unequally).
    case tokenMean
    /// mean over sequences of (Σ_t ℓ·m / Σ_t m) — the GRPO paper's 1/|o| normalisation (it biases length: Liu et al. 2025, Dr.GRPO).
    case sequenceMeanOfTokenMeans
    /// mean over sequences of Σ_t ℓ·m.
    case sequenceMeanOfTokenSums
    /// Σ_{b,t} ℓ·m / C with a constant C (Dr.GRPO: C = the maximum response length).
    case tokenSumOverConstant(Float)
}

/// Reduces per-token values [B, T] under `mask` [B, T] to a scalar.
///
/// `globalTokenCount` (tokenMean) and `globalSequenceCount` (the sequence means) replace this batch's own counts
/// when it is one minibatch of a larger batch, so that minibatches sum to the full-batch loss.
public func aggregate(_ perToken: Tensor, mask: Tensor, mode: Aggregation,
                      globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil) -> Tensor {
    require(perToken.shape == mask.shape && perToken.rank == 2, "aggregate: per-token \(perToken.shape) vs mask \(mask.shape) (need [B, T])")
    let masked = perToken * mask
    let b = perToken.shape[0]
    switch mode {
    case .tokenMean:
        var tokens = 0
        for i in 0..<mask.count where mask.value[i] != 0 { tokens += 1 }
        let n = Float(Swift.max(1, globalTokenCount ?? tokens))
        return masked.sum() * (1 / n)
    case .sequenceMeanOfTokenMeans:
        let lengths = mask.sum(axis: 1)                                   // [B]
        let safe = lengths.graph.constant(lengths.scalars.map { Swift.max($0, 1) }, lengths.shape)
        return (masked.sum(axis: 1) / safe).sum() * (1 / Float(globalSequenceCount ?? b))
    case .sequenceMeanOfTokenSums:
        return masked.sum() * (1 / Float(globalSequenceCount ?? b))
    case let .tokenSumOverConstant(c):
        return masked.sum() * (1 / c)
    }
}

/// What every policy loss reports (cleanrl's namespaced diagnostics: policy/approx_kl, policy/clip_fraction, …),
/// computed over masked tokens.
public struct PolicyDiagnostics: Equatable, Sendable {
    /// Mean of ρ = exp(lp − old).
    public var meanRatio: Double
    /// Share of tokens whose ratio was clipped (the clipped branch was active).
    public var clipFraction: Double
    /// Mean of k3 = (ρ − 1) − log ρ, the low-variance estimate of KL(old ‖ current) (Schulman's k3).
    public var approxKL: Double
    /// Mean per-token entropy when entropies were given, else NaN.
    public var entropy: Double

    public init(meanRatio: Double, clipFraction: Double, approxKL: Double, entropy: Double) {
        self.meanRatio = meanRatio; self.clipFraction = clipFraction; self.approxKL = approxKL; self.entropy = entropy
    }

    /// Diagnostics from the per-token values (masked means); `clipped` marks tokens on the clipped branch.
    public static func measure(logProbs: Tensor, oldLogProbs: Tensor, mask: Tensor, clipped: [Bool]? = nil,
                               entropies: Tensor? = nil) -> PolicyDiagnostics {
        var n = 0.0, ratio = 0.0, kl = 0.0, clip = 0.0, ent = 0.0
        let lp = logProbs.value, old = oldLogProbs.value, m = mask.value
        for i in 0..<mask.count where m[i] != 0 {
            let logRatio = Double(lp[i] - old[i]), r = Foundation.exp(logRatio)
            n += 1; ratio += r; kl += (r - 1) - logRatio
            if clipped?[i] == true { clip += 1 }
            if let e = entropies { ent += Double(e.value[i]) }
        }
        let d = Swift.max(n, 1)
        return PolicyDiagnostics(meanRatio: ratio / d, clipFraction: clip / d, approxKL: kl / d,
                                 entropy: entropies == nil ? .nan : ent / d)
    }
}

/// A policy loss and its diagnostics.
public struct PolicyLossResult {
    public var loss: Tensor
    public var diagnostics: PolicyDiagnostics
    public init(loss: Tensor, diagnostics: PolicyDiagnostics) { self.loss = loss; self.diagnostics = diagnostics }
}

/// The per-token inputs of a policy loss, all [B, T]. Only `logProbs` (and `entropies`) carry gradients.
public struct PolicyInputs {
    /// Current policy log-probabilities of the sampled tokens (differentiable).
    public var logProbs: Tensor
    /// Behaviour log-probabilities (constant).
    public var oldLogProbs: Tensor
    /// Advantages, broadcast to every token of their sequence (constant).
    public var advantages: Tensor
    /// Response mask, 0/1 (constant).
    public var mask: Tensor
    /// Per-token entropies of the current policy (differentiable), for the entropy bonus and diagnostics.
    public var entropies: Tensor?

    public init(logProbs: Tensor, oldLogProbs: Tensor, advantages: Tensor, mask: Tensor, entropies: Tensor? = nil) {
        require(logProbs.shape == oldLogProbs.shape && logProbs.shape == advantages.shape && logProbs.shape == mask.shape,
                "PolicyInputs: shapes \(logProbs.shape), \(oldLogProbs.shape), \(advantages.shape), \(mask.shape) differ")
        self.logProbs = logProbs; self.oldLogProbs = oldLogProbs; self.advantages = advantages; self.mask = mask
        self.entropies = entropies
    }
}
