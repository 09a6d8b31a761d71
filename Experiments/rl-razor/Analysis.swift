import Foundation
import Engine
import Harness
import Training

extension RLRazor {
    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        var runsTable = CSVTable(columns: ["variant", "seed", "lr", "new_task_accuracy", "new_task_argmax_accuracy", "prior_task_accuracy", "prior_task_drop",
                                           "forward_kl", "reverse_kl", "total_variation", "weight_l2", "diverged"])
        var baseTable = CSVTable(columns: ["variant", "seed", "new_task_accuracy", "new_task_argmax_accuracy", "prior_task_accuracy"])
        for (seed, r) in zip(seeds, results) {
            baseTable.append(["base", .int(seed), .double(r.baseNewAccuracy), .double(r.baseNewArgmaxAccuracy), .double(r.basePriorAccuracy)])
            for run in r.runs {
                let v: (Double) -> CSVValue = { run.diverged ? .missing : .double($0) }
                runsTable.append([.string(run.method.slug), .int(seed), .double(run.rate), v(run.newAccuracy), v(run.newArgmaxAccuracy), v(run.priorAccuracy), v(run.drop),
                                  v(run.forwardKL), v(run.reverseKL), v(run.totalVariation), v(run.weightL2), .string(run.diverged ? "true" : "false")])
            }
        }

        // Matched accuracy (the harness's rule, per seed since the comparisons are paired over seeds): on each seed every
        // compared method's sweep is interpolated at the highest accuracy all of them reach on that seed
        var matchedTable = CSVTable(columns: ["variant", "seed", "comparison", "matched_accuracy", "prior_task_drop", "forward_kl"])
        func matched(_ methods: [Method], _ y: (Run) -> Double) -> (levels: [Double], values: [[Double?]], precondition: String?) {
            var levels: [Double] = [], values: [[Double?]] = []
            for r in results {
                let curves = methods.map { m in r.runs.filter { $0.method == m && !$0.diverged }.map { (x: $0.newAccuracy, y: y($0)) } }
                let level = Matched.commonLevel(curves) ?? .nan
                levels.append(level)
                values.append(curves.map { level.isFinite ? Matched.value(at: level, sweep: $0) : nil })
            }
            let short = zip(seeds, zip(levels, results)).filter { !($0.1.0 - $0.1.1.baseNewAccuracy >= c.minimumGain) }
            let precondition = short.isEmpty ? nil : "the common accuracy is < \(Int(100 * c.minimumGain)) points above the base on seed(s) "
                + short.map { String(format: "%d (%.3f vs base %.3f)", $0.0, $0.1.0, $0.1.1.baseNewAccuracy) }.joined(separator: ", ")
            return (levels, values, precondition)
        }
        func pairedEvidence(_ first: Method, _ second: Method, _ y: (Run) -> Double, id: String) -> ClaimEvidence {
            let m = matched([first, second], y)
            for (k, seed) in seeds.enumerated() {
                for (method, v) in zip([first, second], m.values[k]) {
                    let dropOrKL = v.map { CSVValue.double($0) } ?? .missing
                    matchedTable.append([.string(method.slug), .int(seed), .string("claim \(id)"), .double(m.levels[k]),
                                         id == "6" ? .missing : dropOrKL, id == "6" ? dropOrKL : .missing])
                }
            }
            let diffs = m.values.compactMap { v -> Double? in v[0].flatMap { a in v[1].map { a - $0 } } }
            let missing = diffs.count < m.values.count ? "a method produced no finite run on some seed" : nil
            return .pooled(values: diffs, precondition: m.precondition ?? missing)
        }
        a.evidence["1a"] = pairedEvidence(.grpo, .sft1, \.drop, id: "1a")
        a.evidence["1b"] = pairedEvidence(.grpo, .sft2, \.drop, id: "1b")
        a.evidence["3"] = pairedEvidence(.oracle, .grpo, \.drop, id: "3")
        a.evidence["4"] = pairedEvidence(.sftOnRL, .grpo, \.drop, id: "4")
        a.evidence["5"] = pairedEvidence(.reinforce, .grpo, \.drop, id: "5")
        a.evidence["6"] = pairedEvidence(.grpo, .sft1, \.forwardKL, id: "6")

