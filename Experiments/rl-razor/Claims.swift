import Foundation
import Engine
import Harness
import Training

extension RLRazor {
    /// The claims, comparing methods by name: `grpo`, `reinforce`, `sft1`, `sft2`, `oracle_sft`, `sft_on_rl`. A run
    /// without a method a claim names makes that claim inconclusive.
    public static var claims: [ClaimSpec] { claims(for: defaultConfig) }

    /// The claims with the configuration's precondition gain (`minimumGain`), Oracle SFT margin (`oracleMargin`) and
    /// equivalence margin (`equivalenceMargin`).
    public static func claims(for c: Config) -> [ClaimSpec] {
        let gain = "the common accuracy is ≥ \(points(c.minimumGain)) above the base on every seed"
        return [
            ClaimSpec(id: "1a", description: "At matched new-task accuracy, RL (GRPO) forgets less of the prior task than SFT-1",
                      statistic: "drop(GRPO) − drop(SFT-1) at the highest common accuracy", direction: .below(0), kind: .pooled,
                      precondition: gain),
            ClaimSpec(id: "1b", description: "At matched new-task accuracy, RL (GRPO) forgets less of the prior task than SFT-2",
                      statistic: "drop(GRPO) − drop(SFT-2) at the highest common accuracy", direction: .below(0), kind: .pooled,
                      precondition: gain),
            ClaimSpec(id: "2a", description: "Pooled over every method and learning rate, a quadratic fit of prior-task drop on forward KL E_x~τ KL(π₀‖π) explains the forgetting (paper R² 0.96)",
                      statistic: "R² of drop ~ 1 + KL + KL² over a seed's runs", direction: .atLeast(0.8), kind: .perSeed),
            ClaimSpec(id: "2b", description: "Forward KL predicts forgetting better than weight-space L2 distance (paper R² 0.96 vs 0.56)",
                      statistic: "R²(forward KL) − R²(weight L2), quadratic fits over a seed's runs", direction: .above(0), kind: .pooled),
            ClaimSpec(id: "3", description: "Oracle SFT on q* ∝ π₀·1[correct] forgets no more than RL (within \(points(c.oracleMargin))) at matched accuracy",
                      statistic: "drop(Oracle SFT) − drop(GRPO) at the highest common accuracy", direction: .below(c.oracleMargin), kind: .pooled,
                      precondition: gain),
            ClaimSpec(id: "4", description: "SFT on samples of the RL-trained policy is equivalent to RL: the learned distribution, not the algorithm, decides forgetting",
                      statistic: "drop(SFT on RL samples) − drop(GRPO) at the highest common accuracy", direction: .within(c.equivalenceMargin), kind: .pooled,
                      precondition: gain,
                      notReproduced: """
                      SFT on labels sampled from the GRPO policy (the GRPO run at the same learning rate as teacher) forgets \
                      more than GRPO at the highest common accuracy, by far more than the margin: cross-entropy on samples of a \
                      sharpened teacher moves the student further from π₀ than the teacher at equal accuracy. Tried: same-rate \
                      teachers; not tried: one best-accuracy teacher for every rate, or distilling the teacher's full \
                      distribution.
                      """),
            ClaimSpec(id: "5", description: "1-0 REINFORCE behaves like GRPO (negatives are not the key; on-policy data is)",
                      statistic: "drop(1-0 REINFORCE) − drop(GRPO) at the highest common accuracy", direction: .within(c.equivalenceMargin), kind: .pooled,
                      precondition: gain,
                      notReproduced: """
                      At the highest common accuracy 1-0 REINFORCE (A = r, no baseline) forgets more than GRPO, and no seed \
                      falls within the margin. The matched level sits where both curves are nearly vertical (the largest \
                      learning rates), so small accuracy differences become large drop differences; at lower accuracies the two \
                      curves overlap (tradeoff.svg). Tried: the same samples, group size and optimiser for both.
                      """),
            ClaimSpec(id: "6", description: "The mechanism: at matched accuracy RL's solution is closer to the base in forward KL than SFT-1's",
                      statistic: "KL(π₀‖π_GRPO) − KL(π₀‖π_SFT-1) on new-task inputs at the highest common accuracy", direction: .below(0), kind: .pooled,
                      precondition: gain),
        ]
    }

