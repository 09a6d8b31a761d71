import Foundation
import Engine
import Harness
import Models
import Environments
import Objectives

// Tables and figures both Countdown experiments write.
public enum CountdownOutputs {
    /// Per step of every run: reward (share correct), entropy, KL to the base, share of samples trained on, then the
    /// step's `StepDiagnostics`.
    public static func trainingTable(seeds: [Int], runs: [[CountdownRun]]) -> CSVTable {
        var t = CSVTable(columns: ["method", "seed", "step", "reward", "token_entropy", "kl_to_base", "kept_fraction"] + StepDiagnostics.columns)
        for (seed, seedRuns) in zip(seeds, runs) {
            for r in seedRuns {
                for (i, s) in r.trace.enumerated() {
                    t.append([.string(r.method.name), .int(seed), .int(i + 1), .double(s.accuracy), .double(s.entropy),
                              s.kl.isNaN ? .missing : .double(s.kl), .double(s.kept)] + s.diagnostics.cells)
                }
            }
        }
        return t
    }

    /// pass@k and solution diversity of the base and every evaluated run.
    public static func evaluationTables(base: CountdownEvaluation, seeds: [Int], runs: [[CountdownRun]]) -> (passAtK: CSVTable, diversity: CSVTable) {
        var pass = CSVTable(columns: ["method", "seed", "k", "pass_at_k", "problems", "samples_per_problem"])
        var diversity = CSVTable(columns: ["method", "seed", "mean_distinct_correct_solutions", "problems_never_solved", "problems"])
        func add(_ name: String, _ seed: CSVValue, _ e: CountdownEvaluation) {
            for (k, p) in zip(e.ks, e.passAtK) { pass.append([.string(name), seed, .int(k), .double(p), .int(e.problems), .int(e.samples)]) }
            diversity.append([.string(name), seed, .double(e.meanDistinctCorrect), .int(e.neverSolved), .int(e.problems)])
        }
        add("base", "shared", base)
        for (seed, seedRuns) in zip(seeds, runs) { for r in seedRuns { if let e = r.evaluation { add(r.method.name, .int(seed), e) } } }
        return (pass, diversity)
    }

    /// Mean over seeds of `value` per step, for the methods given, labelled (runs that diverged are left out).
    public static func stepSeries(_ methods: [NamedMethod<CountdownMethod>], runs: [[CountdownRun]], smoothing: Int = 1,
                                  _ value: (CountdownRLStep) -> Double) -> [Series] {
        methods.enumerated().map { k, m in
            let traces = runs.compactMap { $0.first { $0.method.name == m.name && !$0.diverged }?.trace }
            let steps = traces.map(\.count).min() ?? 0
            let means = (0..<steps).map { s in Statistics.mean(traces.map { value($0[s]) }) }
            let points = (0..<steps).map { s -> (x: Double, y: Double) in
                let window = means[Swift.max(0, s - smoothing + 1)...s]
                return (Double(s + 1), window.reduce(0, +) / Double(window.count))
            }
            return Series(name: m.label, points: points, color: Palette.color(k))
        }
    }

    public static func mean(_ xs: [Double]) -> String { xs.isEmpty ? "—" : String(format: "%.3f", Statistics.mean(xs)) }
}
