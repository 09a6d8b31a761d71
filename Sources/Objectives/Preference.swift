import Foundation
import Engine

// Preference objectives: the shared inputs and diagnostics. The objectives themselves live in
// Preference+DPO.swift (DPO, IPO, hinge, cDPO, robust DPO), Preference+ReferenceFree.swift (SimPO, ORPO),
// Preference+KTO.swift and Preference+RewardModel.swift (Bradley–Terry).
//
// Every objective here works on SEQUENCE-level log-probabilities: for a response y to a prompt x,
// log π(y|x) = Σ_t m_t · lp_t, the sum of its per-token log-probabilities over the response mask (TRL's
// `concatenated_forward` sums the same way). Shapes are [N] for N pairs (or N single completions for KTO).
// "RLHF = reward model + KL-regularised policy gradient" is not an objective of this file: the training loops
// assemble it from `bradleyTerryLoss` (the reward model) and the policy-gradient losses.

/// N preference pairs (x_i, y_c,i ≻ y_r,i): summed log-probabilities of the chosen and rejected responses under the
/// policy (differentiable) and under the frozen reference (constants), plus their lengths.
public struct PreferencePairs {
    /// log π_θ(y_c|x) = Σ_t lp_t over the chosen response, [N] (differentiable).
    public var chosenLogProbs: Tensor
    /// log π_θ(y_r|x), [N] (differentiable).
    public var rejectedLogProbs: Tensor
    /// log π_ref(y_c|x), [N] (constant: stored detached).
    public var referenceChosenLogProbs: Tensor
    /// log π_ref(y_r|x), [N] (constant: stored detached).
    public var referenceRejectedLogProbs: Tensor
    /// |y_c|, the number of response tokens, [N] (constant). Needed by IPO only.
    public var chosenLengths: Tensor?
    /// |y_r|, [N] (constant). Needed by IPO only.
    public var rejectedLengths: Tensor?

    public var count: Int { chosenLogProbs.count }

    public init(chosenLogProbs: Tensor, rejectedLogProbs: Tensor, referenceChosenLogProbs: Tensor,
                referenceRejectedLogProbs: Tensor, chosenLengths: Tensor? = nil, rejectedLengths: Tensor? = nil) {
        let n = chosenLogProbs.count
        require(chosenLogProbs.rank == 1 && [rejectedLogProbs, referenceChosenLogProbs, referenceRejectedLogProbs].allSatisfy { $0.shape == chosenLogProbs.shape },
                "PreferencePairs: log-probabilities must all be [N]; got \(chosenLogProbs.shape), \(rejectedLogProbs.shape), \(referenceChosenLogProbs.shape), \(referenceRejectedLogProbs.shape)")
        require((chosenLengths == nil) == (rejectedLengths == nil), "PreferencePairs: give both lengths or neither")
        if let c = chosenLengths, let r = rejectedLengths {
            require(c.shape == Shape(n) && r.shape == Shape(n), "PreferencePairs: lengths \(c.shape), \(r.shape) (need [\(n)])")
        }
        self.chosenLogProbs = chosenLogProbs
        self.rejectedLogProbs = rejectedLogProbs
        self.referenceChosenLogProbs = referenceChosenLogProbs.detached()
        self.referenceRejectedLogProbs = referenceRejectedLogProbs.detached()
        self.chosenLengths = chosenLengths?.detached()
        self.rejectedLengths = rejectedLengths?.detached()
    }

