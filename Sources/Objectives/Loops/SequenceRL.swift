import Foundation
import Engine
import Models

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
        let perSequence = recipe.advantages(rewards, g)
        let keep = recipe.keep?(rewards, g) ?? [Bool](repeating: true, count: rollout.batch)
        let rows = (0..<rollout.batch).filter { keep[$0] }
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
        var tokens = 0.0, entropySum = 0.0, klSum = 0.0
        for i in 0..<rollout.responseMask.count where rollout.responseMask[i] != 0 {
            tokens += 1; entropySum += Double(entropies[i])
            if let r = refLogProbs { let d = Double(r[i] - old[i]); klSum += Foundation.exp(d) - d - 1 }
        }
        let sub = rollout.rows(rows)
        var advantages = [Float](repeating: 0, count: rows.count * columns)
        for (k, r) in rows.enumerated() { for t in 0..<columns { advantages[k * columns + t] = perSequence[r] } }
        let batch = PolicyBatch(rows: rows.count, columns: columns, oldLogProbs: pick(old, rows, columns), advantages: advantages,
                                mask: sub.responseMask, referenceLogProbs: refLogProbs.map { pick($0, rows, columns) })
        var order = rng.child("update").child(optimizerSteps)
        let stats = try policyGradientUpdate(batch, parameters: policy.parameters, optimizer: optimizer, config: config.update,
                                             recipe: recipe, graph: graph, rng: &order, stepOffset: optimizerSteps) { graph, chunk in
            let part = sub.rows(Array(chunk))
            let (lp, ent) = self.policy.tokenLogProbs(part, temperature: temperature, graph: graph)
            return (lp, ent)
        }
        optimizerSteps += stats.optimizerSteps
        return SequenceRLStats(meanReward: Double(rewards.reduce(0, +)) / Double(rewards.count),
                               keptFraction: Double(rows.count) / Double(rollout.batch),
                               meanResponseLength: tokens / Double(rollout.batch), entropy: entropySum / Swift.max(tokens, 1),
                               referenceKL: reference == nil ? .nan : klSum / Swift.max(tokens, 1), update: stats)
    }

    private func pick(_ a: [Float], _ rows: [Int], _ columns: Int) -> [Float] {
        rows.flatMap { a[($0 * columns)..<(($0 + 1) * columns)] }
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
