import Foundation
import Engine
import Objectives
import Harness
import Training

/// minimalist-rl: RAFT, RAFT++, Reinforce-Rej vs GRPO on Countdown (Xiong et al., "A Minimalist Approach to LLM
/// Reasoning: from Rejection Sampling to Reinforce", 2025).
public enum MinimalistRL: Experiment {
    public static let name = "minimalist-rl"
    public static let claim = "RAFT++ learns fastest early but its entropy collapses and GRPO catches up; GRPO's edge over REINFORCE comes from dropping prompts whose samples are all wrong, and Reinforce-Rej (drop uniform groups, no normalisation) matches GRPO with less KL."
    public static let paper = "Xiong, Yao, Xu, Zhang, Zhang, Dong, Jiang, Zhang, \"A Minimalist Approach to LLM Reasoning: from Rejection Sampling to Reinforce\" (2025)"
    public static let defaultRuntime = "~14 min (+ ~15 min once to train the base)"
    public static let defaultSeeds = 3
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    public struct Config: ExperimentConfig, CountdownSchedule {
        /// The Countdown base, shared with negative-reinforcement (the committed base was trained from exactly this; any
        /// change trains a new one and saves it in its place). Valid: what `CountdownBaseConfig.problem()` accepts.
        public var base = CountdownDesign.chosenBase
        /// The methods, run in this order (default: the catalogue: RAFT, RAFT++, RAFT+IS, REINFORCE ±1, Reinforce-Rej and
        /// its two ablations, GRPO, Dr.GRPO). Valid: 1…16 methods, no value twice, each as `CountdownMethod.problem()`
        /// accepts.
        public var methods: [CountdownMethod] = MinimalistRL.catalogue.values
        /// RL steps of every method ("early" = the first 20%, "final" = the last 10%). Valid: 1…100,000.
        public var steps = 100
        /// RL-pool problems per step. Valid: 1…4,096.
        public var promptsPerStep = 16
        /// Samples per problem. Valid: 2…1,024.
        public var groupSize = 8
        /// Adam learning rate of every method (no weight decay, gradient norm ≤ 1). Valid: (0, 1].
        public var learningRate: Float = 5e-5
        /// Optimizer steps per batch of rollouts (> 1: later ones are off-policy, so importance ratios and clipping act).
        /// Valid: 1…promptsPerStep × groupSize.
        public var minibatches = 2
        /// Adam learning rate of the value function of a method whose advantage is GAE (none of the defaults). Valid:
        /// (0, 1].
        public var criticLearningRate: Float = 5e-4
        /// Test problems the final models are evaluated on (the first ones of the base's test set). Valid:
        /// 1…base.testProblems.
        public var evaluationProblems = 128
        /// Samples per test problem (test accuracy is their correct share). Valid: 1…4,096.
        public var evaluationSamples = 8
    }

    /// The methods by name (the CSVs' `method` column, the claims' and the random streams' key) and label (figures
    /// and the report). Rewards are ±1, as in the paper.
    public static let catalogue = MethodCatalogue<CountdownMethod>([
        .init("raft", label: "RAFT", .raft),
        .init("raft_pp", label: "RAFT++", .raftPlusPlus),
        .init("raft_is", label: "RAFT+IS (no clip)", .raftImportance),
        .init("reinforce ±1", label: "REINFORCE ±1", .reinforce),
        .init("reinforce_rej", label: "Reinforce-Rej", .reinforceRej),
        .init("reject_all_wrong", label: "drop all-wrong only", .rejectAllWrong),
        .init("reject_all_correct", label: "drop all-correct only", .rejectAllCorrect),
        .init("grpo", label: "GRPO", .grpo),
        .init("dr_grpo", label: "Dr.GRPO", .drGRPO),
    ])

    public static func methodNames(_ c: Config) -> [String] { catalogue.resolve(c.methods).methods.map(\.name) }
    public static let methodExamples = [
        "--set methods.7.advantage=drGRPO       # GRPO with Dr.GRPO's advantage and token-mean aggregation, named grpo[advantage=drGRPO]; claims 1a–1c, 3a and 3b are then inconclusive",
        "--set 'methods.1.objective=ppoClip(low=0.2,high=0.28,dualClip=3)'   # RAFT++ with DAPO's clip-higher, named raft_pp[objective.high=0.28]",
        "--set 'methods=[{\"advantage\":{\"rloo\":{}},\"objective\":{\"ppoClip\":{\"low\":0.2,\"high\":0.2,\"dualClip\":3}},\"aggregation\":{\"tokenMean\":{}},\"filter\":{\"all\":{}},\"rewards\":\"signed\"}]'   # one method: RLOO",
    ]

    public static let defaultConfig = Config()
    /// Quick: 12 steps of 8 problems × 8 samples, 32 test problems × 4 samples; every method and claim.
    public static let quickConfig: Config = {
        var c = Config()
        c.steps = 12; c.promptsPerStep = 8
        c.evaluationProblems = 32; c.evaluationSamples = 4
        return c
    }()

    public static func validate(_ c: Config) -> String? { c.scheduleProblem(minimumSamples: 1, catalogue: catalogue) }

    public static func workPerSeed(_ c: Config) -> Int { c.methods.count * (c.steps + 1) }
}
