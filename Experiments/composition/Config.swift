import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

/// composition: RL composes old skills into new ones ("From f(x) and g(x) to f(g(x))", PRIME-RL 2025), on
/// StringFunctions.
public enum Composition: Experiment {
    public static let name = "composition"
    public static let claim = "RL on Level-2 compositions (not on atomic problems, and not RFT on the same data) teaches a model that knows the atomic functions to compose held-out functions at deeper levels."
    public static let paper = "Yuan et al., \"From f(x) and g(x) to f(g(x)): LLMs Learn New Skills in RL by Composing Old Ones\" (2025)"
    public static let defaultRuntime = "~20 min (+ ~40 min once to train the base)"
    public static let defaultSeeds = 3

    public struct Config: ExperimentConfig {
        /// The Stage-1 design (NOTES.md, "Designs tried"). The committed base was trained from exactly this; any change
        /// trains a new base (tens of minutes) and saves it in its place.
        public var base = Composition.chosenBase
        /// The Stage-2 variants, in the order they run (default: RL L1, RL L2, RL L1+2, RFT L2). Valid: 1…16 distinct
        /// values, levels in 1…6.
        public var methods: [CompositionStageTwo] = Composition.catalogue.values
        /// Stage-2 steps of every variant. Valid: 1…100,000.
        public var steps = 30
        /// Prompts per step (paper: 16), train functions only. Valid: 1…4,096.
        public var promptsPerStep = 16
        /// Samples per prompt (paper: 16). Valid: 2…1,024.
        public var groupSize = 8
        /// AdamW learning rate of every Stage-2 variant (weight decay 0, gradient norm clipped at 1). Valid: (0, 1].
        public var learningRate: Float = 2e-5
        /// Greedy answers per held-out level (the gate itself uses 1,024). Valid: 1…1,024.
        public var evaluationProblems = 512
        /// Held-out problems per level sampled for pass@k. Valid: 1…evaluationProblems.
        public var passAtKProblems = 6
        /// Samples per pass@k problem (pass@k up to k = this). Valid: 1…4,096.
        public var passAtKSamples = 64
        /// Greedy answers per train-function level (the precondition's Level 1, and Level 2). Valid: 1…1,024.
        public var trainEvaluationProblems = 256
        /// Precondition of every claim: each RL run keeps train-function Level-1 accuracy at least this. Valid: [0, 1].
        public var minimumTrainLevelOne = 0.9
    }

    /// The Stage-2 variants by name (today's CSV names and figure labels).
    public static let catalogue = MethodCatalogue<CompositionStageTwo>([
        .init("rl_l1", label: "RL L1", CompositionStageTwo(recipe: CompositionStageTwo.grpo, levels: [1])),
        .init("rl_l2", label: "RL L2", CompositionStageTwo(recipe: CompositionStageTwo.grpo, levels: [2])),
        .init("rl_l1_2", label: "RL L1+2", CompositionStageTwo(recipe: CompositionStageTwo.grpo, levels: [1, 2])),
        .init("rft_l2", label: "RFT L2", CompositionStageTwo(recipe: CompositionStageTwo.rft, levels: [2])),
    ])

    public static func methodNames(_ c: Config) -> [String] { catalogue.resolve(c.methods).methods.map(\.name) }
    public static let methodExamples = [
        "--set methods.1.recipe.advantage=drGRPO     # RL L2 with Dr.GRPO's advantage; named rl_l2[recipe.advantage=drGRPO]",
        "--set methods.3.recipe.filter=all            # RFT that also trains on wrong samples (A = 0 there)",
        "--set 'methods=[{\"recipe\":{\"advantage\":{\"grpo\":{}},\"objective\":{\"vanilla\":{}},\"aggregation\":{\"trainerDefault\":{}},\"filter\":{\"all\":{}}},\"levels\":[2]}]'",
    ]
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    /// The Stage-1 design the experiment uses (design 7 of NOTES.md's "Designs tried").
    public static let chosenBase: CompositionBaseConfig = {
        var c = CompositionBaseConfig()
        c.modelWidth = 192; c.layers = 4; c.heads = 6
        c.steps = 3000
        c.packedContext = 2
        c.mix.trainChainShare = 0.03
        c.rendering = CompositionRendering(restatePrompt: true, auxiliaryAliases: 8, numberedIds: true)
        return c
    }()
    /// Its row in the table of designs tried.
    static let chosenDesign = 7

    public static let defaultConfig = Config()
    /// Quick: the same committed base; 4 Stage-2 steps of 8 prompts × 4 samples, 24 greedy and 2 × 16 sampled problems
    /// per level.
    public static let quickConfig: Config = {
        var c = Config()
        c.steps = 4; c.promptsPerStep = 8; c.groupSize = 4
        c.evaluationProblems = 24; c.passAtKProblems = 2; c.passAtKSamples = 16; c.trainEvaluationProblems = 24
        return c
    }()

    public static func validate(_ c: Config) -> String? {
        if let p = c.base.problem() { return p }
        if c.methods.isEmpty || c.methods.count > 16 { return "methods must list 1…16 Stage-2 variants" }
        if let problem = catalogue.resolve(c.methods).problem { return problem }
        if c.methods.contains(where: { $0.levels.isEmpty || $0.levels.contains { !(1...6).contains($0) } }) { return "every method's levels must be in 1…6" }
        if c.methods.contains(where: { $0.recipe.advantage.needsCritic }) { return "Stage 2 has no critic: a method's advantage cannot be gae" }
        if c.methods.contains(where: { $0.levels.count > 6 }) { return "every method's levels must list at most 6 levels" }
        if let p = c.methods.lazy.compactMap({ $0.recipe.problem() }).first { return "methods: \(p)" }
        if !(1...100_000).contains(c.steps) || !(1...4096).contains(c.promptsPerStep) || !(2...1024).contains(c.groupSize) {
            return "steps must be 1…100,000, promptsPerStep 1…4,096, groupSize 2…1,024"
        }
        if !(c.learningRate > 0 && c.learningRate <= 1) { return "learningRate must be in (0, 1]" }
        if !(1...1024).contains(c.evaluationProblems) || !(1...1024).contains(c.trainEvaluationProblems) || !(1...4096).contains(c.passAtKSamples) {
            return "evaluationProblems and trainEvaluationProblems must be 1…1,024, passAtKSamples 1…4,096"
        }
        if !(1...c.evaluationProblems).contains(c.passAtKProblems) { return "passAtKProblems must be 1…evaluationProblems" }
        if !(0...1).contains(c.minimumTrainLevelOne) { return "minimumTrainLevelOne must be in [0, 1]" }
        return nil
    }

    public static func workPerSeed(_ c: Config) -> Int { c.methods.count * (c.steps + 1) }

}
