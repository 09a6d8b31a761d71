import Testing
import Foundation
import Engine
import Objectives
@testable import Harness
@testable import RLRazorExperiment

@Suite struct RLRazorConfiguration {
    @Test func configurationsAreValidated() {
        #expect(RLRazor.validate(RLRazor.defaultConfig) == nil && RLRazor.validate(RLRazor.quickConfig) == nil)
        var c = RLRazor.defaultConfig
        c.learningRates = [1e-3]
        #expect(RLRazor.validate(c) != nil)
        c = RLRazor.defaultConfig
        c.groupSize = 1
        #expect(RLRazor.validate(c) != nil)
        #expect(RLRazor.defaultConfig.learningRates.count >= 8)
        let r = RLRazor.defaultConfig.learningRates
        #expect(Swift.abs(r.first! - 3e-6) < 1e-12 && Swift.abs(r.last! - 1e-3) < 1e-12)
        #expect(zip(r, r.dropFirst()).allSatisfy { Swift.abs($1 / $0 - r[1] / r[0]) < 1e-9 })   // log-spaced
    }
}

@Suite struct RLRazorDeclarationTests {
    @Test func methodsAreNamedFromTheirValues() throws {
        #expect(RLRazor.methodNames(RLRazor.defaultConfig) == ["grpo", "reinforce", "sft1", "sft2", "oracle_sft", "sft_on_rl"])
        let dr = try ConfigOverrides.apply([("methods.0.rl.advantage", "drGRPO")], to: RLRazor.quickConfig)
        #expect(dr.methods[0] == .rl(Recipe(advantage: .drGRPO, objective: .vanilla)))
        #expect(RLRazor.methodNames(dr) == ["grpo[advantage=drGRPO]", "reinforce", "sft1", "sft2", "oracle_sft", "sft_on_rl"])
        #expect(RLRazor.validate(dr) == nil)
        let teacher = try ConfigOverrides.apply([("methods.5.sft", "policySamples(teacher=1)")], to: RLRazor.quickConfig)
        #expect(RLRazor.methodNames(teacher).last == "sft_on_rl[teacher=1]")
        try expectMethodExamplesValidate(RLRazor.self)
    }

    @Test func invalidMethodListsAreRefused() {
        var c = RLRazor.quickConfig
        c.methods = [c.methods[0], c.methods[0]]
        #expect(RLRazor.validate(c) != nil)                                   // the same value twice
        c = RLRazor.quickConfig
        c.methods = [.sft(.policySamples(teacher: 0))]
        #expect(RLRazor.validate(c) != nil)                                   // no RL teacher before it
        c.methods = [.sft(.oneLabel), .sft(.policySamples(teacher: 0))]
        #expect(RLRazor.validate(c) != nil)                                   // the teacher is not RL
        c.methods = [.rl(Recipe(advantage: .gae(gamma: 1, lambda: 1, whiten: false), objective: .vanilla))]
        #expect(RLRazor.validate(c) != nil)                                   // no critic
    }

    /// A tiny run with GRPO's advantage changed: every claim that reads `grpo` is inconclusive and names it; the RL
    /// runs log their steps with the diagnostics (one step per batch, so every ratio is 1 up to rounding).
    @Test func aChangedGRPOMakesItsClaimsInconclusive() throws {
        var c = try ConfigOverrides.apply([("methods.0.rl.advantage", "drGRPO")], to: RLRazor.quickConfig)
        c.pretrainPerTask = 20; c.pretrainEpochs = 1; c.evaluationPerTask = 20; c.fineTuneSteps = 3; c.batchSize = 4
        c.hiddenWidths = [8]; c.trainingLogEvery = 2
        let context = RunContext(experiment: "rl-razor", progress: Progress(label: "test", enabled: false))
        let results = try [0].map { try RLRazor.runSeed(config: c, seed: $0, context: context) }
        let analysis = RLRazor.analyze(config: c, seeds: [0], results: results, context: context)
        for id in ["1a", "1b", "3", "4", "5", "6"] {
            let r = ClaimEvaluator.evaluate(RLRazor.claims.first { $0.id == id }!, analysis.evidence[id]!)
            #expect(r.verdict == .inconclusive && r.note.contains("'grpo'"), "\(id): \(r.note)")
        }
        let training = analysis.tables.first { $0.name == "training" }!.table
        #expect(training.rows.count == 2 * c.learningRates.count * 2)        // steps 1 and 3 of each RL run
        let ratio = training.columns.firstIndex(of: "mean_ratio")!
        #expect(training.rows.allSatisfy { if case let .double(r) = $0[ratio] { return Swift.abs(r - 1) < 1e-5 } else { return false } })
    }
}

