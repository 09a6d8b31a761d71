import Foundation
import Environments
import Harness
import Training

extension Composition {
    enum Figures {
        static func make(config c: Config, seeds: [Int], results: [SeedResult], ks: [Int]) -> [(name: String, caption: String, svg: String)] {
            [("accuracy_by_level", "Held-out greedy accuracy by level per model (line = mean over seeds, points = seeds)", accuracy(results)),
             ("pass_at_k", "Held-out pass@k per level (mean over seeds), log k", passAtK(results, ks: ks)),
             ("error_classes", "Error classes of the wrong held-out Level-3 greedy answers (share of wrong answers, mean over seeds)", errorClasses(results)),
             ("training_reward", "Mean Stage-2 training reward per step (mean over seeds)", training(results))]
        }

        /// Models in plotting order: the base, then the variants; each with its evaluations (one per seed).
        static func models(_ results: [SeedResult]) -> [(name: String, evaluations: [CompositionEvaluation])] {
            [("base", [results[0].base])] + Variant.allCases.map { v in
                (v.rawValue, results.compactMap { r in r.variants.first { $0.variant == v }?.evaluation })
            }
        }

        static func color(_ k: Int) -> String { k == 0 ? "#000000" : Palette.color(k - 1) }

        static func accuracy(_ results: [SeedResult]) -> String {
            let series = models(results).enumerated().map { k, m in
                Series(name: m.name, points: CompositionEvaluation.levels.map { l in (Double(l), Statistics.mean(m.evaluations.map { $0.greedy[l - 1] })) },
                       scatter: m.evaluations.count > 1 ? m.evaluations.flatMap { e in CompositionEvaluation.levels.map { (Double($0), e.greedy[$0 - 1]) } } : [],
                       dashed: k == 0, markers: true, color: color(k))
            }
            return LinePlot(title: "composition: held-out accuracy by level", xLabel: "level (number of nested calls)",
                            yLabel: "greedy accuracy (held-out functions)", yRange: 0...1, series: series, width: 720, height: 480).svg()
        }

        static func passAtK(_ results: [SeedResult], ks: [Int]) -> String {
            let panels = CompositionEvaluation.levels.map { level in
                LinePlot(title: "Level \(level)", xLabel: "k", yLabel: "pass@k", xScale: .log10, yRange: 0...1,
                         series: models(results).enumerated().map { k, m in
                             Series(name: level == 1 ? m.name : "", points: ks.indices.map { j in (Double(ks[j]), Statistics.mean(m.evaluations.map { $0.passAtK[level - 1][j] })) },
                                    dashed: k == 0, markers: true, color: color(k))
                         }, width: 360, height: 300)
            }
            return PanelGrid(title: "composition: held-out pass@k per level", columns: 3, panels: panels).svg()
        }

        static func errorClasses(_ results: [SeedResult]) -> String {
            let classes = StringFunctionsErrorClass.allCases.filter { $0 != .correct }
            let groups = models(results).enumerated().map { k, m in
                BarChart.Group(name: m.name, values: classes.map { cls in Statistics.mean(m.evaluations.map { $0.shareOfWrong(cls) }) }, color: color(k))
            }
            return BarChart(title: "composition: error classes at Level 3 (held out)", xLabel: "error class", yLabel: "share of wrong answers",
                            categories: classes.map(\.rawValue), groups: groups, yRange: 0...1, width: 720, height: 440).svg()
        }

        static func training(_ results: [SeedResult]) -> String {
            let series = Variant.allCases.enumerated().map { k, v in
                let traces = results.compactMap { r in r.variants.first { $0.variant == v && !$0.diverged }?.trace }
                let steps = traces.map(\.count).min() ?? 0
                return Series(name: v.rawValue, points: (0..<steps).map { s in (Double(s + 1), Statistics.mean(traces.map { $0[s].reward })) },
                              color: color(k + 1))
            }
            return LinePlot(title: "composition: Stage-2 training reward (train functions)", xLabel: "step", yLabel: "mean reward of the samples",
                            series: series, width: 720, height: 440).svg()
        }
    }
}
