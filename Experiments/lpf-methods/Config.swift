import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

/// lpf-methods: AlpacaFarm's simulated comparison of learning-from-pairwise-feedback methods (Dubois et al., NeurIPS
/// 2023) on a PreferenceBandit with a pool of simulated annotators.
public enum LPFMethods: Experiment {
    public static let name = "lpf-methods"
    public static let claim = "With simulated annotators (25% label noise), PPO beats Best-of-n, which beats Expert Iteration, which beats Binary FeedME and reward conditioning, which beat the SFT base; the proxy reward keeps rising while the true preference peaks and falls (reward over-optimisation)."
    public static let paper = "Dubois et al., \"AlpacaFarm: A Simulation Framework for Methods that Learn from Human Feedback\" (NeurIPS 2023)"
    public static let defaultRuntime = "~10 s"
    public static let defaultSeeds = 5
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    /// A learning-from-pairwise-feedback method, with the parameters that define it. The hyperparameter grids that
    /// validation chooses from (Best-of-n's and Expert Iteration's n, the KL coefficients) and the training lengths
    /// are the configuration's, so a shorter run keeps every method's name.
    public enum LPFMethod: Codable, Equatable, Sendable {
        /// The SFT base π_ref itself (no training).
        case sftBase
        /// Binary FeedME: SFT on the preferred response of every pair (`supervisedSteps` steps).
        case binaryFeedME
        /// Binary reward conditioning: SFT on both responses, the preferred after a "good" token, the other after "bad";
        /// evaluated after "good".
        case rewardConditioning
        /// Best-of-n of the SFT base under the proxy reward model (the exact distribution), n from `bestOfN`.
        case bestOfN
        /// Expert Iteration (one round): SFT on `samplesPerContext` best-of-n samples of the SFT base per training
        /// context, n from `expertIterationN`. Valid: samplesPerContext 1…10_000.
        case expertIteration(samplesPerContext: Int)
        /// PPO on the proxy reward with the KL penalty in the reward (coefficients from `ppoKLCoefficients`):
        /// `contextsPerStep` contexts × `groupSize` samples per step, leave-one-out baseline, clipped surrogate over
        /// `epochs` passes of `minibatches` minibatches. Valid: contexts 1…10_000; group 2…1024; epochs 1…100;
        /// minibatches 1…1024.
        case ppo(contextsPerStep: Int, groupSize: Int, epochs: Int, minibatches: Int)
        /// Quark: rounds of (sample `samplesPerContext` per training context from the top-quantile policy → score with
        /// the proxy → `quantiles` reward-quantile tokens over the pool → `stepsPerRound` steps of SFT on (token,
        /// sample) + β·KL to π_ref), β from `quarkKLCoefficients`. Valid: quantiles 2…100; samples 1…10_000; steps
        /// 1…1_000_000.
        case quark(quantiles: Int, samplesPerContext: Int, stepsPerRound: Int)

        /// The first parameter out of its valid range, or nil.
        func problem() -> String? {
            switch self {
            case .sftBase, .binaryFeedME, .rewardConditioning, .bestOfN: return nil
            case let .expertIteration(n):
                return (1...10_000).contains(n) ? nil : "samplesPerContext must be in 1…10_000"
            case let .ppo(contexts, group, epochs, minibatches):
                return (1...10_000).contains(contexts) && (2...1024).contains(group) && (1...100).contains(epochs) && (1...1024).contains(minibatches)
                    ? nil : "contextsPerStep must be in 1…10_000, groupSize in 2…1024, epochs in 1…100, minibatches in 1…1024"
            case let .quark(quantiles, samples, steps):
                return (2...100).contains(quantiles) && (1...10_000).contains(samples) && (1...1_000_000).contains(steps)
                    ? nil : "quantiles must be in 2…100, samplesPerContext in 1…10_000, stepsPerRound in 1…1_000_000"
            }
        }
    }

