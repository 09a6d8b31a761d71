import Foundation
import Engine
import Objectives
import Harness

/// rl-razor: RL's Razor on ParityDigits (Shenfeld, Pari & Agrawal, MIT 2025).
public enum RLRazor: Experiment {
    public static let name = "rl-razor"
    public static let claim = "At matched new-task accuracy, on-policy RL forgets the prior task far less than SFT, and forgetting is predicted by the forward KL from the base policy measured on the new task."
    public static let paper = "Shenfeld, Pari & Agrawal, \"RL's Razor: Why Online Reinforcement Learning Forgets Less\" (MIT, 2025)"
    public static let defaultRuntime = "~3 min"
    public static let defaultSeeds = 5
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    /// The six fine-tuning methods by name (the CSVs' `variant` column, the random streams' names, the claims'
    /// references) and label (figures and tables), in the order they run: SFT on RL samples reads GRPO's policies.
    public static let catalogue = MethodCatalogue<RLRazorMethod>([
        .init("grpo", label: "GRPO", .rl(Recipe(advantage: .grpo, objective: .vanilla))),
        .init("reinforce", label: "1-0 REINFORCE", .rl(Recipe(advantage: .reinforce, objective: .vanilla))),
        .init("sft1", label: "SFT-1", .sft(.oneLabel)),
        .init("sft2", label: "SFT-2", .sft(.twoLabels)),
        .init("oracle_sft", label: "Oracle SFT", .sft(.oracle)),
        .init("sft_on_rl", label: "SFT on RL samples", .sft(.policySamples(teacher: 0))),
    ])

    /// The methods of a run, named among the entries of their kind (RL or SFT).
    static func resolve(_ methods: [RLRazorMethod]) -> (methods: [NamedMethod<RLRazorMethod>], problem: String?) {
        catalogue.resolve(methods, kind: { if case .rl = $0 { return "rl" } else { return "sft" } })
    }

    public static func methodNames(_ c: Config) -> [String] { resolve(c.methods).methods.map(\.name) }
    public static let methodExamples = [
        "--set methods.0.rl.advantage=drGRPO        # GRPO with Dr.GRPO's advantage (no std normalisation): grpo[advantage=drGRPO]",
        "--set 'methods.5.sft=policySamples(teacher=1)'   # SFT on samples of methods[1]'s policies (1-0 REINFORCE)",
        "--set 'methods.1.rl.filter=dropUniformGroups(allCorrect=true,allWrong=true)'   # REINFORCE on mixed groups only",
    ]

    public struct Config: ExperimentConfig {
        /// Pretraining images per task (paper and probe: 500). Valid: 10…100,000.
        public var pretrainPerTask = 500
        /// Pretraining epochs over the joint set (probe: 400). Valid: 1…100,000.
        public var pretrainEpochs = 400
        /// Adam learning rate of pretraining. Valid: (0, 10].
        public var pretrainLearningRate = 1e-3
        /// Held-out evaluation images per task. Valid: 10…100,000.
        public var evaluationPerTask = 1000
        /// Gaussian pixel-noise level of the rendered images; it sets the task's ceiling (NOTES.md, "Headroom").
        /// Valid: 0…2.
        public var pixelNoise: Float = 0.15
        /// Hidden widths of the MLP (paper: 512, 256). Valid: 1…8 widths, each 1…4,096.
        public var hiddenWidths: [Int] = [512, 256]
        /// The methods, run in this order (default: the catalogue). Valid: 1…16 distinct methods; an RL method has no
        /// KL and no learned critic; a `policySamples` teacher is the index of an RL method listed before it.
        public var methods: [RLRazorMethod] = RLRazor.catalogue.values
        /// Fine-tuning steps, one gradient step per batch (probe: 300). Valid: 1…100,000.
        public var fineTuneSteps = 500
        /// Images per fine-tuning batch (probe: 64). Valid: 1…10,000.
        public var batchSize = 64
        /// RL samples per image (the group that shares GRPO's baseline). Valid: 2…1,024.
        public var groupSize = 8
        /// The fixed learning-rate sweep, Adam (paper: 15 log-spaced in [3e-6, 1e-3]; probe: 8). Valid: 2…64 rates,
        /// each in (0, 10].
        public var learningRates: [Double] = RLRazor.logSpaced(3e-6, 1e-3, count: 8)
        /// Preconditions: the common matched accuracy must be this far above the base's new-task accuracy. Valid: 0…1.
        public var minimumGain = 0.05
        /// Claim 3: Oracle SFT's drop may exceed RL's by at most this much. Valid: 0…1.
        public var oracleMargin = 0.01
        /// Claims 4 and 5: equivalence margin on the drop difference. Valid: (0, 1].
        public var equivalenceMargin = 0.02
        /// RL steps between rows of training.csv (the last step is always written). Valid: 1…100,000.
        public var trainingLogEvery = 25
    }

    static func logSpaced(_ a: Double, _ b: Double, count: Int) -> [Double] {
        (0..<count).map { i in Foundation.exp(Foundation.log(a) + (Foundation.log(b) - Foundation.log(a)) * Double(i) / Double(Swift.max(1, count - 1))) }
    }

