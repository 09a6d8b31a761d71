import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

extension LPFMethods {
    /// A policy measured on the validation and test contexts.
    public struct Scores: Sendable {
        /// Win-rate against the SFT base judged by the evaluation annotator (the pool's majority) on validation contexts:
        /// what hyperparameters are chosen by.
        var validationWinRate: Double
        /// Win-rate against the SFT base on the held-out test contexts, by the gold reward and by the evaluation annotator.
        var testGoldWinRate: Double
        var testAnnotatorWinRate: Double
        /// Expected gold and proxy reward, and KL to π_ref, on the test contexts.
        var goldTest: Double, proxyTest: Double, klTest: Double
    }

    /// One hyperparameter candidate: a setting and a checkpoint.
    public struct Candidate: Sendable {
        /// The method's name.
        var method: String
        var setting: String
        var step: Int
        var scores: Scores
    }

    /// One logged PPO step of one setting.
    public struct PPOStep: Sendable {
        var method: String
        var setting: String
        var log: PolicyGradientStepLog
    }

    public struct SeedResult: Sendable {
        var candidates: [Candidate]
        /// Best-of-n along n (on the test contexts), of the method named `best-of-n` (empty without it).
        var bestOfNCurve: [(n: Int, scores: Scores)]
        /// The method named `ppo` with the smallest KL coefficient along its checkpoints (empty without it).
        var ppoCurve: [(step: Int, scores: Scores)]
        /// Every PPO method's training steps, every `checkpointEvery` steps.
        var ppoTraining: [PPOStep]
        var rewardModelAccuracy: Double
        var flippedShare: Double

        /// The candidate chosen for the method named `m` on validation (highest validation win-rate; ties: first).
        func chosen(_ m: String) -> Candidate? {
            candidates.filter { $0.method == m }.reduce(nil) { best, c in
                best == nil || c.scores.validationWinRate > best!.scores.validationWinRate ? c : best
            }
        }
    }

    /// A seed's instance (with the configuration's evaluation bias) and its annotated training pairs.
    static func instance(_ c: Config, root: RandomStream) throws -> (PreferenceBandit, [PreferenceBanditPair]) {
        var banditConfig = c.bandit
        banditConfig.evaluationBiasScale = c.evaluationBiasScale
        let bandit = try PreferenceBandit(config: banditConfig, rng: root.child("bandit"))
        var pairRNG = root.child("pairs")
        var labels = PreferenceBanditLabelConfig.annotatorTraining
        labels.flipRate = c.labelFlipRate
        return (bandit, try bandit.offlinePairs(contexts: bandit.trainContexts, pairsPerContext: c.pairsPerContext, labels: labels, rng: &pairRNG))
    }

    /// The instance, its annotated pairs, and a policy of every conditioning the methods use, measured once (the
    /// reward model's fit is training, skipped).
    public static func construct(config c: Config, seed: Int) throws {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let (bandit, pairs) = try instance(c, root: root)
        _ = PreferenceSetup(bandit: bandit, pairs: pairs)
        var conditions: Set<Int> = [1, 2]
        for method in resolve(c.methods).methods { if case let .quark(quantiles, _, _) = method.value { conditions.insert(quantiles) } }
        for n in conditions.sorted() {
            let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: n, evaluationCondition: n - 1)
            for contexts in [bandit.validationContexts, bandit.testContexts] {
                _ = try bandit.winRate(policy.probabilityTable(), against: bandit.referenceProbabilities, contexts: contexts, evaluator: .annotatorMajority)
            }
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let (bandit, pairs) = try instance(c, root: root)
        let setup = PreferenceSetup(bandit: bandit, pairs: pairs)
        var rmRNG = root.child("reward-model")
        let rm = try PreferenceBanditRewardModel(training: pairs, on: bandit, config: c.rewardModel, rng: &rmRNG)
        let base = bandit.referenceProbabilities
        let train = bandit.trainContexts

        func scores(_ table: [[Double]]) throws -> Scores {
            Scores(validationWinRate: try bandit.winRate(table, against: base, contexts: bandit.validationContexts, evaluator: .annotatorMajority),
                   testGoldWinRate: try bandit.winRate(table, against: base, contexts: bandit.testContexts, evaluator: .gold),
                   testAnnotatorWinRate: try bandit.winRate(table, against: base, contexts: bandit.testContexts, evaluator: .annotatorMajority),
                   goldTest: try bandit.expectedGoldReward(table, contexts: bandit.testContexts),
                   proxyTest: try bandit.expectedReward(table, rewards: rm.rewards, contexts: bandit.testContexts),
                   klTest: try bandit.klFromReference(table, contexts: bandit.testContexts))
        }
        var candidates: [Candidate] = []
        var curve: [(n: Int, scores: Scores)] = []
        var ppoCurve: [(step: Int, scores: Scores)] = []
        var ppoTraining: [PPOStep] = []
        func advance(_ what: String) {
            let best = candidates.last.map { String(format: " val %.3f", $0.scores.validationWinRate) } ?? ""
            context.progress.advance(metric: "seed \(seed) \(what)\(best)")
        }
        /// Trains a fresh conditioned policy with supervised examples; every checkpoint becomes a candidate.
        func supervised(_ m: String, _ setting: String, conditions: Int, evaluate: Int, examples: [SupervisedExample]) throws {
            var rng = root.child(m).child(setting)
            let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: conditions, evaluationCondition: evaluate)
            _ = try context.guarded(variant: "\(m)/\(setting)", seed: seed) {
                try setup.trainSupervised(policy: policy, examples: examples, steps: c.supervisedSteps, batchSize: c.batchSize,
                                          learningRate: c.learningRate, every: c.checkpointEvery, rng: &rng) { step in
                    candidates.append(Candidate(method: m, setting: setting, step: step, scores: try scores(policy.probabilityTable())))
                }
            }
            advance("\(m) \(setting)")
        }

