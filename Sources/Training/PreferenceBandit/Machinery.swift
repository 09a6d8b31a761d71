import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

// The machinery dpo-family and lpf-methods share: one feature policy on a PreferenceBandit, trained by one loop
// (`TrainingLoop.run` for every offline objective and every supervised variant, `BanditPolicyTrainer` for RLHF / PPO),
// and measured by one set of exact policy-level quantities (`PolicySnapshot`). Experiments are configurations of it.
// The offline objectives are `PreferenceObjective` values, each exactly as Objectives/Preference*.swift codes it.

/// A preference pair's tensors for one batch: the policy's log-probabilities of the chosen and rejected responses
/// (differentiable), π_ref's (constants) and the responses' token counts |y| = L + 1 (content tokens and the end
/// token, as the sequence variant emits them; IPO, SimPO and ORPO normalise by them).
public struct PairTensors {
    public var chosen: Tensor, rejected: Tensor, referenceChosen: Tensor, referenceRejected: Tensor
    public var chosenLengths: Tensor, rejectedLengths: Tensor

    public init(_ pairs: [PreferenceBanditPair], logProbs: Tensor, bandit: PreferenceBandit, graph g: Graph) {
        let n = pairs.count
        chosen = logProbs.gatherLast(g.indices(pairs.map { Int32($0.chosen) }))                       // [N]
        rejected = logProbs.gatherLast(g.indices(pairs.map { Int32($0.rejected) }))                   // [N]
        referenceChosen = g.constant(pairs.map { Float(bandit.referenceLogProbabilities[$0.context][$0.chosen]) }, Shape(n))
        referenceRejected = g.constant(pairs.map { Float(bandit.referenceLogProbabilities[$0.context][$0.rejected]) }, Shape(n))
        chosenLengths = g.constant(pairs.map { Float(bandit.responseLengths[$0.context][$0.chosen] + 1) }, Shape(n))
        rejectedLengths = g.constant(pairs.map { Float(bandit.responseLengths[$0.context][$0.rejected] + 1) }, Shape(n))
    }

    public init(chosen: Tensor, rejected: Tensor, referenceChosen: Tensor, referenceRejected: Tensor, chosenLengths: Tensor, rejectedLengths: Tensor) {
        self.chosen = chosen; self.rejected = rejected; self.referenceChosen = referenceChosen; self.referenceRejected = referenceRejected
        self.chosenLengths = chosenLengths; self.rejectedLengths = rejectedLengths
    }

    public var preferencePairs: PreferencePairs {
        PreferencePairs(chosenLogProbs: chosen, rejectedLogProbs: rejected, referenceChosenLogProbs: referenceChosen,
                        referenceRejectedLogProbs: referenceRejected, chosenLengths: chosenLengths, rejectedLengths: rejectedLengths)
    }
}

/// KTO on n pairs made unpaired (TRL's conversion): completions 0..<n (the chosen responses) are desirable, n..<2n (the
/// rejected) undesirable. `own` [2N] are the policy's log-probabilities (differentiable), `reference` π_ref's;
/// `mismatched` and `mismatchedReference` those of TRL's shifted (prompt, completion) pairs
/// (`ktoMismatchedCompletionIndices`), values only, for the KL baseline.
public func unpairedKTOLoss(_ own: Tensor, reference: [Float], mismatched: [Float], mismatchedReference: [Float], beta: Double) -> Tensor {
    let g = own.graph
    return ktoLoss(logProbs: own, referenceLogProbs: g.constant(reference, own.shape), desirable: (0..<own.count).map { $0 < own.count / 2 },
                   klLogProbs: g.constant(mismatched, own.shape), referenceKLLogProbs: g.constant(mismatchedReference, own.shape),
                   beta: Float(beta)).loss
}