@Suite struct RLRazorMarginTests {
    /// The claims read their margins from the configuration: the defaults give the declared claims; other margins move
    /// the thresholds claims 3, 4 and 5 are judged by.
    @Test func claimsReadTheirMarginsFromTheConfiguration() throws {
        let defaults = RLRazor.claims(for: RLRazor.defaultConfig)
        #expect(defaults.first { $0.id == "3" }?.direction.threshold == 0.01)
        #expect(defaults.first { $0.id == "3" }?.description.contains("within 1 point") == true)
        #expect(defaults.first { $0.id == "1a" }?.precondition.contains("≥ 5 points") == true)
        let c = try ConfigOverrides.apply([("oracleMargin", "0.03"), ("equivalenceMargin", "0.1")], to: RLRazor.defaultConfig)
        let moved = RLRazor.claims(for: c)
        #expect(moved.first { $0.id == "3" }?.direction.threshold == 0.03)
        #expect(moved.filter { ["4", "5"].contains($0.id) }.allSatisfy { $0.direction.threshold == 0.1 })
        var bad = RLRazor.defaultConfig
        bad.equivalenceMargin = 0
        #expect(RLRazor.validate(bad) != nil)
        bad = RLRazor.defaultConfig
        bad.oracleMargin = -1
        #expect(RLRazor.validate(bad) != nil)
    }
}

@Suite struct RLRazorDivergenceTests {
    /// One learning rate of the sweep is absurd (10³⁰; validation refuses it, so the run is built directly): every
    /// method diverges at that rate and is reported as diverged with one line naming the experiment, the method, the
    /// seed and the step; runs.csv writes no numbers for it; the runs at the sane rate go on; each seed counts as one
    /// where every claim fails. The control, the same run without the absurd rate, gives finite evidence.
    @Test func anAbsurdLearningRateDivergesThoseRunsAndFailsTheirSeeds() throws {
        var c = RLRazor.quickConfig
        c.pretrainPerTask = 20; c.pretrainEpochs = 1; c.evaluationPerTask = 20; c.fineTuneSteps = 3; c.batchSize = 4
        c.hiddenWidths = [8]
        func run(_ rates: [Double]) throws -> (Analysis, RunContext) {
            c.learningRates = rates
            let context = RunContext(experiment: "rl-razor", progress: Progress(label: "test", enabled: false))
            let results = try [0, 1].map { try RLRazor.runSeed(config: c, seed: $0, context: context) }
            return (RLRazor.analyze(config: c, seeds: [0, 1], results: results, context: context), context)
        }
        let (absurd, context) = try run([3e-4, 1e30])
        #expect(RLRazor.validate(c) != nil)
        let methods = RLRazor.methodNames(c)
        #expect(context.diverged.count == 2 * methods.count)
        for e in context.diverged {
            let line = e.description
            #expect(!line.contains("\n") && line.hasPrefix("rl-razor: run diverged") && line.contains("lr=1e+30") && line.contains("step "))
            #expect(methods.contains { e.variant == "\($0)/lr=1e+30" } && [0, 1].contains(e.seed))
        }
        let runs = absurd.tables.first { $0.name == "runs" }!.table
        let lr = runs.columns.firstIndex(of: "lr")!, drop = runs.columns.firstIndex(of: "prior_task_drop")!
        let flag = runs.columns.firstIndex(of: "diverged")!
        for row in runs.rows {
            let isAbsurd = row[lr] == .double(1e30)
            #expect(row[flag] == .string(isAbsurd ? "true" : "false"))
            if isAbsurd { #expect(row[drop] == .missing) } else if case .double = row[drop] {} else { Issue.record("no drop at the sane rate") }
        }
        for spec in RLRazor.claims {
            let r = ClaimEvaluator.evaluate(spec, absurd.evidence[spec.id]!)
            #expect(r.verdict != .holds, "\(spec.id)")
            switch absurd.evidence[spec.id]! {
            case let .pooled(values, _): #expect(values.count == 2 && values.allSatisfy { $0.isNaN }, "\(spec.id)")
            case let .perSeed(values, failed): #expect(values == [nil, nil] && failed == [nil, nil] && r.verdict == .fails, "\(spec.id)")
            default: Issue.record("\(spec.id): unexpected evidence")
            }
        }
        let (sane, saneContext) = try run([3e-4, 1e-3])
        #expect(saneContext.diverged.isEmpty)
        if case let .pooled(values, _) = sane.evidence["2b"]! { #expect(values.allSatisfy { $0.isFinite }) } else { Issue.record("2b") }
    }
}
