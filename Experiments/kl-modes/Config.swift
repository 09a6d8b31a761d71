import Foundation
import Engine
import Environments
import Harness

/// kl-modes: forward vs reverse KL and forgetting ("Retaining by Doing", Chen et al., Princeton 2025).
public enum KLModes: Experiment {
    public static let name = "kl-modes"
    public static let claim = "RL (reverse KL, mode-seeking) forgets less than SFT (forward KL, mode-covering) when the initial policy is multi-modal; with a uni-modal initial policy SFT forgets less."
    public static let paper = "Chen et al., \"Retaining by Doing: The Role of On-Policy Data in Mitigating Forgetting\" (Princeton, 2025), simulation/"
    public static let defaultRuntime = "~5 s"
    public static let defaultSeeds = 5
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    /// The two learners by name (the CSVs' `variant` column after the initial model, and the random streams' names)
    /// and label (figures): forward KL as in the paper, reverse KL with the paper's β = 0.1.
    public static let catalogue = MethodCatalogue<KLLearner>([
        .init("forward", label: "forward KL (SFT-like)", .forward),
        .init("reverse", label: "reverse KL (RL-like)", .reverse(beta: 0.1)),
    ])

    /// The learners of a run, named among the entries of their kind (a reverse learner with another β is
    /// `reverse[beta=…]`).
    static func resolve(_ learners: [KLLearner]) -> (methods: [NamedMethod<KLLearner>], problem: String?) {
        catalogue.resolve(learners, kind: { $0.isForward ? "forward" : "reverse" })
    }

    public static func methodNames(_ c: Config) -> [String] { resolve(c.learners).methods.map(\.name) }
    public static let methodExamples = [
        "--set learners.1.reverse.beta=0.5          # reverse KL with β = 0.5, named reverse[beta=0.5]; claims 1–3 inconclusive",
        "--set 'learners=[\"forward\",\"reverse(beta=0.1)\",\"reverse(beta=1)\"]'   # a β sweep beside the defaults",
    ]

    public struct Config: ExperimentConfig {
        /// GridDensity points for densities and overlaps (paper: 500). Valid: 2…100,000.
        public var gridPoints = 500
        /// Samples per iteration (paper: 1,000). Valid: 1…1,000,000.
        public var samples = 1000
        /// Iterations from the bimodal initial model (paper: 200). Valid: 1…1,000,000.
        public var bimodalIterations = 200
        /// Iterations from the uni-modal initial model (paper: 1,000). Valid: 1…1,000,000.
        public var unimodalIterations = 1000
        /// The learners, run in this order (default: forward, then reverse with β = 0.1). Valid: 1…8 distinct learners,
        /// every β in (0, 1000].
        public var learners: [KLLearner] = KLModes.catalogue.values
        /// Forward-KL learning rates from the bimodal init (paper: 0.15 and 0.01). Valid: 1…32 rates, each in (0, 10]
        /// (the same for every rate list).
        public var bimodalForwardRates: [Double] = [0.01, 0.02, 0.05, 0.1, 0.15, 0.3]
        /// Reverse-KL learning rates from the bimodal init (paper: 0.01).
        public var bimodalReverseRates: [Double] = [0.0025, 0.005, 0.01, 0.02]
        /// Forward-KL learning rates from the uni-modal init (paper: 0.05).
        public var unimodalForwardRates: [Double] = [0.025, 0.05, 0.1]
        /// Reverse-KL learning rates from the uni-modal init (paper: 0.005).
        public var unimodalReverseRates: [Double] = [0.0025, 0.005, 0.01]
        /// New-mode Gain at which Drop is read (paper: 0.9). Valid: (0, 1).
        public var gainLevel = 0.9
        /// Learning-rate multiplier of the old-mode parameters π₁, μ₁, σ₁ (paper: 0.005). Valid: [0, 1].
        public var slowFactor = 0.005
        /// Rows per run kept in trajectories.csv (evenly spaced; the claims use every iteration). Valid: 2…1,000,000.
        public var trajectoryRows = 51

        /// The learning-rate sweep of a learner (by its kind) from an initial model.
        func rates(_ m: GridInitialModel, _ l: KLLearner) -> [Double] {
            switch (m, l.isForward) {
            case (.bimodal, true): return bimodalForwardRates
            case (.bimodal, false): return bimodalReverseRates
            case (.unimodal, true): return unimodalForwardRates
            case (.unimodal, false): return unimodalReverseRates
            }
        }
        func iterations(_ m: GridInitialModel) -> Int { m == .bimodal ? bimodalIterations : unimodalIterations }
    }

    public static let defaultConfig = Config()
    /// Quick: the paper's own learning rates only (every learner and initial model kept).
    public static let quickConfig: Config = {
        var c = Config()
        c.bimodalForwardRates = [0.01, 0.15]; c.bimodalReverseRates = [0.01]
        c.unimodalForwardRates = [0.05]; c.unimodalReverseRates = [0.005]
        return c
    }()

    /// The paper's learning rates, by initial model and learner kind (forward?), for the figures and the table.
    static func paperRate(_ m: GridInitialModel, _ l: KLLearner) -> Double {
        switch (m, l.isForward) {
        case (.bimodal, true): return 0.15
        case (.bimodal, false): return 0.01
        case (.unimodal, true): return 0.05
        case (.unimodal, false): return 0.005
        }
    }

    public static func validate(_ c: Config) -> String? {
        if !(2...100_000).contains(c.gridPoints) { return "gridPoints must be in 2…100,000" }
        if !(1...1_000_000).contains(c.samples) || !(1...1_000_000).contains(c.bimodalIterations) || !(1...1_000_000).contains(c.unimodalIterations) {
            return "samples, bimodalIterations and unimodalIterations must be in 1…1,000,000"
        }
        let lists = [c.bimodalForwardRates, c.bimodalReverseRates, c.unimodalForwardRates, c.unimodalReverseRates]
        if lists.contains(where: { !(1...32).contains($0.count) }) { return "every learning-rate list needs 1…32 rates" }
        if lists.joined().contains(where: { !($0 > 0 && $0 <= 10) }) { return "learning rates must be in (0, 10]" }
        if !(c.gainLevel > 0 && c.gainLevel < 1) { return "gainLevel must lie in (0, 1)" }
        if !(c.slowFactor >= 0 && c.slowFactor <= 1) { return "slowFactor must be in [0, 1]" }
        if !(2...1_000_000).contains(c.trajectoryRows) { return "trajectoryRows must be in 2…1,000,000" }
        if !(1...8).contains(c.learners.count) { return "learners must list 1…8 learners" }
        for l in c.learners { if case let .reverse(beta) = l, !(beta > 0 && beta <= 1000) { return "every reverse learner's beta must be in (0, 1000]" } }
        return resolve(c.learners).problem
    }

    /// One progress unit per run (learner × initial model × learning rate).
    public static func workPerSeed(_ c: Config) -> Int {
        GridInitialModel.allCases.reduce(0) { n, m in n + c.learners.reduce(0) { $0 + c.rates(m, $1).count } }
    }
}