    /// A share as points ("5 points", "1 point").
    static func points(_ x: Double) -> String {
        let p = (100 * x * 1e6).rounded() / 1e6
        let text = p == p.rounded() ? String(Int(p)) : String(p)
        return text + (text == "1" ? " point" : " points")
    }

    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        let methods = resolve(c.methods).methods, names = methods.map(\.name)
        var runsTable = CSVTable(columns: ["variant", "seed", "lr", "new_task_accuracy", "new_task_argmax_accuracy", "prior_task_accuracy", "prior_task_drop",
                                           "forward_kl", "reverse_kl", "total_variation", "weight_l2", "diverged"])
        var baseTable = CSVTable(columns: ["variant", "seed", "new_task_accuracy", "new_task_argmax_accuracy", "prior_task_accuracy"])
        var trainingTable = CSVTable(columns: ["variant", "seed", "lr", "step", "mean_reward"] + StepDiagnostics.columns)
        for (seed, r) in zip(seeds, results) {
            baseTable.append(["base", .int(seed), .double(r.baseNewAccuracy), .double(r.baseNewArgmaxAccuracy), .double(r.basePriorAccuracy)])
            for run in r.runs {
                let v: (Double) -> CSVValue = { run.diverged ? .missing : .double($0) }
                runsTable.append([.string(run.method), .int(seed), .double(run.rate), v(run.newAccuracy), v(run.newArgmaxAccuracy), v(run.priorAccuracy), v(run.drop),
                                  v(run.forwardKL), v(run.reverseKL), v(run.totalVariation), v(run.weightL2), .string(run.diverged ? "true" : "false")])
                for t in run.training {
                    trainingTable.append([.string(run.method), .int(seed), .double(run.rate), .int(t.step), .double(t.reward)] + t.diagnostics.cells)
                }
            }
        }

        // Matched accuracy (the harness's rule, per seed since the comparisons are paired over seeds): on each seed every
        // compared method's sweep is interpolated at the highest accuracy all of them reach on that seed
        var matchedTable = CSVTable(columns: ["variant", "seed", "comparison", "matched_accuracy", "prior_task_drop", "forward_kl"])
        func matched(_ compared: [String], _ y: (Run) -> Double) -> (levels: [Double], values: [[Double?]], precondition: String?) {
            var levels: [Double] = [], values: [[Double?]] = []
            for r in results {
                let curves = compared.map { m in r.runs.filter { $0.method == m && !$0.diverged }.map { (x: $0.newAccuracy, y: y($0)) } }
                let level = Matched.commonLevel(curves) ?? .nan
                levels.append(level)
                values.append(curves.map { level.isFinite ? Matched.value(at: level, sweep: $0) : nil })
            }
            let short = zip(seeds, zip(levels, results)).filter { !($0.1.0 - $0.1.1.baseNewAccuracy >= c.minimumGain) }
            let precondition = short.isEmpty ? nil : "the common accuracy is < \(Int(100 * c.minimumGain)) points above the base on seed(s) "
                + short.map { String(format: "%d (%.3f vs base %.3f)", $0.0, $0.1.0, $0.1.1.baseNewAccuracy) }.joined(separator: ", ")
            return (levels, values, precondition)
        }
        func pairedEvidence(_ first: String, _ second: String, _ y: @escaping (Run) -> Double, id: String) -> ClaimEvidence {
            .comparing([first, second], in: names) {
                let m = matched([first, second], y)
                for (k, seed) in seeds.enumerated() {
                    for (method, v) in zip([first, second], m.values[k]) {
                        let dropOrKL = v.map { CSVValue.double($0) } ?? .missing
                        matchedTable.append([.string(method), .int(seed), .string("claim \(id)"), .double(m.levels[k]),
                                             id == "6" ? .missing : dropOrKL, id == "6" ? dropOrKL : .missing])
                    }
                }
                // a seed on which a compared method diverged at any rate counts as failing (NaN fails the claim)
                var diffs: [Double] = [], missing = false
                for (r, v) in zip(results, m.values) {
                    if r.runs.contains(where: { [first, second].contains($0.method) && $0.diverged }) { diffs.append(.nan); continue }
                    if let a = v[0], let b = v[1] { diffs.append(a - b) } else { missing = true }
                }
                return .pooled(values: diffs, precondition: m.precondition ?? (missing ? "a method produced no finite run on some seed" : nil))
            }
        }
        a.evidence["1a"] = pairedEvidence("grpo", "sft1", \.drop, id: "1a")
        a.evidence["1b"] = pairedEvidence("grpo", "sft2", \.drop, id: "1b")
        a.evidence["3"] = pairedEvidence("oracle_sft", "grpo", \.drop, id: "3")
        a.evidence["4"] = pairedEvidence("sft_on_rl", "grpo", \.drop, id: "4")
        a.evidence["5"] = pairedEvidence("reinforce", "grpo", \.drop, id: "5")
        a.evidence["6"] = pairedEvidence("grpo", "sft1", \.forwardKL, id: "6")

