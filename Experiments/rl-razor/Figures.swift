import Foundation
import Harness
import Training

extension RLRazor {
    enum Figures {
        static func make(config c: Config, seeds: [Int], results: [SeedResult], allRuns: [Run]) -> [(name: String, caption: String, svg: String)] {
            [("tradeoff", "New-task vs prior-task accuracy across learning rates (line = mean over seeds, points = seeds)", tradeoff(c, results)),
             ("forgetting_vs_forward_kl", "Prior-task drop against forward KL on the new task, with the quadratic fit", scatter(allRuns, x: \.forwardKL, label: "forward KL E_x~τ KL(π₀‖π)")),
             ("forgetting_vs_weight_l2", "Prior-task drop against weight-space L2 distance, with the quadratic fit", scatter(allRuns, x: \.weightL2, label: "weight-space L2 distance ‖θ − θ₀‖"))]
        }

        static func tradeoff(_ c: Config, _ results: [SeedResult]) -> String {
            var series: [Series] = []
            for (k, m) in Method.allCases.enumerated() {
                var points: [(x: Double, y: Double)] = [], scatter: [(x: Double, y: Double)] = []
                for rate in c.learningRates {
                    let runs = results.compactMap { $0.runs.first { $0.method == m && $0.rate == rate && !$0.diverged } }
                    guard !runs.isEmpty else { continue }
                    points.append((Statistics.mean(runs.map(\.newAccuracy)), Statistics.mean(runs.map(\.priorAccuracy))))
                    scatter += runs.map { ($0.newAccuracy, $0.priorAccuracy) }
                }
                series.append(Series(name: m.rawValue, points: points, scatter: scatter, markers: true, color: Palette.color(k)))
            }
            let base: [(x: Double, y: Double)] = results.map { ($0.baseNewAccuracy, $0.basePriorAccuracy) }
            series.append(Series(name: "base", points: [], scatter: base, color: "#000000"))
            return LinePlot(title: "rl-razor: learning the new task vs keeping the old one", xLabel: "new-task accuracy (expected reward)",
                            yLabel: "prior-task accuracy", series: series, width: 720, height: 480).svg()
        }

        static func scatter(_ runs: [Run], x: KeyPath<Run, Double>, label: String) -> String {
            let fit = Statistics.quadraticFit(x: runs.map { $0[keyPath: x] }, y: runs.map(\.drop))
            let groups = Method.allCases.enumerated().map { k, m in
                Series(name: m.rawValue, points: runs.filter { $0.method == m }.map { ($0[keyPath: x], $0.drop) }, color: Palette.color(k))
            }
            return ScatterPlot(title: "rl-razor: forgetting against \(label)", xLabel: label, yLabel: "prior-task accuracy drop",
                               groups: groups, curves: [ScatterPlot.Curve(name: "quadratic fit", color: "#000000", f: { fit.predict($0) })],
                               width: 720, height: 480, annotations: [String(format: "R² = %.3f (%d runs)", fit.rSquared, runs.count)]).svg()
        }
    }
}
