import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

/// dpo-family: what offline preference optimisation does to a policy whose parameters are shared across responses:
/// likelihood displacement (Razin et al. 2024), mass on responses absent from the data (Xu et al. 2024), and DPO's
/// vanishing regularisation under deterministic preferences (Azar et al. 2023).
public enum DPOFamily: Experiment {
    public static let name = "dpo-family"
    public static let claim = "Under DPO the chosen responses' likelihood falls while the margin grows, mass moves to responses that appear in no preference pair (more than under RLHF with a KL penalty), and with deterministic preferences DPO's KL to the reference keeps growing while IPO's plateaus."
    public static let paper = "Rafailov et al. 2023 (DPO); Razin et al. 2024 (likelihood displacement); Xu et al. 2024, \"Is DPO Superior to PPO for LLM Alignment?\"; Azar et al. 2023 (IPO)"
    public static let defaultRuntime = "~1.5 min"
    public static let defaultSeeds = 5
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    /// How the offline pairs are labelled.
    public enum Labels: String, Codable, CaseIterable, Sendable {
        /// Bradley–Terry on the gold reward (β = 1).
        case bradleyTerry = "bradley-terry"
        /// The better gold reward always wins (IPO's setting).
        case deterministic

        var config: PreferenceBanditLabelConfig { self == .bradleyTerry ? .clean : .deterministic }
        var label: String { self == .bradleyTerry ? "Bradley–Terry labels" : "deterministic labels" }
    }

    /// RLHF: a reward model fitted to the same pairs, then a KL-regularised policy gradient on its reward
    /// (r̂ − β·log(π/π_ref) in the reward, leave-one-out baseline, PPO's clipped surrogate).
    public struct RLHF: Codable, Equatable, Sendable {
        /// β of the KL penalty in the reward (the same β as DPO's, so both target π_ref · exp(r/β)). Valid: finite, ≥ 0.
        public var klCoefficient = 0.1
        /// The reward model (linear Bradley–Terry on the pairs by default). Valid: what
        /// `PreferenceBanditRewardModelConfig.problem()` accepts.
        public var rewardModel = PreferenceBanditRewardModelConfig()
        public init(klCoefficient: Double = 0.1, rewardModel: PreferenceBanditRewardModelConfig = PreferenceBanditRewardModelConfig()) {
            self.klCoefficient = klCoefficient; self.rewardModel = rewardModel
        }
    }

    /// A method of the comparison: an offline objective on the pairs, or RLHF. Its JSON form is a record with both
    /// keys, one of them null — `{"objective": {"dpo": {"beta": 0.1}}, "rlhf": null}` — so `--set
    /// methods.0.objective=robustDPO(beta=0.1,labelSmoothing=0.1)` swaps an objective and the method is then named
    /// `dpo[objective=robustDPO(beta=0.1,labelSmoothing=0.1)]`, and `--set methods.7.rlhf.klCoefficient=0.05` names
    /// it `rlhf[rlhf.klCoefficient=0.05]`.
    public enum PreferenceMethod: Codable, Equatable, Sendable {
        case objective(PreferenceObjective)
        case rlhf(RLHF)

