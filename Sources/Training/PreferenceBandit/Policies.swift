import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// A differentiable policy over the K candidate responses of each context, for the preference objectives.
public protocol PreferenceBanditPolicy: AnyObject {
    /// The trainable parameters (step an optimizer on it).
    var store: ParameterStore { get }
    var contextCount: Int { get }
    var responseCount: Int { get }
    /// log π(·|x) for each context of `contexts`: [B, K], differentiable with respect to `store`.
    /// Throws on an empty list or an out-of-range context.
    func logProbabilities(contexts: [Int], in graph: Graph) throws -> Tensor
}

extension PreferenceBanditPolicy {
    /// π(·|x) for every context (`contextCount` rows), computed without recording; for the exact metrics
    /// (`winRate`, `expectedGoldReward`, `klFromReference`, …) and for sampling on-policy pairs.
    public func probabilityTable() -> [[Double]] {
        let g = Graph(recording: false)
        guard contextCount > 0, let logp = try? logProbabilities(contexts: Array(0..<contextCount), in: g).scalars else { return [] }   // [C, K]
        let k = responseCount
        return (0..<contextCount).map { x in (0..<k).map { Double(Foundation.exp(logp[x * k + $0])) } }
    }

    /// Throws on an empty list or an out-of-range context (for conforming policies).
    public func checkPolicyContexts(_ contexts: [Int]) throws {
        guard !contexts.isEmpty else { throw PreferenceBanditError.invalidArgument("no contexts given") }
        for x in contexts where x < 0 || x >= contextCount { throw PreferenceBanditError.contextOutOfRange(x) }
    }
}

/// The tabular softmax policy: one free logit per (context, response), π(y|x) = softmax(θ_x)_y. It starts at π_ref
/// (θ = log π_ref). Contexts share nothing, so it cannot displace likelihood across contexts.
public final class PreferenceBanditTabularPolicy: PreferenceBanditPolicy {
    public let store = ParameterStore()
    /// θ: [C, K].
    public let logits: Parameter
    public let contextCount: Int
    public let responseCount: Int

    /// Starts at π_ref of `bandit`.
    public init(bandit: PreferenceBandit) {
        contextCount = bandit.contextCount; responseCount = bandit.responseCount
        var unused = RandomStream(seed: 0)
        logits = store.add("policy.logits", Shape(contextCount, responseCount), .zeros, rng: &unused)
        let flat = bandit.referenceLogProbabilities.flatMap { $0.map(Float.init) }
        for i in 0..<flat.count { store.values[logits.offset + i] = flat[i] }
    }

    public func logProbabilities(contexts: [Int], in graph: Graph) throws -> Tensor {
        try checkPolicyContexts(contexts)
        let table = store.bind(logits, in: graph)                                   // [C, K]
        let rows = table.gatherRows(graph.indices(contexts), shape: Shape(contexts.count))   // [B, K]
        return rows.logSoftmax()
    }
}

/// The feature-based softmax policy: π(y|x) ∝ exp(ℓ_ref(x, y) + f_θ(φ(x, y))), with f_θ linear (θ · φ) or a small
/// MLP whose last layer starts at zero, so the policy starts exactly at π_ref. The parameters are shared by every
/// response of every context: raising one response moves every response with similar features (the setting in
/// which DPO displaces likelihood).
public final class PreferenceBanditFeaturePolicy: PreferenceBanditPolicy {
    public let store = ParameterStore()
    /// f_θ's layers: d → hidden… → 1 (the last without bias: a per-context constant does not change π).
    public let layers: [Linear]
    public let activation: Activation
    public let contextCount: Int
    public let responseCount: Int
    public let featureCount: Int
    /// Whether ℓ_ref is added to the logits (true: starts at π_ref; false: starts uniform).
    public let usesReferenceLogits: Bool
    private let features: [Float]          // [C, K, d]
    private let referenceLogits: [Float]   // [C, K]

    public init(bandit: PreferenceBandit, hiddenSizes: [Int] = [], activation: Activation = .tanh,
                usesReferenceLogits: Bool = true, rng: inout RandomStream) {
        contextCount = bandit.contextCount; responseCount = bandit.responseCount; featureCount = bandit.featureCount
        self.activation = activation
        self.usesReferenceLogits = usesReferenceLogits
        let sizes = [featureCount] + hiddenSizes.map { Swift.max(1, $0) } + [1]
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(Linear(store, "policy.\(i)", inputs: sizes[i], outputs: sizes[i + 1], bias: !last,
                                 weightInit: last ? .zeros : nil, rng: &rng))
        }
        self.layers = layers
        features = bandit.features.flatMap { $0.flatMap { $0.map(Float.init) } }
        referenceLogits = bandit.referenceLogits.flatMap { $0.map(Float.init) }
    }

    /// The logits ℓ_ref + f_θ(φ): [B, K].
    public func logits(contexts: [Int], in graph: Graph) throws -> Tensor {
        try checkPolicyContexts(contexts)
        let (b, k, d) = (contexts.count, responseCount, featureCount)
        var x = [Float](repeating: 0, count: b * k * d), base = [Float](repeating: 0, count: b * k)
        for (row, c) in contexts.enumerated() {
            for i in 0..<(k * d) { x[row * k * d + i] = features[c * k * d + i] }
            if usesReferenceLogits { for y in 0..<k { base[row * k + y] = referenceLogits[c * k + y] } }
        }
        var h = graph.constant(x, Shape(b * k, d))                               // [B·K, d]
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = activation(h) }
        }
        return h.reshaped(b, k) + graph.constant(base, Shape(b, k))              // [B·K, 1] → [B, K]
    }

    public func logProbabilities(contexts: [Int], in graph: Graph) throws -> Tensor {
        try logits(contexts: contexts, in: graph).logSoftmax()
    }
}
