import Foundation
import Engine
import Models
import Environments
import Objectives

/// rollout → reward → advantage → update for a transformer policy (written once; experiments vary the recipe).
public struct SequenceRLConfig: Codable, Equatable, Sendable {
    /// Samples per prompt (the group that shares a baseline).
    public var groupSize: Int
    /// How responses are drawn; log-probabilities are recomputed at the same temperature.
    public var sampling: SamplingOptions
    public var update: UpdateConfig

    public init(groupSize: Int, sampling: SamplingOptions, update: UpdateConfig) {
        self.groupSize = groupSize; self.sampling = sampling; self.update = update
    }
}

/// One step's measurements (namespaced like cleanrl's logs in the CSVs that experiments write).
public struct SequenceRLStats: Equatable, Sendable {
    /// Mean reward over all sampled responses.
    public var meanReward: Double
    /// Share of rows trained on (after `recipe.keep`).
    public var keptFraction: Double
    /// Share of samples in groups whose rewards are not all equal (the samples a group baseline can learn from).
    public var mixedGroupShare: Double
    public var meanResponseLength: Double
    /// Mean per-token entropy of the sampled responses under the policy before the update.
    public var entropy: Double
    /// Mean k3 estimate of KL(π ‖ π_ref) over response tokens (NaN without a reference).
    public var referenceKL: Double
    public var update: UpdateStats
}

/// The sequence-policy loop: owns its graphs; the policy and optimizer are shared with the caller.
public final class SequencePolicyTrainer {
    public let policy: Transformer
    /// A frozen reference for KL terms and diagnostics (its parameters are never updated here).
    public let reference: Transformer?
    public let optimizer: Optimizer
    public var config: SequenceRLConfig
    /// KL to the reference, placed in the reward or in the loss (exactly one: in both it would regularise twice). Needs `reference`.
    public var kl: KLRegularization?
    /// A learned value function: advantages come from GAE on per-token rewards instead of `recipe.advantages`,
    /// and the critic is regressed on the GAE returns with the same epochs and minibatches (PPO).
    public var critic: SequenceCritic?
    public private(set) var optimizerSteps = 0
    private let graph = Graph()
    private let inference = Graph(recording: false)

    public init(policy: Transformer, reference: Transformer? = nil, optimizer: Optimizer, config: SequenceRLConfig) {
        self.policy = policy; self.reference = reference; self.optimizer = optimizer; self.config = config
    }

