import Foundation
import Engine
import Harness
import Training

extension LPFMethods {
    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        let methods = resolve(c.methods).methods
        var sweep = CSVTable(columns: ["method", "seed", "setting", "step", "validation_win_rate_annotator", "test_win_rate_gold",
                                       "test_win_rate_annotator", "gold_test", "proxy_test", "kl_test", "chosen"])
        var chosen = CSVTable(columns: ["method", "seed", "setting", "step", "validation_win_rate_annotator", "test_win_rate_gold",
                                        "test_win_rate_annotator", "gold_test", "proxy_test", "kl_test"])
        var bon = CSVTable(columns: ["seed", "n", "proxy_test", "gold_test", "test_win_rate_gold", "test_win_rate_annotator"])
        var ppo = CSVTable(columns: ["seed", "kl_coefficient", "step", "proxy_test", "gold_test", "test_win_rate_gold", "kl_test"])
        var training = CSVTable(columns: ["method", "seed", "setting"] + PolicyGradientStepLog.columns)
        func row(_ s: Scores) -> [CSVValue] {
            [.double(s.validationWinRate), .double(s.testGoldWinRate), .double(s.testAnnotatorWinRate), .double(s.goldTest), .double(s.proxyTest), .double(s.klTest)]
        }
        for (seed, r) in zip(seeds, results) {
            let picks = methods.compactMap { r.chosen($0.name) }
            for cand in r.candidates {
                let isChosen = picks.contains { $0.method == cand.method && $0.setting == cand.setting && $0.step == cand.step }
                sweep.append([.string(cand.method), .int(seed), .string(cand.setting), .int(cand.step)] + row(cand.scores) + [.string(isChosen ? "true" : "false")])
            }
            for p in picks { chosen.append([.string(p.method), .int(seed), .string(p.setting), .int(p.step)] + row(p.scores)) }
            for (n, s) in r.bestOfNCurve { bon.append([.int(seed), .int(n), .double(s.proxyTest), .double(s.goldTest), .double(s.testGoldWinRate), .double(s.testAnnotatorWinRate)]) }
            for (step, s) in r.ppoCurve {
                ppo.append([.int(seed), .double(c.ppoKLCoefficients.min()!), .int(step), .double(s.proxyTest), .double(s.goldTest), .double(s.testGoldWinRate), .double(s.klTest)])
            }
            for s in r.ppoTraining { training.append([.string(s.method), .int(seed), .string(s.setting)] + s.log.cells) }
        }
        a.tables = [("chosen", chosen), ("sweep", sweep), ("best_of_n", bon), ("ppo_overoptimization", ppo), ("ppo_training", training)]
        a.evidence = evidence(results, methods: methods.map(\.name))
        a.figures = [("win_rates", "Win-rate against the SFT base on held-out contexts, each method at the hyperparameters chosen on validation (mean ± sd over seeds)", winRateFigure(methods, results)),
                     ("overoptimization", "Proxy vs gold reward along Best-of-n's n and along PPO training with the smallest KL coefficient (held-out contexts; mean over seeds)", overoptimizationFigure(c, results))]
        a.reportSections = report(c, methods, seeds, results)
        return a
    }

    static func winRateFigure(_ methods: [NamedMethod<LPFMethod>], _ results: [SeedResult]) -> String {
        func group(_ name: String, _ color: String, _ f: (Scores) -> Double) -> BarChart.Group {
            let values = methods.map { m in results.compactMap { $0.chosen(m.name).map { f($0.scores) } } }
            let means = values.map { $0.isEmpty ? 0 : Statistics.mean($0) }
            let sds = values.map { $0.count > 1 ? Statistics.standardDeviation($0) : 0 }
            return BarChart.Group(name: name, values: means, errorLow: sds, errorHigh: sds, color: color)
        }
        return BarChart(title: "lpf-methods: win-rate against the SFT base (held-out contexts)", xLabel: "method", yLabel: "win-rate",
                        categories: methods.map(\.label),
                        groups: [group("gold", Palette.color(0)) { $0.testGoldWinRate }, group("evaluation annotator", Palette.color(1)) { $0.testAnnotatorWinRate }],
                        yRange: 0...1, width: 760, height: 440).svg()
    }

    static func overoptimizationFigure(_ c: Config, _ results: [SeedResult]) -> String {
        func meanCurve<T>(_ curves: [[(T, Scores)]], x: (T) -> Double, _ f: (Scores) -> Double) -> [(x: Double, y: Double)] {
            guard let n = curves.map(\.count).min(), n > 0 else { return [] }
            return (0..<n).map { i in (x(curves[0][i].0), Statistics.mean(curves.map { f($0[i].1) })) }
        }
        let bon = results.map { $0.bestOfNCurve.map { ($0.n, $0.scores) } }
        let ppo = results.map { $0.ppoCurve.map { ($0.step, $0.scores) } }
        var left = LinePlot(title: "Best-of-n from the SFT base", xLabel: "n", yLabel: "expected reward",
                            series: [Series(name: "proxy reward model", points: meanCurve(bon, x: { Double($0) }) { $0.proxyTest }, markers: true, color: Palette.color(0)),
                                     Series(name: "gold reward", points: meanCurve(bon, x: { Double($0) }) { $0.goldTest }, markers: true, color: Palette.color(1))])
        left.xScale = .log10
        let right = LinePlot(title: "PPO, KL coefficient \(c.ppoKLCoefficients.min()!)", xLabel: "step", yLabel: "expected reward",
                             series: [Series(name: "proxy reward model", points: meanCurve(ppo, x: { Double($0) }) { $0.proxyTest }, color: Palette.color(0)),
                                      Series(name: "gold reward", points: meanCurve(ppo, x: { Double($0) }) { $0.goldTest }, color: Palette.color(1))])
        return PanelGrid(title: "lpf-methods: reward over-optimisation (held-out contexts)", columns: 2, panels: [left, right]).svg()
    }

    /// AlpacaFarm's human-feedback win-rates against Davinci003 (Dubois et al. 2023, Table 2), by method name, for
    /// the report.
    static let paperWinRates: [String: String] = [
        "sft": "44.3%", "binary-feedme": "40.7%", "reward-conditioning": "44.5%", "best-of-n": "50.7%",
        "expert-iteration": "43.9%", "ppo": "55.1%", "quark": "— (not in the human table)",
    ]

    /// One method's setting in words, for the report's setup.
    static func describe(_ m: NamedMethod<LPFMethod>, _ c: Config) -> String {
        switch m.value {
        case .sftBase: return "\(m.label): π_ref itself."
        case .binaryFeedME: return "\(m.label): SFT on the preferred response of every pair (\(c.supervisedSteps) steps)."
        case .rewardConditioning: return "\(m.label): SFT on both responses after a \"good\" / \"bad\" token; evaluated after \"good\"."
        case .bestOfN: return "\(m.label): the exact best-of-n distribution of the SFT base under the proxy, n ∈ \(c.bestOfN)."
        case let .expertIteration(samples):
            return "\(m.label): SFT on \(samples) best-of-n samples per training context, n ∈ \(c.expertIterationN)."
        case let .ppo(contexts, group, epochs, minibatches):
            return "\(m.label): \(c.ppoSteps) steps of \(contexts) contexts × \(group) samples, reward r̂ − β·log(π/π_ref), leave-one-out baseline, clipped surrogate (ε = 0.2) over \(epochs) epochs × \(minibatches) minibatches, β ∈ \(c.ppoKLCoefficients)."
        case let .quark(quantiles, samples, steps):
            return "\(m.label): \(c.quarkRounds) rounds of \(samples) samples per training context from the top-quantile policy (round 1: from the base) added to a pool, \(quantiles) reward-quantile tokens over the pool, \(steps) steps of SFT on (token, sample) + β·KL(π ‖ π_ref), β ∈ \(c.quarkKLCoefficients)."
        }
    }

    static func report(_ c: Config, _ methods: [NamedMethod<LPFMethod>], _ seeds: [Int], _ results: [SeedResult]) -> [(title: String, markdown: String)] {
        let b = c.bandit
        var setup = """
        A PreferenceBandit of \(b.contextCount) contexts × \(b.responseCount) responses (split \
        \(b.contextCount - b.testContextCount - b.validationContextCount) train / \(b.validationContextCount) validation / \
        \(b.testContextCount) test; a new instance per seed) with \(b.annotatorCount) simulated annotators, each seeing the \
        gold reward plus its own bias (a shared liking for long responses, mean weight \(b.annotatorLengthBiasMean), and \
        random weights on the other features) through its own noise. The SFT base is π_ref: misaligned with gold and \
        rarely writing long responses. Training data: \(c.pairsPerContext) pairs per training context from the SFT base, \
        each labelled by a random annotator and then flipped with probability \(c.labelFlipRate) (AlpacaFarm's training \
        annotators). The proxy reward model is a linear Bradley–Terry model on those pairs. Gold punishes the longest \
        responses, which the annotators like: the proxy can be over-optimised. Every method trains the same feature policy \
        π(y | x, c) ∝ π_ref·exp((w + w_c)·φ) (c: control token) on the training contexts and is scored on contexts it never \
        saw. Hyperparameters, including the training length (every \(c.checkpointEvery) steps is a candidate), are chosen by \
        the evaluation annotator's win-rate against the base on the validation contexts (as AlpacaFarm chose them with its \
        simulated evaluator; evaluation bias scale \(c.evaluationBiasScale)); the claims use the gold win-rate on the test \
        contexts, which no choice has seen.


        """
        setup += methods.map { "- " + describe($0, c) }.joined(separator: "\n")
        var md = "Each method at its validation-chosen setting (mean ± sd over \(seeds.count) seeds; the setting chosen most often in brackets). Proxy reward-model accuracy on its own training pairs: \(Statistics.meanSD(results.map(\.rewardModelAccuracy))); flipped labels: \(Statistics.meanSD(results.map(\.flippedShare))).\n\n"
        md += "| method | chosen setting | gold win-rate vs base | evaluator win-rate vs base | gold reward | proxy reward | KL to base | AlpacaFarm (human, vs Davinci003) |\n|---|---|---|---|---|---|---|---|\n"
        for m in methods {
            let picks = results.compactMap { $0.chosen(m.name) }
            var counts: [String: Int] = [:]
            for p in picks { counts["\(p.setting) @\(p.step)", default: 0] += 1 }
            let mode = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "—"
            md += "| \(m.label) | \(mode) | \(Statistics.meanSD(picks.map(\.scores.testGoldWinRate))) | \(Statistics.meanSD(picks.map(\.scores.testAnnotatorWinRate))) | \(Statistics.meanSD(picks.map(\.scores.goldTest))) | \(Statistics.meanSD(picks.map(\.scores.proxyTest))) | \(Statistics.meanSD(picks.map(\.scores.klTest))) | \(paperWinRates[m.name] ?? "—") |\n"
        }
        md += "\nBest-of-n along n (held-out contexts, mean over seeds):\n\n| n | proxy reward | gold reward | gold win-rate vs base |\n|---|---|---|---|\n"
        for (i, n) in c.bestOfN.enumerated() {
            let s = results.compactMap { i < $0.bestOfNCurve.count ? $0.bestOfNCurve[i].scores : nil }
            md += "| \(n) | \(Statistics.meanSD(s.map(\.proxyTest))) | \(Statistics.meanSD(s.map(\.goldTest))) | \(Statistics.meanSD(s.map(\.testGoldWinRate))) |\n"
        }
        return [("Setup", setup), ("Our numbers beside the paper's", md)]
    }
}
