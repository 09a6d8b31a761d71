import Foundation
import Engine
import Models
import Environments
import Objectives

/// What preference objectives consume: summed log-probabilities of whole responses, log π(y|x) = Σ_t log π(y_t | x,
/// y_<t). Preference-pair training is `TrainingLoop.run` with a loss built from these (DPO, IPO, … in Preference*.swift).
public enum SequenceScores {
    /// Summed log-probabilities and lengths (as a constant tensor, what `PreferencePairs` takes) of `responses`
    /// after `prompts` under a transformer, both [N]: prompts are left-padded and responses right-padded to a common
    /// width (the `Rollout` convention), padding masked out.
    public static func logProbSums(_ model: Transformer, prompts: [[Int32]], responses: [[Int32]], graph: Graph,
                                   padToken: Int32 = 0) -> (sums: Tensor, lengths: Tensor) {
        require(prompts.count == responses.count && !prompts.isEmpty, "logProbSums: \(prompts.count) prompts for \(responses.count) responses")
        require(prompts.allSatisfy { !$0.isEmpty } && responses.allSatisfy { !$0.isEmpty }, "logProbSums: empty prompt or response")
        let p = prompts.map(\.count).max()!, r = responses.map(\.count).max()!
        var tokens: [Int32] = [], mask: [Float] = [], padding: [Int] = []
        for (pr, re) in zip(prompts, responses) {
            padding.append(p - pr.count)
            tokens += [Int32](repeating: padToken, count: p - pr.count) + pr + re + [Int32](repeating: padToken, count: r - re.count)
            mask += [Float](repeating: 1, count: re.count) + [Float](repeating: 0, count: r - re.count)
        }
        let n = prompts.count
        let lp = model.tokenLogProbs(tokens, batch: n, start: p, padding: padding, graph: graph).logProbs   // [N, R]
        let sums = (lp * graph.constant(mask, Shape(n, r))).sum(axis: 1)                                   // [N]
        return (sums, graph.constant(responses.map { Float($0.count) }, Shape(n)))
    }

    /// log π(a | x) of chosen actions under a categorical policy, [contexts.count].
    public static func logProbs(_ policy: CategoricalPolicy, contexts: [Int], actions: [Int], graph: Graph) -> Tensor {
        require(contexts.count == actions.count, "logProbs: \(contexts.count) contexts for \(actions.count) actions")
        return policy.logits(graph, contexts).logSoftmax().gatherLast(graph.indices(actions.map { Int32($0) }))
    }
}