        for method in resolve(c.methods).methods {
            let m = method.name
            switch method.value {
            case .sftBase:
                // π_ref itself.
                candidates.append(Candidate(method: m, setting: "-", step: 0, scores: try scores(base)))
            case .binaryFeedME:
                try supervised(m, "-", conditions: 1, evaluate: 0, examples: pairs.map { SupervisedExample(context: $0.context, condition: 0, response: $0.chosen) })
            case .rewardConditioning:
                // the preferred response after a "good" token (1), the other after "bad" (0)
                try supervised(m, "-", conditions: 2, evaluate: 1, examples: pairs.flatMap {
                    [SupervisedExample(context: $0.context, condition: 1, response: $0.chosen), SupervisedExample(context: $0.context, condition: 0, response: $0.rejected)]
                })
            case .bestOfN:
                var sweep: [(n: Int, scores: Scores)] = []
                for n in c.bestOfN {
                    let s = try scores(try bandit.bestOfNPolicy(scores: rm.rewards, n: n))
                    sweep.append((n, s))
                    candidates.append(Candidate(method: m, setting: "n=\(n)", step: 0, scores: s))
                }
                if m == "best-of-n" { curve = sweep }
                advance(m)
            case let .expertIteration(samplesPerContext):
                for n in c.expertIterationN {
                    var sampleRNG = root.child(m).child(n).child("samples")
                    let bon = try bandit.bestOfNPolicy(scores: rm.rewards, n: n)
                    let examples = train.flatMap { x in
                        (0..<samplesPerContext).map { _ in SupervisedExample(context: x, condition: 0, response: sampleRNG.categorical(bon[x].map(Float.init))) }
                    }
                    try supervised(m, "n=\(n)", conditions: 1, evaluate: 0, examples: examples)
                }
            case let .ppo(contextsPerStep, groupSize, epochs, minibatches):
                let smallest = c.ppoKLCoefficients.min()!
                for (i, beta) in c.ppoKLCoefficients.enumerated() {
                    var rng = root.child(m).child(i)
                    let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: 1, evaluationCondition: 0)
                    let setting = "kl=\(beta)"
                    var trajectory: [(step: Int, scores: Scores)] = []
                    var logged: [PPOStep] = []
                    _ = try context.guarded(variant: "\(m)/\(setting)", seed: seed) {
                        try setup.trainRLHF(policy: policy, rewards: rm.rewards, klCoefficient: beta, steps: c.ppoSteps,
                                            contextsPerStep: contextsPerStep, groupSize: groupSize, learningRate: c.learningRate,
                                            epochs: epochs, minibatches: minibatches, contexts: train, every: c.checkpointEvery,
                                            rng: &rng, measure: { step in
                            let s = try scores(policy.probabilityTable())
                            trajectory.append((step, s))
                            candidates.append(Candidate(method: m, setting: setting, step: step, scores: s))
                        }, log: { logged.append(PPOStep(method: m, setting: setting, log: $0)) })
                    }
                    ppoTraining += logged
                    if m == "ppo" && beta == smallest && ppoCurve.isEmpty { ppoCurve = trajectory }
                    advance("\(m) \(setting)")
                }
            case let .quark(quantiles, samplesPerContext, stepsPerRound):
                // rounds of (sample from the top-quantile policy → score with the proxy → quantile tokens over the pool
                // → SFT on (quantile token, sample) + KL to π_ref), the KL coefficient chosen on validation
                for (i, beta) in c.quarkKLCoefficients.enumerated() {
                    let rng = root.child(m).child(i)
                    let top = quantiles - 1
                    let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: quantiles, evaluationCondition: top)
                    let setting = "kl=\(beta)"
                    let optimizer = AdamW.adam()
                    var pool: [(context: Int, response: Int)] = []
                    _ = try context.guarded(variant: "\(m)/\(setting)", seed: seed) {
                        var sampler = rng.child("samples")
                        var table = base                                      // round 0 samples the SFT base (Quark's initial pool)
                        for round in 0..<c.quarkRounds {
                            for x in train {
                                for _ in 0..<samplesPerContext { pool.append((x, sampler.categorical(table[x].map(Float.init)))) }
                            }
                            let rewards = pool.map { rm.rewards[$0.context][$0.response] }
                            let sorted = rewards.sorted()
                            let cuts = (1..<quantiles).map { Statistics.quantile(sorted: sorted, Double($0) / Double(quantiles)) }
                            let examples = zip(pool, rewards).map { sample, r in
                                SupervisedExample(context: sample.context, condition: cuts.filter { r > $0 }.count, response: sample.response)
                            }
                            var roundRNG = rng.child("round").child(round)
                            try setup.trainSupervised(policy: policy, examples: examples, steps: stepsPerRound, batchSize: c.batchSize,
                                                      learningRate: c.learningRate, klCoefficient: beta, optimizer: optimizer,
                                                      firstStep: round * stepsPerRound, every: stepsPerRound, rng: &roundRNG) { step in
                                guard step > 0 else { return }
                                table = policy.probabilityTable()
                                candidates.append(Candidate(method: m, setting: setting, step: step, scores: try scores(table)))
                            }
                        }
                    }
                    advance("\(m) \(setting)")
                }
            }
        }
        let flipped = Double(pairs.filter(\.flipped).count) / Double(pairs.count)
        return SeedResult(candidates: candidates, bestOfNCurve: curve, ppoCurve: ppoCurve, ppoTraining: ppoTraining,
                          rewardModelAccuracy: rm.pairAccuracy(pairs) ?? .nan, flippedShare: flipped)
    }
}
