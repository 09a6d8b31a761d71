import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// The design the two experiments use (see their REPORT.md, "The base").
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

    /// The base for `config` with its evaluation on the first `problems` test problems × `samples` samples.
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
            let start = Date()
            let model = try CountdownBase.train(task, every: 250) { step, loss, _ in
                context.progress.message(String(format: "\(experiment): base step %d/%d, loss %.4f, %.0f s", step, config.steps, loss,
                                                Date().timeIntervalSince(start)))
            }
            let seconds = Date().timeIntervalSince(start)
            var rng = RandomStream(seed: config.seed).child("base-measurement")
            let e = CountdownEvaluator.evaluate(model, task, samples: 256, rng: &rng)
            let m = CountdownBase.Measurements(samplesPerProblem: 256, ks: e.ks, passAtK: e.passAtK)
            do { try CountdownBase.write(model, config: config, measurements: m, trainingSeconds: seconds, to: url) } catch {
                context.progress.message("\(experiment): could not save the base to \(url.path) (\(error)); continuing without saving")
            }
            saved = .init(model: model, config: config, metrics: m, trainingSeconds: seconds)
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
    public var method: CountdownMethod
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
    /// `evaluationSamples` > 0. Each method's randomness comes from (seed, method) only.
    public func runMethods(_ methods: [CountdownMethod], config: CountdownRLConfig, seed: Int, experiment: String, withReference: Bool,
                           evaluationProblems: Int, evaluationSamples: Int, context: RunContext) throws -> [CountdownRun] {
        let model = model()
        let reference = withReference ? self.model() : nil
        let root = RandomStream(seed: UInt64(seed)).child(experiment)
        var runs: [CountdownRun] = []
        for method in methods {
            model.parameters.setValues(values)
            var trace: [CountdownRLStep] = []
            var seedStream = root.child(method.slug).child("rl")
            let ok: [CountdownRLStep]? = try context.guarded(variant: method.name, seed: seed) {
                try CountdownRL.run(model, reference: reference, task: task, method: method, config: config, seed: seedStream.next()) { step, m in
                    trace.append(m)
                    context.progress.advance(metric: String(format: "seed %d %@ step %d reward %.2f entropy %.3f", seed, method.name, step,
                                                            m.accuracy, m.entropy))
                }
            }
            var evaluation: CountdownEvaluation? = nil
            if ok != nil, evaluationSamples > 0 {
                var rng = root.child(method.slug).child("evaluation")
                evaluation = CountdownEvaluator.evaluate(model, task, problems: evaluationProblems, samples: evaluationSamples, rng: &rng)
            }
            context.progress.advance(metric: String(format: "seed %d %@ test pass@1 %.3f", seed, method.name, evaluation?.passAtK[0] ?? .nan))
            runs.append(CountdownRun(method: method, trace: trace, evaluation: evaluation, diverged: ok == nil))
        }
        return runs
    }
}

/// The configuration fields both Countdown experiments share.
public protocol CountdownSchedule {
    var base: CountdownBaseConfig { get }
    var steps: Int { get }
    var promptsPerStep: Int { get }
    var groupSize: Int { get }
    var learningRate: Float { get }
    var minibatches: Int { get }
    var evaluationProblems: Int { get }
    var evaluationSamples: Int { get }
}

extension CountdownSchedule {
    /// One RL run's schedule (PPO's critic learning rate left at its default).
    public var rlConfig: CountdownRLConfig {
        var r = CountdownRLConfig()
        r.steps = steps; r.promptsPerStep = promptsPerStep; r.groupSize = groupSize
        r.learningRate = learningRate; r.minibatches = minibatches
        return r
    }

    /// Why the shared fields cannot run (nil when they can).
    public func scheduleProblem(minimumSamples: Int) -> String? {
        if steps < 1 || promptsPerStep < 1 || groupSize < 2 { return "steps and promptsPerStep must be ≥ 1, groupSize ≥ 2" }
        if !(learningRate > 0) { return "learningRate must be positive" }
        if minibatches < 1 || minibatches > promptsPerStep * groupSize { return "minibatches must be 1 … promptsPerStep × groupSize" }
        if evaluationProblems < 1 || evaluationProblems > base.testProblems { return "evaluationProblems must be 1 … base.testProblems" }
        if evaluationSamples < minimumSamples { return "evaluationSamples must be ≥ \(minimumSamples)" }
        return base.task.validationError
    }
}

/// One seed of a Countdown experiment: the shared base's evaluation and every method's run.
public struct CountdownSeedResult: Sendable {
    public var base: CountdownEvaluation
    public var runs: [CountdownRun]
    public func run(_ m: CountdownMethod) -> CountdownRun? { runs.first { $0.method == m } }
}

extension CountdownShared {
    /// Runs `methods` for one seed on `schedule` (`rl` overrides the derived RL configuration).
    public func runSeed<S: CountdownSchedule>(_ schedule: S, rl: CountdownRLConfig? = nil, methods: [CountdownMethod], seed: Int, experiment: String,
                                       withReference: Bool, context: RunContext) throws -> CountdownSeedResult {
        let runs = try runMethods(methods, config: rl ?? schedule.rlConfig, seed: seed, experiment: experiment, withReference: withReference,
                                  evaluationProblems: schedule.evaluationProblems, evaluationSamples: schedule.evaluationSamples, context: context)
        return CountdownSeedResult(base: evaluation, runs: runs)
    }
}
