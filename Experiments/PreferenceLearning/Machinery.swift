import Foundation
import Engine
import Models
import Environments
import Objectives

// The machinery dpo-family and lpf-methods share: one feature policy on a PreferenceBandit, trained by one loop
// (`TrainingLoop.run` for every offline objective and every supervised variant, `BanditPolicyTrainer` for RLHF / PPO),
// and measured by one set of exact policy-level quantities (`PolicySnapshot`). Experiments are configurations of it.

/// The offline objectives, each exactly as Objectives/Preference*.swift codes it (TRL's definitions, ALGORITHMS.md).
public enum OfflineObjective: String, Codable, CaseIterable, Sendable {
    case dpo, ipo, cdpo, hinge, simpo, orpo, kto

    public var label: String {
        switch self {
        case .dpo: return "DPO"
        case .ipo: return "IPO"
        case .cdpo: return "cDPO"
        case .hinge: return "hinge"
        case .simpo: return "SimPO"
        case .orpo: return "ORPO"
        case .kto: return "KTO"
        }
    }
}

/// Hyperparameters of the offline objectives (TRL's / the papers' defaults).
public struct OfflineHyperparameters: Codable, Equatable, Sendable {
    /// β of DPO, IPO, cDPO, hinge and KTO (TRL's DPOConfig / KTOConfig default 0.1).
    public var beta = 0.1
    /// cDPO's label smoothing ε (TRL's `label_smoothing`; the cDPO note uses 0.1).
    public var labelSmoothing = 0.1
    /// SimPO's β and γ (the SimPO repository's Llama-3-8B-Base setting: 2 and 1).
    public var simpoBeta = 2.0
    public var simpoGamma = 1.0
    /// ORPO's λ (TRL's ORPOConfig.beta 0.1).
    public var orpoBeta = 0.1
    public init() {}
}

/// A preference pair's tensors for one batch: the policy's log-probabilities of the chosen and rejected responses
/// (differentiable), π_ref's (constants) and the responses' token counts |y| = L + 1 (content tokens and the end
/// token, as the sequence variant emits them; IPO, SimPO and ORPO normalise by them).
struct PairTensors {
    var chosen: Tensor, rejected: Tensor, referenceChosen: Tensor, referenceRejected: Tensor
    var chosenLengths: Tensor, rejectedLengths: Tensor

    init(_ pairs: [PreferenceBanditPair], logProbs: Tensor, bandit: PreferenceBandit, graph g: Graph) {
        let n = pairs.count
        chosen = logProbs.gatherLast(g.indices(pairs.map { Int32($0.chosen) }))                       // [N]
        rejected = logProbs.gatherLast(g.indices(pairs.map { Int32($0.rejected) }))                   // [N]
        referenceChosen = g.constant(pairs.map { Float(bandit.referenceLogProbabilities[$0.context][$0.chosen]) }, Shape(n))
        referenceRejected = g.constant(pairs.map { Float(bandit.referenceLogProbabilities[$0.context][$0.rejected]) }, Shape(n))
        chosenLengths = g.constant(pairs.map { Float(bandit.responseLengths[$0.context][$0.chosen] + 1) }, Shape(n))
        rejectedLengths = g.constant(pairs.map { Float(bandit.responseLengths[$0.context][$0.rejected] + 1) }, Shape(n))
    }

    var preferencePairs: PreferencePairs {
        PreferencePairs(chosenLogProbs: chosen, rejectedLogProbs: rejected, referenceChosenLogProbs: referenceChosen,
                        referenceRejectedLogProbs: referenceRejected, chosenLengths: chosenLengths, rejectedLengths: rejectedLengths)
    }
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
}

/// A feature policy and the data it is trained on.
final class PreferenceSetup {
    let bandit: PreferenceBandit
    let pairs: [PreferenceBanditPair]
    /// The responses that occur in `pairs`, per context.
    let pairResponses: [[Int]]
    /// Contexts with at least one pair (the training contexts).
    let pairContexts: [Int]

    init(bandit: PreferenceBandit, pairs: [PreferenceBanditPair]) {
        self.bandit = bandit
        self.pairs = pairs
        let responses = bandit.responsesInPairs(pairs)
        pairResponses = responses
        pairContexts = (0..<bandit.contextCount).filter { !responses[$0].isEmpty }
    }

    /// A fresh feature policy at π_ref.
    func policy(hiddenSizes: [Int], rng: inout RandomStream) -> PreferenceBanditFeaturePolicy {
        PreferenceBanditFeaturePolicy(bandit: bandit, hiddenSizes: hiddenSizes, rng: &rng)
    }

