import Foundation
import Engine
import Models
import Environments
import Objectives

/// The pieces that make one policy-gradient method: how rewards become advantages, which rows are trained on, the
/// policy loss, and optional extra terms (KL to a reference, entropy bonus). Experiments vary the recipe; the loops
/// stay the same.
public struct PolicyGradientRecipe {
    /// Per-sequence advantages from per-sequence rewards; rows i·G … i·G+G−1 share a prompt (G = group size).
    public var advantages: (_ rewards: [Float], _ groupSize: Int) -> [Float]
    /// Which rows to train on (nil = all), e.g. Reinforce-Rej drops groups whose rewards are all equal.
    public var keep: ((_ rewards: [Float], _ groupSize: Int) -> [Bool])?
    /// The policy loss of one minibatch; `globalTokens` / `globalSequences` are the counts of the whole optimizer
    /// step (pass them to `aggregate`).
    public var loss: (_ inputs: PolicyInputs, _ aggregation: Aggregation, _ globalTokens: Int, _ globalSequences: Int) -> PolicyLossResult
    /// Extra scalar terms added to the loss (e.g. β·KL to the reference in the loss, −c·entropy); `reference` holds
    /// the reference log-probabilities [B, T] when the trainer has a reference model.
    public var extraLoss: ((_ inputs: PolicyInputs, _ reference: Tensor?, _ aggregation: Aggregation, _ globalTokens: Int, _ globalSequences: Int) -> Tensor)?

    public init(advantages: @escaping (_ rewards: [Float], _ groupSize: Int) -> [Float],
                keep: ((_ rewards: [Float], _ groupSize: Int) -> [Bool])? = nil,
                loss: @escaping (_ inputs: PolicyInputs, _ aggregation: Aggregation, _ globalTokens: Int, _ globalSequences: Int) -> PolicyLossResult,
                extraLoss: ((_ inputs: PolicyInputs, _ reference: Tensor?, _ aggregation: Aggregation, _ globalTokens: Int, _ globalSequences: Int) -> Tensor)? = nil) {
        self.advantages = advantages; self.keep = keep; self.loss = loss; self.extraLoss = extraLoss
    }
}

/// How one batch of rollouts is turned into optimizer steps.
public struct UpdateConfig: Codable, Equatable, Sendable {
    /// Passes over each batch of rollouts. With more than one (or several minibatches) samples are reused, ratios
    /// leave 1 and clipping acts (with one epoch and one minibatch every ratio is 1 and clipping does nothing).
    public var epochs: Int
    /// Optimizer steps per epoch, each on an equal share of the (shuffled) rows.
    public var minibatches: Int
    /// Gradient-accumulation chunks per minibatch; token-mean uses the minibatch's global token count, never a micro-batch's own.
    public var microbatches: Int
    public var learningRate: Float
    /// Global-norm gradient clipping (nil = none).
    public var maxGradNorm: Float?
    public var aggregation: Aggregation

    public init(epochs: Int = 1, minibatches: Int = 1, microbatches: Int = 1, learningRate: Float, maxGradNorm: Float? = 1,
                aggregation: Aggregation = .tokenMean) {
        self.epochs = epochs; self.minibatches = minibatches; self.microbatches = microbatches
        self.learningRate = learningRate; self.maxGradNorm = maxGradNorm; self.aggregation = aggregation
    }
}

/// Scored rollouts in per-token form, [rows, columns] row-major: the input of every policy-gradient update.
public struct PolicyBatch {
    public var rows: Int, columns: Int
    public var oldLogProbs: [Float]
    /// Per-token advantages (a sequence's advantage repeated over its tokens, or GAE's per-token values).
    public var advantages: [Float]
    public var mask: [Float]
    public var referenceLogProbs: [Float]?

    public init(rows: Int, columns: Int, oldLogProbs: [Float], advantages: [Float], mask: [Float], referenceLogProbs: [Float]? = nil) {
        require(oldLogProbs.count == rows * columns && advantages.count == rows * columns && mask.count == rows * columns,
                "PolicyBatch: arrays must hold rows × columns = \(rows * columns) values")
        self.rows = rows; self.columns = columns; self.oldLogProbs = oldLogProbs; self.advantages = advantages; self.mask = mask
        self.referenceLogProbs = referenceLogProbs
    }

    /// Values of `array` for the given rows, [rows.count, columns].
    public func gather<Rows: Collection>(_ array: [Float], _ rowList: Rows) -> [Float] where Rows.Element == Int {
        gatherRows(array, rowList, columns: columns)
    }
}

