import Foundation
import Engine
import Models
import Environments
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

    public struct Config: ExperimentConfig, CountdownSchedule {
        /// The Countdown base (shared with negative-reinforcement).
        public var base = CountdownDesign.chosenBase
        /// RL steps of every method ("early" = the first 20%, "final" = the last 10%).
        public var steps = 100
        /// RL-pool problems per step.
        public var promptsPerStep = 16
        /// Samples per problem.
        public var groupSize = 8
        /// Adam learning rate of every method (no weight decay, gradient norm ≤ 1).
        public var learningRate: Float = 5e-5
        /// Optimizer steps per batch of rollouts (> 1: later ones are off-policy, so importance ratios and clipping act).
        public var minibatches = 2
        /// Test problems the final models are evaluated on (pass@1 from `evaluationSamples` samples each).
        public var evaluationProblems = 128
        public var evaluationSamples = 8
    }

    public static let methods: [CountdownMethod] = [.raft, .raftPlusPlus, .raftImportance, .reinforce, .reinforceRej,
                                                    .rejectAllWrong, .rejectAllCorrect, .grpo, .drGRPO]

    public static let defaultConfig = Config()
    /// Quick: 12 steps of 8 problems × 8 samples, 32 test problems × 4 samples; every method and claim.
    public static let quickConfig: Config = {
        var c = Config()
        c.steps = 12; c.promptsPerStep = 8
        c.evaluationProblems = 32; c.evaluationSamples = 4
        return c
    }()

    public static func validate(_ c: Config) -> String? { c.scheduleProblem(minimumSamples: 1) }

    public static func workPerSeed(_ c: Config) -> Int { methods.count * (c.steps + 1) }

    /// Why claims 1a, 1b, 2, 3a, 3b and 4 are marked not reproduced (the long form is the report's section of that name).
    static let tooCloseToCall = "at the toy's budget the methods' reward curves differ by less than the seed-to-seed spread of the statistic (default run: final rewards 0.28–0.31 for every method but REINFORCE ±1, sd 0.01–0.05 over seeds), so the claim's direction does not hold in every seed; see the section \"Why most claims are not reproduced\"."
    static let whyNotReproduced = """
    One claim holds: RAFT++ ends with lower token entropy than GRPO in every seed (1c). The others are not reproduced: \
    in 100 steps of 16 × 8 samples the methods that filter or reweight samples all reach final training rewards of \
    0.28–0.31 (≈ 0.24 over the first 20 steps), and their differences (a point or two) are smaller than the spread over seeds \
    (sd 0.01–0.05 for the mean over the last 10 steps), so RAFT++ is not ahead early (1a: −0.002, 1 of 3 seeds), \
    GRPO does not reach RAFT++'s final reward within a point (1b: −0.012), Reinforce-Rej does not match GRPO within \
    2 points in every seed (3a: −0.007 on average, 1 of 3 seeds) and its KL to the base is 1.13× GRPO's (3b), and \
    unclipped importance ratios do not end below RAFT++ in every seed (4: −0.007, 2 of 3). The clearest effect is the one \
    behind claim 2: plain REINFORCE with ±1 rewards ends at 0.249 while Reinforce-Rej reaches 0.292 and dropping only \
    the all-wrong groups 0.310 — the all-wrong groups are what hurts REINFORCE, as the paper says — but the REINFORCE → \
    Reinforce-Rej gap is below the 3-point precondition in one seed, so claim 2 is inconclusive.

    What was tried: 60 steps at the same learning rate (every claim failed or was inconclusive; final rewards 0.24–0.29), \
    then 100 steps (the default, which is what the 15-minute budget allows for nine methods × three seeds); the learning \
    rate was chosen with negative-reinforcement's probes (5e-5; 1e-4 moved the training reward no faster and hurt \
    held-out accuracy; 2e-4 collapsed NSR). The paper's separations appear over hundreds of steps with 1,024 samples \
    per step; at the toy's scale they would need several times the budget or more seeds.
    """

    public static let claims: [ClaimSpec] = [
        ClaimSpec(id: "1a", description: "RAFT++ learns faster early than GRPO",
                  statistic: "mean training reward (share correct) over the first 20% of steps, RAFT++ − GRPO", direction: .above(0), kind: .perSeed, notReproduced: tooCloseToCall),
        ClaimSpec(id: "1b", description: "GRPO catches up: its final reward is at least RAFT++'s − 1 point",
                  statistic: "mean training reward over the last 10% of steps, GRPO − RAFT++", direction: .atLeast(-0.01), kind: .perSeed, notReproduced: tooCloseToCall),
        ClaimSpec(id: "1c", description: "RAFT++'s entropy collapses below GRPO's",
                  statistic: "token entropy over the last 10% of steps, RAFT++ − GRPO", direction: .below(0), kind: .perSeed),
        ClaimSpec(id: "2", description: "Dropping only the all-wrong groups recovers at least half of the REINFORCE → Reinforce-Rej gain",
                  statistic: "[final reward(drop all-wrong only) − final reward(REINFORCE)] / [final reward(Reinforce-Rej) − final reward(REINFORCE)]",
                  direction: .atLeast(0.5), kind: .perSeed,
                  precondition: "the REINFORCE → Reinforce-Rej final-reward gap is ≥ 3 points", notReproduced: tooCloseToCall),
        ClaimSpec(id: "3a", description: "Reinforce-Rej matches GRPO: final reward at least GRPO's − 2 points (paper: 56.4 vs 56.3)",
                  statistic: "final training reward, Reinforce-Rej − GRPO", direction: .atLeast(-0.02), kind: .perSeed, notReproduced: tooCloseToCall),
        ClaimSpec(id: "3b", description: "Reinforce-Rej is at least as KL-efficient as GRPO: its final KL to the base is at most 1.1 × GRPO's",
                  statistic: "KL(π ‖ base) over the last 10% of steps, Reinforce-Rej / GRPO", direction: .atMost(1.1), kind: .perSeed, notReproduced: tooCloseToCall),
        ClaimSpec(id: "4", description: "Importance ratios without clipping hurt: RAFT+IS (no clip) ends below RAFT++",
                  statistic: "final training reward, RAFT+IS (no clip) − RAFT++", direction: .below(0), kind: .perSeed, notReproduced: tooCloseToCall),
    ]

    nonisolated(unsafe) static var shared: CountdownShared? = nil

    public static func prepare(config c: Config, context: RunContext) throws {
        shared = try CountdownShared.prepare(c.base, problems: c.evaluationProblems, samples: c.evaluationSamples, experiment: name, context: context)
    }

    public typealias SeedResult = CountdownSeedResult

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        try shared!.runSeed(c, methods: methods, seed: seed, experiment: name, withReference: true, context: context)
    }

    // MARK: Analysis

    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        guard let base = results.first?.base else { return a }
        let runs = results.map(\.runs)
        var final = CSVTable(columns: ["method", "seed", "early_reward", "final_reward", "final_entropy", "final_kl_to_base", "test_accuracy"])
        for (seed, r) in zip(seeds, results) {
            for run in r.runs {
                final.append([.string(run.method.slug), .int(seed), CSVValue(run.early(0.2, \.accuracy)), CSVValue(run.final(0.1, \.accuracy)),
                              CSVValue(run.final(0.1, \.entropy)), CSVValue(run.final(0.1, \.kl)), CSVValue(run.evaluation?.accuracy)])
            }
        }
        final.append(["base", "shared", .missing, .missing, .missing, .missing, .double(base.accuracy)])
        a.tables = [("summary", final), ("training", CountdownOutputs.trainingTable(seeds: seeds, runs: runs))]

        func perSeed(_ statistic: (SeedResult) -> Double?, precondition: (SeedResult) -> String? = { _ in nil }) -> ClaimEvidence {
            let failed = results.map(precondition)
            return .perSeed(values: zip(results, failed).map { r, f in f == nil ? statistic(r) : nil }, preconditionFailed: failed)
        }
        func early(_ r: SeedResult, _ m: CountdownMethod) -> Double? { r.run(m)?.early(0.2, \.accuracy) }
        func finalReward(_ r: SeedResult, _ m: CountdownMethod) -> Double? { r.run(m)?.final(0.1, \.accuracy) }
        func diff(_ x: Double?, _ y: Double?) -> Double? { x.flatMap { x in y.map { x - $0 } } }
        a.evidence["1a"] = perSeed { diff(early($0, .raftPlusPlus), early($0, .grpo)) }
        a.evidence["1b"] = perSeed { diff(finalReward($0, .grpo), finalReward($0, .raftPlusPlus)) }
        a.evidence["1c"] = perSeed { diff($0.run(.raftPlusPlus)?.final(0.1, \.entropy), $0.run(.grpo)?.final(0.1, \.entropy)) }
        func gap(_ r: SeedResult) -> Double? { diff(finalReward(r, .reinforceRej), finalReward(r, .reinforce)) }
        a.evidence["2"] = perSeed({ r in gap(r).flatMap { g in diff(finalReward(r, .rejectAllWrong), finalReward(r, .reinforce)).map { $0 / g } } },
                                  precondition: { r in
                                      guard let g = gap(r) else { return nil }
                                      return g >= 0.03 ? nil : String(format: "the REINFORCE → Reinforce-Rej gap is %.3f < 0.03", g)
                                  })
        a.evidence["3a"] = perSeed { diff(finalReward($0, .reinforceRej), finalReward($0, .grpo)) }
        a.evidence["3b"] = perSeed { r in r.run(.reinforceRej)?.final(0.1, \.kl).flatMap { x in r.run(.grpo)?.final(0.1, \.kl).map { x / $0 } } }
        a.evidence["4"] = perSeed { diff(finalReward($0, .raftImportance), finalReward($0, .raftPlusPlus)) }

        let reward = LinePlot(title: "minimalist-rl: training reward", xLabel: "step", yLabel: "share of samples correct (5-step mean)",
                              series: CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.accuracy), width: 760, height: 500).svg()
        let entropy = LinePlot(title: "minimalist-rl: token entropy of the samples", xLabel: "step", yLabel: "mean token entropy (nats, 5-step mean)",
                               series: CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.entropy), width: 760, height: 500).svg()
        // reward against KL: one point per step (both 5-step means), per method
        let rewardSeries = CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.accuracy)
        let klSeries = CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.kl)
        let rewardVsKL = zip(rewardSeries, klSeries).map { r, k in
            Series(name: r.name, points: zip(k.points, r.points).map { ($0.y, $1.y) }, color: r.color)
        }
        let klPlot = LinePlot(title: "minimalist-rl: reward vs KL to the base", xLabel: "KL(π ‖ base) per token (k3, 5-step mean)",
                              yLabel: "share of samples correct (5-step mean)", series: rewardVsKL, width: 760, height: 500).svg()
        a.figures = [("training_reward", "Share of the training samples that are correct per step (5-step running mean, mean over seeds)", reward),
                     ("entropy", "Mean token entropy of the training samples per step (5-step running mean, mean over seeds)", entropy),
                     ("reward_vs_kl", "Training reward against the KL to the base along training (each point a step; mean over seeds)", klPlot)]
        a.reportSections = report(c, base: base, results: results)
        return a
    }

    static func report(_ c: Config, base: CountdownEvaluation, results: [SeedResult]) -> [(title: String, markdown: String)] {
        guard let s = shared else { return [] }
        var md = "Training reward is the share of the step's \(c.promptsPerStep) × \(c.groupSize) samples that are correct; early = first 20% of the \(c.steps) steps, final = last 10%; mean ± sd over \(results.count) seeds. Test accuracy: \(c.evaluationProblems) held-out problems × \(c.evaluationSamples) samples (base \(String(format: "%.3f", base.accuracy))).\n\n"
        md += "| method | early reward | final reward | final entropy | final KL to base | test accuracy |\n|---|---|---|---|---|---|\n"
        for m in methods {
            let rs = results.compactMap { $0.run(m) }
            md += "| \(m.name) | \(Statistics.meanSD(rs.compactMap { $0.early(0.2, \.accuracy) })) | \(Statistics.meanSD(rs.compactMap { $0.final(0.1, \.accuracy) })) | "
                + "\(Statistics.meanSD(rs.compactMap { $0.final(0.1, \.entropy) })) | \(Statistics.meanSD(rs.compactMap { $0.final(0.1, \.kl) })) | "
                + "\(Statistics.meanSD(rs.compactMap { $0.evaluation?.accuracy })) |\n"
        }
        md += """

        Paper (Qwen2.5-Math-7B, average over five math benchmarks, their Table 1): base 23.6, RAFT 52.3, RAFT++ 56.1, GRPO 56.3, \
        Reinforce-Rej 56.4, PPO 52.5. Their curves: RAFT++ leads for the first ~100 steps, then its entropy collapses and GRPO \
        overtakes it; REINFORCE trails GRPO, and removing the all-wrong prompts closes most of that gap (removing the all-correct \
        ones does little); mean-subtraction costs KL, dividing by the std adds little; importance sampling without clipping is \
        worse than none.

        """
        let b = s.task.config
        let setup = """
        **Task and base**: as in negative-reinforcement (the same committed base, `Experiments/CountdownRL/base.ckpt`, \
        configuration hash \(CountdownBase.hash(b))): Countdown with \(b.task.numberCount) numbers from \(b.task.lowestNumber)–\
        \(b.task.highestNumber), targets \(b.task.lowestTarget)–\(b.task.highestTarget), a \(b.layers)-layer d \(b.modelWidth) transformer \
        supervised on solver solutions.

        **RL**, from the base, every method on the same schedule: \(c.steps) steps × \(c.promptsPerStep) RL-pool problems × \(c.groupSize) \
        samples at temperature 1, rewards ±1 (as in the paper; its released code uses {0, 1}); Adam lr \(c.learningRate), no weight \
        decay, gradient norm ≤ 1; each batch of rollouts split into \(c.minibatches) optimizer steps, so later minibatches are \
        off-policy and importance ratios matter; no KL term, no entropy bonus; token-mean aggregation. RAFT: cross-entropy on the \
        correct samples (no ratio); RAFT++: the same with the clipped ratio (PPO-clip, ε = 0.2); RAFT+IS: the ratio without clip; \
        REINFORCE: A = r on every sample, clipped ratio; Reinforce-Rej: the same with the groups whose samples are all wrong or all \
        right removed from the batch; its ablations remove only the all-wrong or only the all-correct groups; GRPO: \
        (r − mean) / (std + ε) per group, clipped; Dr.GRPO: r − mean, token sum over a constant (the minibatch's maximum token count). \
        KL to the base is the mean k3 estimate on each step's samples (a diagnostic, never in the loss).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md), ("Why most claims are not reproduced", whyNotReproduced)]
    }
}
