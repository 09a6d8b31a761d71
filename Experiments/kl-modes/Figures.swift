import Foundation
import Harness
import Environments

/// The paper's figures redrawn from our numbers.
enum Figures {
    static func make(config c: KLModes.Config, seeds: [Int], results: [KLModes.SeedResult]) -> [(name: String, caption: String, svg: String)] {
        [("densities", "Densities on the way to Gain \(c.gainLevel) (seed \(seeds.first ?? 0), the paper's learning rates)", densities(c, seeds, results)),
         ("gain_drop", "Gain–Drop curves at the paper's learning rates (mean over seeds; band = min…max)", gainDrop(c, results)),
         ("drop_vs_lr", "Drop at Gain \(c.gainLevel) across the learning-rate sweep (line = mean, points = seeds)", dropVersusRate(c, results))]
    }

    static let gainMarks = [0.0, 0.3, 0.6, 0.9]

    /// p and q at the first iterations reaching Gain 0, 0.3, 0.6 and 0.9, for each learner and initial model.
    static func densities(_ c: KLModes.Config, _ seeds: [Int], _ results: [KLModes.SeedResult]) -> String {
        var panels: [LinePlot] = []
        for m in GridInitialModel.allCases {
            let grid = GridDensity(m, points: c.gridPoints)
            let step = Swift.max(1, c.gridPoints / 250)
            let xs = stride(from: 0, to: grid.xs.count, by: step).map { grid.xs[$0] }
            func sub(_ v: [Double]) -> [Double] { stride(from: 0, to: v.count, by: step).map { v[$0] } }
            for l in KLModes.resolve(c.learners).methods {
                let rate = KLModes.paperRate(m, l.value)
                var series = [Series(name: "p (target)", x: xs, y: sub(grid.targetDensity), dashed: true, color: "#000000")]
                if let r = results.first?.readings.first(where: { $0.model == m && $0.learner == l.name && $0.rate == rate }), let t = r.trajectory {
                    for (k, g) in gainMarks.enumerated() {
                        guard let i = t.gain.firstIndex(where: { $0 >= g }) else { continue }
                        series.append(Series(name: String(format: "q at Gain %.1f (iter %d, Drop %.2f)", g, i, t.drop[i]),
                                             x: xs, y: sub(grid.density(t.params[i], m)), color: Palette.color(k)))
                    }
                }
                var p = LinePlot(title: "\(m.rawValue) init, \(l.label), lr \(rate)", xLabel: "x", yLabel: "density", series: series)
                p.yRange = 0...0.65
                panels.append(p)
            }
        }
        return PanelGrid(title: "kl-modes: the model density q moving toward the new mode (dashed: target p)", columns: 2, panels: panels).svg()
    }

    /// Drop as a function of Gain along each run, averaged over seeds on a common Gain grid.
    static func gainDrop(_ c: KLModes.Config, _ results: [KLModes.SeedResult]) -> String {
        var panels: [LinePlot] = []
        let levels = stride(from: 0.0, through: c.gainLevel + 1e-9, by: 0.05).map { $0 }
        for m in GridInitialModel.allCases {
            var series: [Series] = []
            var colorIndex = 0
            for l in KLModes.resolve(c.learners).methods {
                let rates = m == .bimodal && l.value.isForward ? [0.15, 0.01] : [KLModes.paperRate(m, l.value)]
                for rate in rates {
                    let runs = results.compactMap { $0.readings.first { $0.model == m && $0.learner == l.name && $0.rate == rate }?.trajectory }
                    guard !runs.isEmpty else { continue }
                    var points: [(x: Double, y: Double)] = [], band: [(x: Double, lower: Double, upper: Double)] = []
                    for g in levels {
                        let ys = runs.compactMap { t in Matched.value(at: g, along: zip(t.gain, t.drop).map { (x: $0, y: $1) }) }
                        guard ys.count == runs.count else { break }            // only levels every seed reaches
                        points.append((g, Statistics.mean(ys)))
                        band.append((g, ys.min()!, ys.max()!))
                    }
                    series.append(Series(name: "\(l.label), lr \(rate)", points: points, band: band, color: Palette.color(colorIndex)))
                    colorIndex += 1
                }
            }
            panels.append(LinePlot(title: "\(m.rawValue) initial model", xLabel: "Gain (new-mode accuracy rise)", yLabel: "Drop (old-mode accuracy fall)", series: series))
        }
        return PanelGrid(title: "kl-modes: forgetting (Drop) against learning (Gain)", columns: 2, panels: panels).svg()
    }

    /// Drop at the Gain level against the learning rate (log axis), per learner.
    static func dropVersusRate(_ c: KLModes.Config, _ results: [KLModes.SeedResult]) -> String {
        var panels: [LinePlot] = []
        for m in GridInitialModel.allCases {
            var series: [Series] = []
            for (k, l) in KLModes.resolve(c.learners).methods.enumerated() {
                var points: [(x: Double, y: Double)] = [], scatter: [(x: Double, y: Double)] = []
                for rate in c.rates(m, l.value) {
                    let ys = results.compactMap { $0.readings.first { $0.model == m && $0.learner == l.name && $0.rate == rate }?.dropAtLevel }
                    scatter += ys.map { (rate, $0) }
                    if !ys.isEmpty { points.append((rate, Statistics.mean(ys))) }
                }
                series.append(Series(name: l.label, points: points, scatter: scatter, markers: true, color: Palette.color(k)))
            }
            var p = LinePlot(title: "\(m.rawValue) initial model", xLabel: "learning rate", yLabel: "Drop at Gain \(c.gainLevel)", series: series)
            p.xScale = .log10
            panels.append(p)
        }
        return PanelGrid(title: "kl-modes: Drop at matched Gain across learning rates (runs that never reach it are omitted)", columns: 2, panels: panels).svg()
    }
}
