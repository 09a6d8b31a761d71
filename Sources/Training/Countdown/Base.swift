import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

// The Countdown base shared by negative-reinforcement and minimalist-rl: the tiny transformer supervised on solver
// solutions (one solution drawn uniformly per example, so the base keeps several ways to solve a problem), trained
// once, deterministically, and saved beside this file (committed, so a fresh clone reuses it).

/// What the base is trained on and how; any change trains a new base.
public struct CountdownBaseConfig: Codable, Equatable, Sendable {
    /// The task distribution: how many numbers, their range, the targets, the operations (`CountdownConfig`).
    public var task = CountdownConfig(numberCount: 4)
    /// Supervised draws (with repeats) from the problems outside the test set and the RL pool.
    public var trainProblems = 20_000
    /// Held-out problems every pass@k is measured on.
    public var testProblems = 128
    /// Distinct problems reserved for RL: never in the supervised data nor the test set, so RL, like the papers' RL,
    /// trains on problems the base has not memorised.
    public var rlProblems = 2048
    public var modelWidth = 128
    public var layers = 2
    public var heads = 4
    /// Supervised steps of `batchSize` (prompt, solution) sequences.
    public var steps = 4000
    public var batchSize = 128
    /// AdamW (weight decay 0.01), warm-up over min(100, steps/10) steps then cosine decay to a tenth.
    public var peakLearningRate: Float = 1e-3
    public var seed: UInt64 = 0

    public init() {}

    /// The first field out of its valid range, or nil: the task as `CountdownConfig.validationError` accepts;
    /// trainProblems 1…1,000,000; testProblems 1…10,000; rlProblems 1…100,000 (testProblems + rlProblems distinct
    /// problems must exist in the task's distribution); modelWidth 8…1,024, a multiple of heads; layers 1…16; heads
    /// 1…32; steps 1…1,000,000; batchSize 1…4,096; peakLearningRate in (0, 1].
    public func problem() -> String? {
        if let e = task.validationError { return e }
        if !(1...1_000_000).contains(trainProblems) || !(1...10_000).contains(testProblems) || !(1...100_000).contains(rlProblems) {
            return "trainProblems must be in 1…1,000,000, testProblems 1…10,000, rlProblems 1…100,000"
        }
        if !(1...16).contains(layers) || !(1...32).contains(heads) || !(8...1024).contains(modelWidth) || modelWidth % heads != 0
            || (modelWidth / heads) % 2 != 0 {
            return "layers must be in 1…16, heads 1…32, modelWidth 8…1,024 and a multiple of heads with an even width per head (rotary positions); got \(layers) layers, \(heads) heads, width \(modelWidth)"
        }
        if !(1...1_000_000).contains(steps) || !(1...4096).contains(batchSize) { return "steps must be in 1…1,000,000, batchSize 1…4,096" }
        if !(peakLearningRate > 0 && peakLearningRate <= 1) { return "peakLearningRate must be in (0, 1]" }
        return nil
    }

    public var transformer: TransformerConfig {
        TransformerConfig(vocabularySize: CountdownTokenizer.vocabularySize,
                          contextLength: CountdownTokenizer.maximumPromptLength(task) + CountdownTokenizer.maximumAnswerLength(task),
                          modelWidth: modelWidth, layers: layers, heads: heads, positionEncoding: .rotary)
    }
}

/// The problems, their solver solutions and the verifier, for one base configuration. Three disjoint sets: the
/// supervised problems, the RL pool and the test set (distinct problems drawn together, the test set first).
public struct CountdownTask: Sendable {
    public let config: CountdownBaseConfig
    /// The base's supervised problems (drawn with repeats).
    public let train: [CountdownProblem]
    /// Problems RL samples its prompts from.
    public let rlPool: [CountdownProblem]
    public let test: [CountdownProblem]
    /// Every distinct solution of each train problem (the supervised targets).
    public let solutions: [[CountdownSolution]]

    public init(_ config: CountdownBaseConfig) {
        self.config = config
        let dataset = CountdownDataset(config: config.task, trainSize: config.trainProblems, testSize: config.testProblems + config.rlProblems,
                                       stream: RandomStream(seed: config.seed).child("countdown-data"))
        train = dataset.train
        test = Array(dataset.test.prefix(config.testProblems))
        rlPool = Array(dataset.test.dropFirst(config.testProblems))
        solutions = train.map { CountdownSolver.solve($0, rules: config.task.rules, enumerate: true).solutions }
    }

