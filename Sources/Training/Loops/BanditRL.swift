import Foundation
import Engine
import Models
import Environments
import Objectives

/// A softmax policy over K actions per context (a bandit arm, a class label): `logits(graph, contexts)` returns
/// [contexts.count, K] built from `parameters` — a table, a linear map of features, or an MLP on images.
public struct CategoricalPolicy {
    public let parameters: ParameterStore
    public let actions: Int
    public let logits: (_ graph: Graph, _ contexts: [Int]) -> Tensor

    public init(parameters: ParameterStore, actions: Int, logits: @escaping (_ graph: Graph, _ contexts: [Int]) -> Tensor) {
        self.parameters = parameters; self.actions = actions; self.logits = logits
    }

    /// Action probabilities for each context, [contexts.count][K], without gradients.
    public func probabilities(_ contexts: [Int], graph: Graph = Graph(recording: false)) -> [[Double]] {
        let wasRecording = graph.isRecording
        graph.isRecording = false
        defer { graph.isRecording = wasRecording; graph.reset() }
        let p = logits(graph, contexts).softmax().scalars
        return (0..<contexts.count).map { c in (0..<actions).map { Double(p[c * actions + $0]) } }
    }
}

/// One bandit step's measurements.
public struct BanditRLStats: Equatable, Sendable {
    public var meanReward: Double
    public var keptFraction: Double
    /// Share of samples in groups whose rewards are not all equal.
    public var mixedGroupShare: Double
    /// Mean entropy of the policy over the step's contexts before the update.
    public var entropy: Double
    public var update: UpdateStats
}

/// rollout → reward → advantage → update for categorical policies (bandits, classifiers): the same update as the
/// sequence loop, with one "token" per sample. An optional learned baseline V(x) plays the critic: with it, the
/// advantage is r − V(x) (GAE with one step) and V is regressed on r.
public final class BanditPolicyTrainer {
    public let policy: CategoricalPolicy
    public let optimizer: Optimizer
    public var update: UpdateConfig
    /// An optional value baseline: values(graph, contexts) → [contexts.count], with its own parameters and optimizer.
    public var critic: (parameters: ParameterStore, optimizer: Optimizer, learningRate: Float, values: (Graph, [Int]) -> Tensor)?
    public private(set) var optimizerSteps = 0
    private let graph = Graph()
    private let inference = Graph(recording: false)

    public init(policy: CategoricalPolicy, optimizer: Optimizer, update: UpdateConfig) {
        self.policy = policy; self.optimizer = optimizer; self.update = update
    }

    /// One step: `groupSize` actions sampled per context, rewards from `reward(context, action)`.
    public func step(contexts: [Int], groupSize g: Int, recipe: PolicyGradientRecipe, rng: inout RandomStream,
                     reward: (_ context: Int, _ action: Int) -> Float) throws -> BanditRLStats {
        require(g >= 1 && !contexts.isEmpty, "BanditPolicyTrainer: need contexts and a positive group size")
        let probs = policy.probabilities(contexts, graph: inference)
        var sampler = rng.child("sample").child(optimizerSteps)
        var rowContexts: [Int] = [], actions: [Int] = [], old: [Float] = []
        for (c, p) in zip(contexts, probs) {
            // a diverged policy's probabilities are NaN: stop here rather than sample from them
            try DivergenceError.check(p.reduce(0, +), names: "policy probabilities", step: optimizerSteps)
            let weights = p.map { Float($0) }
            for _ in 0..<g {
                let a = sampler.categorical(weights)
                rowContexts.append(c); actions.append(a); old.append(Float(Foundation.log(p[a])))
            }
        }
        let rewards = zip(rowContexts, actions).map { reward($0, $1) }
        var advantages = recipe.advantages(rewards, g)
        if let critic {
            inference.reset()
            let v = critic.values(inference, rowContexts).scalars
            advantages = zip(rewards, v).map { $0 - $1 }
        }
        let keep = recipe.keep?(rewards, g) ?? [Bool](repeating: true, count: rewards.count)
        let rows = (0..<rewards.count).filter { keep[$0] }
        let batch = PolicyBatch(rows: rows.count, columns: 1, oldLogProbs: rows.map { old[$0] }, advantages: rows.map { advantages[$0] },
                                mask: [Float](repeating: 1, count: rows.count))
        var order = rng.child("update").child(optimizerSteps)
        let stats = try policyGradientUpdate(batch, parameters: policy.parameters, optimizer: optimizer, config: update, recipe: recipe,
                                             graph: graph, rng: &order, stepOffset: optimizerSteps) { graph, chunk in
            // logits once per distinct context (a group's samples share one), then gathered per row
            var unique: [Int] = [], slot: [Int: Int] = [:]
            let rowSlots = chunk.map { i -> Int32 in
                let c = rowContexts[rows[i]]
                if let s = slot[c] { return Int32(s) }
                slot[c] = unique.count; unique.append(c)
                return Int32(unique.count - 1)
            }
            let logpUnique = self.policy.logits(graph, unique).logSoftmax()                  // [U, K]
            let entropyUnique = -(logpUnique.exp() * logpUnique).sum(axis: 1, keepingAxis: true)  // [U, 1]
            let index = graph.indices(rowSlots)
            let logp = logpUnique.gatherRows(index, shape: Shape(chunk.count))               // [n, K]
            let chosen = logp.gatherLast(graph.indices(chunk.map { Int32(actions[rows[$0]]) })).reshaped(chunk.count, 1)
            let entropy = entropyUnique.gatherRows(index, shape: Shape(chunk.count))         // [n, 1]
            return (chosen, entropy)
        }
        if let critic {
            // regress V(x) on the observed rewards: ½ (V − r)², one step per minibatch of the same schedule
            try TrainingLoop.run(steps: 1, parameters: critic.parameters, optimizer: critic.optimizer,
                                 schedule: .constant(critic.learningRate), maxGradNorm: update.maxGradNorm, graph: graph) { g, _ in
                let v = critic.values(g, rowContexts)
                let target = g.constant(rewards, v.shape)
                return ((v - target).square() * 0.5).mean()
            }
        }
        optimizerSteps += stats.optimizerSteps
        let entropy = probs.reduce(0.0) { acc, p in acc - p.reduce(0.0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) } } / Double(probs.count)
        return BanditRLStats(meanReward: Double(rewards.reduce(0, +)) / Double(rewards.count),
                             keptFraction: Double(rows.count) / Double(rewards.count),
                             mixedGroupShare: StepDiagnostics.mixedGroupShare(rewards: rewards, groupSize: g), entropy: entropy, update: stats)
    }
}
