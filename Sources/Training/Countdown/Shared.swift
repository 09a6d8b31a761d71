import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// The base both experiments use: Countdown with 4 numbers and at most 4 solutions per problem, 6,000 supervised
/// steps (the committed base.ckpt was trained from exactly this).
public enum CountdownDesign {
    public static let chosenBase: CountdownBaseConfig = {
        var c = CountdownBaseConfig()
        c.task = CountdownConfig(numberCount: 4, maxSolutions: 4)
        c.steps = 6000
        return c
    }()
}

/// The base and its evaluation, loaded (or trained and saved) once per configuration and shared by every seed.
public struct CountdownShared: Sendable {
    public var task: CountdownTask
    public var values: [Float]
    public var transformer: TransformerConfig
    public var evaluation: CountdownEvaluation
    public var measurements: CountdownBase.Measurements?
    public var trainingSeconds: Double
    public var trainedNow: Bool

    public nonisolated(unsafe) static var cache: (key: String, value: CountdownShared)? = nil
    public static let lock = NSLock()

    /// The base for `config` with its evaluation on the first `problems` test problems × `samples` samples. A base
    /// missing at `CountdownBase.defaultURL` (or made from another configuration) is trained and saved there first.
    public static func prepare(_ config: CountdownBaseConfig, problems: Int, samples: Int, experiment: String,
                               context: RunContext) throws -> CountdownShared {
        lock.lock(); defer { lock.unlock() }
        let key = "\(CountdownBase.hash(config))/\(problems)/\(samples)"
        if let c = cache, c.key == key { return c.value }
        let task = CountdownTask(config)
        let url = CountdownBase.defaultURL
        var saved = try CountdownBase.read(url, expecting: config)
        var trainedNow = false
        if saved == nil {
            context.progress.message("\(experiment): no Countdown base for this configuration at \(url.path); training one (\(config.steps) steps)")
            saved = try CountdownBase.trainAndSave(task, to: url, experiment: experiment, context: context)
            trainedNow = true
        }
        let base = saved!
        var rng = RandomStream(seed: 0).child("countdown-base-evaluation")
        let evaluation = CountdownEvaluator.evaluate(base.model, task, problems: problems, samples: samples, rng: &rng)
        context.progress.message(String(format: "\(experiment): base pass@1 %.3f, pass@%d %.3f on %d test problems", evaluation.passAtK[0],
                                        samples, evaluation.passAtK.last!, problems))
        let shared = CountdownShared(task: task, values: base.model.parameters.flatValues, transformer: base.config.transformer,
                                     evaluation: evaluation, measurements: base.metrics, trainingSeconds: base.trainingSeconds,
                                     trainedNow: trainedNow)
        cache = (key, shared)
        return shared
    }

    /// A fresh copy of the base.
    public func model() -> Transformer {
        var rng = RandomStream(seed: 0)
        let m = Transformer(transformer, rng: &rng)
        m.parameters.setValues(values)
        return m
    }
}

/// One method's run on one seed.
public struct CountdownRun: Sendable {
    public var method: NamedMethod<CountdownMethod>
    public var trace: [CountdownRLStep]
    /// nil when the run diverged or was not evaluated.
    public var evaluation: CountdownEvaluation?
    public var diverged: Bool

    /// Mean of `value` over the first `fraction` of the steps (at least one step).
    public func early(_ fraction: Double = 0.2, _ value: (CountdownRLStep) -> Double) -> Double? {
        guard !diverged, !trace.isEmpty else { return nil }
        let n = Swift.max(1, Int((fraction * Double(trace.count)).rounded()))
        return Statistics.mean(trace.prefix(n).map(value))
    }

    /// Mean of `value` over the last `fraction` of the steps (at least one step).
    public func final(_ fraction: Double = 0.1, _ value: (CountdownRLStep) -> Double) -> Double? {
        guard !diverged, !trace.isEmpty else { return nil }
        let n = Swift.max(1, Int((fraction * Double(trace.count)).rounded()))
        return Statistics.mean(trace.suffix(n).map(value))
    }
}

