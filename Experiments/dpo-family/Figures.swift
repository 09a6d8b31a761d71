import Foundation
import Engine
import Objectives
import Harness
import Training

extension DPOFamily {
    public static func analyze(config c: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        let methods = resolve(c.methods).methods
        var trajectories = CSVTable(columns: ["policy", "labels", "method", "seed", "step", "chosen_logp", "rejected_logp", "margin",
                                              "mass_outside_pairs", "non_candidate_mass", "kl_to_reference", "gold_train", "gold_test"])
        var finals = CSVTable(columns: ["policy", "labels", "method", "seed", "chosen_logp_change", "margin", "mass_outside_pairs",
                                        "reference_mass_outside_pairs", "non_candidate_mass", "kl_mid", "kl_end", "gold_test",
                                        "reference_gold_test", "optimal_gold_test", "reward_model_accuracy", "sampled_kl_mid", "sampled_kl_end"])
        var training = CSVTable(columns: ["policy", "labels", "method", "seed"] + PolicyGradientStepLog.columns)
        for (seed, r) in zip(seeds, results) {
            for run in r.runs {
                let ref = r.references[run.kind]
                for s in run.trajectory {
                    trajectories.append([.string(run.kind.rawValue), .string(run.labels.rawValue), .string(run.method), .int(seed), .int(s.step),
                                         .double(s.chosenLogProb), .double(s.rejectedLogProb), .double(s.margin), .double(s.massOutsidePairs),
                                         .double(s.nonCandidateMass), .double(s.kl), .double(s.goldTrain), .double(s.goldTest)])
                }
                finals.append([.string(run.kind.rawValue), .string(run.labels.rawValue), .string(run.method), .int(seed),
                               CSVValue(run.end.map { $0.chosenLogProb - run.start!.chosenLogProb }), CSVValue(run.end?.margin),
                               CSVValue(run.end?.massOutsidePairs), CSVValue(ref?.massOutsidePairs[run.labels]), CSVValue(run.end?.nonCandidateMass),
                               CSVValue(run.mid?.kl), CSVValue(run.end?.kl), CSVValue(run.end?.goldTest), CSVValue(ref?.goldTest),
                               CSVValue(ref?.optimalGoldTest), CSVValue(run.rewardModelAccuracy), CSVValue(run.sampledKLMid), CSVValue(run.sampledKLEnd)])
                for s in run.training {
                    training.append([.string(run.kind.rawValue), .string(run.labels.rawValue), .string(run.method), .int(seed)] + s.cells)
                }
            }
        }
        a.tables = [("trajectories", trajectories), ("final", finals), ("rlhf_training", training)]
        a.evidence = evidence(results, methods: methods.map(\.name))

        a.figures = PolicyKind.allCases.flatMap { k in
            Labels.allCases.map { l in
                ("\(k.rawValue)_\(l.rawValue.replacingOccurrences(of: "-", with: "_"))",
                 "The \(k.label): every method over training steps, \(l.label) (mean over \(seeds.count) seeds)",
                 trajectoryFigure(k, l, methods, results))
            }
        }
        a.reportSections = report(c, methods, seeds, results)
        return a
    }

    /// Mean over seeds of a snapshot quantity per step, one series per method.
    static func series(_ k: PolicyKind, _ l: Labels, _ methods: [NamedMethod<PreferenceMethod>], _ results: [SeedResult],
                       _ value: (PolicySnapshot) -> Double) -> [Series] {
        methods.enumerated().compactMap { i, m in
            let runs = results.compactMap { $0.run(k, l, m.name)?.trajectory }
            guard let n = runs.map(\.count).min(), n > 0 else { return nil }
            let points = (0..<n).map { j in (x: Double(runs[0][j].step), y: Statistics.mean(runs.map { value($0[j]) })) }
            return Series(name: m.label, points: points, dashed: m.value.isRLHF, color: Palette.color(i))
        }
    }