    /// Pairs from per-token log-probabilities [N, T] and response masks [N, T] (as `Transformer.tokenLogProbs`
    /// returns them): sums over each response and counts its tokens.
    public init(chosenTokenLogProbs: Tensor, chosenMask: Tensor, rejectedTokenLogProbs: Tensor, rejectedMask: Tensor,
                referenceChosenTokenLogProbs: Tensor, referenceRejectedTokenLogProbs: Tensor) {
        self.init(chosenLogProbs: PreferencePairs.summedLogProbs(chosenTokenLogProbs, mask: chosenMask),
                  rejectedLogProbs: PreferencePairs.summedLogProbs(rejectedTokenLogProbs, mask: rejectedMask),
                  referenceChosenLogProbs: PreferencePairs.summedLogProbs(referenceChosenTokenLogProbs, mask: chosenMask),
                  referenceRejectedLogProbs: PreferencePairs.summedLogProbs(referenceRejectedTokenLogProbs, mask: rejectedMask),
                  chosenLengths: PreferencePairs.lengths(chosenMask),
                  rejectedLengths: PreferencePairs.lengths(rejectedMask))
    }

    /// log π(y|x) = Σ_t m_t · lp_t: [N, T] per-token log-probabilities and mask → [N].
    public static func summedLogProbs(_ tokenLogProbs: Tensor, mask: Tensor) -> Tensor {
        require(tokenLogProbs.shape == mask.shape && tokenLogProbs.rank == 2,
                "summedLogProbs: log-probs \(tokenLogProbs.shape) vs mask \(mask.shape) (need [N, T])")
        return (tokenLogProbs * mask.detached()).sum(axis: 1)                                   // [N, T] -> [N]
    }

    /// |y| = Σ_t m_t: [N, T] mask → [N] (a constant).
    public static func lengths(_ mask: Tensor) -> Tensor {
        require(mask.rank == 2, "lengths: mask \(mask.shape) (need [N, T])")
        return mask.detached().sum(axis: 1)                                                       // [N, T] -> [N]
    }
}

/// What every preference objective reports (TRL's `rewards/chosen`, `rewards/rejected`, `rewards/margins`,
/// `rewards/accuracies`), as means over the batch.
public struct PreferenceDiagnostics: Equatable, Sendable {
    /// Mean implicit reward of the chosen responses (DPO family: β(log π_θ(y_c) − log π_ref(y_c)); see each objective).
    public var chosenReward: Double
    /// Mean implicit reward of the rejected responses.
    public var rejectedReward: Double
    /// Mean of chosen − rejected reward.
    public var margin: Double
    /// Share of pairs whose chosen reward exceeds the rejected one (NaN where pairs do not exist, as in KTO).
    public var accuracy: Double
    /// Objective-specific values, keyed as TRL logs them (e.g. "kl" for KTO, "nll_loss" for ORPO).
    public var extras: [String: Double]

    public init(chosenReward: Double, rejectedReward: Double, margin: Double, accuracy: Double, extras: [String: Double] = [:]) {
        self.chosenReward = chosenReward; self.rejectedReward = rejectedReward; self.margin = margin
        self.accuracy = accuracy; self.extras = extras
    }

    /// Diagnostics of paired rewards [N] (values only; no gradient).
    public static func measure(chosenRewards: Tensor, rejectedRewards: Tensor, extras: [String: Double] = [:]) -> PreferenceDiagnostics {
        require(chosenRewards.count == rejectedRewards.count, "PreferenceDiagnostics: \(chosenRewards.count) vs \(rejectedRewards.count) rewards")
        let c = chosenRewards.scalars.map(Double.init), r = rejectedRewards.scalars.map(Double.init)
        let n = Double(Swift.max(c.count, 1))
        var chosen = 0.0, rejected = 0.0, wins = 0.0
        for i in 0..<c.count {
            chosen += c[i]; rejected += r[i]
            if c[i] > r[i] { wins += 1 }
        }
        return PreferenceDiagnostics(chosenReward: chosen / n, rejectedReward: rejected / n, margin: (chosen - rejected) / n,
                                     accuracy: wins / n, extras: extras)
    }
}

/// A preference loss (the mean over the batch, a scalar whose gradient flows through the policy log-probabilities)
/// and its diagnostics.
public struct PreferenceLossResult {
    public var loss: Tensor
    public var diagnostics: PreferenceDiagnostics
    public init(loss: Tensor, diagnostics: PreferenceDiagnostics) { self.loss = loss; self.diagnostics = diagnostics }
}