extension CountdownShared {
    /// Runs every method from the base for one seed (in order), evaluating each on the test set when
    /// `evaluationSamples` > 0. Each method's randomness comes from (seed, experiment, method name) only.
    public func runMethods(_ methods: [NamedMethod<CountdownMethod>], config: CountdownRLConfig, seed: Int, experiment: String, withReference: Bool,
                           evaluationProblems: Int, evaluationSamples: Int, context: RunContext) throws -> [CountdownRun] {
        let model = model()
        let reference = withReference ? self.model() : nil
        let root = RandomStream(seed: UInt64(seed)).child(experiment)
        var runs: [CountdownRun] = []
        for method in methods {
            model.parameters.setValues(values)
            var trace: [CountdownRLStep] = []
            var seedStream = root.child(method.name).child("rl")
            let ok: [CountdownRLStep]? = try context.guarded(variant: method.label, seed: seed) {
                try CountdownRL.run(model, reference: reference, task: task, method: method.value, config: config, seed: seedStream.next()) { step, m in
                    trace.append(m)
                    context.progress.advance(metric: String(format: "seed %d %@ step %d reward %.2f entropy %.3f", seed, method.label, step,
                                                            m.accuracy, m.entropy))
                }
            }
            var evaluation: CountdownEvaluation? = nil
            if ok != nil, evaluationSamples > 0 {
                var rng = root.child(method.name).child("evaluation")
                evaluation = CountdownEvaluator.evaluate(model, task, problems: evaluationProblems, samples: evaluationSamples, rng: &rng)
            }
            context.progress.advance(metric: String(format: "seed %d %@ test pass@1 %.3f", seed, method.label, evaluation?.passAtK[0] ?? .nan))
            runs.append(CountdownRun(method: method, trace: trace, evaluation: evaluation, diverged: ok == nil))
        }
        return runs
    }
}

/// The configuration fields both Countdown experiments share (their valid ranges are checked by `scheduleProblem`).
public protocol CountdownSchedule {
    var base: CountdownBaseConfig { get }
    var methods: [CountdownMethod] { get }
    var steps: Int { get }
    var promptsPerStep: Int { get }
    var groupSize: Int { get }
    var learningRate: Float { get }
    var minibatches: Int { get }
    var criticLearningRate: Float { get }
    var evaluationProblems: Int { get }
    var evaluationSamples: Int { get }
}

extension CountdownSchedule {
    /// One RL run's schedule.
    public var rlConfig: CountdownRLConfig {
        var r = CountdownRLConfig()
        r.steps = steps; r.promptsPerStep = promptsPerStep; r.groupSize = groupSize
        r.learningRate = learningRate; r.minibatches = minibatches; r.criticLearningRate = criticLearningRate
        return r
    }

    /// Why the shared fields cannot run (nil when they can): methods 1…16 values, none twice, each valid
    /// (`CountdownMethod.problem`); steps 1…100,000; promptsPerStep 1…4,096; groupSize 2…1,024; learningRate and
    /// criticLearningRate in (0, 1]; minibatches 1…promptsPerStep × groupSize; evaluationProblems 1…base.testProblems;
    /// evaluationSamples `minimumSamples`…4,096; the base as `CountdownBaseConfig.problem` accepts.
    public func scheduleProblem(minimumSamples: Int, catalogue: MethodCatalogue<CountdownMethod>) -> String? {
        if !(1...16).contains(methods.count) { return "methods must list 1…16 methods" }
        let named = catalogue.resolve(methods)
        if let p = named.problem { return p }
        for m in named.methods { if let p = m.value.problem() { return "method \(m.name): \(p)" } }
        if !(1...100_000).contains(steps) { return "steps must be in 1…100,000" }
        if !(1...4096).contains(promptsPerStep) { return "promptsPerStep must be in 1…4,096" }
        if !(2...1024).contains(groupSize) { return "groupSize must be in 2…1,024" }
        if !(learningRate > 0 && learningRate <= 1) { return "learningRate must be in (0, 1]" }
        if !(criticLearningRate > 0 && criticLearningRate <= 1) { return "criticLearningRate must be in (0, 1]" }
        if minibatches < 1 || minibatches > promptsPerStep * groupSize { return "minibatches must be 1 … promptsPerStep × groupSize" }
        if let p = base.problem() { return "base: \(p)" }
        if evaluationProblems < 1 || evaluationProblems > base.testProblems { return "evaluationProblems must be 1 … base.testProblems" }
        if !(minimumSamples...4096).contains(evaluationSamples) { return "evaluationSamples must be in \(minimumSamples)…4,096" }
        return nil
    }
}

