import Foundation
import Engine
import Environments
import Harness


/// arena-tournaments: ArenaRL's tournament topologies for ranking a group of samples with a noisy pairwise judge
/// (Alibaba / Amap, 2026).
public enum ArenaTournaments: Experiment {
    public static let name = "arena-tournaments"
    public static let claim = "Ranking a group by a seeded single-elimination tournament (O(N) judge calls) is nearly as accurate as round-robin and beats pointwise judge scores, whose within-group differences collapse under judge noise; bidirectional judging removes position bias."
    public static let paper = "Zhang et al., \"ArenaRL: Scaling RL for Open-Ended Agents via Tournament-based Relative Ranking\" (Alibaba / Amap, arXiv 2601.06487, 2026)"
    public static let defaultRuntime = "~6 s"
    public static let defaultSeeds = 5

    public struct Config: ExperimentConfig {
        /// The ranking topologies of the sweep, in order (default: all five). Valid: 1…5 distinct topologies.
        public var topologies: [Topology] = ArenaTournaments.topologyCatalogue.values
        /// Where the RL runs' group advantages come from, in order (default: tournament, pointwise, gold). Valid: 1…3
        /// distinct sources.
        public var advantageSources: [AdvantageSource] = ArenaTournaments.sourceCatalogue.values
        /// Group sizes N of the topology sweep (paper: groups of 8 and 16 trajectories). Valid: each 2…256.
        public var groupSizes = [8, 16]
        /// Judge noise levels σ: std of the judge's Gaussian perception noise per call, in the same units as quality.
        /// Valid: each finite, ≥ 0; must include 0.
        public var noiseLevels: [Double] = [0, 0.25, 0.5, 1, 2]
        /// Position bias b: quality bonus the judge gives the sample shown first (random orientation per comparison).
        /// Valid: finite.
        public var positionBias = 0.5
        /// Std of a group's context mean quality μ_c (what the pointwise judge's absolute scale must cover). Valid: finite, ≥ 0.
        public var contextSpread = 1.0
        /// Std s of gold quality within a group (q_i = μ_c + s·z_i). Valid: finite, > 0.
        public var withinGroupSpread = 1.0
        /// Groups per (group size, noise, judging, topology) cell and seed; the same groups in every cell. Valid: 2…1,000,000.
        public var groups = 2000
        /// Group size at which claims 1–3a are read. Valid: one of groupSizes.
        public var claimGroupSize = 16
        /// Judge noise at which claims 1 and 2 are read (equal to the within-group spread: hard but not hopeless). Valid: one
        /// of noiseLevels.
        public var claimNoise = 1.0
        /// Pointwise judge: the quality that lands mid-scale on its 1–10 scale. Valid: finite.
        public var pointwiseCenter = 0.0
        /// Pointwise judge: logistic slope per unit quality (1: its ten buckets span the population's quality range with
        /// buckets finer than the within-group spread). Valid: finite, > 0.
        public var pointwiseSlope = 1.0
        /// RL: contexts of the latent-quality bandit. Valid: 1…100,000.
        public var rlContexts = 32
        /// RL: responses per context (the tabular softmax policy's actions). Valid: 2…10,000.
        public var rlResponses = 16
        /// RL: samples per group (per context per step). Valid: 2…1,024.
        public var rlGroupSize = 8
        /// RL: policy-gradient steps (each updates every context once). The judge noise is the highest noise level.
        /// Valid: 1…1,000,000.
        public var rlSteps = 150
        /// RL: learning rate on the logits. Valid: finite, > 0.
        public var rlLearningRate = 0.5
        /// RL: evaluate the exact gold reward every this many steps. Valid: 1…rlSteps.
        public var rlEvalEvery = 5
    }

    /// The topologies by name (their command-line and CSV names).
    public static let topologyCatalogue = MethodCatalogue<Topology>(Topology.allCases.map { .init($0.rawValue, $0) })
    /// The RL runs' advantage sources by name.
    public static let sourceCatalogue = MethodCatalogue<AdvantageSource>(AdvantageSource.allCases.map { .init($0.rawValue, $0) })

