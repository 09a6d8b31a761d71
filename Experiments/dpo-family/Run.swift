import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

extension DPOFamily {
    /// The two policy families the claims are measured on.
    public enum PolicyKind: String, CaseIterable, Sendable {
        /// π ∝ π_ref · exp(f_θ(φ)) over the K candidates, f_θ shared by every response of every context.
        case feature
        /// A transformer writing token strings (any string, not only candidates), fine-tuned on π_ref first.
        case sequence

        var label: String { self == .feature ? "feature policy" : "sequence policy" }
        /// The suffix of this kind's claim ids ("" for the feature policy, "-seq" for the sequence policy).
        var claimSuffix: String { self == .feature ? "" : "-seq" }
    }

    /// One method's run under one label setting.
    public struct Run: Sendable {
        var kind: PolicyKind
        var labels: Labels
        /// The method's name (as `resolve` derives it), its label and whether it is RLHF.
        var method: String
        var label: String
        var isRLHF: Bool
        /// Snapshots at step 0, every `measureEvery` steps and the last step; empty when the run diverged.
        var trajectory: [PolicySnapshot]
        /// The reward model's accuracy on the training pairs (RLHF only).
        var rewardModelAccuracy: Double?
        /// Sequence policy: the sampled KL over all strings at mid-training and at the end (`SequenceSetup.sampledKL`).
        var sampledKLMid: Double? = nil, sampledKLEnd: Double? = nil
        /// RLHF: the policy-gradient steps measured (every `measureEvery` steps and the last).
        var training: [PolicyGradientStepLog] = []

        var start: PolicySnapshot? { trajectory.first }
        var end: PolicySnapshot? { trajectory.last }
        /// The last snapshot at or before half the final step.
        var mid: PolicySnapshot? {
            guard let last = trajectory.last else { return nil }
            return trajectory.last { $0.step * 2 <= last.step }
        }
    }

    /// What the reference policy of one kind is, per label setting where it depends on the pairs.
    public struct ReferenceFacts: Sendable {
        /// π_ref's mass outside the pairs' responses.
        var massOutsidePairs: [Labels: Double]
        /// Gold reward of π_ref and of the optimal policy on the test contexts.
        var goldTest: Double
        var optimalGoldTest: Double
        /// The sequence reference's mass on candidate strings (1 for the feature policy).
        var candidateMass: Double
    }

    public struct SeedResult: Sendable {
        var runs: [Run]
        var references: [PolicyKind: ReferenceFacts]
        func run(_ k: PolicyKind, _ l: Labels, _ method: String) -> Run? {
            runs.first { $0.kind == k && $0.labels == l && $0.method == method && !$0.trajectory.isEmpty }
        }
    }

    /// The step of the mid-training measurement: the last measured step at or before half the steps (measurements come
    /// every `every` steps and at the last step), as `Run.mid` picks it.
    static func midStep(steps: Int, every: Int) -> Int { (steps / 2) / every * every }

    /// The sequence claims need a reference that writes candidates (its SFT on π_ref worked).
    static let minimumCandidateMass = 0.9