        // Predictors of forgetting: quadratic-with-intercept fits of drop on each candidate
        let predictors: [(name: String, slug: String, paper: Double, value: (Run) -> Double)] = [
            ("forward KL E_x~τ KL(π₀‖π)", "forward_kl", 0.96, \.forwardKL), ("reverse KL E_x~τ KL(π‖π₀)", "reverse_kl", 0.93, \.reverseKL),
            ("total variation", "total_variation", 0.80, \.totalVariation), ("weight-space L2", "weight_l2", 0.56, \.weightL2)]
        let allRuns = results.flatMap { $0.runs.filter { !$0.diverged } }
        func rSquared(_ runs: [Run], _ f: (Run) -> Double) -> Double {
            guard runs.count >= 4 else { return .nan }
            return Statistics.quadraticFit(x: runs.map(f), y: runs.map(\.drop)).rSquared
        }
        let perSeedR2 = results.map { r -> Double? in
            let runs = r.runs.filter { !$0.diverged }
            return runs.count >= 4 ? rSquared(runs, \.forwardKL) : nil
        }
        a.evidence["2a"] = .perSeed(values: perSeedR2, preconditionFailed: perSeedR2.map { _ in nil })
        var boot = RandomStream(seed: 0x2B).child(seeds.map(String.init).joined(separator: ","))
        var replicates: [Double] = []
        for _ in 0..<c.bootstrapResamples {
            let sample = (0..<allRuns.count).map { _ in allRuns[boot.int(allRuns.count)] }
            let d = rSquared(sample, \.forwardKL) - rSquared(sample, \.weightL2)
            if d.isFinite { replicates.append(d) }
        }
        replicates.sort()
        let estimate2b = rSquared(allRuns, \.forwardKL) - rSquared(allRuns, \.weightL2)
        let seeds2b = results.filter { r in
            let runs = r.runs.filter { !$0.diverged }
            return rSquared(runs, \.forwardKL) > rSquared(runs, \.weightL2)
        }.count
        a.evidence["2b"] = .bound(estimate: estimate2b, bound: replicates.isEmpty ? .nan : Statistics.quantile(sorted: replicates, 0.05),
                                  description: "95% lower bound (bootstrap over \(allRuns.count) runs)", seedsHolding: seeds2b,
                                  seedsTotal: results.count, precondition: allRuns.count < 8 ? "fewer than 8 finite runs" : nil)
        var fitTable = CSVTable(columns: ["variant", "seed", "predictor", "r_squared", "paper_r_squared"])
        for p in predictors {
            fitTable.append(["all", "all", .string(p.slug), .double(rSquared(allRuns, p.value)), .double(p.paper)])
            for (seed, r) in zip(seeds, results) {
                fitTable.append(["all", .int(seed), .string(p.slug), .double(rSquared(r.runs.filter { !$0.diverged }, p.value)), .double(p.paper)])
            }
        }
        a.tables = [("runs", runsTable), ("base", baseTable), ("matched", matchedTable), ("predictor_fits", fitTable)]
        a.figures = Figures.make(config: c, seeds: seeds, results: results, allRuns: allRuns)
        a.reportSections = report(config: c, results: results, allRuns: allRuns, predictors: predictors.map { ($0.name, $0.paper, rSquared(allRuns, $0.value)) },
                                  matchedLevel: matched(Method.allCases, \.drop))
        return a
    }

    static func report(config c: Config, results: [SeedResult], allRuns: [Run], predictors: [(String, Double, Double)],
                       matchedLevel: (levels: [Double], values: [[Double?]], precondition: String?)) -> [(title: String, markdown: String)] {
        let base = results.map(\.baseNewAccuracy), prior = results.map(\.basePriorAccuracy)
        func ms(_ xs: [Double]) -> String {
            xs.isEmpty ? "—" : String(format: "%.3f ± %.3f", Statistics.mean(xs), xs.count > 1 ? Statistics.standardDeviation(xs) : 0)
        }
        var md = "Base policy (after joint pretraining): new-task (parity) accuracy \(ms(base)), prior-task accuracy \(ms(prior)) (mean ± sd over seeds).\n\n"
        md += "Prior-task drop of every method at the highest new-task accuracy all six methods reach on each seed (\(matchedLevel.levels.map { String(format: "%.3f", $0) }.joined(separator: ", "))):\n\n"
        md += "| method | best new-task accuracy | drop at matched accuracy |\n|---|---|---|\n"
        for (k, m) in Method.allCases.enumerated() {
            let best = results.map { r in r.runs.filter { $0.method == m && !$0.diverged }.map(\.newAccuracy).max() ?? .nan }
            md += "| \(m.rawValue) | \(ms(best)) | \(ms(matchedLevel.values.compactMap { $0[k] })) |\n"
        }
        md += "\nPaper (ParityMNIST, their figure 3): near matched accuracy SFT forgets far more than RL; the public replication's probe of this toy measured drops of 0.02–0.03 for GRPO, 0.69 for SFT-1 and 0.49 for SFT-2 near new-task accuracy 0.88, and about 0 for Oracle SFT.\n\n"
        md += "Predicting forgetting: R² of a quadratic-with-intercept fit of prior-task drop on each candidate, pooled over every method, learning rate and seed (\(allRuns.count) runs):\n\n| predictor | R² (ours) | R² (paper, ParityMNIST) |\n|---|---|---|\n"
        for (name, paper, ours) in predictors { md += String(format: "| %@ | %.3f | %.2f |\n", name, ours, paper) }
        let setup = """
        ParityDigits (ENVIRONMENTS.md): 12×12 seven-segment digits with slant, shift, scale and stroke jitter and pixel noise; the \
        prior task is 10 noisy texture classes; input = 144 pixels + a task indicator (±1). An MLP \(([145] + c.hiddenWidths + [10]).map(String.init).joined(separator: "→")) \
        is pretrained jointly on \(c.pretrainPerTask) images per task for \(c.pretrainEpochs) epochs (Adam \(c.pretrainLearningRate), batch 64), \
        parity targets uniform over the 5 correct-parity labels, so the base spreads its mass over several correct answers. \
        Fine-tuning: \(c.fineTuneSteps) steps × \(c.batchSize) fresh new-task images (the same batches for every method), Adam, one \
        gradient step per batch, \(c.learningRates.count) learning rates log-spaced in [\(String(format: "%.0e", c.learningRates.first!)), \(String(format: "%.0e", c.learningRates.last!))]. \
        GRPO: \(c.groupSize) sampled labels per image, binary reward, group-normalised advantages, vanilla policy gradient (no KL, \
        no clipping). 1-0 REINFORCE: the same with A = r. SFT-1: even→0, odd→1. SFT-2: even→{0,4}, odd→{1,5} at random. Oracle \
        SFT: soft targets q* ∝ π₀·1[correct]. SFT on RL samples: labels sampled from the GRPO policy trained at the same rate. \
        New-task accuracy is the policy's expected reward on \(c.evaluationPerTask) held-out images, E_x Σ_{y correct} π(y|x) (what a sampled answer scores, and what RL optimises); arg-max accuracy is in runs.csv beside it. Our first version matched on arg-max accuracy: recognising the noisy 12×12 digits caps it at about 0.89 for every method (base 0.79–0.83), so the common level never cleared the 5-point precondition and the matched claims were inconclusive; the expected reward is the policy-level quantity and has the room. Prior-task accuracy is arg-max accuracy (a classifier's score). KLs and total variation are exact over \
        the 10 classes, averaged over the held-out new-task images; weight L2 is ‖θ − θ₀‖. Matched-accuracy comparisons use the \
        harness's shared rule (piecewise-linear interpolation of each method's sweep at the highest accuracy every compared method \
        reaches on every seed); pooled claims bootstrap the per-seed paired differences.
        """
        let decisions = """
        Three choices were made after looking at numbers, none touching a claim's statistic, threshold or seeds:

        1. **Headroom (pixel noise 0.15, longer fine-tuning).** With ParityDigits' default noise 0.22 and the probe's 300 steps, the 5-seed default run put the base at 0.806–0.826 and SFT-1's best new-task accuracy at only 0.859–0.885, so the "common accuracy ≥ 5 points above the base" precondition failed on most seeds and the matched claims were inconclusive. Probes on seed 1 (the seed with the least headroom): noise 0.15 with 300 steps, base 0.877 and methods 0.923–0.940 (SFT on RL samples only +4.6); noise 0.22 with 600 steps, base 0.821 and methods 0.885–0.911, but twice the runtime; learning rates shifted to [1e-5, 3e-3], no gain (accuracy is data-limited); noise 0.15 with 400 steps, base 0.877 and methods 0.936–0.951. We use noise 0.15, and the default run fine-tunes for 500 steps (25% more than the last probe, for headroom on every seed, not only seed 1).
        2. **Accuracy metric.** Matching first used arg-max accuracy, which the perception ceiling caps for every method; we match on the policy's expected reward (mass on correct labels). Both are in runs.csv.
        3. **Matched level per seed.** The first version used one level for all seeds (the lowest seed's), which let the weakest seed set the level for all; since the claims pair methods within a seed, each seed is now compared at the highest accuracy both methods reach on that seed (the harness rule, applied per pair).
        """
        return [("Setup", setup), ("Our numbers beside the paper's", md), ("Design decisions", decisions)]
    }
}
