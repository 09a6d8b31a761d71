import Foundation
import Engine
import Models
import Objectives

extension Recipe {
    /// The recipe in the form the loops run. `maximumTokensPerMinibatch` is Dr.GRPO's constant C (rows per
    /// minibatch × the maximum response length) for `.tokenSumOverMaximum`. KL is not part of the result: the
    /// trainer applies `kl` (its reward or loss placement) itself.
    public func gradientRecipe(maximumTokensPerMinibatch: Int = 0) -> PolicyGradientRecipe {
        let advantage = self.advantage, objective = self.objective, aggregation = self.aggregation, filter = self.filter
        return PolicyGradientRecipe(
            advantages: { advantage.advantages(rewards: $0, groupSize: $1) },
            keep: filter == .all ? nil : { filter.kept(rewards: $0, groupSize: $1) },
            loss: { inputs, trainerAggregation, tokens, sequences in
                objective.loss(inputs, aggregation: aggregation.resolved(default: trainerAggregation, maximumTokensPerMinibatch: maximumTokensPerMinibatch),
                               globalTokenCount: tokens, globalSequenceCount: sequences)
            })
    }
}