    public var maxResponseLength: Int { CountdownTokenizer.maximumAnswerLength(config.task) }

    public func sampling(temperature: Float = 1) -> SamplingOptions {
        SamplingOptions(maxNewTokens: maxResponseLength, temperature: temperature,
                        endToken: CountdownTokenizer.endToken, padToken: CountdownTokenizer.padToken)
    }

    public func verify(_ response: [Int32], _ problem: CountdownProblem) -> CountdownVerdict {
        CountdownVerifier.verify(response, problem: problem, rules: config.task.rules)
    }

    /// Mean number of distinct solutions per train problem.
    public var meanSolutionsPerProblem: Double { Double(solutions.map(\.count).reduce(0, +)) / Double(Swift.max(1, solutions.count)) }
}

public enum CountdownBase {
    /// Trains the base from scratch, deterministically. `report(step, smoothed loss, model)` every `every` steps (the
    /// model after that step's update).
    public static func train(_ task: CountdownTask, every: Int = 250, report: (Int, Float, Transformer) -> Void = { _, _, _ in }) throws -> Transformer {
        let c = task.config
        let rng = RandomStream(seed: c.seed)
        var initRng = rng.child("init")
        let model = Transformer(c.transformer, rng: &initRng)
        var dataRng = rng.child("sft-data")
        let schedule = LearningRateSchedule.warmupCosine(peak: c.peakLearningRate, warmupSteps: Swift.min(100, c.steps / 10),
                                                         totalSteps: c.steps, minimum: c.peakLearningRate / 10)
        let solvable = task.solutions.indices.filter { !task.solutions[$0].isEmpty }
        require(!solvable.isEmpty, "CountdownBase: no train problem has a solution")
        var running: Float = 0
        var pending: Int? = nil
        try TrainingLoop.run(steps: c.steps, parameters: model.parameters, optimizer: AdamW(weightDecay: 0.01), schedule: schedule) { g, step in
            // the previous step's update has been applied when the next step starts
            if let done = pending { report(done, running, model); pending = nil }
            let sequences = (0..<c.batchSize).map { _ -> SupervisedSequence in
                let index = solvable[dataRng.int(solvable.count)]
                let solution = task.solutions[index][dataRng.int(task.solutions[index].count)]
                return SupervisedSequence(prompt: CountdownTokenizer.promptTokens(task.train[index]),
                                          target: CountdownTokenizer.answerTokens(solution))
            }
            let l = SupervisedBatch.loss(sequences, model: model, graph: g, microBatch: c.batchSize, pad: CountdownTokenizer.padToken)
            running = step == 0 ? l.item : 0.98 * running + 0.02 * l.item
            if (step + 1) % every == 0 || step + 1 == c.steps { pending = step + 1 }
            return l
        }
        if let done = pending { report(done, running, model) }
        return model
    }

    /// What is stored with a saved base: its pass@k on the test set when it was made.
    public struct Measurements: Codable, Equatable, Sendable {
        public var samplesPerProblem: Int
        public var ks: [Int]
        public var passAtK: [Double]

        public init(samplesPerProblem: Int, ks: [Int], passAtK: [Double]) {
            self.samplesPerProblem = samplesPerProblem; self.ks = ks; self.passAtK = passAtK
        }
    }

    public static let format = SavedModelFormat(prefix: "countdown.base", version: "1", metricsKey: "evaluation")

    /// Where the experiments keep the base: beside this source file.
    public static var defaultURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("base.ckpt")
    }

    public typealias Saved = SavedModelFormat.Saved<CountdownBaseConfig, Measurements>

    public static func write(_ model: Transformer, config: CountdownBaseConfig, measurements: Measurements, trainingSeconds: Double,
                             to url: URL = defaultURL) throws {
        try format.write(model, config: config, metrics: measurements, trainingSeconds: trainingSeconds, to: url)
    }

    /// The saved base at `url`; nil when missing or made from another configuration (or format).
    public static func read(_ url: URL = defaultURL, expecting: CountdownBaseConfig? = nil) throws -> Saved? {
        try format.read(url, expecting: expecting, metrics: Measurements.self) { $0.transformer }
    }

    public static func hash(_ config: CountdownBaseConfig) -> String { SavedModelFormat.hash(config) }
}

