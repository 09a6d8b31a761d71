import Foundation
import Engine
import Models
import Environments
import Objectives
import Training

// Evaluation of one model on the held-out functions, Levels 1–6: greedy accuracy, sampled accuracy and pass@k, the
// error classes at Level 3; and the train-function accuracies the claims' precondition needs.

/// What the evaluation measures and on how many problems.
public struct CompositionEvaluationSizes: Codable, Equatable, Sendable {
    /// Greedy answers per held-out level (the reserved test set's first problems).
    public var greedyProblems: Int
    /// Problems per held-out level sampled for pass@k (a prefix of the greedy set).
    public var passAtKProblems: Int
    /// Samples per pass@k problem at temperature 1 (pass@k is measured for k = 1, 2, 4, … up to this).
    public var passAtKSamples: Int
    /// Greedy answers per train-function level (Levels 1 and 2; the precondition reads Level 1).
    public var trainProblems: Int

    public init(greedyProblems: Int, passAtKProblems: Int, passAtKSamples: Int, trainProblems: Int) {
        self.greedyProblems = greedyProblems; self.passAtKProblems = passAtKProblems
        self.passAtKSamples = passAtKSamples; self.trainProblems = trainProblems
    }

    /// k = 1, 2, 4, … ≤ passAtKSamples (and passAtKSamples itself).
    public var ks: [Int] { Evaluation.passAtKs(upTo: passAtKSamples) }
}

/// One model's measurements.
public struct CompositionEvaluation: Sendable {
    public static let levels = Array(1...StringFunctionsEnvironment.maxLevel)
    /// Held-out greedy accuracy by level (index level − 1).
    public var greedy: [Double]
    /// Held-out sampled accuracy (temperature 1) by level: the mean correctness of every pass@k sample (= pass@1).
    public var sampled: [Double]
    /// Held-out pass@k by level, for `sizes.ks` (unbiased estimator over passAtKSamples samples per problem).
    public var passAtK: [[Double]]
    /// Error classes of the held-out Level-3 greedy answers (counts, correct included), keyed by class.
    public var levelThreeClasses: [StringFunctionsErrorClass: Int]
    /// Train-function greedy accuracy at Levels 1 and 2.
    public var trainLevelOne: Double, trainLevelTwo: Double

    /// Share of `errorClass` among the wrong Level-3 answers (0 when none is wrong).
    public func shareOfWrong(_ errorClass: StringFunctionsErrorClass) -> Double {
        let wrong = levelThreeClasses.filter { $0.key != .correct }.values.reduce(0, +)
        return wrong == 0 ? 0 : Double(levelThreeClasses[errorClass] ?? 0) / Double(wrong)
    }
}

public enum CompositionEvaluator {
    /// Evaluates `model`. Sampling draws come from `rng`; everything else is deterministic.
    public static func evaluate(_ model: Transformer, _ env: StringFunctionsEnvironment, rendering: CompositionRendering,
                                sizes: CompositionEvaluationSizes, rng: inout RandomStream) -> CompositionEvaluation {
        var greedy: [Double] = [], sampled: [Double] = [], passAtK: [[Double]] = []
        var classes: [StringFunctionsErrorClass: Int] = [:]
        for level in CompositionEvaluation.levels {
            let problems = env.testSet(level: level, subset: .heldOut, size: sizes.greedyProblems)
            let responses = CompositionBase.greedyResponses(model, env, problems, rendering: rendering)
            let verdicts = zip(responses, problems).map { env.classify(response: $0, problem: $1) }
            greedy.append(rate(verdicts.map { $0 == .correct }))
            if level == 3 { for c in verdicts { classes[c, default: 0] += 1 } }
            let counts = correctCounts(model, env, Array(problems.prefix(sizes.passAtKProblems)), samples: sizes.passAtKSamples,
                                       rendering: rendering, rng: &rng)
            sampled.append(Double(counts.reduce(0, +)) / Double(Swift.max(1, counts.count * sizes.passAtKSamples)))
            passAtK.append(sizes.ks.map { Evaluation.passAtK(correctCounts: counts, samples: sizes.passAtKSamples, k: $0) })
        }
        let train = (1...2).map { level in
            rate(CompositionBase.greedyAccuracy(model, env, env.testSet(level: level, subset: .train, size: sizes.trainProblems),
                                                rendering: rendering))
        }
        return CompositionEvaluation(greedy: greedy, sampled: sampled, passAtK: passAtK, levelThreeClasses: classes,
                                     trainLevelOne: train[0], trainLevelTwo: train[1])
    }

    /// Correct samples out of `samples` per problem, at temperature 1, in batches of about 256 rows.
    public static func correctCounts(_ model: Transformer, _ env: StringFunctionsEnvironment, _ problems: [StringFunctionsProblem],
                                     samples: Int, rendering: CompositionRendering, rng: inout RandomStream) -> [Int] {
        Evaluation.correctCounts(model, problemCount: problems.count, samples: samples, prompt: { rendering.prompt(env, problems[$0]) },
                                 options: { chunk in
                                     SamplingOptions(maxNewTokens: CompositionBase.maxResponseLength(env, level: chunk.map { problems[$0].level }.max()!,
                                                                                                     rendering: rendering),
                                                     temperature: 1, endToken: StringFunctionsTokenizer.end, padToken: StringFunctionsTokenizer.pad)
                                 },
                                 rng: &rng) { env.verify(response: $1, problem: problems[$0]).isCorrect }
    }

    static func rate(_ xs: [Bool]) -> Double { Double(xs.filter { $0 }.count) / Double(Swift.max(1, xs.count)) }
}
