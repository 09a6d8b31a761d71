import Foundation
import Engine
import Environments
import Harness

extension KLModes {
    /// One run's reading at the Gain level.
    public struct Reading: Sendable {
        var model: GridInitialModel
        /// The learner's name (`forward`, `reverse`, or a derived name).
        var learner: String
        var rate: Double
        var trajectory: Trajectory?          // nil when the run diverged
        var dropAtLevel: Double?, pi1AtLevel: Double?, iterationAtLevel: Double?
    }

    public struct SeedResult: Sendable { var readings: [Reading] }

    /// Each initial model's grid and every learner at every rate of its sweep, one iteration each.
    public static func construct(config c: Config, seed: Int) throws {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        for model in GridInitialModel.allCases {
            let grid = GridDensity(model, points: c.gridPoints)
            let settings = RunSettings(samples: c.samples, iterations: 1, slowFactor: c.slowFactor)
            for learner in resolve(c.learners).methods {
                for rate in c.rates(model, learner.value) {
                    var rng = root.child("\(model.rawValue)/\(learner.name)/\(rate)")
                    _ = simulate(model, learner.value, learningRate: rate, settings: settings, grid: grid, rng: &rng) { _, _ in }
                }
            }
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        var readings: [Reading] = []
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let learners = resolve(c.learners).methods
        for model in GridInitialModel.allCases {
            let grid = GridDensity(model, points: c.gridPoints)
            let settings = RunSettings(samples: c.samples, iterations: c.iterations(model), slowFactor: c.slowFactor)
            for learner in learners {
                for rate in c.rates(model, learner.value) {
                    var rng = root.child("\(model.rawValue)/\(learner.name)/\(rate)")
                    let variant = "\(model.rawValue)/\(learner.name)/lr=\(rate)"
                    let t = try context.guarded(variant: variant, seed: seed) {
                        try simulate(model, learner.value, learningRate: rate, settings: settings, grid: grid, rng: &rng) { q, step in
                            try DivergenceError.check(q.pi1, q.mu1, q.s1, q.mu2, q.s2, names: "π₁, μ₁, σ₁, μ₂, σ₂", step: step)
                        }
                    }
                    context.progress.advance(metric: variant)
                    var r = Reading(model: model, learner: learner.name, rate: rate, trajectory: t)
                    if let t {
                        let gainCurve = t.gain.enumerated().map { (x: $0.element, y: Double($0.offset)) }
                        r.iterationAtLevel = Matched.value(at: c.gainLevel, along: gainCurve)
                        r.dropAtLevel = Matched.value(at: c.gainLevel, along: zip(t.gain, t.drop).map { (x: $0, y: $1) })
                        r.pi1AtLevel = Matched.value(at: c.gainLevel, along: zip(t.gain, t.params).map { (x: $0, y: $1.pi1) })
                    }
                    readings.append(r)
                }
            }
        }
        return SeedResult(readings: readings)
    }

    /// The learner's best (smallest-Drop) reading at the Gain level over its learning-rate sweep, if any reaches it.
    static func best(_ s: SeedResult, _ m: GridInitialModel, _ learner: String) -> Reading? {
        s.readings.filter { $0.model == m && $0.learner == learner && $0.dropAtLevel != nil }
            .min { ($0.dropAtLevel!, $0.rate) < ($1.dropAtLevel!, $1.rate) }
    }

    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        let learners = resolve(c.learners).methods
        var traj = CSVTable(columns: ["variant", "seed", "lr", "iteration", "gain", "drop", "pi1", "mu1", "sigma1", "mu2", "sigma2"])
        var readings = CSVTable(columns: ["variant", "seed", "lr", "reached", "iteration", "drop", "pi1"])
        for (seed, res) in zip(seeds, results) {
            for r in res.readings {
                let variant = "\(r.model.rawValue)/\(r.learner)"
                readings.append([.string(variant), .int(seed), .double(r.rate), .string(r.dropAtLevel != nil ? "true" : "false"),
                                 CSVValue(r.iterationAtLevel), CSVValue(r.dropAtLevel), CSVValue(r.pi1AtLevel)])
                guard let t = r.trajectory else { continue }
                let every = Swift.max(1, (t.gain.count - 1) / Swift.max(1, c.trajectoryRows - 1))
                for i in stride(from: 0, to: t.gain.count, by: every) {
                    let q = t.params[i]
                    traj.append([.string(variant), .int(seed), .double(r.rate), .int(i), .double(t.gain[i]), .double(t.drop[i]),
                                 .double(q.pi1), .double(q.mu1), .double(q.s1), .double(q.mu2), .double(q.s2)])
                }
            }
        }
        var summary = CSVTable(columns: ["variant", "seed", "best_lr", "drop_at_gain", "pi1_fall_at_gain"])
        for (seed, res) in zip(seeds, results) {
            for m in GridInitialModel.allCases { for l in learners {
                let b = best(res, m, l.name)
                summary.append([.string("\(m.rawValue)/\(l.name)"), .int(seed), CSVValue(b?.rate), CSVValue(b?.dropAtLevel),
                                CSVValue(b?.pi1AtLevel.map { m.start.pi1 - $0 })])
            } }
        }
        a.tables = [("trajectories", traj), ("drop_at_gain", readings), ("best_per_learner", summary)]
        a.evidence = evidence(config: c, results: results, learners: learners.map(\.name))
        a.figures = Figures.make(config: c, seeds: seeds, results: results)
        a.reportSections = reportSections(config: c, seeds: seeds, results: results)
        return a
    }

