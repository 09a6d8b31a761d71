import Foundation
import Engine
import Objectives
import Harness
import Training

extension MinimalistRL {
    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        guard let base = results.first?.base else { return a }
        let runs = results.map(\.runs)
        let methods = catalogue.resolve(c.methods).methods
        var final = CSVTable(columns: ["method", "seed", "early_reward", "final_reward", "final_entropy", "final_kl_to_base", "test_accuracy"])
        for (seed, r) in zip(seeds, results) {
            for run in r.runs {
                final.append([.string(run.method.name), .int(seed), CSVValue(run.early(0.2, \.accuracy)), CSVValue(run.final(0.1, \.accuracy)),
                              CSVValue(run.final(0.1, \.entropy)), CSVValue(run.final(0.1, \.kl)), CSVValue(run.evaluation?.accuracy)])
            }
        }
        final.append(["base", "shared", .missing, .missing, .missing, .missing, .double(base.accuracy)])
        a.tables = [("summary", final), ("training", CountdownOutputs.trainingTable(seeds: seeds, runs: runs))]

        a.evidence = evidence(results: results)

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
        a.reportSections = report(c, methods: methods, base: base, results: results)
        return a
    }

    static func report(_ c: Config, methods: [NamedMethod<CountdownMethod>], base: CountdownEvaluation,
                       results: [SeedResult]) -> [(title: String, markdown: String)] {
        guard let s = shared else { return [] }
        var md = "Training reward is the share of the step's \(c.promptsPerStep) × \(c.groupSize) samples that are correct; early = first 20% of the \(c.steps) steps, final = last 10%; mean ± sd over \(results.count) seeds. Test accuracy: \(c.evaluationProblems) held-out problems × \(c.evaluationSamples) samples (base \(String(format: "%.3f", base.accuracy))).\n\n"
        md += "| method | early reward | final reward | final entropy | final KL to base | test accuracy |\n|---|---|---|---|---|---|\n"
        for m in methods {
            let rs = results.compactMap { $0.run(m.name) }
            md += "| \(m.label) | \(Statistics.meanSD(rs.compactMap { $0.early(0.2, \.accuracy) })) | \(Statistics.meanSD(rs.compactMap { $0.final(0.1, \.accuracy) })) | "
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
        **Task and base**: as in negative-reinforcement (the same committed base, `Sources/Training/Countdown/base.ckpt`, \
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

        **This run's methods** (name: value): \(methods.map { "`\($0.name)`: \(MethodJSON.render(MethodJSON.object($0.value)))" }.joined(separator: "; ")).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md)]
    }
}
