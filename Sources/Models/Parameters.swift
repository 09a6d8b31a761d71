import Engine

/// One named tensor inside a `ParameterStore`: a slice of its flat buffers.
public struct Parameter: Hashable, Sendable {
    public let name: String
    public let shape: Shape
    public let offset: Int
    public var count: Int { shape.count }
}

/// How a parameter starts.
public enum Initializer: Sendable {
    case zeros, ones
    case normal(std: Float)
    /// Uniform in [−bound, bound].
    case uniform(bound: Float)
}

/// Every parameter of a model in one flat value buffer and one flat gradient buffer (as llm.c), so optimizers,
/// gradient clipping and checkpoints are single loops, and graphs bind parameters without copying them.
public final class ParameterStore {
    public private(set) var parameters: [Parameter] = []
    public private(set) var count = 0
    private var capacity = 0
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var grads: UnsafeMutablePointer<Float>

    public init() {
        values = .allocate(capacity: 1); grads = .allocate(capacity: 1)
    }

    deinit { values.deallocate(); grads.deallocate() }

    /// Adds a parameter, initialised from `rng` (which is advanced).
    @discardableResult
    public func add(_ name: String, _ shape: Shape, _ initializer: Initializer, rng: inout RandomStream) -> Parameter {
        require(!parameters.contains { $0.name == name }, "ParameterStore: duplicate name \(name)")
        let p = Parameter(name: name, shape: shape, offset: count)
        reserve(count + shape.count)
        let v = values + p.offset
        for i in 0..<shape.count {
            switch initializer {
            case .zeros: v[i] = 0
            case .ones: v[i] = 1
            case let .normal(std): v[i] = rng.normal() * std
            case let .uniform(bound): v[i] = rng.uniform(-bound, bound)
            }
        }
        (grads + p.offset).initialize(repeating: 0, count: shape.count)
        count += shape.count
        parameters.append(p)
        return p
    }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        let newCapacity = Swift.max(n, capacity * 2)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity)
        let g = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity)
        v.update(from: values, count: count); g.update(from: grads, count: count)
        values.deallocate(); grads.deallocate()
        values = v; grads = g; capacity = newCapacity
    }

    public subscript(name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// The parameter as a leaf of `graph`; its gradient accumulates into this store.
    @inline(__always)
    public func bind(_ p: Parameter, in graph: Graph) -> Tensor {
        graph.bind(value: values + p.offset, grad: grads + p.offset, p.shape)
    }

    public func zeroGradients() {
        let g = grads
        Parallel.forRange(count, grain: 65_536, minWork: 1 << 18) { r in (g + r.lowerBound).initialize(repeating: 0, count: r.count) }
    }

    /// A copy of one parameter's values.
    public func values(of p: Parameter) -> [Float] { Array(UnsafeBufferPointer(start: values + p.offset, count: p.count)) }

    /// All values, flat (for snapshots, comparisons and weight-space distances).
    public var flatValues: [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }
    public var flatGradients: [Float] { Array(UnsafeBufferPointer(start: grads, count: count)) }

    /// Overwrites all values (same layout).
    public func setValues(_ v: [Float]) {
        require(v.count == count, "setValues: \(v.count) values for \(count) parameters")
        v.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }

    /// The first non-finite value (NaN or ±∞) and the name of its parameter, nil when every value is finite. One
    /// pass over the buffer, no allocation (the divergence guard calls it after every optimizer step).
    public func firstNonFiniteValue() -> (parameter: String, value: Float)? {
        // x·0 is 0 for finite x and NaN for NaN or ±∞, so one sum says whether any value is non-finite
        var sum: Float = 0
        for i in 0..<count { sum += values[i] * 0 }
        guard !sum.isFinite else { return nil }
        for p in parameters {
            for i in p.offset..<(p.offset + p.count) where !values[i].isFinite { return (p.name, values[i]) }
        }
        return nil
    }

    /// Copies values from a store with the same layout (a frozen reference model, a snapshot).
    public func copyValues(from other: ParameterStore) {
        require(other.parameters == parameters, "copyValues: stores have different layouts")
        values.update(from: other.values, count: count)
    }
}
