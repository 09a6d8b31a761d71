import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

extension Composition {
    // MARK: Shared base

    /// The base and its evaluation, made once per configuration before the seeds run.
    struct Shared {
        var values: [Float]
        var baseConfig: CompositionBaseConfig
        var gate: CompositionBase.Gate
        var trainingSeconds: Double
        var trainedNow: Bool
        var evaluation: CompositionEvaluation
        var evaluationKey: String
    }
    nonisolated(unsafe) static var shared: Shared? = nil
    static let sharedLock = NSLock()

    static func sizes(_ c: Config) -> CompositionEvaluationSizes {
        CompositionEvaluationSizes(greedyProblems: c.evaluationProblems, passAtKProblems: c.passAtKProblems,
                                   passAtKSamples: c.passAtKSamples, trainProblems: c.trainEvaluationProblems)
    }

    /// Loads the committed base (or trains and saves it when it is missing or was made from another configuration),
    /// then evaluates it.
    public static func prepare(config c: Config, context: RunContext) throws {
        sharedLock.lock(); defer { sharedLock.unlock() }
        let key = CompositionBaseFile.hash(c.base) + "/" + CompositionBaseFile.canonicalJSON(sizes(c))
        if let s = shared, s.evaluationKey == key { return }
        let env = StringFunctionsEnvironment(config: c.base.environment)
        let url = CompositionBaseFile.defaultURL
        var saved = try CompositionBaseFile.read(url, expecting: c.base)
        var trainedNow = false
        if saved == nil {
            context.progress.message("composition: no base for this Stage-1 configuration at \(url.path); training one (\(c.base.steps) steps)")
            saved = try trainAndSave(c.base, to: url, gateProblems: 1024, context: context)
            trainedNow = true
        }
        let base = saved!
        var rng = RandomStream(seed: 0).child(name).child("base-evaluation")
        let evaluation = CompositionEvaluator.evaluate(base.model, env, rendering: c.base.rendering, sizes: sizes(c), rng: &rng)
        shared = Shared(values: base.model.parameters.flatValues, baseConfig: base.config, gate: base.metrics!, trainingSeconds: base.trainingSeconds,
                        trainedNow: trainedNow, evaluation: evaluation, evaluationKey: key)
        context.progress.message(String(format: "composition: base held-out greedy accuracy by level %@; gate %@",
                                        evaluation.greedy.map { String(format: "%.3f", $0) }.joined(separator: " "),
                                        base.metrics!.passes ? "passes" : "fails"))
    }

    /// Trains the Stage-1 base of `b`, measures its gate on `gateProblems` reserved problems per cell and saves both
    /// to `url` (a failure to save is reported and the base is still returned).
    static func trainAndSave(_ b: CompositionBaseConfig, to url: URL, gateProblems: Int, context: RunContext) throws -> CompositionBaseFile.Saved {
        let start = Date()
        let model = try CompositionBase.train(b, every: 100) { step, loss in
            context.progress.message(String(format: "composition: Stage 1 step %d/%d, loss %.4f, %.0f s", step, b.steps, loss,
                                            Date().timeIntervalSince(start)))
        }
        let seconds = Date().timeIntervalSince(start)
        context.progress.message("composition: measuring the gate (\(gateProblems) problems per cell)")
        let env = StringFunctionsEnvironment(config: b.environment)
        let gate = CompositionBase.gate(model, env, problems: gateProblems, rendering: b.rendering)
        do { try CompositionBaseFile.write(model, config: b, gate: gate, trainingSeconds: seconds, to: url) } catch {
            context.progress.message("composition: could not save the base to \(url.path) (\(error)); continuing without saving")
        }
        return .init(model: model, config: b, metrics: gate, trainingSeconds: seconds)
    }

    public static let hasBase = true

    /// `--train-base`: trains `config.base`, measures the gate on 1,024 problems per cell, saves it as the committed
    /// base file and returns gate.csv and a summary. Refuses to replace an existing file unless `force`.
    public static func trainBase(config c: Config, force: Bool, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        try trainBase(c.base, to: CompositionBaseFile.defaultURL, gateProblems: 1024, force: force, context: context)
    }

