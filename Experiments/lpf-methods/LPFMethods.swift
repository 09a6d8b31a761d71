import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

/// lpf-methods: AlpacaFarm's simulated comparison of learning-from-pairwise-feedback methods (Dubois et al., NeurIPS
/// 2023) on a PreferenceBandit with a pool of simulated annotators (FINDINGS.md).
public enum LPFMethods: Experiment {
    public static let name = "lpf-methods"
    public static let claim = "With simulated annotators (25% label noise), PPO beats Best-of-n, which beats Expert Iteration, which beats Binary FeedME and reward conditioning, which beat the SFT base; the proxy reward keeps rising while the true preference peaks and falls (reward over-optimisation)."
    public static let paper = "Dubois et al., \"AlpacaFarm: A Simulation Framework for Methods that Learn from Human Feedback\" (NeurIPS 2023)"
    public static let defaultRuntime = "~10 s"
    public static let defaultSeeds = 5

    public enum Method: String, CaseIterable, Sendable {
        case sft, feedME = "binary-feedme", rewardConditioning = "reward-conditioning", bestOfN = "best-of-n",
             expertIteration = "expert-iteration", ppo, quark

        var label: String {
            switch self {
            case .sft: return "SFT base"
            case .feedME: return "Binary FeedME"
            case .rewardConditioning: return "Binary reward conditioning"
            case .bestOfN: return "Best-of-n"
            case .expertIteration: return "Expert Iteration"
            case .ppo: return "PPO"
            case .quark: return "Quark"
            }
        }
        /// AlpacaFarm's human-feedback win-rates against Davinci003 (Table 2), for the report.
        var paperWinRate: String {
            switch self {
            case .sft: return "44.3%"
            case .feedME: return "40.7%"
            case .rewardConditioning: return "44.5%"
            case .bestOfN: return "50.7%"
            case .expertIteration: return "43.9%"
            case .ppo: return "55.1%"
            case .quark: return "— (not in the human table)"
            }
        }
    }

    public struct Config: ExperimentConfig {
        /// The PreferenceBandit instance (train / validation / test contexts; 12 simulated annotators with a length bias).
        /// Its `evaluationBiasScale` is replaced by the field below.
        public var bandit = PreferenceBanditConfig.standard
        /// How much of the pool's biases the evaluation annotator (which chooses hyperparameters) shares: 0 = it votes on
        /// gold through the pool's noise only. AlpacaFarm built its evaluator to agree with human preference (gold plays
        /// the human here); with 1 it shares the annotators' length bias (measured: it then picks n = 1024 for
        /// Best-of-n, whose gold win-rate is 0.36; REPORT.md, "The evaluator's bias").
        public var evaluationBiasScale = 0.0
        /// Pairs per training context drawn from the SFT base π_ref, each labelled by a random pool annotator, 25% flipped.
        public var pairsPerContext = 16
        /// Label flip rate of the training labels (AlpacaFarm: 25%).
        public var labelFlipRate = 0.25
        /// The proxy reward model (linear Bradley–Terry on the pairs).
        public var rewardModel = PreferenceBanditRewardModelConfig()
        /// Adam learning rate of every supervised stage and of PPO.
        public var learningRate = 0.01
        /// Examples per supervised step.
        public var batchSize = 64
        /// Supervised steps of Binary FeedME, reward conditioning and Expert Iteration.
        public var supervisedSteps = 400
        /// Steps between checkpoints; every checkpoint is a hyperparameter candidate (training length).
        public var checkpointEvery = 25
        /// Best-of-n: the n sweep (powers of two up to 1024); n is chosen on validation.
        public var bestOfN: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        /// Expert Iteration: the n of the best-of-n samples it imitates (chosen on validation) and samples per context.
        public var expertIterationN: [Int] = [4, 16, 64, 256]
        public var expertIterationSamples = 16
        /// PPO: the KL coefficients swept (chosen on validation); the smallest is also the over-optimisation run.
        public var ppoKLCoefficients: [Double] = [0.003, 0.01, 0.03, 0.1, 0.3]
        public var ppoSteps = 400
        public var ppoContextsPerStep = 32
        public var ppoGroupSize = 8
        /// PPO epochs and minibatches per batch of samples (so the clipped ratio matters).
        public var ppoEpochs = 2
        public var ppoMinibatches = 2
        /// Quark: reward quantiles (control tokens), rounds of sample → quantise → train, samples per training context
        /// per round, supervised steps per round, and the KL coefficients swept.
        public var quarkQuantiles = 5
        public var quarkRounds = 8
        public var quarkSamplesPerContext = 8
        public var quarkStepsPerRound = 50
        public var quarkKLCoefficients: [Double] = [0.01, 0.1]
    }