    /// The seven methods by name (the CSVs' `method` column and the random streams' names) and label (the figures),
    /// with AlpacaFarm-style settings: 16 Expert Iteration samples per context; PPO on 32 contexts × 8 samples, 2
    /// epochs × 2 minibatches (so the clipped ratio matters); Quark with 5 quantiles, 8 samples per context per round
    /// and 50 steps per round.
    public static let catalogue = MethodCatalogue<LPFMethod>([
        .init("sft", label: "SFT base", .sftBase),
        .init("binary-feedme", label: "Binary FeedME", .binaryFeedME),
        .init("reward-conditioning", label: "Binary reward conditioning", .rewardConditioning),
        .init("best-of-n", label: "Best-of-n", .bestOfN),
        .init("expert-iteration", label: "Expert Iteration", .expertIteration(samplesPerContext: 16)),
        .init("ppo", label: "PPO", .ppo(contextsPerStep: 32, groupSize: 8, epochs: 2, minibatches: 2)),
        .init("quark", label: "Quark", .quark(quantiles: 5, samplesPerContext: 8, stepsPerRound: 50)),
    ])

    /// A method's kind: its case (`ppo`, `quark`, …); a changed value is named after the catalogue entry of its kind.
    static func kind(_ m: LPFMethod) -> String { Mirror(reflecting: m).children.first?.label ?? String(describing: m) }

    /// The methods of a run, named (`catalogue.resolve` among the entries of the same kind).
    static func resolve(_ methods: [LPFMethod]) -> (methods: [NamedMethod<LPFMethod>], problem: String?) {
        catalogue.resolve(methods, kind: kind)
    }

    public static func methodNames(_ c: Config) -> [String] { resolve(c.methods).methods.map(\.name) }
    public static var methodExamples: [String] {
        ["--set methods.5.ppo.epochs=1", "--set 'methods.6=quark(quantiles=3,samplesPerContext=8,stepsPerRound=50)'"]
    }

    public struct Config: ExperimentConfig {
        /// The PreferenceBandit instance (train / validation / test contexts; 12 simulated annotators with a length bias).
        /// Its `evaluationBiasScale` is replaced by the field below. Valid: any instance `PreferenceBanditConfig.problem()`
        /// accepts, with at least one validation and one test context.
        public var bandit = PreferenceBanditConfig.standard
        /// How much of the pool's biases the evaluation annotator (which chooses hyperparameters) shares: 0 = it votes on
        /// gold through the pool's noise only. AlpacaFarm built its evaluator to agree with human preference (gold plays
        /// the human here); with 1 it shares the annotators' length bias, and validation then picks the most
        /// over-optimised settings (NOTES.md, "The evaluator's bias"). Valid: [0, 1000].
        public var evaluationBiasScale = 0.0
        /// Pairs per training context drawn from the SFT base π_ref, each labelled by a random pool annotator, 25% flipped.
        /// Valid: 1…10_000.
        public var pairsPerContext = 16
        /// Label flip rate of the training labels (AlpacaFarm: 25%). Valid: 0…1.
        public var labelFlipRate = 0.25
        /// The proxy reward model (linear Bradley–Terry on the pairs). Valid: what
        /// `PreferenceBanditRewardModelConfig.problem()` accepts.
        public var rewardModel = PreferenceBanditRewardModelConfig()
        /// Adam learning rate of every supervised stage and of PPO. Valid: (0, 10].
        public var learningRate = 0.01
        /// Examples per supervised step. Valid: 1…100_000.
        public var batchSize = 64
        /// Supervised steps of Binary FeedME, reward conditioning and Expert Iteration. Valid: 1…1_000_000.
        public var supervisedSteps = 400
        /// Steps between checkpoints; every checkpoint is a hyperparameter candidate (training length). Valid: 1…1_000_000.
        public var checkpointEvery = 25
        /// The methods, run in this order (default: the catalogue). Valid: 1…16 methods, no value twice, every
        /// parameter in its range.
        public var methods: [LPFMethod] = catalogue.values
        /// Best-of-n: the n sweep (powers of two up to 1024); n is chosen on validation. Valid: 2…64 ascending values,
        /// each 1…1_000_000.
        public var bestOfN: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        /// Expert Iteration: the n of the best-of-n samples it imitates (chosen on validation). Valid: 1…16 values, each
        /// 1…1_000_000.
        public var expertIterationN: [Int] = [4, 16, 64, 256]
        /// PPO: the KL coefficients swept (chosen on validation); the smallest is also the over-optimisation run.
        /// Valid: 1…16 values, each in [0, 1000].
        public var ppoKLCoefficients: [Double] = [0.003, 0.01, 0.03, 0.1, 0.3]
        /// PPO: training steps. Valid: 2…1_000_000.
        public var ppoSteps = 400
        /// Quark: rounds of sample → quantise → train. Valid: 1…1000.
        public var quarkRounds = 8
        /// Quark: the KL coefficients swept (chosen on validation). Valid: 1…16 values, each in [0, 1000].
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