    /// Both instances, every label setting's pairs, a policy of each kind measured once (every method starts from the
    /// same kind of policy), the sequence reference initialised (its SFT is training, skipped).
    public static func construct(config c: Config, seed: Int) throws {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let bandit = try PreferenceBandit(config: c.bandit, rng: root.child("bandit"))
        let sequence = try SequenceSetup(config: c.sequence, rng: root.child("sequence"), trainReference: false)
        for labels in Labels.allCases {
            var pairRNG = root.child("pairs").child(labels.rawValue)
            let pairs = try bandit.offlinePairs(contexts: bandit.trainContexts, pairsPerContext: c.pairsPerContext, labels: labels.config, rng: &pairRNG)
            let setup = PreferenceSetup(bandit: bandit, pairs: pairs)
            try sequence.use(labels: labels.config, rng: &pairRNG)
            var initRNG = root.child("init")
            _ = try setup.snapshot(setup.policy(hiddenSizes: c.policyHiddenSizes, rng: &initRNG).probabilityTable(), step: 0)
            _ = sequence.snapshot(sequence.policy(), step: 0)
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let methods = resolve(c.methods).methods
        var runs: [Run] = []
        var references: [PolicyKind: ReferenceFacts] = [:]
        func record(_ kind: PolicyKind, _ labels: Labels, _ method: NamedMethod<PreferenceMethod>, trajectory: [PolicySnapshot]?,
                    accuracy: Double?, sampledKL: [Int: Double] = [:], training: [PolicyGradientStepLog]) {
            let steps = kind == .feature ? c.steps : c.sequence.steps, every = kind == .feature ? c.measureEvery : c.sequence.measureEvery
            runs.append(Run(kind: kind, labels: labels, method: method.name, label: method.label, isRLHF: method.value.isRLHF,
                            trajectory: trajectory ?? [], rewardModelAccuracy: accuracy,
                            sampledKLMid: trajectory == nil ? nil : sampledKL[midStep(steps: steps, every: every)],
                            sampledKLEnd: trajectory == nil ? nil : sampledKL[steps], training: trajectory == nil ? [] : training))
            let last = trajectory?.last
            context.progress.advance(metric: String(format: "seed %d %@ %@/%@ KL %.3f gold %.3f", seed, kind.rawValue, labels.rawValue,
                                                    method.name, last?.kl ?? .nan, last?.goldTest ?? .nan))
        }

        // The feature policy.
        let bandit = try PreferenceBandit(config: c.bandit, rng: root.child("bandit"))
        var featureMass: [Labels: Double] = [:]
        for labels in Labels.allCases {
            var pairRNG = root.child("pairs").child(labels.rawValue)
            let pairs = try bandit.offlinePairs(contexts: bandit.trainContexts, pairsPerContext: c.pairsPerContext,
                                                labels: labels.config, rng: &pairRNG)
            let setup = PreferenceSetup(bandit: bandit, pairs: pairs)
            featureMass[labels] = try setup.snapshot(bandit.referenceProbabilities, step: 0).massOutsidePairs
            for method in methods {
                var rng = root.child("run").child(labels.rawValue).child(method.name)
                var initRNG = rng.child("init")
                let policy = setup.policy(hiddenSizes: c.policyHiddenSizes, rng: &initRNG)
                var trajectory: [PolicySnapshot] = []
                var training: [PolicyGradientStepLog] = []
                var accuracy: Double?
                let measure: (Int) throws -> Void = { step in trajectory.append(try setup.snapshot(policy.probabilityTable(), step: step)) }
                let ok = try context.guarded(variant: "feature/\(labels.rawValue)/\(method.name)", seed: seed) { () throws -> Bool in
                    switch method.value {
                    case let .objective(o):
                        try setup.trainOffline(o, policy: policy, steps: c.steps, batchSize: c.batchSize,
                                               learningRate: c.learningRate, every: c.measureEvery, rng: &rng, measure: measure)
                    case let .rlhf(r):
                        var rmRNG = rng.child("reward-model")
                        let rm = try PreferenceBanditRewardModel(training: pairs, on: bandit, config: r.rewardModel, rng: &rmRNG)
                        accuracy = rm.pairAccuracy(pairs)
                        try setup.trainRLHF(policy: policy, rewards: rm.rewards, klCoefficient: r.klCoefficient, steps: c.steps,
                                            contextsPerStep: c.rlhfContextsPerStep, groupSize: c.rlhfGroupSize,
                                            learningRate: c.learningRate, contexts: setup.pairContexts, every: c.measureEvery,
                                            rng: &rng, measure: measure) { training.append($0) }
                    }
                    try DivergenceError.check(trajectory.last!.kl, names: "KL", step: c.steps)
                    return true
                }
                record(.feature, labels, method, trajectory: ok == true ? trajectory : nil, accuracy: accuracy, training: training)
            }
        }
        references[.feature] = ReferenceFacts(massOutsidePairs: featureMass,
                                              goldTest: try bandit.expectedGoldReward(bandit.referenceProbabilities, contexts: bandit.testContexts),
                                              optimalGoldTest: try bandit.meanOptimalValue(contexts: bandit.testContexts), candidateMass: 1)

        // The sequence policy: its own (smaller) instance and its SFT reference, then the same methods.
        let sequenceRoot = root.child("sequence")
        let sequence = try SequenceSetup(config: c.sequence, rng: sequenceRoot)
        context.progress.advance(metric: String(format: "seed %d sequence reference: mass on candidates %.3f", seed, sequence.referenceCandidateMass))
        var sequenceMass: [Labels: Double] = [:]
        for labels in Labels.allCases {
            var pairRNG = sequenceRoot.child("pairs").child(labels.rawValue)
            try sequence.use(labels: labels.config, rng: &pairRNG)
            sequenceMass[labels] = sequence.snapshot(sequence.referenceLogProbs, step: 0).massOutsidePairs
            for method in methods {
                var rng = sequenceRoot.child("run").child(labels.rawValue).child(method.name)
                let model = sequence.policy()
                var trajectory: [PolicySnapshot] = []
                var training: [PolicyGradientStepLog] = []
                var accuracy: Double?
                var sampled: [Int: Double] = [:]
                var klRNG = rng.child("sampled-kl")
                let mid = midStep(steps: c.sequence.steps, every: c.sequence.measureEvery)
                let measure: (Int) throws -> Void = { step in
                    trajectory.append(sequence.snapshot(model, step: step))
                    if step == mid || step == c.sequence.steps {
                        sampled[step] = sequence.sampledKL(model, samplesPerContext: c.sequence.klSamplesPerContext, rng: &klRNG)
                    }
                }
                let ok = try context.guarded(variant: "sequence/\(labels.rawValue)/\(method.name)", seed: seed) { () throws -> Bool in
                    switch method.value {
                    case let .objective(o):
                        try sequence.trainOffline(o, model: model, rng: &rng, measure: measure)
                    case let .rlhf(r):
                        var rmRNG = rng.child("reward-model")
                        let rm = try PreferenceBanditRewardModel(training: sequence.pairs, on: sequence.bandit, config: r.rewardModel, rng: &rmRNG)
                        accuracy = rm.pairAccuracy(sequence.pairs)
                        try sequence.trainRLHF(model: model, rewards: rm.rewards, klCoefficient: r.klCoefficient, rng: &rng,
                                               measure: measure) { training.append($0) }
                    }
                    try DivergenceError.check(trajectory.last!.kl, names: "KL", step: c.sequence.steps)
                    return true
                }
                record(.sequence, labels, method, trajectory: ok == true ? trajectory : nil, accuracy: accuracy, sampledKL: sampled,
                       training: training)
            }
        }
        let sb = sequence.bandit
        references[.sequence] = ReferenceFacts(massOutsidePairs: sequenceMass,
                                               goldTest: sequence.snapshot(sequence.referenceLogProbs, step: 0).goldTest,
                                               optimalGoldTest: try sb.meanOptimalValue(contexts: sb.testContexts),
                                               candidateMass: sequence.referenceCandidateMass)
        return SeedResult(runs: runs, references: references)
    }
}