    /// The exact snapshot of `table` (a policy's `probabilityTable()`).
    func snapshot(_ table: [[Double]], step: Int) throws -> PolicySnapshot {
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

    /// The loss of one offline objective on a batch of pairs.
    func offlineLoss(_ objective: OfflineObjective, _ batch: [PreferenceBanditPair], policy: PreferenceBanditPolicy,
                     hyper h: OfflineHyperparameters, graph g: Graph) throws -> Tensor {
        let beta = Float(h.beta)
        if objective == .kto {
            // unpaired: every chosen response is a desirable completion, every rejected one an undesirable one; the KL
            // baseline comes from mismatched (prompt, completion) pairs, TRL's shift by one
            let contexts = batch.map(\.context) + batch.map(\.context)
            let responses = batch.map(\.chosen) + batch.map(\.rejected)
            let logp = try policy.logProbabilities(contexts: contexts, in: g)                          // [2N, K]
            let own = logp.gatherLast(g.indices(responses.map { Int32($0) }))                           // [2N]
            let shifted = ktoMismatchedCompletionIndices(count: contexts.count).map { responses[$0] }
            let mismatched = logp.gatherLast(g.indices(shifted.map { Int32($0) }))                      // [2N]
            let reference = g.constant(zip(contexts, responses).map { Float(bandit.referenceLogProbabilities[$0][$1]) }, own.shape)
            let referenceMismatched = g.constant(zip(contexts, shifted).map { Float(bandit.referenceLogProbabilities[$0][$1]) }, own.shape)
            return ktoLoss(logProbs: own, referenceLogProbs: reference, desirable: batch.map { _ in true } + batch.map { _ in false },
                           klLogProbs: mismatched.detached(), referenceKLLogProbs: referenceMismatched, beta: beta).loss
        }
        let logp = try policy.logProbabilities(contexts: batch.map(\.context), in: g)                   // [N, K]
        let t = PairTensors(batch, logProbs: logp, bandit: bandit, graph: g)
        switch objective {
        case .dpo: return dpoLoss(t.preferencePairs, beta: beta).loss
        case .ipo: return ipoLoss(t.preferencePairs, beta: beta).loss
        case .cdpo: return conservativeDPOLoss(t.preferencePairs, beta: beta, labelSmoothing: Float(h.labelSmoothing)).loss
        case .hinge: return hingePreferenceLoss(t.preferencePairs, beta: beta).loss
        case .simpo:
            return simpoLoss(chosenLogProbs: t.chosen, rejectedLogProbs: t.rejected, chosenLengths: t.chosenLengths,
                             rejectedLengths: t.rejectedLengths, beta: Float(h.simpoBeta), gamma: Float(h.simpoGamma)).loss
        case .orpo:
            return orpoLoss(chosenLogProbs: t.chosen, rejectedLogProbs: t.rejected, chosenLengths: t.chosenLengths,
                            rejectedLengths: t.rejectedLengths, beta: Float(h.orpoBeta)).loss
        case .kto: fatalError("handled above")
        }
    }

    /// Trains `policy` with an offline objective for `steps` Adam steps of `batchSize` pairs drawn with replacement,
    /// calling `measure(step)` before the first step and after every `every` steps (and after the last).
    func trainOffline(_ objective: OfflineObjective, policy: PreferenceBanditPolicy, hyper: OfflineHyperparameters,
                      steps: Int, batchSize: Int, learningRate: Double, every: Int, rng: inout RandomStream,
                      measure: (Int) throws -> Void) throws {
        let optimizer = AdamW.adam()
        let graph = Graph()
        var draw = rng.child("batches")
        try measure(0)
        var done = 0
        while done < steps {
            let chunk = Swift.min(every, steps - done)
            try TrainingLoop.run(steps: chunk, parameters: policy.store, optimizer: optimizer, schedule: .constant(Float(learningRate)),
                                 maxGradNorm: nil, graph: graph, firstStep: done) { g, _ in
                let batch = (0..<batchSize).map { _ in self.pairs[draw.int(self.pairs.count)] }
                return try self.offlineLoss(objective, batch, policy: policy, hyper: hyper, graph: g)
            }
            done += chunk
            try measure(done)
        }
    }

    /// RLHF / PPO's policy stage: REINFORCE with a group-mean (RLOO) baseline on `groupSize` samples per context of
    /// `contextsPerStep` training contexts per step, reward r̂(x, y) − β·(log π(y|x) − log π_ref(y|x)) (the KL
    /// penalty in the reward, as InstructGPT and TRL's PPO put it), one Adam step per batch of fresh samples.
    func trainRLHF(policy: PreferenceBanditFeaturePolicy, rewards: [[Double]], klCoefficient: Double, steps: Int,
                   contextsPerStep: Int, groupSize: Int, learningRate: Double, contexts: [Int], every: Int,
                   rng: inout RandomStream, measure: (Int) throws -> Void) throws {
        let categorical = CategoricalPolicy(parameters: policy.store, actions: bandit.responseCount) { g, xs in
            (try? policy.logits(contexts: xs, in: g))!          // the contexts are ours, always in range
        }
        let trainer = BanditPolicyTrainer(policy: categorical, optimizer: AdamW.adam(),
                                          update: UpdateConfig(learningRate: Float(learningRate), maxGradNorm: nil))
        let recipe = PolicyGradientRecipe(advantages: { Advantages.rloo(rewards: $0, groupSize: $1) },
                                          loss: { PolicyLoss.vanilla($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
        var draw = rng.child("contexts")
        var stepRNG = rng.child("steps")
        try measure(0)
        for step in 1...Swift.max(1, steps) where steps > 0 {
            let batch = (0..<contextsPerStep).map { _ in contexts[draw.int(contexts.count)] }
            let table = categorical.probabilities(batch)
            var row: [Int: Int] = [:]
            for (i, x) in batch.enumerated() { row[x] = i }
            _ = try trainer.step(contexts: batch, groupSize: groupSize, recipe: recipe, rng: &stepRNG) { x, y in
                let logRatio = Foundation.log(Swift.max(table[row[x]!][y], 1e-300)) - self.bandit.referenceLogProbabilities[x][y]
                return Float(rewards[x][y] - klCoefficient * logRatio)
            }
            if step % every == 0 || step == steps { try measure(step) }
        }
    }
}
