import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// A model on the held-out test set: `samples` responses per problem at temperature 1.
public struct CountdownEvaluation: Sendable {
    public var samples: Int
    /// Correct responses per test problem.
    public var correctCounts: [Int]
    /// Distinct correct solutions per test problem (`CountdownSolutionKey`: the same steps in another order, or with
    /// operands swapped around + or ×, are one solution).
    public var distinctCorrect: [Int]
    /// k = 1, 2, 4, … up to `samples` (and `samples` itself).
    public var ks: [Int]
    /// Unbiased pass@k (Chen et al. 2021) for each k of `ks`, averaged over problems.
    public var passAtK: [Double]

    public var problems: Int { correctCounts.count }
    /// Mean correct share of the samples (the sampled pass@1).
    public var accuracy: Double { passAtK[0] }
    public var neverSolved: Int { correctCounts.filter { $0 == 0 }.count }
    public var meanDistinctCorrect: Double { Double(distinctCorrect.reduce(0, +)) / Double(Swift.max(1, problems)) }

    public func passAt(_ k: Int) -> Double? { ks.firstIndex(of: k).map { passAtK[$0] } }

    /// 1, 2, 4, … < n, then n.
    public static func ks(upTo n: Int) -> [Int] { Evaluation.passAtKs(upTo: n) }
}

public enum CountdownEvaluator {
    /// Samples `samples` responses for each of the first `problems` test problems (all when nil) and scores them.
    public static func evaluate(_ model: Transformer, _ task: CountdownTask, problems count: Int? = nil, samples: Int,
                                rng: inout RandomStream) -> CountdownEvaluation {
        evaluate(model, task, on: Array(task.test.prefix(count ?? task.test.count)), samples: samples, rng: &rng)
    }

    /// The same on any problems.
    public static func evaluate(_ model: Transformer, _ task: CountdownTask, on problems: [CountdownProblem], samples: Int,
                                rng: inout RandomStream) -> CountdownEvaluation {
        var distinct = [Set<CountdownSolutionKey>](repeating: [], count: problems.count)
        let options = task.sampling()
        let counts = Evaluation.correctCounts(model, problemCount: problems.count, samples: samples, rowsPerBatch: 512,
                                              prompt: { CountdownTokenizer.promptTokens(problems[$0]) }, options: { _ in options },
                                              rng: &rng) { p, response in
            let verdict = task.verify(response, problems[p])
            guard verdict.outcome == .correct else { return false }
            if let key = verdict.solutionKey { distinct[p].insert(key) }
            return true
        }
        let ks = CountdownEvaluation.ks(upTo: samples)
        return CountdownEvaluation(samples: samples, correctCounts: counts, distinctCorrect: distinct.map(\.count), ks: ks,
                                   passAtK: ks.map { Evaluation.passAtK(correctCounts: counts, samples: samples, k: $0) })
    }
}
