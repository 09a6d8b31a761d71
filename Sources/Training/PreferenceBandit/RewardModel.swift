import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// Training settings of the proxy reward model.
public struct PreferenceBanditRewardModelConfig: Codable, Equatable, Sendable {
    /// Hidden widths of the MLP on features; empty = the linear model r̂(φ) = w · φ + b. Valid: each 1…4096.
    public var hiddenSizes: [Int] = []
    /// Activation between hidden layers. Valid: any.
    public var activation: Activation = .tanh
    /// Optimizer steps (Adam). Valid: 0…10_000_000.
    public var steps = 300
    /// Pairs per step, drawn with replacement; 0 = every pair every step (full batch). Valid: 0…1_000_000.
    public var batchSize = 0
    /// Adam's learning rate. Valid: finite, ≥ 0.
    public var learningRate = 0.05
    /// Decoupled weight decay (AdamW); 0 = Adam. Valid: finite, ≥ 0.
    public var weightDecay = 0.0

    public init() {}

    /// The first problem with these settings, or nil.
    public func problem() -> String? {
        if hiddenSizes.count > 8 || hiddenSizes.contains(where: { $0 < 1 || $0 > 4096 }) { return "hiddenSizes must list at most 8 sizes, each in 1…4096" }
        if steps < 0 || steps > 10_000_000 { return "steps must be in 0…10^7" }
        if batchSize < 0 || batchSize > 1_000_000 { return "batchSize must be in 0…10^6" }
        if !(learningRate >= 0 && learningRate <= 10) { return "learningRate must be in [0, 10]" }
        if !(weightDecay >= 0 && weightDecay <= 1) { return "weightDecay must be in [0, 1]" }
        return nil
    }
}

/// A proxy reward model r̂(φ) on response features (linear or a small MLP), trained on preference pairs with the
/// Bradley–Terry loss
///
///     L = −mean_pairs log σ(r̂(φ_chosen) − r̂(φ_rejected))
///
/// (Ouyang et al. 2022; AlpacaFarm's surrogate reward). Training is deterministic given `rng`. After training,
/// `rewards[x][y]` holds r̂ for every response of every context (for Best-of-n, PPO against the proxy, …).
public final class PreferenceBanditRewardModel {
    public let config: PreferenceBanditRewardModelConfig
    /// The parameters (flat; the network binds them into graphs).
    public let store: ParameterStore
    /// [d] → hidden… → [1].
    public let network: MLP
    public let featureCount: Int
    /// The training loss before each step.
    public let losses: [Double]
    /// r̂(x, y) for every context and response: [context][response].
    public let rewards: [[Double]]

    /// Trains on `pairs` of `bandit`. Throws on an empty pair list, a pair with out-of-range indices, or invalid
    /// settings.
    public init(training pairs: [PreferenceBanditPair], on bandit: PreferenceBandit,
                config: PreferenceBanditRewardModelConfig = PreferenceBanditRewardModelConfig(),
                rng: inout RandomStream) throws {
        if let p = config.problem() { throw PreferenceBanditError.invalidArgument(p) }
        guard !pairs.isEmpty else { throw PreferenceBanditError.invalidArgument("no pairs to train on") }
        for p in pairs {
            guard bandit.isValid(context: p.context) else { throw PreferenceBanditError.contextOutOfRange(p.context) }
            for y in [p.chosen, p.rejected] where !bandit.isValid(context: p.context, response: y) {
                throw PreferenceBanditError.responseOutOfRange(context: p.context, response: y)
            }
        }
        let d = bandit.featureCount
        self.config = config
        featureCount = d
        store = ParameterStore()
        var initRNG = rng.child("init")
        network = MLP(store, "reward", sizes: [d] + config.hiddenSizes + [1], activation: config.activation, rng: &initRNG)

        let optimizer = AdamW(weightDecay: Float(config.weightDecay))
        let graph = Graph()
        let (c, k) = (bandit.contextCount, bandit.responseCount)
        var table = [Float](repeating: 0, count: c * k * d)                     // φ for every response: [C·K, d]
        for x in 0..<c { for y in 0..<k { for j in 0..<d { table[(x * k + y) * d + j] = Float(bandit.features[x][y][j]) } } }
        let n = pairs.count
        let fullBatch = config.batchSize == 0
        let batch = fullBatch ? n : config.batchSize
        var chosen = [Float](repeating: 0, count: batch * d), rejected = [Float](repeating: 0, count: batch * d)
        func fill(_ row: Int, _ p: PreferenceBanditPair) {
            let (oc, or) = ((p.context * k + p.chosen) * d, (p.context * k + p.rejected) * d)
            for j in 0..<d { chosen[row * d + j] = table[oc + j]; rejected[row * d + j] = table[or + j] }
        }
        if fullBatch { for (row, p) in pairs.enumerated() { fill(row, p) } }
        var losses: [Double] = []
        losses.reserveCapacity(config.steps)
        for _ in 0..<config.steps {
            if !fullBatch { for row in 0..<batch { fill(row, pairs[rng.int(n)]) } }
            let xc = graph.constant(chosen, Shape(batch, d)), xr = graph.constant(rejected, Shape(batch, d))
            let margin = network(xc) - network(xr)                     // [B, 1]
            let loss = -margin.logSigmoid().mean()
            losses.append(Double(loss.item))
            graph.backward(loss)
            optimizer.step(store, learningRate: Float(config.learningRate))
            store.zeroGradients()
            graph.reset()
        }
        self.losses = losses

        // r̂ for every response: one [C·K, d] forward pass without recording.
        let eval = Graph(recording: false)
        let out = network(eval.constant(table, Shape(c * k, d))).scalars   // [C·K, 1]
        rewards = (0..<c).map { x in (0..<k).map { Double(out[x * k + $0]) } }
    }

    /// r̂(φ) for any feature vector; nil when it has the wrong length or a non-finite entry.
    public func reward(features: [Double]) -> Double? {
        guard features.count == featureCount, features.allSatisfy(\.isFinite) else { return nil }
        let g = Graph(recording: false)
        return Double(network(g.constant(features.map(Float.init), Shape(1, featureCount))).item)
    }

    /// Share of `pairs` whose chosen response gets the higher r̂ (ties count ½). Pairs with out-of-range indices are
    /// skipped; nil when none is usable.
    public func pairAccuracy(_ pairs: [PreferenceBanditPair]) -> Double? {
        var right = 0.0, total = 0
        for p in pairs {
            guard p.context >= 0, p.context < rewards.count else { continue }
            let row = rewards[p.context]
            guard p.chosen >= 0, p.chosen < row.count, p.rejected >= 0, p.rejected < row.count else { continue }
            let d = row[p.chosen] - row[p.rejected]
            right += d > 0 ? 1 : (d == 0 ? 0.5 : 0)
            total += 1
        }
        return total == 0 ? nil : right / Double(total)
    }
}
