import Foundation
import Engine
import Models
import Environments
import Objectives

/// A learned value function for sequence PPO ("PPO" in our experiments: the clipped surrogate with a learned value
/// head and GAE, as in the papers): its own transformer trunk plus a linear value head on the final hidden states.
/// V at response column t estimates the return from the state just before response token t.
public final class SequenceCritic {
    public let trunk: Transformer
    public let head: Linear
    public let optimizer: Optimizer
    public var learningRate: Float
    /// GAE discount γ and λ (TRL's defaults 1 and 0.95).
    public var gamma: Double, lambda: Double
    /// Whiten the GAE advantages over the batch's response tokens before the policy update (as verl does).
    public var whitenAdvantages: Bool

    public init(config: TransformerConfig, rng: inout RandomStream, optimizer: Optimizer = AdamW.adam(), learningRate: Float,
                gamma: Double = 1, lambda: Double = 0.95, whitenAdvantages: Bool = true) {
        trunk = Transformer(config, rng: &rng)
        head = Linear(trunk.parameters, "value_head", inputs: config.modelWidth, outputs: 1, weightInit: .zeros, biasInit: .zeros, rng: &rng)
        self.optimizer = optimizer; self.learningRate = learningRate
        self.gamma = gamma; self.lambda = lambda; self.whitenAdvantages = whitenAdvantages
    }

    /// Values of a rollout's response columns, [batch, responseColumns] (differentiable when `graph` records).
    public func values(_ rollout: Rollout, graph: Graph) -> Tensor {
        let l = rollout.columns, b = rollout.batch
        var inputs: [Int32] = []
        inputs.reserveCapacity(b * (l - 1))
        for r in 0..<b { inputs += rollout.tokens[(r * l)..<(r * l + l - 1)] }
        let h = trunk.features(inputs, batch: b, graph: graph, padding: rollout.padding, outputFrom: rollout.promptColumns - 1)
        return head(h).reshaped(b, rollout.responseColumns)                                           // [B, G]
    }
}