        // Predictors of forgetting: quadratic-with-intercept fits of drop on each candidate, over every run of the run's methods
        let predictors: [(name: String, slug: String, paper: Double, value: (Run) -> Double)] = [
            ("forward KL E_x~τ KL(π₀‖π)", "forward_kl", 0.96, \.forwardKL), ("reverse KL E_x~τ KL(π‖π₀)", "reverse_kl", 0.93, \.reverseKL),
            ("total variation", "total_variation", 0.80, \.totalVariation), ("weight-space L2", "weight_l2", 0.56, \.weightL2)]
        let allRuns = results.flatMap { $0.runs.filter { !$0.diverged } }
        func rSquared(_ runs: [Run], _ f: (Run) -> Double) -> Double {
            guard runs.count >= 4 else { return .nan }
            return Statistics.quadraticFit(x: runs.map(f), y: runs.map(\.drop)).rSquared
        }
        // 2a and 2b fit every run of a seed, so a seed with a diverged run counts as failing (nil, NaN)
        let perSeedR2 = results.map { r -> Double? in
            r.runs.count >= 4 && !r.runs.contains(where: \.diverged) ? rSquared(r.runs, \.forwardKL) : nil
        }
        a.evidence["2a"] = .perSeed(values: perSeedR2, preconditionFailed: perSeedR2.map { _ in nil })
        // 2b pairs the two fits within each seed (the seed's runs share its base and batches) and pools the seeds;
        // runs are never resampled as if independent
        let fitGaps = results.map { r -> Double in
            r.runs.contains(where: \.diverged) ? .nan : rSquared(r.runs, \.forwardKL) - rSquared(r.runs, \.weightL2)
        }
        a.evidence["2b"] = .pooled(values: fitGaps, precondition: nil)
        var fitTable = CSVTable(columns: ["variant", "seed", "predictor", "r_squared", "paper_r_squared"])
        for p in predictors {
            fitTable.append(["all", "all", .string(p.slug), .double(rSquared(allRuns, p.value)), .double(p.paper)])
            for (seed, r) in zip(seeds, results) {
                fitTable.append(["all", .int(seed), .string(p.slug), .double(rSquared(r.runs.filter { !$0.diverged }, p.value)), .double(p.paper)])
            }
        }
        a.tables = [("runs", runsTable), ("base", baseTable), ("matched", matchedTable), ("predictor_fits", fitTable), ("training", trainingTable)]
        a.figures = Figures.make(config: c, methods: methods, results: results, allRuns: allRuns)
        a.reportSections = report(config: c, methods: methods, results: results, allRuns: allRuns,
                                  predictors: predictors.map { ($0.name, $0.paper, rSquared(allRuns, $0.value)) },
                                  matchedLevel: matched(names, \.drop))
        return a
    }
}