    public static func methodNames(_ c: Config) -> [String] {
        topologyCatalogue.resolve(c.topologies).methods.map(\.name) + sourceCatalogue.resolve(c.advantageSources).methods.map { "rl/\($0.name)" }
    }
    public static let methodExamples = [
        "--set 'topologies=[\"round-robin\",\"swiss\"]'          # two topologies only; claims naming the others are inconclusive",
        "--set 'advantageSources=[\"tournament\",\"gold\"]'      # the RL runs without pointwise scores",
    ]
    public static var notesPath: String? { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("NOTES.md").path }

    public static let defaultConfig = Config()
    /// Quick: fewer groups per cell (every topology, judging mode, size and noise level kept), the same RL runs.
    public static let quickConfig: Config = {
        var c = Config()
        c.groups = 300
        return c
    }()

    public static func validate(_ c: Config) -> String? {
        if c.topologies.isEmpty { return "topologies must list at least one topology" }
        if let p = topologyCatalogue.resolve(c.topologies).problem { return p }
        if c.advantageSources.isEmpty { return "advantageSources must list at least one source" }
        if let p = sourceCatalogue.resolve(c.advantageSources).problem { return p }
        if c.groupSizes.contains(where: { $0 > 256 }) { return "groupSizes must be 2…256" }
        if c.groups > 1_000_000 || c.rlContexts > 100_000 || c.rlResponses > 10_000 || c.rlGroupSize > 1024 || c.rlSteps > 1_000_000 {
            return "groups must be ≤ 1,000,000, rlContexts ≤ 100,000, rlResponses ≤ 10,000, rlGroupSize ≤ 1,024, rlSteps ≤ 1,000,000"
        }
        if c.rlEvalEvery > c.rlSteps { return "rlEvalEvery must be 1…rlSteps" }
        if !c.rlLearningRate.isFinite { return "rlLearningRate must be finite" }
        if c.groupSizes.isEmpty || c.groupSizes.contains(where: { $0 < 2 }) { return "groupSizes needs at least one size, each ≥ 2" }
        if !c.groupSizes.contains(c.claimGroupSize) { return "claimGroupSize must be one of groupSizes" }
        if c.noiseLevels.isEmpty || c.noiseLevels.contains(where: { !$0.isFinite || $0 < 0 }) { return "noiseLevels must be finite and ≥ 0" }
        if !c.noiseLevels.contains(0) { return "noiseLevels must include 0 (claim 3a's precondition reads it)" }
        if !c.noiseLevels.contains(c.claimNoise) { return "claimNoise must be one of noiseLevels" }
        if !(Swift.abs(c.positionBias) <= 100) || !(c.contextSpread >= 0 && c.contextSpread <= 100) { return "positionBias must be in [−100, 100], contextSpread in [0, 100]" }
        if !(c.withinGroupSpread > 0 && c.withinGroupSpread <= 100) { return "withinGroupSpread must be in (0, 100]" }
        if c.groups < 2 { return "groups must be at least 2" }
        if !(Swift.abs(c.pointwiseCenter) <= 100) || !(c.pointwiseSlope > 0 && c.pointwiseSlope <= 100) { return "pointwiseCenter must be in [−100, 100], pointwiseSlope in (0, 100]" }
        if c.rlContexts < 1 || c.rlResponses < 2 || c.rlGroupSize < 2 || c.rlSteps < 1 || c.rlEvalEvery < 1 { return "RL sizes must be positive (responses and group size ≥ 2)" }
        if !(c.rlLearningRate > 0 && c.rlLearningRate <= 10) { return "rlLearningRate must be in (0, 10]" }
        return nil
    }

    public static func workPerSeed(_ c: Config) -> Int { c.groupSizes.count * c.noiseLevels.count + c.advantageSources.count }

}
