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
    /// The task distribution (ENVIRONMENTS.md, Countdown).
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