        enum CodingKeys: String, CodingKey { case objective, rlhf }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let objective = try c.decodeIfPresent(PreferenceObjective.self, forKey: .objective)
            let rlhf = try c.decodeIfPresent(RLHF.self, forKey: .rlhf)
            switch (objective, rlhf) {
            case let (o?, nil): self = .objective(o)
            case let (nil, r?): self = .rlhf(r)
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "a method has exactly one of 'objective' and 'rlhf'"))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .objective(o): try c.encode(o, forKey: .objective); try c.encodeNil(forKey: .rlhf)
            case let .rlhf(r): try c.encodeNil(forKey: .objective); try c.encode(r, forKey: .rlhf)
            }
        }

        var isRLHF: Bool { if case .rlhf = self { return true } else { return false } }

        /// The first parameter out of its valid range, or nil.
        func problem() -> String? {
            switch self {
            case let .objective(o):
                func positive(_ x: Double) -> Bool { x > 0 && x <= 1000 }
                switch o {
                case let .dpo(b), let .ipo(b), let .hinge(b), let .kto(b):
                    return positive(b) ? nil : "β must be in (0, 1000]"
                case let .cdpo(b, e), let .robustDPO(b, e):
                    return positive(b) && e >= 0 && e < 0.5 ? nil : "β must be in (0, 1000], labelSmoothing in [0, 0.5)"
                case let .simpo(b, g):
                    return positive(b) && Swift.abs(g) <= 1000 ? nil : "SimPO's β must be in (0, 1000], γ in [−1000, 1000]"
                case let .orpo(l):
                    return l >= 0 && l <= 1000 ? nil : "ORPO's λ must be in [0, 1000]"
                }
            case let .rlhf(r):
                if !(r.klCoefficient >= 0 && r.klCoefficient <= 1000) { return "rlhf.klCoefficient must be in [0, 1000]" }
                return r.rewardModel.problem().map { "rlhf.rewardModel: \($0)" }
            }
        }
    }

    /// The methods by name (the CSVs' `method` column, and the random streams' names) and label (the figures'
    /// legends), with TRL's and the papers' defaults: β 0.1 for DPO, IPO, cDPO, hinge and KTO (TRL's DPOConfig /
    /// KTOConfig), cDPO's label smoothing 0.1, SimPO's β 2 and γ 1 (the SimPO repository's Llama-3-8B-Base setting),
    /// ORPO's λ 0.1 (TRL's ORPOConfig.beta), and RLHF's KL coefficient 0.1 with a linear reward model.
    public static let catalogue = MethodCatalogue<PreferenceMethod>([
        .init("dpo", label: "DPO", .objective(.dpo(beta: 0.1))),
        .init("ipo", label: "IPO", .objective(.ipo(beta: 0.1))),
        .init("cdpo", label: "cDPO", .objective(.cdpo(beta: 0.1, labelSmoothing: 0.1))),
        .init("hinge", label: "hinge", .objective(.hinge(beta: 0.1))),
        .init("simpo", label: "SimPO", .objective(.simpo(beta: 2.0, gamma: 1.0))),
        .init("orpo", label: "ORPO", .objective(.orpo(lambda: 0.1))),
        .init("kto", label: "KTO", .objective(.kto(beta: 0.1))),
        .init("rlhf", label: "RLHF", .rlhf(RLHF())),
    ])

    /// A method's kind: its objective's case (`dpo`, `robustDPO`, …) or `rlhf`; a changed value is named after the
    /// nearest catalogue entry of its kind when there is one.
    static func kind(_ m: PreferenceMethod) -> String {
        switch m {
        case let .objective(o): return Mirror(reflecting: o).children.first?.label ?? "objective"
        case .rlhf: return "rlhf"
        }
    }

    /// The methods of a run, named (`catalogue.resolve` among the entries of the same kind).
    static func resolve(_ methods: [PreferenceMethod]) -> (methods: [NamedMethod<PreferenceMethod>], problem: String?) {
        catalogue.resolve(methods, kind: kind)
    }

    public static func methodNames(_ c: Config) -> [String] { resolve(c.methods).methods.map(\.name) }
    public static var methodExamples: [String] {
        ["--set 'methods.0.objective=robustDPO(beta=0.1,labelSmoothing=0.1)'", "--set methods.7.rlhf.klCoefficient=0.05"]
    }

    public struct Config: ExperimentConfig {
        /// The PreferenceBandit instance (contexts, responses, features; π_ref misaligned with gold). The pairs' support
        /// is π_ref's `supportSize` most likely responses per context, so the other responses never appear in the data.
        /// Valid: any instance `PreferenceBanditConfig.problem()` accepts.
        public var bandit: PreferenceBanditConfig = {
            var b = PreferenceBanditConfig.standard
            b.supportSize = 8
            b.supportRule = .referenceMostLikely
            return b
        }()
        /// Offline pairs per training context, drawn from π_ref over the support. Valid: 1…10_000.
        public var pairsPerContext = 16
        /// Hidden widths of the feature policy's f_θ (empty = log-linear: π ∝ π_ref · exp(θ · φ)). Valid: each 1…4096,
        /// at most 8 layers.
        public var policyHiddenSizes: [Int] = []
        /// Adam steps of every method (offline and RLHF alike). Valid: 2…1_000_000.
        public var steps = 600
        /// Pairs per offline step (drawn with replacement). Valid: 1…100_000.
        public var batchSize = 64
        /// Adam learning rate of every offline objective and of RLHF's policy. Valid: (0, 10].
        public var learningRate = 0.01
        /// Steps between measurements (the trajectories' resolution). Valid: 1…steps.
        public var measureEvery = 10
        /// The methods, run in this order on both policies (default: the catalogue). Valid: 1…32 methods, no value
        /// twice, every parameter in its range (β > 0, label smoothing in [0, 0.5), ORPO's λ ≥ 0, RLHF's KL ≥ 0).
        public var methods: [PreferenceMethod] = catalogue.values
        /// RLHF on the feature policy: training contexts and samples per context per step (the sequence policy's are
        /// `sequence.rlhfPromptsPerStep` and `sequence.rlhfGroupSize`). Valid: contexts 1…10_000; group 2…1024.
        public var rlhfContextsPerStep = 32
        public var rlhfGroupSize = 8
        /// The sequence policy's instance, transformer, reference SFT and training (the methods are `methods`).
        /// Valid: what `SequencePolicyConfig.problem()` accepts.
        public var sequence = SequencePolicyConfig()
    }

    public static let defaultConfig = Config()
    /// Quick: the feature policy exactly as the default (it runs in seconds, and claims 3a–3b compare the KL at the end
    /// of training with the KL at mid-training, so a shortened run would measure a different point of the curve). The
    /// sequence policy is shrunk to fit half a minute: fewer contexts, a shorter reference SFT at a higher learning
    /// rate, fewer steps per method at twice the learning rate with smaller batches, coarser measurements and fewer
    /// strings per context for the sampled KL (NOTES.md has what this configuration measured).
    public static let quickConfig: Config = {
        var c = Config()
        c.sequence.bandit.contextCount = 32
        c.sequence.bandit.testContextCount = 6; c.sequence.bandit.validationContextCount = 6
        c.sequence.baseSteps = 1500
        c.sequence.baseLearningRate = 6e-3
        c.sequence.steps = 150
        c.sequence.learningRate = 2e-3
        c.sequence.batchSize = 16
        c.sequence.rlhfPromptsPerStep = 8
        c.sequence.measureEvery = 25
        c.sequence.klSamplesPerContext = 32
        return c
    }()

    public static func validate(_ c: Config) -> String? {
        if let p = c.bandit.problem() { return p }
        if c.bandit.supportSize == 1 { return "bandit.supportSize must be 0 or ≥ 2" }
        if c.bandit.testContextCount < 1 || c.sequence.bandit.testContextCount < 1 {
            return "bandit.testContextCount and sequence.bandit.testContextCount must be ≥ 1 (the gold reward is measured on test contexts)"
        }
        if !(1...10_000).contains(c.pairsPerContext) { return "pairsPerContext must be in 1…10_000" }
        if !(2...1_000_000).contains(c.steps) { return "steps must be in 2…1_000_000" }
        if !(1...100_000).contains(c.batchSize) { return "batchSize must be in 1…100_000" }
        if !(1...c.steps).contains(c.measureEvery) { return "measureEvery must be in 1…steps" }
        if !(c.learningRate > 0 && c.learningRate <= 10) { return "learningRate must be in (0, 10]" }
        if !(1...10_000).contains(c.rlhfContextsPerStep) || !(2...1024).contains(c.rlhfGroupSize) {
            return "rlhfContextsPerStep must be in 1…10_000 and rlhfGroupSize in 2…1024"
        }
        if c.policyHiddenSizes.count > 8 || c.policyHiddenSizes.contains(where: { !(1...4096).contains($0) }) {
            return "policyHiddenSizes must be at most 8 widths, each in 1…4096"
        }
        if !(1...32).contains(c.methods.count) { return "methods must list 1…32 methods" }
        let named = resolve(c.methods)
        if let p = named.problem { return p }
        for m in named.methods { if let p = m.value.problem() { return "method \(m.name): \(p)" } }
        return c.sequence.problem()
    }

    public static func workPerSeed(_ c: Config) -> Int { 1 + PolicyKind.allCases.count * Labels.allCases.count * c.methods.count }
}
