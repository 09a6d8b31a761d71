import Foundation
import Engine
import Objectives
import Harness
import Training

extension NegativeReinforcement {
    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        guard let base = results.first?.base else { return a }
        let runs = results.map(\.runs)
        let tables = CountdownOutputs.evaluationTables(base: base, seeds: seeds, runs: runs)
        a.tables = [("pass_at_k", tables.passAtK), ("diversity", tables.diversity),
                    ("training", CountdownOutputs.trainingTable(seeds: seeds, runs: runs))]
        a.evidence = evidence(config: c, results: results)
        let methods = catalogue.resolve(c.methods).methods
        a.figures = figures(c, methods: methods, base: base, results: results)
        a.reportSections = report(c, methods: methods, base: base, results: results)
        return a
    }

    static func evaluations(_ results: [SeedResult], _ m: NamedMethod<CountdownMethod>) -> [CountdownEvaluation] {
        results.compactMap { $0.run(m.name)?.evaluation }
    }

    /// The W-REINFORCE λ of a method (NSR is λ = 0), nil for the other advantages.
    static func lambda(_ m: CountdownMethod) -> Double? {
        switch m.advantage {
        case .nsr: return 0
        case let .wReinforce(l): return Double(l)
        default: return nil
        }
    }

    static func figures(_ c: Config, methods: [NamedMethod<CountdownMethod>], base: CountdownEvaluation,
                        results: [SeedResult]) -> [(name: String, caption: String, svg: String)] {
        let runs = results.map(\.runs)
        let passSeries = [Series(name: "base", points: zip(base.ks, base.passAtK).map { (Double($0), $1) }, dashed: true, markers: true, color: "#000000")]
            + methods.enumerated().map { k, m in
                let es = evaluations(results, m)
                return Series(name: m.label, points: base.ks.indices.map { j in (Double(base.ks[j]), Statistics.mean(es.map { $0.passAtK[j] })) },
                              markers: true, color: Palette.color(k))
            }
        let passPlot = LinePlot(title: "negative-reinforcement: pass@k on held-out Countdown problems", xLabel: "k", yLabel: "pass@k (unbiased)",
                                xScale: .log10, series: passSeries, width: 760, height: 500).svg()
        let gapSeries = methods.enumerated().map { k, m in
            let es = evaluations(results, m)
            return Series(name: m.label, points: base.ks.indices.map { j in (Double(base.ks[j]), Statistics.mean(es.map { $0.passAtK[j] }) - base.passAtK[j]) },
                          markers: true, color: Palette.color(k))
        }
        let gapPlot = LinePlot(title: "negative-reinforcement: pass@k minus the base's", xLabel: "k", yLabel: "pass@k − base pass@k",
                               xScale: .log10, series: gapSeries, width: 760, height: 500).svg()
        let entropy = LinePlot(title: "negative-reinforcement: token entropy of the samples during training", xLabel: "step",
                               yLabel: "mean token entropy (nats)", series: CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.entropy),
                               width: 760, height: 500).svg()
        let reward = LinePlot(title: "negative-reinforcement: training reward", xLabel: "step", yLabel: "share of samples correct (5-step mean)",
                              series: CountdownOutputs.stepSeries(methods, runs: runs, smoothing: 5, \.accuracy), width: 760, height: 500).svg()
        // the λ sweep: NSR (λ = 0) and every W-REINFORCE method of the run, by λ
        let sweepMethods = methods.compactMap { m in lambda(m.value).map { ($0, m) } }.enumerated()
            .sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        let largest = Swift.max(1, sweepMethods.map(\.0).max() ?? 1)
        func sweep(_ name: String, _ color: String, _ value: @escaping (CountdownEvaluation) -> Double) -> Series {
            Series(name: name, points: sweepMethods.map { ($0.0, Statistics.mean(evaluations(results, $0.1).map(value))) },
                   scatter: sweepMethods.flatMap { l, m in evaluations(results, m).map { (l, value($0)) } }, markers: true, color: color)
        }
        let sweepPlot = LinePlot(title: "negative-reinforcement: W-REINFORCE λ sweep (λ = 0 is NSR)", xLabel: "λ (weight of the positive samples)",
                                 yLabel: "pass@k", series: [sweep("pass@1", Palette.color(0)) { $0.passAtK[0] },
                                                            sweep("pass@\(c.evaluationSamples)", Palette.color(1)) { $0.passAtK.last! },
                                                            Series(name: "base pass@1", points: [(0, base.passAtK[0]), (largest, base.passAtK[0])], dashed: true, color: Palette.color(0)),
                                                            Series(name: "base pass@\(c.evaluationSamples)", points: [(0, base.passAtK.last!), (largest, base.passAtK.last!)], dashed: true, color: Palette.color(1))],
                                 width: 760, height: 500).svg()
        let sweepFigure = [("lambda_sweep", "W-REINFORCE λ sweep: pass@1 and pass@K (lines = mean, points = seeds); dashed = base", sweepPlot)]
        return [("pass_at_k", "pass@k (log k) of the base (dashed) and each method, mean over seeds", passPlot),
                ("pass_at_k_gap", "pass@k minus the base's pass@k, mean over seeds", gapPlot),
                ("entropy", "Mean token entropy of the training samples per step (5-step running mean, mean over seeds)", entropy),
                ("training_reward", "Share of the training samples that are correct per step (5-step running mean, mean over seeds)", reward)]
            + (sweepMethods.isEmpty ? [] : sweepFigure)
    }

    static func report(_ c: Config, methods: [NamedMethod<CountdownMethod>], base: CountdownEvaluation,
                       results: [SeedResult]) -> [(title: String, markdown: String)] {
        guard let s = shared else { return [] }
        let K = c.evaluationSamples
        let mid = base.ks.contains(16) ? 16 : base.ks[base.ks.count / 2]
        var md = "Held-out test set: \(base.problems) problems × \(K) samples at temperature 1; mean ± sd over \(results.count) seeds (the base is shared).\n\n"
        md += "| model | pass@1 | pass@\(mid) | pass@\(K) | final token entropy | distinct correct solutions / problem | problems never solved |\n|---|---|---|---|---|---|---|\n"
        md += String(format: "| base | %.3f | %.3f | %.3f | — | %.2f | %d |\n", base.passAtK[0], base.passAt(mid) ?? .nan, base.passAtK.last!,
                     base.meanDistinctCorrect, base.neverSolved)
        for m in methods {
            let es = evaluations(results, m)
            let ent = results.compactMap { $0.run(m.name)?.final(0.1, \.entropy) }
            md += "| \(m.label) | \(Statistics.meanSD(es.map { $0.passAtK[0] })) | \(Statistics.meanSD(es.compactMap { $0.passAt(mid) })) | "
                + "\(Statistics.meanSD(es.map { $0.passAtK.last! })) | \(Statistics.meanSD(ent)) | "
                + "\(Statistics.meanSD(es.map(\.meanDistinctCorrect))) | \(CountdownOutputs.mean(es.map { Double($0.neverSolved) })) |\n"
        }
        md += """

        Paper (Qwen2.5-Math-7B on MATH, pass@1 / pass@256, their Table 1 and λ sweep):

        | model | pass@1 | pass@256 |
        |---|---|---|
        | base | 63.2 | 96.9 |
        | PSR | 74.1 | 91.2 |
        | NSR | 75.7 | 96.9 |
        | W-REINFORCE (λ = 0.1) | 76.6 | 96.7 |
        | GRPO | 76.3 | 95.5 |
        | PPO | 76.6 | 96.3 |
        | λ = 0 (NSR) / 0.1 / 1 | 75.7 / 76.6 / 74.8 | 96.9 / 96.7 / 92.0 |

        """
        let b = s.task.config
        let lambdas = methods.compactMap { m -> String? in
            guard case let .wReinforce(l) = m.value.advantage else { return nil }
            return l == l.rounded() ? String(Int(l)) : String(format: "%g", Double(l))
        }
        let setup = """
        **Task.** Countdown: \(b.task.numberCount) numbers drawn from \(b.task.lowestNumber)–\(b.task.highestNumber), \
        a reachable target in \(b.task.lowestTarget)–\(b.task.highestTarget), the operations + − × ÷ with non-negative integer \
        intermediates, every number used exactly once; the answer is a list of steps `a op b = c`, checked by the total verifier. \
        Reward 1 for a correct answer, else 0. Problems with at most \(b.task.maxSolutions) distinct solutions only \
        (\(String(format: "%.2f", s.task.meanSolutionsPerProblem)) on average), split into three disjoint sets: \(b.testProblems) test \
        problems, an RL pool of \(b.rlProblems) problems, and the rest for the base's supervised data (\(b.trainProblems) draws with repeats).

        **The base** (shared with minimalist-rl): a \(b.layers)-layer, d \(b.modelWidth), \(b.heads)-head transformer with RoPE \
        (\(s.values.count) parameters) supervised for \(b.steps) steps × \(b.batchSize) (prompt, solution) pairs, the solution drawn \
        uniformly from the problem's distinct solver solutions (AdamW, peak lr \(b.peakLearningRate), warm-up and cosine decay), so it \
        keeps several ways to solve a problem. Saved in `Sources/Training/Countdown/base.ckpt` (configuration hash \(CountdownBase.hash(b)))\
        \(s.trainingSeconds.isFinite ? String(format: "; it took %.0f s to train on 2 cores", s.trainingSeconds) : "").

        **RL**, from the base, each method on the same schedule: \(c.steps) steps × \(c.promptsPerStep) RL-pool problems × \(c.groupSize) \
        samples at temperature 1; Adam lr \(c.learningRate) (no weight decay, gradient norm ≤ 1); each batch of rollouts split into \
        \(c.minibatches) optimizer steps; PPO-clip surrogate (ε = 0.2) with token-mean aggregation for every method, as the paper's \
        verl implementation does; no KL, no entropy bonus. PSR: A = r; NSR: A = r − 1; W-REINFORCE: A = λ if correct, −1 if wrong \
        (λ ∈ {\(lambdas.joined(separator: ", "))}; λ = 0 is NSR); GRPO: (r − mean) / (std + ε) per \
        group; PPO: a value head on its own copy of the base's trunk (Adam lr \(c.criticLearningRate)), GAE (γ = 1, λ = 0.95), whitened advantages.

        **Evaluation** on the first \(c.evaluationProblems) test problems, \(K) samples each at temperature 1: unbiased pass@k \
        (k = \(base.ks.map(String.init).joined(separator: ", "))); distinct correct solutions per problem among the \(K) samples (steps \
        reordered or operands swapped around + and × count as one solution); problems never solved. Token entropy is the mean \
        per-token entropy of each step's training samples (final = mean over the last 10% of steps). Seeds vary the RL run and its \
        sampling; the base and its evaluation are shared.

        **This run's methods** (name: value): \(methods.map { "`\($0.name)`: \(MethodJSON.render(MethodJSON.object($0.value)))" }.joined(separator: "; ")).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md)]
    }
}