/// The rows `rowList` of a row-major [_, columns] array, concatenated.
public func gatherRows<Rows: Collection>(_ array: [Float], _ rowList: Rows, columns: Int) -> [Float] where Rows.Element == Int {
    var out = [Float](); out.reserveCapacity(rowList.count * columns)
    for r in rowList { out += array[(r * columns)..<((r + 1) * columns)] }
    return out
}

/// What an update did, averaged over its optimizer steps.
public struct UpdateStats: Equatable, Sendable {
    public var loss: Double = 0
    public var diagnostics = PolicyDiagnostics(meanRatio: 0, clipFraction: 0, approxKL: 0, entropy: 0)
    public var gradientNorm: Double = 0
    public var optimizerSteps = 0
    public init() {}
}

/// The update half of every policy-gradient loop, written once: `epochs` passes over the rows in a fresh random
/// order, `minibatches` optimizer steps per pass, `microbatches` accumulated chunks per step. `evaluate(graph, rows)`
/// recomputes the current log-probabilities (and entropies) of those rows, [rows.count, columns], with gradients.
/// Throws `DivergenceError` on a non-finite loss, gradient norm or parameter.
public func policyGradientUpdate(_ batch: PolicyBatch, parameters: ParameterStore, optimizer: Optimizer, config: UpdateConfig,
                                 recipe: PolicyGradientRecipe, graph: Graph, rng: inout RandomStream, stepOffset: Int = 0,
                                 evaluate: (Graph, ArraySlice<Int>) -> (logProbs: Tensor, entropies: Tensor?)) throws -> UpdateStats {
    var stats = UpdateStats()
    guard batch.rows > 0 else { return stats }
    let minibatches = Swift.max(1, Swift.min(config.minibatches, batch.rows))
    var sums = (ratio: 0.0, clip: 0.0, kl: 0.0, entropy: 0.0)
    for _ in 0..<Swift.max(1, config.epochs) {
        let order = rng.permutation(batch.rows)
        for mb in 0..<minibatches {
            let rows = order[(mb * batch.rows / minibatches)..<((mb + 1) * batch.rows / minibatches)]
            let tokens = rows.reduce(0) { n, r in n + (0..<batch.columns).reduce(0) { $0 + (batch.mask[r * batch.columns + $1] != 0 ? 1 : 0) } }
            parameters.zeroGradients()
            let micro = Swift.max(1, Swift.min(config.microbatches, rows.count))
            var stepLoss = 0.0
            for k in 0..<micro {
                let chunk = rows[(rows.startIndex + k * rows.count / micro)..<(rows.startIndex + (k + 1) * rows.count / micro)]
                graph.reset()
                let (lp, entropies) = evaluate(graph, chunk)
                let shape = Shape(chunk.count, batch.columns)
                require(lp.shape == shape, "policyGradientUpdate: evaluate returned \(lp.shape), expected \(shape)")
                let inputs = PolicyInputs(logProbs: lp, oldLogProbs: graph.constant(batch.gather(batch.oldLogProbs, chunk), shape),
                                          advantages: graph.constant(batch.gather(batch.advantages, chunk), shape),
                                          mask: graph.constant(batch.gather(batch.mask, chunk), shape), entropies: entropies)
                let reference = batch.referenceLogProbs.map { graph.constant(batch.gather($0, chunk), shape) }
                let result = recipe.loss(inputs, config.aggregation, tokens, rows.count)
                var total = result.loss
                if let extra = recipe.extraLoss { total = total + extra(inputs, reference, config.aggregation, tokens, rows.count) }
                try DivergenceError.check(Double(total.item), names: "policy loss", step: stepOffset + stats.optimizerSteps)
                graph.backward(total)
                stepLoss += Double(total.item)
                let d = result.diagnostics, w = Double(chunk.count) / Double(batch.rows * Swift.max(1, config.epochs))
                sums.ratio += d.meanRatio * w; sums.clip += d.clipFraction * w; sums.kl += d.approxKL * w
                sums.entropy += d.entropy.isNaN ? 0 : d.entropy * w
            }
            let norm = config.maxGradNorm.map { clipGradientNorm(parameters, maxNorm: $0) } ?? 0
            try DivergenceError.check(Double(norm), names: "gradient norm", step: stepOffset + stats.optimizerSteps)
            optimizer.step(parameters, learningRate: config.learningRate)
            try DivergenceError.check(parameters: parameters.firstNonFiniteValue(), step: stepOffset + stats.optimizerSteps)
            stats.optimizerSteps += 1
            stats.loss += stepLoss
            stats.gradientNorm += Double(norm)
        }
    }
    let n = Double(Swift.max(1, stats.optimizerSteps))
    stats.loss /= n; stats.gradientNorm /= n
    stats.diagnostics = PolicyDiagnostics(meanRatio: sums.ratio, clipFraction: sums.clip, approxKL: sums.kl, entropy: sums.entropy)
    return stats
}