    public static let defaultConfig = Config()
    /// Quick: shorter training and smaller sweeps; every method and claim kept.
    public static let quickConfig: Config = {
        var c = Config()
        c.supervisedSteps = 200
        c.expertIterationN = [16, 64]
        c.ppoKLCoefficients = [0.003, 0.03]
        c.ppoSteps = 200
        c.quarkRounds = 4
        c.quarkKLCoefficients = [0.1]
        return c
    }()

    public static let claims: [ClaimSpec] = [
        ClaimSpec(id: "1a", description: "PPO's gold win-rate against the SFT base exceeds Binary FeedME's and binary reward conditioning's",
                  statistic: "win-rate(PPO) − max(win-rate(FeedME), win-rate(reward conditioning)), gold evaluator, held-out contexts",
                  direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1b", description: "Best-of-n's gold win-rate exceeds Binary FeedME's",
                  statistic: "win-rate(Best-of-n) − win-rate(FeedME), gold evaluator, held-out contexts", direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1c", description: "Expert Iteration's gold win-rate exceeds Binary FeedME's",
                  statistic: "win-rate(Expert Iteration) − win-rate(FeedME), gold evaluator, held-out contexts", direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1d", description: "PPO's gold win-rate is at least Expert Iteration's",
                  statistic: "win-rate(PPO) − win-rate(Expert Iteration), gold evaluator, held-out contexts", direction: .atLeast(0), kind: .perSeed),
        ClaimSpec(id: "2a", description: "Along Best-of-n's n (1 … 1024) the proxy reward rises monotonically",
                  statistic: "smallest rise of the proxy reward between consecutive n (held-out contexts)", direction: .atLeast(0), kind: .perSeed),
        ClaimSpec(id: "2b", description: "…while the gold reward peaks at some n < 1024 and ends at least 5% of its range below the peak",
                  statistic: "(peak gold − gold at the largest n) ÷ (max − min gold along n)", direction: .atLeast(0.05), kind: .perSeed,
                  precondition: "the gold reward varies along n"),
        ClaimSpec(id: "2c", description: "PPO with a small KL coefficient: the proxy reward rises (monotonically up to 5% of its range) along training",
                  statistic: "largest fall of the proxy reward from any checkpoint to a later one ÷ its range (smallest KL coefficient)",
                  direction: .atMost(0.05), kind: .perSeed, precondition: "the proxy reward varies along training"),
        ClaimSpec(id: "2d", description: "…while its gold reward peaks and ends at least 5% of its range below the peak",
                  statistic: "(peak gold − final gold) ÷ (max − min gold along training) (smallest KL coefficient)", direction: .atLeast(0.05),
                  kind: .perSeed, precondition: "the gold reward varies along training"),
    ]