    public static let defaultConfig = Config()
    /// Quick: fewer pretraining epochs and learning rates (the top of the sweep, where the methods separate and the
    /// highest common accuracy is found), smaller evaluation sets; every method kept, and the fine-tuning length kept
    /// (shorter runs do not leave the base by the 5 points the claims need).
    public static let quickConfig: Config = {
        var c = Config()
        c.pretrainEpochs = 100; c.evaluationPerTask = 500
        c.learningRates = [3e-4, 1e-3]
        return c
    }()

    public static func validate(_ c: Config) -> String? {
        if !(10...100_000).contains(c.pretrainPerTask) || !(10...100_000).contains(c.evaluationPerTask) {
            return "pretrainPerTask and evaluationPerTask must be in 10…100,000"
        }
        if !(1...100_000).contains(c.pretrainEpochs) { return "pretrainEpochs must be in 1…100,000" }
        if !(c.pretrainLearningRate > 0 && c.pretrainLearningRate <= 10) { return "pretrainLearningRate must be in (0, 10]" }
        if !(c.pixelNoise >= 0 && c.pixelNoise <= 2) { return "pixelNoise must be in 0…2" }
        if !(1...100_000).contains(c.fineTuneSteps) || !(1...10_000).contains(c.batchSize) || !(2...1024).contains(c.groupSize) {
            return "fineTuneSteps must be in 1…100,000, batchSize in 1…10,000, groupSize in 2…1,024"
        }
        if !(2...64).contains(c.learningRates.count) || c.learningRates.contains(where: { !($0 > 0 && $0 <= 10) }) {
            return "learningRates needs 2…64 rates, each in (0, 10]"
        }
        if !(1...8).contains(c.hiddenWidths.count) || c.hiddenWidths.contains(where: { !(1...4096).contains($0) }) {
            return "hiddenWidths must list 1…8 widths in 1…4,096"
        }
        if !(c.minimumGain >= 0 && c.minimumGain <= 1) { return "minimumGain must be in 0…1" }
        if !(c.oracleMargin >= 0 && c.oracleMargin <= 1) { return "oracleMargin must be in 0…1" }
        if !(c.equivalenceMargin > 0 && c.equivalenceMargin <= 1) { return "equivalenceMargin must be in (0, 1]" }
        if !(1...100_000).contains(c.trainingLogEvery) { return "trainingLogEvery must be in 1…100,000" }
        if !(1...16).contains(c.methods.count) { return "methods must list 1…16 methods" }
        let named = resolve(c.methods)
        if let p = named.problem { return p }
        for (k, m) in named.methods.enumerated() {
            switch m.value {
            case let .rl(recipe):
                if recipe.kl != nil { return "method \(m.name): the bandit trainer applies no KL; set kl to null" }
                if recipe.advantage.needsCritic { return "method \(m.name): rl-razor has no critic, so the advantage cannot be gae" }
                if let p = recipe.problem() { return "method \(m.name): \(p)" }
            case let .sft(.policySamples(teacher)):
                guard (0..<k).contains(teacher), case .rl = named.methods[teacher].value else {
                    return "method \(m.name): its teacher (methods.\(teacher)) must be an RL method listed before it"
                }
            case .sft: break
            }
        }
        return nil
    }

    public static func workPerSeed(_ c: Config) -> Int { 1 + c.methods.count * c.learningRates.count }
}

/// A fine-tuning method of rl-razor, as a value. Its JSON form is `{"rl": <recipe>}` or `{"sft": <target>}`.
public enum RLRazorMethod: Codable, Equatable, Sendable {
    /// On-policy RL: `groupSize` sampled labels per image, binary reward, the recipe's advantage, objective and filter,
    /// one gradient step per batch (so every importance ratio is 1).
    case rl(Recipe)
    /// Supervised fine-tuning (cross-entropy) on a target.
    case sft(SFTTarget)

    private enum Keys: String, CodingKey { case rl, sft }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let r = try c.decodeIfPresent(Recipe.self, forKey: .rl) { self = .rl(r); return }
        self = .sft(try c.decode(SFTTarget.self, forKey: .sft))
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .rl(r): try c.encode(r, forKey: .rl)
        case let .sft(t): try c.encode(t, forKey: .sft)
        }
    }
}

/// What an SFT method imitates on each new-task image.
public enum SFTTarget: Codable, Equatable, Sendable {
    /// SFT-1: one label per parity (even → 0, odd → 1).
    case oneLabel
    /// SFT-2: two labels per parity, drawn at random (even → {0, 4}, odd → {1, 5}).
    case twoLabels
    /// Oracle SFT: the soft target q* ∝ π₀·1[correct] (the KL-closest correct distribution to the base).
    case oracle
    /// Labels sampled from the policy that the RL method at index `teacher` of the run's methods reached at the same
    /// learning rate (so a changed GRPO is still SFT on RL samples' teacher).
    case policySamples(teacher: Int)
}