    static func trajectoryFigure(_ k: PolicyKind, _ l: Labels, _ methods: [NamedMethod<PreferenceMethod>], _ results: [SeedResult]) -> String {
        var panels: [(String, String, (PolicySnapshot) -> Double)] = [
            ("chosen responses' likelihood", "mean log π(y_c)", { $0.chosenLogProb }),
            ("margin over π_ref", "mean Δ log-ratio (c − r)", { $0.margin }),
            ("mass on responses in no pair", "mass outside pairs", { $0.massOutsidePairs }),
            ("KL to π_ref (training contexts)", k == .feature ? "KL(π ‖ π_ref)" : "KL, candidates + other", { $0.kl }),
            ("gold reward, held-out contexts", "E_π[r*]", { $0.goldTest }),
        ]
        if k == .sequence { panels.append(("mass on strings that are no candidate", "non-candidate mass", { $0.nonCandidateMass })) }
        let plots = panels.map { title, y, f in LinePlot(title: title, xLabel: "step", yLabel: y, series: series(k, l, methods, results, f)) }
        return PanelGrid(title: "dpo-family, \(k.label), \(l.label): \(methods.count) methods on the same offline pairs (dashed: RLHF)",
                         columns: 3, panels: plots).svg()
    }

    /// One method's parameters in words, for the report's setup.
    static func describe(_ m: NamedMethod<PreferenceMethod>, _ c: Config) -> String {
        switch m.value {
        case let .objective(o):
            switch o {
            case let .dpo(b), let .ipo(b), let .hinge(b), let .kto(b): return "\(m.label) β = \(b)"
            case let .cdpo(b, e), let .robustDPO(b, e): return "\(m.label) β = \(b), ε = \(e)"
            case let .simpo(b, g): return "\(m.label) β = \(b), γ = \(g)"
            case let .orpo(l): return "\(m.label) λ = \(l)"
            }
        case let .rlhf(r):
            let rm = r.rewardModel.hiddenSizes.isEmpty ? "a linear Bradley–Terry reward model" : "a Bradley–Terry reward model (MLP \(r.rewardModel.hiddenSizes))"
            return "\(m.label) on \(c.rlhfContextsPerStep) contexts × \(c.rlhfGroupSize) samples per step of its own policy with reward r̂ − \(r.klCoefficient)·log(π/π_ref), r̂ \(rm) trained on the same pairs, and a leave-one-out baseline"
        }
    }

