import Foundation
import Harness

/// The paper's comparisons redrawn from our numbers.
enum Figures {
    static func make(config c: ArenaTournaments.Config, seeds: [Int], results: [ArenaTournaments.SeedResult]) -> [(name: String, caption: String, svg: String)] {
        let top = c.noiseLevels.max() ?? 0
        return [("tau_vs_calls", "Rank agreement (Kendall τ-b with gold) against judge calls per group, one point per group size \(c.groupSizes), at σ = \(c.claimNoise) and σ = \(top) (line = mean over seeds, faint points = seeds)", tauVersusCalls(c, results)),
                ("advantage_vs_noise", "Correlation of group-normalised advantages with gold advantages against judge noise (line = mean, band = min…max over seeds)", advantageVersusNoise(c, results)),
                ("rl_gold_reward", "Gold reward of the softmax policy against RL steps, judge noise σ = \(top) (line = mean, band = min…max over seeds)", rlCurves(c, results))]
    }

    static func tauVersusCalls(_ c: ArenaTournaments.Config, _ results: [ArenaTournaments.SeedResult]) -> String {
        var panels: [LinePlot] = []
        let top = c.noiseLevels.max() ?? 0
        for noise in [c.claimNoise, top] {
            for j in Judging.allCases {
                var series: [Series] = []
                for (k, t) in Topology.allCases.enumerated() {
                    var points: [(x: Double, y: Double)] = [], scatter: [(x: Double, y: Double)] = []
                    for n in c.groupSizes.sorted() {
                        let cells = results.compactMap { ArenaTournaments.cell($0, n: n, noise: noise, j, t) }
                        guard !cells.isEmpty else { continue }
                        scatter += cells.map { ($0.calls, $0.tau) }
                        points.append((Statistics.mean(cells.map(\.calls)), Statistics.mean(cells.map(\.tau))))
                    }
                    series.append(Series(name: t.rawValue, points: points, scatter: scatter, markers: true, color: Palette.color(k)))
                }
                var p = LinePlot(title: "\(j.rawValue), σ = \(noise)", xLabel: "judge calls per group", yLabel: "Kendall τ-b with gold", series: series)
                p.xScale = .log10
                panels.append(p)
            }
        }
        return PanelGrid(title: "arena-tournaments: rank agreement against judge calls (points: N = \(c.groupSizes.sorted().map(String.init).joined(separator: ", ")))", columns: 2, panels: panels).svg()
    }

    static func band(_ xs: [Double], _ values: [[Double]]) -> (points: [(x: Double, y: Double)], band: [(x: Double, lower: Double, upper: Double)]) {
        var points: [(x: Double, y: Double)] = [], band: [(x: Double, lower: Double, upper: Double)] = []
        for (i, x) in xs.enumerated() {
            let ys = values.compactMap { i < $0.count ? $0[i] : nil }
            guard !ys.isEmpty else { continue }
            points.append((x, Statistics.mean(ys))); band.append((x, ys.min()!, ys.max()!))
        }
        return (points, band)
    }

    static func advantageVersusNoise(_ c: ArenaTournaments.Config, _ results: [ArenaTournaments.SeedResult]) -> String {
        var panels: [LinePlot] = []
        let noises = c.noiseLevels.sorted()
        for n in c.groupSizes.sorted() {
            var series: [Series] = []
            let variants: [(String, Judging, Topology)] = [("seeded single-elim., bidir.", .bidirectional, .singleElimination),
                                                           ("round-robin, bidir.", .bidirectional, .roundRobin),
                                                           ("anchor-based, bidir.", .bidirectional, .anchor)]
            for (k, v) in variants.enumerated() {
                let values = results.map { r in noises.compactMap { ArenaTournaments.cell(r, n: n, noise: $0, v.1, v.2)?.advantageCorrelation } }
                let b = band(noises, values)
                series.append(Series(name: v.0, points: b.points, band: b.band, markers: true, color: Palette.color(k)))
            }
            let values = results.map { r in noises.compactMap { s in r.pointwise.first { $0.n == n && $0.noise == s }?.advantageCorrelation } }
            let b = band(noises, values)
            series.append(Series(name: "pointwise 1–10 scores", points: b.points, band: b.band, dashed: true, markers: true, color: Palette.color(variants.count)))
            var p = LinePlot(title: "N = \(n)", xLabel: "judge noise σ", yLabel: "corr(advantages, gold advantages)", series: series)
            p.yRange = 0...1
            panels.append(p)
        }
        return PanelGrid(title: "arena-tournaments: how well each judge's group advantages track the gold advantages", columns: 2, panels: panels).svg()
    }

    static func rlCurves(_ c: ArenaTournaments.Config, _ results: [ArenaTournaments.SeedResult]) -> String {
        var series: [Series] = []
        for (k, src) in AdvantageSource.allCases.enumerated() {
            let curves = results.compactMap { r in r.curves.first { $0?.source == src } ?? nil }
            guard let first = curves.first else { continue }
            let b = band(first.steps.map(Double.init), curves.map(\.goldReward))
            series.append(Series(name: src == .tournament ? "tournament ranks (seeded single-elim., bidir.)" : (src == .pointwise ? "pointwise 1–10 scores" : "gold qualities (reference)"),
                                 points: b.points, band: b.band, dashed: src == .gold, color: Palette.color(k)))
        }
        let p = LinePlot(title: "arena-tournaments: RL on a latent-quality bandit, judge noise σ = \(c.noiseLevels.max() ?? 0)", xLabel: "RL step",
                         yLabel: "gold reward (E_π[q] − μ_c, units of s)", series: series)
        return p.svg()
    }
}