    static func trainBase(_ b: CompositionBaseConfig, to url: URL, gateProblems: Int, force: Bool,
                          context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        if FileManager.default.fileExists(atPath: url.path) && !force {
            throw UsageError("a base already exists at \(url.path) (committed bases are reused by every run); pass --force to replace it")
        }
        let saved = try trainAndSave(b, to: url, gateProblems: gateProblems, context: context)
        let gate = saved.metrics!
        let env = StringFunctionsEnvironment(config: b.environment)
        let table = Figures.gateTable(gate, env: env)
        var summary = "composition base (configuration hash \(CompositionBaseFile.hash(b))), \(gateProblems) problems per gate cell, "
            + String(format: "trained in %.0f s, saved to %@\n", saved.trainingSeconds, url.path)
        summary += String(format: "  lowest Level-1 accuracy over the 16 functions %.3f (required ≥ 0.9)\n", gate.levelOneByFunction.values.min() ?? .nan)
        summary += String(format: "  held-out Level 3 %.3f (required 0.02–0.25), train Level 2 %.3f (required < 0.9)\n", gate.heldOut[3] ?? .nan, gate.train[2] ?? .nan)
        summary += "  gate: \(gate.passes ? "passes" : "fails")"
        return ([("gate.csv", table.text)], summary)
    }

    // MARK: Run

    public struct VariantResult: Sendable {
        var method: NamedMethod<CompositionStageTwo>
        var evaluation: CompositionEvaluation?
        /// Per step: mean reward, share of samples trained on, token entropy, the update's diagnostics.
        var trace: [(reward: Double, kept: Double, entropy: Double, diagnostics: StepDiagnostics)]
        var diverged: Bool { evaluation == nil }
    }

    public struct SeedResult: Sendable {
        var base: CompositionEvaluation
        var gate: CompositionBase.Gate
        var variants: [VariantResult]
    }

    /// One method's Stage-2 schedule on a seed (`root` is the seed's stream).
    static func rlConfig(_ c: Config, _ method: NamedMethod<CompositionStageTwo>, root: RandomStream) -> CompositionRLConfig {
        var rl = CompositionRLConfig()
        rl.recipe = method.value.recipe; rl.levels = method.value.levels; rl.steps = c.steps
        rl.promptsPerStep = c.promptsPerStep; rl.groupSize = c.groupSize; rl.learningRate = c.learningRate
        var stageTwo = root.child(method.name).child("stage2")
        rl.seed = stageTwo.next()
        return rl
    }

    /// The environment, a model of the base's architecture (initialised, not loaded or trained), every evaluation
    /// set, and each method's Stage-2 trainer with zero steps.
    public static func construct(config c: Config, seed: Int) throws {
        let env = StringFunctionsEnvironment(config: c.base.environment)
        var initRng = RandomStream(seed: 0)
        let model = Transformer(c.base.transformer, rng: &initRng)
        for level in CompositionEvaluation.levels { _ = env.testSet(level: level, subset: .heldOut, size: c.evaluationProblems) }
        for level in 1...2 { _ = env.testSet(level: level, subset: .train, size: c.trainEvaluationProblems) }
        let root = RandomStream(seed: UInt64(seed)).child(name)
        for method in catalogue.resolve(c.methods).methods {
            var rl = rlConfig(c, method, root: root)
            rl.steps = 0
            try CompositionRL.run(model, env, rl, rendering: c.base.rendering)
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        sharedLock.lock(); let s = shared!; sharedLock.unlock()
        let env = StringFunctionsEnvironment(config: s.baseConfig.environment)
        var initRng = RandomStream(seed: 0)
        let model = Transformer(s.baseConfig.transformer, rng: &initRng)
        let root = RandomStream(seed: UInt64(seed)).child(name)
        var results: [VariantResult] = []
        for method in catalogue.resolve(c.methods).methods {
            model.parameters.setValues(s.values)
            let rl = rlConfig(c, method, root: root)
            var trace: [(reward: Double, kept: Double, entropy: Double, diagnostics: StepDiagnostics)] = []
            let ok: Void? = try context.guarded(variant: method.label, seed: seed) {
                try CompositionRL.run(model, env, rl, rendering: s.baseConfig.rendering) { step, stats in
                    trace.append((stats.meanReward, stats.keptFraction, stats.entropy, StepDiagnostics(stats)))
                    context.progress.advance(metric: String(format: "seed %d %@ step %d reward %.2f", seed, method.label, step, stats.meanReward))
                }
            }
            var evaluation: CompositionEvaluation? = nil
            if ok != nil {
                var rng = root.child(method.name).child("evaluation")
                evaluation = CompositionEvaluator.evaluate(model, env, rendering: s.baseConfig.rendering, sizes: sizes(c), rng: &rng)
            }
            context.progress.advance(metric: String(format: "seed %d %@ held-out L3 %.3f", seed, method.label, evaluation?.greedy[2] ?? .nan))
            results.append(VariantResult(method: method, evaluation: evaluation, trace: trace))
        }
        return SeedResult(base: s.evaluation, gate: s.gate, variants: results)
    }
}
