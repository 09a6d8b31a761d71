import Foundation
import Engine

/// Updates a `ParameterStore` from its accumulated gradients. State is flat, aligned with the store's buffers.
public protocol Optimizer: AnyObject {
    /// A short identifier written into checkpoints ("sgd", "adamw").
    var kind: String { get }
    /// Steps taken so far.
    var stepCount: Int { get }
    func step(_ store: ParameterStore, learningRate: Float)
    /// Named flat state buffers (for checkpoints).
    func state() -> [(name: String, values: [Float])]
    func restore(state: [String: [Float]], stepCount: Int) throws
}

/// Stochastic gradient descent with optional momentum (PyTorch's form: v = μv + g; p −= lr·v) and L2 weight decay
/// added to the gradient.
public final class SGD: Optimizer {
    public let momentum: Float, weightDecay: Float
    public private(set) var stepCount = 0
    private var velocity: [Float] = []
    public var kind: String { "sgd" }

    public init(momentum: Float = 0, weightDecay: Float = 0) { self.momentum = momentum; self.weightDecay = weightDecay }

    public func step(_ store: ParameterStore, learningRate: Float) {
        if velocity.count != store.count { velocity = [Float](repeating: 0, count: store.count) }
        let p = store.values, g = store.grads
        let first = stepCount == 0
        velocity.withUnsafeMutableBufferPointer { v in
            for i in 0..<store.count {
                let d = g[i] + weightDecay * p[i]
                if momentum != 0 {
                    v[i] = first ? d : momentum * v[i] + d
                    p[i] -= learningRate * v[i]
                } else {
                    p[i] -= learningRate * d
                }
            }
        }
        stepCount += 1
    }

    public func state() -> [(name: String, values: [Float])] { [("velocity", velocity)] }

    public func restore(state: [String: [Float]], stepCount: Int) throws {
        guard let v = state["velocity"] else { throw CheckpointError.missing("optimizer.velocity") }
        velocity = v; self.stepCount = stepCount
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter), exactly as PyTorch's AdamW:
/// p ← p − lr·λ·p; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
/// With weightDecay 0 it is Adam. Moments below 1e-30 are flushed to zero (subnormal arithmetic is slow on x86).
public final class AdamW: Optimizer {
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public private(set) var stepCount = 0
    private var m: [Float] = [], v: [Float] = []
    public var kind: String { "adamw" }

    /// PyTorch's defaults (β = 0.9, 0.999; ε = 1e-8; weight decay 0.01).
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    /// Adam: AdamW without weight decay.
    public static func adam(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) -> AdamW {
        AdamW(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: 0)
    }

    public func step(_ store: ParameterStore, learningRate lr: Float) {
        let n = store.count
        if m.count != n { m = [Float](repeating: 0, count: n); v = [Float](repeating: 0, count: n) }
        stepCount += 1
        let t = Double(stepCount)
        let c1 = Float(1 - Foundation.pow(Double(beta1), t)), c2 = Float(1 - Foundation.pow(Double(beta2), t))
        let stepSize = lr / c1, invSqrtC2 = 1 / c2.squareRoot()
        let decay = 1 - lr * weightDecay
        let p = store.values, g = store.grads
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let m = mb.baseAddress!, v = vb.baseAddress!
                // fixed chunks of 16,384 (a multiple of 16): each element takes the same path at any thread count
                Parallel.forRange(n, grain: 16_384, costPerItem: 4, minWork: 1 << 17) { r in
                    let o = r.lowerBound
                    AdamW.update(p + o, g + o, m + o, v + o, count: r.count, beta1: b1, beta2: b2, epsilon: eps,
                                 stepSize: stepSize, invSqrtC2: invSqrtC2, decay: decay)
                }
            }
        }
    }

    /// The update, 16 lanes at a time (the same arithmetic per element in the tail).
    @inline(__always)
    static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                       _ v: UnsafeMutablePointer<Float>, count n: Int, beta1: Float, beta2: Float, epsilon: Float,
                       stepSize: Float, invSqrtC2: Float, decay: Float) {
        typealias V = SIMD16<Float>
        @inline(__always) func load(_ x: UnsafeMutablePointer<Float>) -> V { UnsafeRawPointer(x).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ x: UnsafeMutablePointer<Float>, _ value: V) { UnsafeMutableRawPointer(x).storeBytes(of: value, as: V.self) }
        var i = 0
        while i + 16 <= n {
            let gi = load(g + i)
            var mi = beta1 * load(m + i) + (1 - beta1) * gi
            var vi = beta2 * load(v + i) + (1 - beta2) * gi * gi
            // moments of parameters that stop receiving gradient decay geometrically into the subnormal range, where
            // x86 arithmetic is ~100× slower: flush them to zero (their effect on p is < 1e-30 anyway)
            mi.replace(with: 0, where: (mi .< 1e-30) .& (mi .> -1e-30))
            vi.replace(with: 0, where: vi .< 1e-30)
            let pi = load(p + i) * decay - stepSize * mi / (VectorMath.sqrt(vi) * invSqrtC2 + epsilon)
            store(m + i, mi); store(v + i, vi); store(p + i, pi)
            i += 16
        }
        while i < n {
            let gi = g[i]
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            if Swift.abs(m[i]) < 1e-30 { m[i] = 0 }
            if v[i] < 1e-30 { v[i] = 0 }
            p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() * invSqrtC2 + epsilon)
            i += 1
        }
    }

    public func state() -> [(name: String, values: [Float])] { [("m", m), ("v", v)] }

    public func restore(state: [String: [Float]], stepCount: Int) throws {
        guard let m = state["m"], let v = state["v"], m.count == v.count else { throw CheckpointError.missing("optimizer.m / optimizer.v") }
        self.m = m; self.v = v; self.stepCount = stepCount
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (PyTorch's clip_grad_norm_, which scales by
/// maxNorm / (norm + 1e-6)). Returns the norm before clipping (computed in Double).
@discardableResult
public func clipGradientNorm(_ store: ParameterStore, maxNorm: Float) -> Float {
    let g = store.grads
    var s = 0.0
    for i in 0..<store.count { s += Double(g[i]) * Double(g[i]) }
    let norm = Float(s.squareRoot())
    if norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for i in 0..<store.count { g[i] *= scale }
    }
    return norm
}

/// Learning rate as a function of the step (0-based).
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `minimum` at `totalSteps`
    /// (and `minimum` after).
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float)

    public func rate(at step: Int) -> Float {
        switch self {
        case let .constant(lr): return lr
        case let .warmupCosine(peak, warmup, total, minimum):
            if step < warmup { return peak * Float(step + 1) / Float(warmup) }
            if step >= total { return minimum }
            let progress = Double(step - warmup) / Double(Swift.max(1, total - warmup))
            return minimum + (peak - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