/// One seed of a Countdown experiment: the shared base's evaluation and every method's run.
public struct CountdownSeedResult: Sendable {
    public var base: CountdownEvaluation
    public var runs: [CountdownRun]
    /// The run of the method called `name` (nil when this run has no such method).
    public func run(_ name: String) -> CountdownRun? { runs.first { $0.method.name == name } }
}

extension CountdownShared {
    /// Runs `methods` (the schedule's methods, named) for one seed on `schedule`.
    public func runSeed<S: CountdownSchedule>(_ schedule: S, methods: [NamedMethod<CountdownMethod>], seed: Int, experiment: String,
                                              withReference: Bool, context: RunContext) throws -> CountdownSeedResult {
        let runs = try runMethods(methods, config: schedule.rlConfig, seed: seed, experiment: experiment, withReference: withReference,
                                  evaluationProblems: schedule.evaluationProblems, evaluationSamples: schedule.evaluationSamples, context: context)
        return CountdownSeedResult(base: evaluation, runs: runs)
    }
}

/// An experiment that RL-trains Countdown methods from the shared base (negative-reinforcement, minimalist-rl). The
/// base's preparation, `--train-base` and the per-seed run are the same for both; they differ in their methods and in
/// whether each run keeps the frozen base as a reference to measure KL(π ‖ base).
public protocol CountdownExperiment: Experiment where Config: CountdownSchedule, SeedResult == CountdownSeedResult {
    static var catalogue: MethodCatalogue<CountdownMethod> { get }
    /// Whether each run measures its KL to the frozen base (it then keeps the base as a reference model).
    static var measuresKLToBase: Bool { get }
}

extension CountdownExperiment {
    public static var hasBase: Bool { true }

    /// The base and its evaluation for the configuration `prepare` last loaded (nil before it).
    public static var shared: CountdownShared? { CountdownShared.cache?.value }

    /// Loads the committed Countdown base (or trains and saves it when it is missing or was made from another
    /// configuration), then evaluates it once for every seed.
    public static func prepare(config c: Config, context: RunContext) throws {
        _ = try CountdownShared.prepare(c.base, problems: c.evaluationProblems, samples: c.evaluationSamples, experiment: name, context: context)
    }

    /// `--train-base`: trains `config.base`, measures its gate (pass@k on every test problem, 256 samples each) and
    /// saves it as the committed base both experiments share; refuses to replace an existing file unless `force`.
    public static func trainBase(config c: Config, force: Bool, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        try CountdownBase.trainBase(c.base, force: force, experiment: name, context: context)
    }

    /// The task (its problem sets and solutions), a model of the base's architecture (initialised, not loaded or
    /// trained), the evaluation problems, and each method's trainer with zero steps.
    public static func construct(config c: Config, seed: Int) throws {
        let task = CountdownTask(c.base)
        var initRng = RandomStream(seed: 0)
        let model = Transformer(c.base.transformer, rng: &initRng)
        _ = task.test.prefix(c.evaluationProblems).map(CountdownTokenizer.promptTokens)
        var schedule = c.rlConfig
        schedule.steps = 0
        for method in catalogue.resolve(c.methods).methods {
            _ = try CountdownRL.run(model, reference: measuresKLToBase ? model : nil, task: task, method: method.value, config: schedule,
                                    seed: UInt64(seed))
        }
    }

    /// Every method from the base on one seed, each evaluated on the test set.
    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> CountdownSeedResult {
        let shared = try CountdownShared.prepare(c.base, problems: c.evaluationProblems, samples: c.evaluationSamples, experiment: name, context: context)
        return try shared.runSeed(c, methods: catalogue.resolve(c.methods).methods, seed: seed, experiment: name,
                                  withReference: measuresKLToBase, context: context)
    }
}