    public static func validate(_ c: Config) -> String? {
        if let p = c.bandit.problem() { return p }
        if c.bandit.validationContextCount < 1 || c.bandit.testContextCount < 1 { return "need validation and test contexts" }
        if c.pairsPerContext < 1 || c.batchSize < 1 || c.supervisedSteps < 1 || c.checkpointEvery < 1 { return "sizes and steps must be positive" }
        if !(c.labelFlipRate >= 0 && c.labelFlipRate <= 1) { return "labelFlipRate must be in [0, 1]" }
        if !(c.learningRate > 0) { return "learningRate must be positive" }
        if !(c.evaluationBiasScale >= 0) || !c.evaluationBiasScale.isFinite { return "evaluationBiasScale must be finite and ≥ 0" }
        if c.bestOfN.count < 2 || c.bestOfN.contains(where: { $0 < 1 }) || c.bestOfN != c.bestOfN.sorted() { return "bestOfN must be ≥ 2 ascending values ≥ 1" }
        if c.expertIterationN.isEmpty || c.expertIterationN.contains(where: { $0 < 1 }) || c.expertIterationSamples < 1 { return "expertIterationN must be non-empty, values ≥ 1" }
        if c.ppoKLCoefficients.isEmpty || c.ppoKLCoefficients.contains(where: { !($0 >= 0) }) { return "ppoKLCoefficients must be non-empty and ≥ 0" }
        if c.ppoSteps < 2 || c.ppoContextsPerStep < 1 || c.ppoGroupSize < 2 || c.ppoEpochs < 1 || c.ppoMinibatches < 1 { return "PPO sizes must be positive (group ≥ 2)" }
        if c.quarkQuantiles < 2 || c.quarkRounds < 1 || c.quarkSamplesPerContext < 1 || c.quarkStepsPerRound < 1 { return "Quark sizes must be positive (≥ 2 quantiles)" }
        if c.quarkKLCoefficients.isEmpty || c.quarkKLCoefficients.contains(where: { !($0 >= 0) }) { return "quarkKLCoefficients must be non-empty and ≥ 0" }
        return c.rewardModel.problem()
    }