    static func report(_ c: Config, _ methods: [NamedMethod<PreferenceMethod>], _ seeds: [Int], _ results: [SeedResult]) -> [(title: String, markdown: String)] {
        let b = c.bandit
        let offline = methods.filter { !$0.value.isRLHF }.map { describe($0, c) }.joined(separator: "; ")
        let rlhf = methods.filter(\.value.isRLHF).map { describe($0, c) }.joined(separator: "; ")
        let setup = """
        A PreferenceBandit of \(b.contextCount) contexts × \(b.responseCount) responses × \(b.featureCount) features (split \
        \(b.contextCount - b.testContextCount - b.validationContextCount) train / \(b.validationContextCount) validation / \
        \(b.testContextCount) test; a new instance per seed). π_ref is misaligned with the gold reward (within-context \
        correlation \(b.referenceAlignment)) and avoids long responses. Offline data: \(c.pairsPerContext) pairs per training \
        context drawn from π_ref restricted to its \(b.supportSize) most likely responses, so the other \
        \(b.responseCount - b.supportSize) responses of every context never appear in a pair; labels are Bradley–Terry on \
        the gold reward (β = 1) or deterministic (the better response always wins). The policy is the feature policy \
        π(y|x) ∝ π_ref(y|x)·exp(f_θ(φ(x, y))) with f_θ \(c.policyHiddenSizes.isEmpty ? "linear" : "an MLP \(c.policyHiddenSizes)"), \
        shared by every response of every context, so pushing one response moves every response with similar features. \
        Every method starts at π_ref and takes \(c.steps) Adam steps at learning rate \(c.learningRate): the offline \
        objectives on batches of \(c.batchSize) pairs (\(offline.isEmpty ? "none" : offline); IPO, SimPO and ORPO normalise \
        by the response's token count L + 1)\(rlhf.isEmpty ? "" : ", " + rlhf). Every quantity is exact (sums over the K \
        responses), not sampled.
        """
        let q = c.sequence, sb = q.bandit
        let sequenceSetup = """
        The sequence policy runs on its own, smaller instance (\(sb.contextCount) contexts × \(sb.responseCount) responses × \
        \(sb.featureCount) features, \(sb.minTokens)–\(sb.maxTokens) content tokens per response, the pairs' support π_ref's \
        \(sb.supportSize) most likely responses, \(q.pairsPerContext) pairs per training context). A transformer (width \
        \(q.modelWidth), \(q.layers) layers, \(q.heads) heads) is first fine-tuned for \(q.baseSteps) steps on (prompt, \
        response ~ π_ref) — the SFT model that produced the data — and that model is the reference of every method, each \
        of which takes \(q.steps) Adam steps at learning rate \(q.learningRate) (\(q.batchSize) pairs per step; RLHF: \
        \(q.rlhfPromptsPerStep) prompts × \(q.rlhfGroupSize) samples, its KL coefficient in the reward per token, a \
        string that is no candidate scored as the context's worst response by the reward model). log π(y|x) sums over the \
        response's tokens and its end token; the policy can write strings that are no candidate at all, and their mass is \
        measured as one extra outcome ("other"): the KL reported for it is over the candidates plus "other" (a lower bound \
        of the KL over strings), and gold counts "other" as the context's worst response. The sequence claims (ids ending \
        "-seq") require the reference to put at least \(minimumCandidateMass) of its mass on candidates.
        """
        var md = "Final values (mean ± sd over \(seeds.count) seeds). Δ log π(y_c): change of the chosen responses' mean log-probability; margin: change of the chosen–rejected log-ratio gap; KL: exact for the feature policy, over the candidates + \"other\" for the sequence policy; sampled KL: the sequence policy's sampled estimate over all strings at the end; KL end ÷ mid: the claims' ratio (exact KL for the feature policy, sampled KL for the sequence policy); other: mass on strings that are no candidate (sequence policy).\n\n"
        for k in PolicyKind.allCases {
            let refs = results.compactMap { $0.references[k] }
            md += "### The \(k.label)\n\n"
            if k == .sequence { md += "The reference's mass on candidate strings: \(Statistics.meanSD(refs.map(\.candidateMass))).\n\n" }
            for l in Labels.allCases {
                md += "**\(l.label.prefix(1).uppercased() + l.label.dropFirst())** (π_ref's mass outside the pairs: \(Statistics.meanSD(refs.compactMap { $0.massOutsidePairs[l] })); gold reward of π_ref on the test contexts \(Statistics.meanSD(refs.map(\.goldTest))), of the optimal policy \(Statistics.meanSD(refs.map(\.optimalGoldTest))))\n\n"
                md += "| method | Δ log π(y_c) | margin | mass outside pairs | other | KL | sampled KL | KL end ÷ mid | gold (test) |\n|---|---|---|---|---|---|---|---|---|\n"
                for m in methods {
                    let runs = results.compactMap { $0.run(k, l, m.name) }
                    let ratio = runs.compactMap(klEndOverMid)
                    let feature = k == .feature
                    md += "| \(m.label) | \(Statistics.meanSD(runs.map { $0.end!.chosenLogProb - $0.start!.chosenLogProb })) | \(Statistics.meanSD(runs.map { $0.end!.margin })) | \(Statistics.meanSD(runs.map { $0.end!.massOutsidePairs })) | \(feature ? "—" : Statistics.meanSD(runs.map { $0.end!.nonCandidateMass })) | \(Statistics.meanSD(runs.map { $0.end!.kl })) | \(feature ? "—" : Statistics.meanSD(runs.compactMap(\.sampledKLEnd))) | \(Statistics.meanSD(ratio)) | \(Statistics.meanSD(runs.map { $0.end!.goldTest })) |\n"
                }
                md += "\n"
            }
        }
        return [("Setup", setup + "\n\n" + sequenceSetup), ("Our numbers", md)]
    }
}
