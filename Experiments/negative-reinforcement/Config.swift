import Foundation
import Engine
import Objectives
import Harness
import Training

/// negative-reinforcement: PSR vs NSR on Countdown ("The Surprising Effectiveness of Negative Reinforcement in LLM
/// Reasoning", Zhu et al. 2025).
public enum NegativeReinforcement: Experiment {
    public static let name = "negative-reinforcement"
    public static let claim = "Training only on wrong samples (NSR) keeps or improves pass@k across the whole spectrum, while training only on correct samples (PSR) raises pass@1 and lowers pass@k at large k; W-REINFORCE (λ·PSR + NSR, λ = 0.1) gets both."
    public static let paper = "Zhu, Xia, Wei, Wu, Chen, Meng, \"The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning\" (2025)"
    public static let defaultRuntime = "~14 min (+ ~15 min once to train the base)"
    public static let defaultSeeds = 3
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    public struct Config: ExperimentConfig, CountdownSchedule {
        /// The Countdown base, shared with minimalist-rl (the committed base was trained from exactly this; any change
        /// trains a new one and saves it in its place). Valid: what `CountdownBaseConfig.problem()` accepts.
        public var base = CountdownDesign.chosenBase
        /// The methods, run in this order (default: the catalogue: PSR, NSR, W-REINFORCE at λ = 0.05, 0.1, 0.2, 1, GRPO,
        /// PPO). Valid: 1…16 methods, no value twice, each as `CountdownMethod.problem()` accepts.
        public var methods: [CountdownMethod] = NegativeReinforcement.catalogue.values
        /// RL steps of every method. Valid: 1…100,000.
        public var steps = 60
        /// RL-pool problems per step. Valid: 1…4,096.
        public var promptsPerStep = 16
        /// Samples per problem (paper: 8). Valid: 2…1,024.
        public var groupSize = 8
        /// Adam learning rate of every method (no weight decay, gradient norm ≤ 1). Valid: (0, 1].
        public var learningRate: Float = 5e-5
        /// Optimizer steps per batch of rollouts. Valid: 1…promptsPerStep × groupSize.
        public var minibatches = 2
        /// Adam learning rate of the value function of a method whose advantage is GAE (PPO). Valid: (0, 1].
        public var criticLearningRate: Float = 5e-4
        /// Test problems every model is evaluated on (the first ones of the base's test set). Valid: 1…base.testProblems.
        public var evaluationProblems = 128
        /// Samples per test problem: pass@k for k = 1, 2, 4, … up to this (paper: 256). Valid: 2…4,096.
        public var evaluationSamples = 256
    }

    /// The methods by name (the CSVs' `method` column, the claims' and the random streams' key) and label (figures
    /// and the report).
    public static let catalogue = MethodCatalogue<CountdownMethod>([
        .init("psr", label: "PSR", .psr),
        .init("nsr", label: "NSR", .nsr),
        .init("w_reinforce_0.05", label: "W-REINFORCE λ=0.05", .wReinforce(0.05)),
        .init("w_reinforce_0.1", label: "W-REINFORCE λ=0.1", .wReinforce(0.1)),
        .init("w_reinforce_0.2", label: "W-REINFORCE λ=0.2", .wReinforce(0.2)),
        .init("w_reinforce_1", label: "W-REINFORCE λ=1", .wReinforce(1)),
        .init("grpo", label: "GRPO", .grpo),
        .init("ppo", label: "PPO", .ppo),
    ])

    public static func methodNames(_ c: Config) -> [String] { catalogue.resolve(c.methods).methods.map(\.name) }
    public static let methodExamples = [
        "--set methods.0.objective=vanilla      # PSR without the clipped ratio, named psr[objective=vanilla]; the claims on psr are then inconclusive",
        "--set 'methods.3.advantage=wReinforce(lambda=0.3)'   # W-REINFORCE at λ = 0.3 in place of 0.1, named w_reinforce_0.1[advantage.lambda=0.3]; claims 3a, 3b and 4 are then inconclusive",
        "--set 'methods.6.objective=cispo(low=0.2,high=0.28)'   # GRPO with CISPO's loss, named grpo[objective=cispo(high=0.28,low=0.2)]",
        "--set 'methods=[{\"advantage\":{\"nsr\":{}},\"objective\":{\"vanilla\":{}},\"aggregation\":{\"tokenMean\":{}},\"filter\":{\"all\":{}},\"rewards\":\"binary\"}]'   # one method: NSR without the ratio",
    ]

    public static let defaultConfig = Config()
    /// Quick: 12 steps of 8 problems × 8 samples, 32 test problems × 64 samples (pass@k up to 64); every method and claim.
    public static let quickConfig: Config = {
        var c = Config()
        c.steps = 12; c.promptsPerStep = 8
        c.evaluationProblems = 32; c.evaluationSamples = 64
        return c
    }()

    public static func validate(_ c: Config) -> String? { c.scheduleProblem(minimumSamples: 2, catalogue: catalogue) }

    public static func workPerSeed(_ c: Config) -> Int { c.methods.count * (c.steps + 1) }
}
