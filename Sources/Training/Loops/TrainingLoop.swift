import Foundation
import Engine
import Models
import Environments
import Objectives

/// The loop every supervised, distillation and preference objective shares (written once): per step rewind the
/// graph, zero the gradients, build the loss, backpropagate, clip by global norm, take an optimizer step.
public enum TrainingLoop {
    /// Runs `steps` optimizer steps; `loss(graph, step)` builds the step's scalar loss on `graph`. Returns the loss
    /// of every step. Throws `DivergenceError` on a non-finite loss, gradient norm or parameter (the divergence guard).
    @discardableResult
    public static func run(steps: Int, parameters: ParameterStore, optimizer: Optimizer, schedule: LearningRateSchedule,
                           maxGradNorm: Float? = 1, graph: Graph = Graph(), firstStep: Int = 0,
                           loss: (Graph, Int) throws -> Tensor) throws -> [Float] {
        var losses: [Float] = []
        losses.reserveCapacity(steps)
        for step in firstStep..<(firstStep + steps) {
            graph.reset()
            parameters.zeroGradients()
            let l = try loss(graph, step)
            require(l.count == 1, "TrainingLoop: loss must be a scalar, got \(l.shape)")
            try DivergenceError.check(Double(l.item), names: "loss", step: step)
            graph.backward(l)
            let norm = maxGradNorm.map { clipGradientNorm(parameters, maxNorm: $0) } ?? 0
            try DivergenceError.check(Double(norm), names: "gradient norm", step: step)
            optimizer.step(parameters, learningRate: schedule.rate(at: step))
            try DivergenceError.check(parameters: parameters.firstNonFiniteValue(), step: step)
            losses.append(l.item)
        }
        return losses
    }
}
