import Foundation
import Engine
import Models

extension Evaluation {
    /// How many of `samples` responses per problem are correct (the input of `passAtK(correctCounts:)`). Problems are
    /// sampled in chunks of about `rowsPerBatch` rows (`samples` copies of each prompt), each with the sampling options
    /// `options(chunk)` gives for its problem indices; `isCorrect(problem index, response)` judges a response.
    public static func correctCounts(_ model: Transformer, problemCount: Int, samples: Int, rowsPerBatch: Int = 256,
                                     prompt: (Int) -> [Int32], options: (Range<Int>) -> SamplingOptions,
                                     rng: inout RandomStream, isCorrect: (Int, [Int32]) -> Bool) -> [Int] {
        guard problemCount > 0 else { return [] }
        let graph = Graph(recording: false)
        let perBatch = Swift.max(1, rowsPerBatch / samples)
        var counts: [Int] = []
        var start = 0
        while start < problemCount {
            let chunk = start..<Swift.min(problemCount, start + perBatch)
            let prompts = chunk.flatMap { p in [[Int32]](repeating: prompt(p), count: samples) }
            graph.reset()
            let rollout = model.sample(prompts: prompts, options: options(chunk), rng: &rng, graph: graph)
            for (i, p) in chunk.enumerated() {
                counts.append((0..<samples).filter { isCorrect(p, rollout.response(i * samples + $0)) }.count)
            }
            start += perBatch
        }
        return counts
    }
}