    static func reportSections(config c: Config, seeds: [Int], results: [SeedResult]) -> [(title: String, markdown: String)] {
        func stats(_ xs: [Double]) -> String {
            xs.isEmpty ? "never reached" : String(format: "%.3f ± %.3f (n=%d)", Statistics.mean(xs), xs.count > 1 ? Statistics.standardDeviation(xs) : 0, xs.count)
        }
        var md = "Drop of the old mode at the first crossing of Gain \(c.gainLevel) (mean ± sd over seeds), at the paper's learning rates and at each learner's best rate in our sweep.\n\n"
        md += "| initial model | learner | paper's lr | Drop at paper's lr (ours) | Drop, best lr (ours) | paper |\n|---|---|---|---|---|---|\n"
        for m in GridInitialModel.allCases {
            for l in resolve(c.learners).methods {
                let lr = paperRate(m, l.value)
                let atPaper = results.flatMap { $0.readings.filter { $0.model == m && $0.learner == l.name && $0.rate == lr } }.compactMap(\.dropAtLevel)
                let best = results.compactMap { KLModes.best($0, m, l.name)?.dropAtLevel }
                let paper = switch (m, l.value.isForward) {
                case (.bimodal, true): "drains the old mode (figure)"
                case (.bimodal, false): "keeps the old mode (figure)"
                case (.unimodal, true): "Gain 0.90 / Drop 0.64"
                case (.unimodal, false): "Gain 0.90 / Drop 0.70"
                }
                md += "| \(m.rawValue) | \(l.label) | \(lr) | \(stats(atPaper)) | \(stats(best)) | \(paper) |\n"
            }
        }
        let betas = resolve(c.learners).methods.compactMap { l -> String? in
            if case let .reverse(beta) = l.value { return "\(l.name): β = \(beta)" } else { return nil }
        }.joined(separator: "; ")
        let setup = """
        A density on a grid; target p = 0.75·N(−3, 1) + 0.25·N(3.5, 0.7) (left mode = old task T′, right mode = new task T). \
        Bimodal model q = π₁·N(μ₁, σ₁) + (1 − π₁)·N(μ₂, σ₂) from π₁ = 0.75, N(−3.5, 1), N(0.5, 0.7), with the old-mode \
        parameters learning \(c.slowFactor)× slower; uni-modal model q = N(μ, σ) from N(−3.5, 1). Forward KL descends the \
        negative log-likelihood of \(c.samples) samples per iteration from p's right mode; reverse KL samples q's right \
        component and ascends the score-function gradient of the reward log(p₂ / (β·q₂)) (\(betas)), with importance weight \
        q / q₂. Accuracy of a mode = ∫ min(p_i, q_i) / ∫ p_i with weighted components; Gain and Drop are the changes of the \
        new- and old-mode accuracies, read at the first crossing of Gain \(c.gainLevel) (interpolated between iterations). \
        Seeds change only the sampling noise. Each learner is scored at its best rate of the sweep per seed (the claims' \
        statistic).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md)]
    }
}