extension CountdownBase {
    /// The base's gate, on every test problem with `Measurements.samplesPerProblem` samples: pass@1 in this range
    /// (the base solves some problems, leaving RL room to improve) …
    public static let gatePassAtOne: ClosedRange<Double> = 0.15...0.6
    /// … and pass@k at the largest k in this one (some problems stay unsolved, so pass@k can rise or fall).
    /// negative-reinforcement's claims require both of its base's evaluation.
    public static let gatePassAtLargestK: ClosedRange<Double> = 0.5...0.97

    /// Whether `m` passes the gate.
    public static func passesGate(_ m: Measurements) -> Bool {
        guard let one = m.passAtK.first, let largest = m.passAtK.last else { return false }
        return gatePassAtOne.contains(one) && gatePassAtLargestK.contains(largest)
    }

    /// gate.csv: pass@k of the base for every k, with the range the gate requires at k = 1 and at the largest k.
    public static func gateTable(_ m: Measurements, problems: Int) -> CSVTable {
        var t = CSVTable(columns: ["k", "pass_at_k", "problems", "samples_per_problem", "required_lowest", "required_highest", "passes"])
        for (i, (k, p)) in zip(m.ks, m.passAtK).enumerated() {
            let range: ClosedRange<Double>? = i == 0 ? gatePassAtOne : (i == m.ks.count - 1 ? gatePassAtLargestK : nil)
            t.append([.int(k), .double(p), .int(problems), .int(m.samplesPerProblem), CSVValue(range?.lowerBound), CSVValue(range?.upperBound),
                      range.map { .string($0.contains(p) ? "yes" : "no") } ?? .missing])
        }
        return t
    }

    /// Trains the base of `task`, measures pass@k on every test problem with `gateSamples` samples each and saves
    /// both to `url` (a failure to save is reported and the base is still returned).
    public static func trainAndSave(_ task: CountdownTask, to url: URL, gateSamples: Int = 256, experiment: String,
                                    context: RunContext) throws -> Saved {
        let config = task.config
        let start = Date()
        let model = try train(task, every: 250) { step, loss, _ in
            context.progress.message(String(format: "\(experiment): base step %d/%d, loss %.4f, %.0f s", step, config.steps, loss,
                                            Date().timeIntervalSince(start)))
        }
        let seconds = Date().timeIntervalSince(start)
        var rng = RandomStream(seed: config.seed).child("base-measurement")
        let e = CountdownEvaluator.evaluate(model, task, samples: gateSamples, rng: &rng)
        let m = Measurements(samplesPerProblem: gateSamples, ks: e.ks, passAtK: e.passAtK)
        do { try write(model, config: config, measurements: m, trainingSeconds: seconds, to: url) } catch {
            context.progress.message("\(experiment): could not save the base to \(url.path) (\(error)); continuing without saving")
        }
        return Saved(model: model, config: config, metrics: m, trainingSeconds: seconds)
    }

    /// `--train-base`: trains the base of `config`, saves it to `url` with its gate measurements and returns gate.csv
    /// and a summary. Refuses to replace an existing file unless `force` (a committed base is reused by every run).
    public static func trainBase(_ config: CountdownBaseConfig, to url: URL = defaultURL, gateSamples: Int = 256, force: Bool,
                                 experiment: String, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        if FileManager.default.fileExists(atPath: url.path) && !force {
            throw UsageError("a base already exists at \(url.path) (committed bases are reused by every run); pass --force to replace it")
        }
        let task = CountdownTask(config)
        let saved = try trainAndSave(task, to: url, gateSamples: gateSamples, experiment: experiment, context: context)
        let m = saved.metrics!
        var summary = "Countdown base (configuration hash \(hash(config))), \(task.test.count) test problems × \(gateSamples) samples, "
            + String(format: "trained in %.0f s, saved to %@\n", saved.trainingSeconds, url.path)
        summary += String(format: "  pass@1 %.3f (required %g–%g), pass@%d %.3f (required %g–%g)\n", m.passAtK.first ?? .nan,
                          gatePassAtOne.lowerBound, gatePassAtOne.upperBound, m.ks.last ?? 0, m.passAtK.last ?? .nan,
                          gatePassAtLargestK.lowerBound, gatePassAtLargestK.upperBound)
        summary += "  gate: \(passesGate(m) ? "passes" : "fails")"
        return ([("gate.csv", gateTable(m, problems: task.test.count).text)], summary)
    }
}