/// One logged step of a policy-gradient loop (RLHF / PPO): the mean reward-model score of the step's samples (before
/// any KL penalty) and the update's diagnostics.
public struct PolicyGradientStepLog: Equatable, Sendable {
    public var step: Int
    public var meanReward: Double
    public var diagnostics: StepDiagnostics
    public init(step: Int, meanReward: Double, diagnostics: StepDiagnostics) {
        self.step = step; self.meanReward = meanReward; self.diagnostics = diagnostics
    }

    /// The training CSV's columns after the run's own (step, mean_reward, then `StepDiagnostics.columns`).
    public static let columns = ["step", "mean_reward"] + StepDiagnostics.columns
    public var cells: [CSVValue] { [.int(step), .double(meanReward)] + diagnostics.cells }
}

/// RLHF / PPO's recipe, shared by the feature and the sequence policies: leave-one-out baseline (RLOO), PPO's clipped
/// surrogate.
public func rlhfRecipe() -> PolicyGradientRecipe {
    PolicyGradientRecipe(advantages: { Advantages.rloo(rewards: $0, groupSize: $1) },
                         loss: { PolicyLoss.ppoClip($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
}

/// What a policy is at one moment, exactly (no sampling): every quantity is a mean over contexts of sums over the K
/// responses of the policy table.
public struct PolicySnapshot: Equatable, Sendable {
    public var step: Int
    /// Mean over the training pairs of log π(y_c|x) and log π(y_r|x).
    public var chosenLogProb: Double
    public var rejectedLogProb: Double
    /// Mean over the training pairs of (log π(y_c) − log π(y_r)) − (log π_ref(y_c) − log π_ref(y_r)): the implicit-reward
    /// margin divided by β (0 at π_ref), comparable across objectives.
    public var margin: Double
    /// Mean over training contexts of the mass on responses that appear in no training pair of that context.
    public var massOutsidePairs: Double
    /// Mean KL(π ‖ π_ref) over the training contexts.
    public var kl: Double
    /// Expected gold reward on the training and the held-out test contexts.
    public var goldTrain: Double
    public var goldTest: Double
    /// Mean over training contexts of the mass on strings that are no candidate response (sequence policies only).
    public var nonCandidateMass = 0.0
}

/// A feature policy and the data it is trained on.
public final class PreferenceSetup {
    public let bandit: PreferenceBandit
    public let pairs: [PreferenceBanditPair]
    /// The responses that occur in `pairs`, per context.
    public let pairResponses: [[Int]]
    /// Contexts with at least one pair (the training contexts).
    public let pairContexts: [Int]

    public init(bandit: PreferenceBandit, pairs: [PreferenceBanditPair]) {
        self.bandit = bandit
        self.pairs = pairs
        let responses = bandit.responsesInPairs(pairs)
        pairResponses = responses
        pairContexts = (0..<bandit.contextCount).filter { !responses[$0].isEmpty }
    }

    /// A fresh feature policy at π_ref.
    public func policy(hiddenSizes: [Int], rng: inout RandomStream) -> PreferenceBanditFeaturePolicy {
        PreferenceBanditFeaturePolicy(bandit: bandit, hiddenSizes: hiddenSizes, rng: &rng)
    }

    /// The exact snapshot of `table` (a policy's `probabilityTable()`).
    public func snapshot(_ table: [[Double]], step: Int) throws -> PolicySnapshot {
        var chosen = 0.0, rejected = 0.0, margin = 0.0
        for p in pairs {
            let c = Foundation.log(Swift.max(table[p.context][p.chosen], 1e-300))
            let r = Foundation.log(Swift.max(table[p.context][p.rejected], 1e-300))
            chosen += c; rejected += r
            margin += (c - r) - (bandit.referenceLogProbabilities[p.context][p.chosen] - bandit.referenceLogProbabilities[p.context][p.rejected])
        }
        let n = Double(pairs.count)
        let inside = try bandit.mass(table, on: pairResponses, contexts: pairContexts)
        return PolicySnapshot(step: step, chosenLogProb: chosen / n, rejectedLogProb: rejected / n, margin: margin / n,
                              massOutsidePairs: 1 - inside, kl: try bandit.klFromReference(table, contexts: pairContexts),
                              goldTrain: try bandit.expectedGoldReward(table, contexts: pairContexts),
                              goldTest: try bandit.expectedGoldReward(table, contexts: bandit.testContexts))
    }

    /// The loss of one offline objective on a batch of pairs (the paired ones through `objective.loss`, KTO assembled
    /// here from the pairs made unpaired).
    public func offlineLoss(_ objective: PreferenceObjective, _ batch: [PreferenceBanditPair], policy: PreferenceBanditPolicy,
                            graph g: Graph) throws -> Tensor {
        if case let .kto(beta) = objective {
            // unpaired: every chosen response is a desirable completion, every rejected one an undesirable one; the KL
            // baseline comes from mismatched (prompt, completion) pairs, TRL's shift by one
            let contexts = batch.map(\.context) + batch.map(\.context)
            let responses = batch.map(\.chosen) + batch.map(\.rejected)
            let logp = try policy.logProbabilities(contexts: contexts, in: g)                          // [2N, K]
            let own = logp.gatherLast(g.indices(responses.map { Int32($0) }))                           // [2N]
            let shifted = ktoMismatchedCompletionIndices(count: contexts.count).map { responses[$0] }
            let mismatched = logp.gatherLast(g.indices(shifted.map { Int32($0) })).scalars              // [2N], values only
            return unpairedKTOLoss(own, reference: zip(contexts, responses).map { Float(bandit.referenceLogProbabilities[$0][$1]) },
                                   mismatched: mismatched,
                                   mismatchedReference: zip(contexts, shifted).map { Float(bandit.referenceLogProbabilities[$0][$1]) },
                                   beta: beta)
        }
        let logp = try policy.logProbabilities(contexts: batch.map(\.context), in: g)                   // [N, K]
        return objective.loss(PairTensors(batch, logProbs: logp, bandit: bandit, graph: g).preferencePairs).loss
    }

    /// Trains `policy` with an offline objective for `steps` Adam steps of `batchSize` pairs drawn with replacement,
    /// calling `measure(step)` before the first step and after every `every` steps (and after the last).
    public func trainOffline(_ objective: PreferenceObjective, policy: PreferenceBanditPolicy,
                      steps: Int, batchSize: Int, learningRate: Double, every: Int, rng: inout RandomStream,
                      measure: (Int) throws -> Void) throws {
        var draw = rng.child("batches")
        try measuredTraining(steps: steps, every: every, parameters: policy.store, optimizer: AdamW.adam(), learningRate: learningRate,
                             measure: measure) { g in
            let batch = (0..<batchSize).map { _ in self.pairs[draw.int(self.pairs.count)] }
            return try self.offlineLoss(objective, batch, policy: policy, graph: g)
        }
    }

    /// RLHF / PPO's policy stage: `groupSize` samples per context of `contextsPerStep` training contexts per step, reward
    /// r̂(x, y) − β·(log π(y|x) − log π_ref(y|x)) (the KL penalty in the reward, as InstructGPT and TRL's PPO put it),
    /// leave-one-out baseline (RLOO), PPO's clipped surrogate over `epochs` passes of `minibatches` minibatches (with one
    /// epoch and one minibatch the ratio is 1 and it is the plain policy gradient). `log` receives the steps measured
    /// (every `every` steps and the last).
    public func trainRLHF(policy: PreferenceBanditPolicy, rewards: [[Double]], klCoefficient: Double, steps: Int,
                   contextsPerStep: Int, groupSize: Int, learningRate: Double, epochs: Int = 1, minibatches: Int = 1,
                   contexts: [Int], every: Int, rng: inout RandomStream, measure: (Int) throws -> Void,
                   log: (PolicyGradientStepLog) -> Void = { _ in }) throws {
        let categorical = CategoricalPolicy(parameters: policy.store, actions: bandit.responseCount) { g, xs in
            (try? policy.logProbabilities(contexts: xs, in: g))!          // the contexts are ours, always in range
        }
        let trainer = BanditPolicyTrainer(policy: categorical, optimizer: AdamW.adam(),
                                          update: UpdateConfig(epochs: epochs, minibatches: minibatches,
                                                               learningRate: Float(learningRate), maxGradNorm: nil))
        let recipe = rlhfRecipe()
        var draw = rng.child("contexts")
        var stepRNG = rng.child("steps")
        try measure(0)
        guard steps > 0 else { return }
        for step in 1...steps {
            let batch = (0..<contextsPerStep).map { _ in contexts[draw.int(contexts.count)] }
            let table = categorical.probabilities(batch)
            var row: [Int: Int] = [:]
            for (i, x) in batch.enumerated() { row[x] = i }
            var scored = 0.0, samples = 0
            let stats = try trainer.step(contexts: batch, groupSize: groupSize, recipe: recipe, rng: &stepRNG) { x, y in
                let logRatio = Foundation.log(Swift.max(table[row[x]!][y], 1e-300)) - self.bandit.referenceLogProbabilities[x][y]
                scored += rewards[x][y]; samples += 1
                return Float(rewards[x][y] - klCoefficient * logRatio)
            }
            if step % every == 0 || step == steps {
                log(PolicyGradientStepLog(step: step, meanReward: scored / Double(Swift.max(samples, 1)), diagnostics: StepDiagnostics(stats)))
                try measure(step)
            }
        }
    }

    /// Supervised fine-tuning on (context, condition, response) examples: `steps` Adam steps of `batchSize` examples
    /// drawn with replacement, loss −mean log π(y | x, c), plus `klCoefficient` · mean_x KL(π(·|x, c) ‖ π_ref(·|x))
    /// over the batch's contexts when positive (Quark's KL term). `measure(step)` runs before the first step and after
    /// every `every` steps. `firstStep` continues a step count across calls (Quark's rounds).
    public func trainSupervised(policy: ConditionedFeaturePolicy, examples: [SupervisedExample], steps: Int, batchSize: Int,
                         learningRate: Double, klCoefficient: Double = 0, optimizer: Optimizer = AdamW.adam(),
                         firstStep: Int = 0, every: Int, rng: inout RandomStream, measure: (Int) throws -> Void) throws {
        require(!examples.isEmpty, "trainSupervised: no examples")
        var draw = rng.child("batches")
        try measuredTraining(steps: steps, every: every, firstStep: firstStep, parameters: policy.store, optimizer: optimizer,
                             learningRate: learningRate, measure: measure) { g in
            let batch = (0..<batchSize).map { _ in examples[draw.int(examples.count)] }
            let logp = try policy.logProbabilities(contexts: batch.map(\.context), conditions: batch.map(\.condition), in: g)   // [B, K]
            var loss = -logp.gatherLast(g.indices(batch.map { Int32($0.response) })).mean()
            if klCoefficient > 0 {
                let reference = g.constant(batch.flatMap { self.bandit.referenceLogProbabilities[$0.context].map(Float.init) }, logp.shape)
                let kl = (logp.exp() * (logp - reference)).sum(axis: 1).mean()                   // mean_x KL(π ‖ π_ref)
                loss = loss + Float(klCoefficient) * kl
            }
            return loss
        }
    }
}

/// The loop every offline and supervised method here shares: `TrainingLoop.run` (constant learning rate, no clipping)
/// in chunks of `every` steps, with `measure(step)` before the first step (when `firstStep` is 0) and after every chunk
/// (so after the last step too). `firstStep` continues a step count across calls.
public func measuredTraining(steps: Int, every: Int, firstStep: Int = 0, parameters: ParameterStore, optimizer: Optimizer, learningRate: Double,
                      measure: (Int) throws -> Void, loss: (Graph) throws -> Tensor) throws {
    let graph = Graph()
    if firstStep == 0 { try measure(0) }
    var done = 0
    while done < steps {
        let chunk = Swift.min(every, steps - done)
        try TrainingLoop.run(steps: chunk, parameters: parameters, optimizer: optimizer, schedule: .constant(Float(learningRate)),
                             maxGradNorm: nil, graph: graph, firstStep: firstStep + done) { g, _ in try loss(g) }
        done += chunk
        try measure(firstStep + done)
    }
}

/// One supervised example: a response to imitate in a context, under a condition (a control token: reward
/// conditioning's good / bad, Quark's reward quantile; 0 when unconditioned).
public struct SupervisedExample: Sendable {
    public var context: Int, condition: Int, response: Int
    public init(context: Int, condition: Int, response: Int) { self.context = context; self.condition = condition; self.response = response }
}

/// A feature policy with control tokens: π(y | x, c) ∝ π_ref(y|x) · exp((w + w_c) · φ(x, y)) for conditions
/// c = 0…M−1 (AlpacaFarm's reward conditioning prefixes a good / bad token; Quark a reward-quantile token). Starts at
/// π_ref for every condition. As a `PreferenceBanditPolicy` it is the policy under `evaluationCondition`.
public final class ConditionedFeaturePolicy: PreferenceBanditPolicy {
    public let store = ParameterStore()
    public let shared: Linear
    public let perCondition: Linear
    public let contextCount: Int, responseCount: Int, featureCount: Int, conditionCount: Int
    public var evaluationCondition: Int
    private let features: [Float], referenceLogits: [Float]

    public init(bandit: PreferenceBandit, conditions: Int, evaluationCondition: Int) {
        require(conditions >= 1 && evaluationCondition >= 0 && evaluationCondition < conditions,
                "ConditionedFeaturePolicy: \(conditions) conditions, evaluation condition \(evaluationCondition)")
        contextCount = bandit.contextCount; responseCount = bandit.responseCount; featureCount = bandit.featureCount
        conditionCount = conditions
        self.evaluationCondition = evaluationCondition
        var unused = RandomStream(seed: 0)
        shared = Linear(store, "policy.shared", inputs: featureCount, outputs: 1, bias: false, weightInit: .zeros, rng: &unused)
        perCondition = Linear(store, "policy.condition", inputs: featureCount, outputs: conditions, bias: false, weightInit: .zeros, rng: &unused)
        features = bandit.features.flatMap { $0.flatMap { $0.map(Float.init) } }
        referenceLogits = bandit.referenceLogits.flatMap { $0.map(Float.init) }
    }

    public func logProbabilities(contexts: [Int], conditions: [Int], in graph: Graph) throws -> Tensor {
        try checkPolicyContexts(contexts)
        require(conditions.count == contexts.count && conditions.allSatisfy { $0 >= 0 && $0 < conditionCount },
                "ConditionedFeaturePolicy: one condition in 0..<\(conditionCount) per context")
        let (b, k, d) = (contexts.count, responseCount, featureCount)
        var x = [Float](repeating: 0, count: b * k * d), base = [Float](repeating: 0, count: b * k), rows = [Int32](repeating: 0, count: b * k)
        for (row, c) in contexts.enumerated() {
            for i in 0..<(k * d) { x[row * k * d + i] = features[c * k * d + i] }
            for y in 0..<k { base[row * k + y] = referenceLogits[c * k + y]; rows[row * k + y] = Int32(conditions[row]) }
        }
        let h = graph.constant(x, Shape(b * k, d))                                              // [B·K, d]
        let conditioned = perCondition(h).gatherLast(graph.indices(rows))                      // [B·K, M] → [B·K]
        let logits = shared(h).reshaped(b, k) + conditioned.reshaped(b, k) + graph.constant(base, Shape(b, k))
        return logits.logSoftmax()                                                              // [B, K]
    }

    public func logProbabilities(contexts: [Int], in graph: Graph) throws -> Tensor {
        try logProbabilities(contexts: contexts, conditions: contexts.map { _ in evaluationCondition }, in: graph)
    }
}