    /// One RL step on `prompts`: `groupSize` responses each, rewards from `reward(promptIndex, response)`,
    /// advantages and the update from `recipe`. Randomness (sampling, minibatch order) comes from `rng`.
    public func step(prompts: [[Int32]], recipe: PolicyGradientRecipe, rng: inout RandomStream,
                     reward: (_ promptIndex: Int, _ response: [Int32]) -> Float) throws -> SequenceRLStats {
        let g = config.groupSize
        require(g >= 1 && !prompts.isEmpty, "SequencePolicyTrainer: need prompts and a positive group size")
        let expanded = prompts.flatMap { p in [[Int32]](repeating: p, count: g) }
        var sampler = rng.child("sample").child(optimizerSteps)
        let rollout = policy.sample(prompts: expanded, options: config.sampling, rng: &sampler, graph: inference)
        let rewards = (0..<rollout.batch).map { reward($0 / g, rollout.response($0)) }
        let columns = rollout.responseColumns
        let temperature = config.sampling.greedy ? 1 : config.sampling.temperature

        // π_old and π_ref on the sampled tokens, recomputed without gradients (as verl's old_log_prob)
        inference.reset()
        let (oldAll, entAll) = policy.tokenLogProbs(rollout, temperature: temperature, graph: inference)
        let old = oldAll.scalars, entropies = entAll.scalars
        var refLogProbs: [Float]? = nil
        if let reference {
            inference.reset()
            refLogProbs = reference.tokenLogProbs(rollout, temperature: temperature, graph: inference).logProbs.scalars
        }
        inference.reset()
        require(kl == nil || reference != nil, "SequencePolicyTrainer: KL regularisation needs a reference model")
        // rewards after an in-reward KL penalty (a no-op for in-loss placement), then advantages
        let shaped = kl.map { $0.penalizedSequenceRewards(sequenceRewards: rewards, logProbs: old, referenceLogProbs: refLogProbs!,
                                                           mask: rollout.responseMask, columns: columns) } ?? rewards
        let keep = recipe.keep?(shaped, g) ?? [Bool](repeating: true, count: rollout.batch)
        let rows = (0..<rollout.batch).filter { keep[$0] }
        let sub = rollout.rows(rows)
        var advantages = [Float](repeating: 0, count: rows.count * columns)
        var returns: [Float] = []
        if let critic {
            inference.reset()
            let values = critic.values(sub, graph: inference).scalars
            inference.reset()
            // the sequence reward on its last token (an in-loss or absent KL leaves the rewards unpenalised)
            let tokenRewards = (kl ?? .inLoss(coefficient: 0)).penalizedTokenRewards(
                sequenceRewards: rows.map { rewards[$0] }, logProbs: gatherRows(old, rows, columns: columns),
                referenceLogProbs: refLogProbs.map { gatherRows($0, rows, columns: columns) } ?? gatherRows(old, rows, columns: columns), mask: sub.responseMask, columns: columns)
            let gae = Advantages.gae(rewards: tokenRewards, values: values, mask: sub.responseMask, columns: columns,
                                     gamma: critic.gamma, lambda: critic.lambda)
            advantages = critic.whitenAdvantages ? Advantages.whiten(gae.advantages, weights: sub.responseMask) : gae.advantages
            returns = gae.returns
        } else {
            let perSequence = recipe.advantages(shaped, g)
            for (k, r) in rows.enumerated() { for t in 0..<columns { advantages[k * columns + t] = perSequence[r] } }
        }
        var tokens = 0.0, entropySum = 0.0, klSum = 0.0
        for i in 0..<rollout.responseMask.count where rollout.responseMask[i] != 0 {
            tokens += 1; entropySum += Double(entropies[i])
            if let r = refLogProbs { let d = Double(r[i] - old[i]); klSum += Foundation.exp(d) - d - 1 }
        }
        let batch = PolicyBatch(rows: rows.count, columns: columns, oldLogProbs: gatherRows(old, rows, columns: columns), advantages: advantages,
                                mask: sub.responseMask, referenceLogProbs: refLogProbs.map { gatherRows($0, rows, columns: columns) })
        var withKL = recipe
        if let kl, kl.placement == .loss {
            let base = recipe.extraLoss
            withKL.extraLoss = { inputs, reference, aggregation, tokens, sequences in
                let term = kl.lossTerm(logProbs: inputs.logProbs, referenceLogProbs: reference!, mask: inputs.mask, aggregation: aggregation,
                                       globalTokenCount: tokens, globalSequenceCount: sequences)
                return base.map { term + $0(inputs, reference, aggregation, tokens, sequences) } ?? term
            }
        }
        var order = rng.child("update").child(optimizerSteps)
        if let critic, !rows.isEmpty {
            // regress V on the GAE returns: ½ (V − R)² token-mean, same epochs and minibatches as the policy
            var criticOrder = rng.child("critic").child(optimizerSteps)
            let target = returns, mask = sub.responseMask
            for _ in 0..<Swift.max(1, config.update.epochs) {
                let perm = criticOrder.permutation(rows.count)
                let minibatches = Swift.max(1, Swift.min(config.update.minibatches, rows.count))
                for mb in 0..<minibatches {
                    let part = Array(perm[(mb * rows.count / minibatches)..<((mb + 1) * rows.count / minibatches)])
                    try TrainingLoop.run(steps: 1, parameters: critic.trunk.parameters, optimizer: critic.optimizer,
                                         schedule: .constant(critic.learningRate), maxGradNorm: config.update.maxGradNorm, graph: graph) { g, _ in
                        let v = critic.values(sub.rows(part), graph: g)
                        let partShape = Shape(part.count, columns)
                        let r = g.constant(part.flatMap { target[($0 * columns)..<(($0 + 1) * columns)] }, partShape)
                        let m = g.constant(part.flatMap { mask[($0 * columns)..<(($0 + 1) * columns)] }, partShape)
                        return aggregate((v - r).square() * 0.5, mask: m, mode: .tokenMean)
                    }
                }
            }
        }
        let stats = try policyGradientUpdate(batch, parameters: policy.parameters, optimizer: optimizer, config: config.update,
                                             recipe: withKL, graph: graph, rng: &order, stepOffset: optimizerSteps) { graph, chunk in
            let part = sub.rows(Array(chunk))
            let (lp, ent) = self.policy.tokenLogProbs(part, temperature: temperature, graph: graph)
            return (lp, ent)
        }
        optimizerSteps += stats.optimizerSteps
        return SequenceRLStats(meanReward: Double(rewards.reduce(0, +)) / Double(rewards.count),
                               keptFraction: Double(rows.count) / Double(rollout.batch),
                               mixedGroupShare: StepDiagnostics.mixedGroupShare(rewards: rewards, groupSize: g),
                               meanResponseLength: tokens / Double(rollout.batch), entropy: entropySum / Swift.max(tokens, 1),
                               referenceKL: reference == nil ? .nan : klSum / Swift.max(tokens, 1), update: stats)
    }
}

extension Rollout {
    /// The sub-batch of the given rows (same column layout).
    public func rows(_ list: [Int]) -> Rollout {
        var r = self
        r.batch = list.count
        r.tokens = list.flatMap { tokens[($0 * columns)..<(($0 + 1) * columns)] }
        r.padding = list.map { padding[$0] }
        r.responseMask = list.flatMap { responseMask[($0 * responseColumns)..<(($0 + 1) * responseColumns)] }
        r.behaviourLogProbs = list.flatMap { behaviourLogProbs[($0 * responseColumns)..<(($0 + 1) * responseColumns)] }
        r.finished = list.map { finished[$0] }
        return r
    }
}