    public static func validate(_ c: Config) -> String? {
        if let p = c.bandit.problem() { return p }
        if c.bandit.validationContextCount < 1 || c.bandit.testContextCount < 1 { return "need validation and test contexts" }
        if !(1...10_000).contains(c.pairsPerContext) { return "pairsPerContext must be in 1…10_000" }
        if !(1...100_000).contains(c.batchSize) { return "batchSize must be in 1…100_000" }
        if !(1...1_000_000).contains(c.supervisedSteps) || !(1...1_000_000).contains(c.checkpointEvery) {
            return "supervisedSteps and checkpointEvery must be in 1…1_000_000"
        }
        if !(c.labelFlipRate >= 0 && c.labelFlipRate <= 1) { return "labelFlipRate must be in [0, 1]" }
        if !(c.learningRate > 0 && c.learningRate <= 10) { return "learningRate must be in (0, 10]" }
        if !(c.evaluationBiasScale >= 0 && c.evaluationBiasScale <= 1000) { return "evaluationBiasScale must be in [0, 1000]" }
        if !(2...64).contains(c.bestOfN.count) || c.bestOfN.contains(where: { !(1...1_000_000).contains($0) }) || c.bestOfN != c.bestOfN.sorted() {
            return "bestOfN must be 2…64 ascending values in 1…1_000_000"
        }
        if !(1...16).contains(c.expertIterationN.count) || c.expertIterationN.contains(where: { !(1...1_000_000).contains($0) }) {
            return "expertIterationN must be 1…16 values in 1…1_000_000"
        }
        if !(1...16).contains(c.ppoKLCoefficients.count) || c.ppoKLCoefficients.contains(where: { !($0 >= 0 && $0 <= 1000) }) {
            return "ppoKLCoefficients must be 1…16 values in [0, 1000]"
        }
        if !(2...1_000_000).contains(c.ppoSteps) { return "ppoSteps must be in 2…1_000_000" }
        if !(1...1000).contains(c.quarkRounds) { return "quarkRounds must be in 1…1000" }
        if !(1...16).contains(c.quarkKLCoefficients.count) || c.quarkKLCoefficients.contains(where: { !($0 >= 0 && $0 <= 1000) }) {
            return "quarkKLCoefficients must be 1…16 values in [0, 1000]"
        }
        if !(1...16).contains(c.methods.count) { return "methods must list 1…16 methods" }
        let named = resolve(c.methods)
        if let p = named.problem { return p }
        for m in named.methods { if let p = m.value.problem() { return "method \(m.name): \(p)" } }
        return c.rewardModel.problem()
    }

    /// One unit per trained setting (and one for Best-of-n's sweep).
    public static func workPerSeed(_ c: Config) -> Int {
        c.methods.reduce(0) { total, m in
            switch m {
            case .sftBase: return total
            case .binaryFeedME, .rewardConditioning, .bestOfN: return total + 1
            case .expertIteration: return total + c.expertIterationN.count
            case .ppo: return total + c.ppoKLCoefficients.count
            case .quark: return total + c.quarkKLCoefficients.count
            }
        }
    }
}