    public static func workPerSeed(_ c: Config) -> Int { 4 + c.expertIterationN.count + c.ppoKLCoefficients.count + c.quarkKLCoefficients.count }

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
        var method: Method
        var setting: String
        var step: Int
        var scores: Scores
    }

    public struct SeedResult: Sendable {
        var candidates: [Candidate]
        /// Best-of-n along n (on the test contexts).
        var bestOfNCurve: [(n: Int, scores: Scores)]
        /// PPO with the smallest KL coefficient along its checkpoints.
        var ppoCurve: [(step: Int, scores: Scores)]
        var rewardModelAccuracy: Double
        var flippedShare: Double

        /// The candidate chosen for `m` on validation (highest validation win-rate; ties: first).
        func chosen(_ m: Method) -> Candidate? {
            candidates.filter { $0.method == m }.reduce(nil) { best, c in
                best == nil || c.scores.validationWinRate > best!.scores.validationWinRate ? c : best
            }
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        var banditConfig = c.bandit
        banditConfig.evaluationBiasScale = c.evaluationBiasScale
        let bandit = try PreferenceBandit(config: banditConfig, rng: root.child("bandit"))
        var pairRNG = root.child("pairs")
        var labels = PreferenceBanditLabelConfig.annotatorTraining
        labels.flipRate = c.labelFlipRate
        let pairs = try bandit.offlinePairs(contexts: bandit.trainContexts, pairsPerContext: c.pairsPerContext, labels: labels, rng: &pairRNG)
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
        func advance(_ what: String) {
            let best = candidates.last.map { String(format: " val %.3f", $0.scores.validationWinRate) } ?? ""
            context.progress.advance(metric: "seed \(seed) \(what)\(best)")
        }
        /// Trains a fresh conditioned policy with supervised examples; every checkpoint becomes a candidate.
        func supervised(_ m: Method, _ setting: String, conditions: Int, evaluate: Int, examples: [SupervisedExample]) throws {
            var rng = root.child(m.rawValue).child(setting)
            let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: conditions, evaluationCondition: evaluate)
            _ = try context.guarded(variant: "\(m.rawValue)/\(setting)", seed: seed) {
                try setup.trainSupervised(policy: policy, examples: examples, steps: c.supervisedSteps, batchSize: c.batchSize,
                                          learningRate: c.learningRate, every: c.checkpointEvery, rng: &rng) { step in
                    candidates.append(Candidate(method: m, setting: setting, step: step, scores: try scores(policy.probabilityTable())))
                }
            }
            advance("\(m.rawValue) \(setting)")
        }

        // SFT base: π_ref itself.
        candidates.append(Candidate(method: .sft, setting: "-", step: 0, scores: try scores(base)))
        // Binary FeedME: SFT on the preferred response of every pair.
        try supervised(.feedME, "-", conditions: 1, evaluate: 0, examples: pairs.map { SupervisedExample(context: $0.context, condition: 0, response: $0.chosen) })
        // Binary reward conditioning: SFT on both responses, the preferred after a "good" token (1), the other after "bad" (0).
        try supervised(.rewardConditioning, "-", conditions: 2, evaluate: 1, examples: pairs.flatMap {
            [SupervisedExample(context: $0.context, condition: 1, response: $0.chosen), SupervisedExample(context: $0.context, condition: 0, response: $0.rejected)]
        })
        // Best-of-n from the SFT base under the proxy reward model (exact distribution), n chosen on validation.
        var curve: [(n: Int, scores: Scores)] = []
        for n in c.bestOfN {
            let s = try scores(try bandit.bestOfNPolicy(scores: rm.rewards, n: n))
            curve.append((n, s))
            candidates.append(Candidate(method: .bestOfN, setting: "n=\(n)", step: 0, scores: s))
        }
        advance("best-of-n")
        // Expert Iteration: SFT on best-of-n samples of the SFT base (one round), n chosen on validation.
        for n in c.expertIterationN {
            var sampleRNG = root.child("expert-iteration").child(n).child("samples")
            let bon = try bandit.bestOfNPolicy(scores: rm.rewards, n: n)
            let examples = train.flatMap { x in
                (0..<c.expertIterationSamples).map { _ in SupervisedExample(context: x, condition: 0, response: sampleRNG.categorical(bon[x].map(Float.init))) }
            }
            try supervised(.expertIteration, "n=\(n)", conditions: 1, evaluate: 0, examples: examples)
        }
        // PPO on the proxy reward with a KL penalty, the coefficient chosen on validation.
        var ppoCurve: [(step: Int, scores: Scores)] = []
        let smallest = c.ppoKLCoefficients.min()!
        for (i, beta) in c.ppoKLCoefficients.enumerated() {
            var rng = root.child("ppo").child(i)
            let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: 1, evaluationCondition: 0)
            let setting = "kl=\(beta)"
            var trajectory: [(step: Int, scores: Scores)] = []
            _ = try context.guarded(variant: "ppo/\(setting)", seed: seed) {
                try setup.trainRLHF(policy: policy, rewards: rm.rewards, klCoefficient: beta, steps: c.ppoSteps,
                                    contextsPerStep: c.ppoContextsPerStep, groupSize: c.ppoGroupSize, learningRate: c.learningRate,
                                    epochs: c.ppoEpochs, minibatches: c.ppoMinibatches, contexts: train, every: c.checkpointEvery,
                                    rng: &rng) { step in
                    let s = try scores(policy.probabilityTable())
                    trajectory.append((step, s))
                    candidates.append(Candidate(method: .ppo, setting: setting, step: step, scores: s))
                }
            }
            if beta == smallest && ppoCurve.isEmpty { ppoCurve = trajectory }
            advance("ppo \(setting)")
        }
        // Quark: rounds of (sample from the top-quantile policy → score with the proxy → quantile tokens over the pool →
        // SFT on (quantile token, sample) + KL to π_ref), the KL coefficient chosen on validation.
        for (i, beta) in c.quarkKLCoefficients.enumerated() {
            let rng = root.child("quark").child(i)
            let top = c.quarkQuantiles - 1
            let policy = ConditionedFeaturePolicy(bandit: bandit, conditions: c.quarkQuantiles, evaluationCondition: top)
            let setting = "kl=\(beta)"
            let optimizer = AdamW.adam()
            var pool: [(context: Int, response: Int)] = []
            _ = try context.guarded(variant: "quark/\(setting)", seed: seed) {
                var sampler = rng.child("samples")
                var table = base                                      // round 0 samples the SFT base (Quark's initial pool)
                for round in 0..<c.quarkRounds {
                    for x in train {
                        for _ in 0..<c.quarkSamplesPerContext { pool.append((x, sampler.categorical(table[x].map(Float.init)))) }
                    }
                    let rewards = pool.map { rm.rewards[$0.context][$0.response] }
                    let sorted = rewards.sorted()
                    let cuts = (1..<c.quarkQuantiles).map { Statistics.quantile(sorted: sorted, Double($0) / Double(c.quarkQuantiles)) }
                    let examples = zip(pool, rewards).map { sample, r in
                        SupervisedExample(context: sample.context, condition: cuts.filter { r > $0 }.count, response: sample.response)
                    }
                    var roundRNG = rng.child("round").child(round)
                    try setup.trainSupervised(policy: policy, examples: examples, steps: c.quarkStepsPerRound, batchSize: c.batchSize,
                                              learningRate: c.learningRate, klCoefficient: beta, optimizer: optimizer,
                                              firstStep: round * c.quarkStepsPerRound, every: c.quarkStepsPerRound, rng: &roundRNG) { step in
                        guard step > 0 else { return }
                        table = policy.probabilityTable()
                        candidates.append(Candidate(method: .quark, setting: setting, step: step, scores: try scores(table)))
                    }
                }
            }
            advance("quark \(setting)")
        }
        let flipped = Double(pairs.filter(\.flipped).count) / Double(pairs.count)
        return SeedResult(candidates: candidates, bestOfNCurve: curve, ppoCurve: ppoCurve,
                          rewardModelAccuracy: rm.pairAccuracy(pairs) ?? .nan, flippedShare: flipped)
    }

    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        var sweep = CSVTable(columns: ["method", "seed", "setting", "step", "validation_win_rate_annotator", "test_win_rate_gold",
                                       "test_win_rate_annotator", "gold_test", "proxy_test", "kl_test", "chosen"])
        var chosen = CSVTable(columns: ["method", "seed", "setting", "step", "validation_win_rate_annotator", "test_win_rate_gold",
                                        "test_win_rate_annotator", "gold_test", "proxy_test", "kl_test"])
        var bon = CSVTable(columns: ["seed", "n", "proxy_test", "gold_test", "test_win_rate_gold", "test_win_rate_annotator"])
        var ppo = CSVTable(columns: ["seed", "kl_coefficient", "step", "proxy_test", "gold_test", "test_win_rate_gold", "kl_test"])
        func row(_ s: Scores) -> [CSVValue] {
            [.double(s.validationWinRate), .double(s.testGoldWinRate), .double(s.testAnnotatorWinRate), .double(s.goldTest), .double(s.proxyTest), .double(s.klTest)]
        }
        for (seed, r) in zip(seeds, results) {
            let picks = Method.allCases.compactMap { r.chosen($0) }
            for cand in r.candidates {
                let isChosen = picks.contains { $0.method == cand.method && $0.setting == cand.setting && $0.step == cand.step }
                sweep.append([.string(cand.method.rawValue), .int(seed), .string(cand.setting), .int(cand.step)] + row(cand.scores) + [.string(isChosen ? "true" : "false")])
            }
            for p in picks { chosen.append([.string(p.method.rawValue), .int(seed), .string(p.setting), .int(p.step)] + row(p.scores)) }
            for (n, s) in r.bestOfNCurve { bon.append([.int(seed), .int(n), .double(s.proxyTest), .double(s.goldTest), .double(s.testGoldWinRate), .double(s.testAnnotatorWinRate)]) }
            for (step, s) in r.ppoCurve {
                ppo.append([.int(seed), .double(c.ppoKLCoefficients.min()!), .int(step), .double(s.proxyTest), .double(s.goldTest), .double(s.testGoldWinRate), .double(s.klTest)])
            }
        }
        a.tables = [("chosen", chosen), ("sweep", sweep), ("best_of_n", bon), ("ppo_overoptimization", ppo)]

        func win(_ r: SeedResult, _ m: Method) -> Double? { r.chosen(m)?.scores.testGoldWinRate }
        func perSeed(_ f: (SeedResult) -> Double?) -> ClaimEvidence {
            .perSeed(values: results.map(f), preconditionFailed: results.map { _ in nil })
        }
        a.evidence["1a"] = perSeed { r in
            guard let p = win(r, .ppo), let f = win(r, .feedME), let rc = win(r, .rewardConditioning) else { return nil }
            return p - Swift.max(f, rc)
        }
        a.evidence["1b"] = perSeed { r in win(r, .bestOfN).flatMap { b in win(r, .feedME).map { b - $0 } } }
        a.evidence["1c"] = perSeed { r in win(r, .expertIteration).flatMap { e in win(r, .feedME).map { e - $0 } } }
        a.evidence["1d"] = perSeed { r in win(r, .ppo).flatMap { p in win(r, .expertIteration).map { p - $0 } } }
        a.evidence["2a"] = perSeed { r in
            let proxy = r.bestOfNCurve.map(\.scores.proxyTest)
            return zip(proxy.dropFirst(), proxy).map { $0 - $1 }.min()
        }
        func evidence(_ f: (SeedResult) -> (Double?, String?)) -> ClaimEvidence {
            let v = results.map(f)
            return .perSeed(values: v.map(\.0), preconditionFailed: v.map(\.1))
        }
        a.evidence["2b"] = evidence { dropFromPeak($0.bestOfNCurve.map(\.scores.goldTest)) }
        a.evidence["2c"] = evidence { largestFall($0.ppoCurve.map(\.scores.proxyTest)) }
        a.evidence["2d"] = evidence { dropFromPeak($0.ppoCurve.map(\.scores.goldTest)) }

        a.figures = [("win_rates", "Win-rate against the SFT base on held-out contexts, each method at the hyperparameters chosen on validation (mean ± sd over seeds)", winRateFigure(results)),
                     ("overoptimization", "Proxy vs gold reward along Best-of-n's n and along PPO training with the smallest KL coefficient (held-out contexts; mean over seeds)", overoptimizationFigure(c, results))]
        a.reportSections = report(c, seeds, results)
        return a
    }

    /// (max − last) ÷ (max − min) of a curve: how far it ends below its peak, as a share of its range; nil with a reason
    /// when the curve is flat.
    static func dropFromPeak(_ ys: [Double]) -> (Double?, String?) {
        guard let lo = ys.min(), let hi = ys.max(), hi > lo else { return (nil, "the curve is flat") }
        return ((hi - ys.last!) / (hi - lo), nil)
    }

    /// The largest fall of a curve from any point to a later one, as a share of its range (0 for a non-decreasing
    /// curve); nil with a reason when the curve is flat.
    static func largestFall(_ ys: [Double]) -> (Double?, String?) {
        guard let lo = ys.min(), let hi = ys.max(), hi > lo else { return (nil, "the curve is flat") }
        var runningMax = -Double.infinity, fall = 0.0
        for y in ys { runningMax = Swift.max(runningMax, y); fall = Swift.max(fall, runningMax - y) }
        return (fall / (hi - lo), nil)
    }

    static func winRateFigure(_ results: [SeedResult]) -> String {
        let methods = Method.allCases
        func group(_ name: String, _ color: String, _ f: (Scores) -> Double) -> BarChart.Group {
            let values = methods.map { m in results.compactMap { $0.chosen(m).map { f($0.scores) } } }
            let means = values.map { $0.isEmpty ? 0 : Statistics.mean($0) }
            let sds = values.map { $0.count > 1 ? Statistics.standardDeviation($0) : 0 }
            return BarChart.Group(name: name, values: means, errorLow: sds, errorHigh: sds, color: color)
        }
        return BarChart(title: "lpf-methods: win-rate against the SFT base (held-out contexts)", xLabel: "method", yLabel: "win-rate",
                        categories: methods.map(\.label),
                        groups: [group("gold", Palette.color(0)) { $0.testGoldWinRate }, group("evaluation annotator", Palette.color(1)) { $0.testAnnotatorWinRate }],
                        yRange: 0...1, width: 760, height: 440).svg()
    }

    static func overoptimizationFigure(_ c: Config, _ results: [SeedResult]) -> String {
        func meanCurve<T>(_ curves: [[(T, Scores)]], x: (T) -> Double, _ f: (Scores) -> Double) -> [(x: Double, y: Double)] {
            guard let n = curves.map(\.count).min(), n > 0 else { return [] }
            return (0..<n).map { i in (x(curves[0][i].0), Statistics.mean(curves.map { f($0[i].1) })) }
        }
        let bon = results.map { $0.bestOfNCurve.map { ($0.n, $0.scores) } }
        let ppo = results.map { $0.ppoCurve.map { ($0.step, $0.scores) } }
        var left = LinePlot(title: "Best-of-n from the SFT base", xLabel: "n", yLabel: "expected reward",
                            series: [Series(name: "proxy reward model", points: meanCurve(bon, x: { Double($0) }) { $0.proxyTest }, markers: true, color: Palette.color(0)),
                                     Series(name: "gold reward", points: meanCurve(bon, x: { Double($0) }) { $0.goldTest }, markers: true, color: Palette.color(1))])
        left.xScale = .log10
        let right = LinePlot(title: "PPO, KL coefficient \(c.ppoKLCoefficients.min()!)", xLabel: "step", yLabel: "expected reward",
                             series: [Series(name: "proxy reward model", points: meanCurve(ppo, x: { Double($0) }) { $0.proxyTest }, color: Palette.color(0)),
                                      Series(name: "gold reward", points: meanCurve(ppo, x: { Double($0) }) { $0.goldTest }, color: Palette.color(1))])
        return PanelGrid(title: "lpf-methods: reward over-optimisation (held-out contexts)", columns: 2, panels: [left, right]).svg()
    }

    static func report(_ c: Config, _ seeds: [Int], _ results: [SeedResult]) -> [(title: String, markdown: String)] {
        let b = c.bandit
        let setup = """
        A PreferenceBandit of \(b.contextCount) contexts × \(b.responseCount) responses (split \
        \(b.contextCount - b.testContextCount - b.validationContextCount) train / \(b.validationContextCount) validation / \
        \(b.testContextCount) test; a new instance per seed) with \(b.annotatorCount) simulated annotators, each seeing the \
        gold reward plus its own bias (a shared liking for long responses, mean weight \(b.annotatorLengthBiasMean), and \
        random weights on the other features) through its own noise. The SFT base is π_ref: misaligned with gold and \
        rarely writing long responses. Training data: \(c.pairsPerContext) pairs per training context from the SFT base, \
        each labelled by a random annotator and then flipped with probability \(c.labelFlipRate) (AlpacaFarm's training \
        annotators). The proxy reward model is a linear Bradley–Terry model on those pairs. Gold punishes the longest \
        responses, which the annotators like: the proxy can be over-optimised. Every method trains the same feature policy \
        π(y | x, c) ∝ π_ref·exp((w + w_c)·φ) (c: control token) on the training contexts and is scored on contexts it never \
        saw. Hyperparameters, including the training length (every \(c.checkpointEvery) steps is a candidate), are chosen by \
        the evaluation annotator's win-rate against the base on the validation contexts (as AlpacaFarm chose them with its \
        simulated evaluator); the claims use the gold win-rate on the test contexts, which no choice has seen.

        - Binary FeedME: SFT on the preferred response of every pair (\(c.supervisedSteps) steps).
        - Binary reward conditioning: SFT on both responses after a "good" / "bad" token; evaluated after "good".
        - Best-of-n: the exact best-of-n distribution of the SFT base under the proxy, n ∈ \(c.bestOfN).
        - Expert Iteration: SFT on \(c.expertIterationSamples) best-of-n samples per training context, n ∈ \(c.expertIterationN).
        - PPO: \(c.ppoSteps) steps of \(c.ppoContextsPerStep) contexts × \(c.ppoGroupSize) samples, reward r̂ − β·log(π/π_ref), \
        leave-one-out baseline, clipped surrogate (ε = 0.2) over \(c.ppoEpochs) epochs × \(c.ppoMinibatches) minibatches, \
        β ∈ \(c.ppoKLCoefficients).
        - Quark: \(c.quarkRounds) rounds of \(c.quarkSamplesPerContext) samples per training context from the top-quantile \
        policy (round 1: from the base) added to a pool, \(c.quarkQuantiles) reward-quantile tokens over the pool, \
        \(c.quarkStepsPerRound) steps of SFT on (token, sample) + β·KL(π ‖ π_ref), β ∈ \(c.quarkKLCoefficients).
        """
        var md = "Each method at its validation-chosen setting (mean ± sd over \(seeds.count) seeds; the setting chosen most often in brackets). Proxy reward-model accuracy on its own training pairs: \(Statistics.meanSD(results.map(\.rewardModelAccuracy))); flipped labels: \(Statistics.meanSD(results.map(\.flippedShare))).\n\n"
        md += "| method | chosen setting | gold win-rate vs base | evaluator win-rate vs base | gold reward | proxy reward | KL to base | AlpacaFarm (human, vs Davinci003) |\n|---|---|---|---|---|---|---|---|\n"
        for m in Method.allCases {
            let picks = results.compactMap { $0.chosen(m) }
            var counts: [String: Int] = [:]
            for p in picks { counts["\(p.setting) @\(p.step)", default: 0] += 1 }
            let mode = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "—"
            md += "| \(m.label) | \(mode) | \(Statistics.meanSD(picks.map(\.scores.testGoldWinRate))) | \(Statistics.meanSD(picks.map(\.scores.testAnnotatorWinRate))) | \(Statistics.meanSD(picks.map(\.scores.goldTest))) | \(Statistics.meanSD(picks.map(\.scores.proxyTest))) | \(Statistics.meanSD(picks.map(\.scores.klTest))) | \(m.paperWinRate) |\n"
        }
        md += "\nBest-of-n along n (held-out contexts, mean over seeds):\n\n| n | proxy reward | gold reward | gold win-rate vs base |\n|---|---|---|---|\n"
        for (i, n) in c.bestOfN.enumerated() {
            let s = results.compactMap { i < $0.bestOfNCurve.count ? $0.bestOfNCurve[i].scores : nil }
            md += "| \(n) | \(Statistics.meanSD(s.map(\.proxyTest))) | \(Statistics.meanSD(s.map(\.goldTest))) | \(Statistics.meanSD(s.map(\.testGoldWinRate))) |\n"
        }
        let paper = """
        AlpacaFarm (Table 2, human feedback, win-rate against Davinci003): PPO 55.1%, Best-of-n 50.7%, reward conditioning \
        44.5%, SFT 10k 44.3%, Expert Iteration 43.9%, Binary FeedME 40.7%; the simulated pipeline ranks the methods the same \
        way (Spearman 0.98) and reproduces reward over-optimisation: the proxy reward keeps rising with n and with PPO \
        training while the simulated preference peaks and falls (their Figure 4), which needs the annotators' label noise — \
        without it the simulated evaluator does not over-optimise.
        """
        let bias = """
        The environment's default evaluation annotator shares the pool's biases (`evaluationBiasScale` 1), including the \
        liking for long responses that gold punishes. We first ran this experiment that way (quick configuration, then the \
        default with `--set evaluationBiasScale=1`, measured 2026-12-02): that evaluator kept rising along the proxy — \
        Best-of-n's evaluator win-rate 0.96 at n = 1024 — so validation chose n = 1024 for Best-of-n, n = 256 with 400 \
        steps for Expert Iteration and the longest Quark run, whose gold win-rates against the base were 0.36 ± 0.15, \
        0.44 ± 0.12 and 0.49 ± 0.11, below Binary FeedME's 0.55 (claims 1b and 1c failed; 1a, 1d and 2a–2d held). Such an \
        evaluator ranks the methods the opposite way from gold, whereas AlpacaFarm's simulated evaluator was built and \
        validated to rank methods as humans do (Spearman 0.98), and gold plays the humans here. The experiment therefore \
        uses an evaluator that votes on gold through the pool's noise without its biases (0). The training annotators keep \
        their biases and 25% flips, so the proxy reward model is still biased and is still over-optimised (claims 2a–2d).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md), ("The evaluator's bias", bias), ("The paper", paper)]
    }
}
