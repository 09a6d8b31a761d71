/// A tape of tensor operations for one step, and the reverse sweep that differentiates it.
///
/// Ops append nodes in creation order, so the tape is already topologically sorted: `backward(loss)` walks it once
/// in reverse, and each node's op adds its local chain rule into its inputs' gradients (`+=`, so a tensor used twice
/// gets both contributions). Values and gradients live in the graph's `Arena`; `reset()` rewinds both, so a training
/// loop that builds the same graph every step allocates nothing after its first step. Parameters are bound as
/// leaves that point at their persistent buffers: their gradients accumulate straight into the parameter store.
///
/// A graph belongs to one thread at a time. With `isRecording == false` (inference) ops compute values only.
public final class Graph {
    public let arena: Arena
    /// When false, ops record nothing and no gradients can be taken (sampling, evaluation).
    public var isRecording: Bool

    @usableFromInline struct Node {
        var shape: Shape
        var value: UnsafeMutablePointer<Float>
        var grad: UnsafeMutablePointer<Float>?
        var needsGrad: Bool
        var op: Op
    }
    @usableFromInline var nodes: ContiguousArray<Node> = []

    public init(recording: Bool = true, arena: Arena = Arena()) {
        self.isRecording = recording
        self.arena = arena
        nodes.reserveCapacity(1024)
    }

    /// Forgets every node and rewinds the arena (tensors of this graph become invalid).
    public func reset() {
        nodes.removeAll(keepingCapacity: true)
        arena.reset()
    }

    public var nodeCount: Int { nodes.count }

    // MARK: Leaves

    /// A constant (no gradient) holding a copy of `values`.
    public func constant(_ values: [Float], _ shape: Shape) -> Tensor {
        require(values.count == shape.count, "constant: \(values.count) values for shape \(shape)")
        let t = node(shape, .leaf, needsGrad: false)
        values.withUnsafeBufferPointer { t.value.update(from: $0.baseAddress!, count: values.count) }
        return t
    }

    public func constant(_ values: [Float]) -> Tensor { constant(values, Shape(values.count)) }

    public func scalar(_ v: Float) -> Tensor { constant([v], Shape()) }

    public func full(_ shape: Shape, _ v: Float) -> Tensor {
        let t = node(shape, .leaf, needsGrad: false)
        t.value.initialize(repeating: v, count: shape.count)
        return t
    }

    public func zeros(_ shape: Shape) -> Tensor { full(shape, 0) }

    /// A leaf that takes a gradient (its own, in the arena): for tests and for optimizing inputs.
    public func variable(_ values: [Float], _ shape: Shape) -> Tensor {
        require(values.count == shape.count, "variable: \(values.count) values for shape \(shape)")
        let t = node(shape, .leaf, needsGrad: isRecording)
        values.withUnsafeBufferPointer { t.value.update(from: $0.baseAddress!, count: values.count) }
        return t
    }

    /// Binds external storage (a parameter) as a leaf. Its gradient accumulates into `grad` (not cleared here).
    public func bind(value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?, _ shape: Shape) -> Tensor {
        let needs = isRecording && grad != nil
        nodes.append(Node(shape: shape, value: value, grad: needs ? grad : nil, needsGrad: needs, op: .leaf))
        return Tensor(id: nodes.count - 1, shape: shape, graph: self)
    }

    /// Copies integer indices (token ids, class targets) into the arena for an op to read.
    public func indices(_ values: [Int32]) -> IndexBuffer {
        let p = arena.allocate(Int32.self, count: values.count)
        values.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: values.count) }
        return IndexBuffer(pointer: p, count: values.count)
    }

    public func indices(_ values: [Int]) -> IndexBuffer { indices(values.map { Int32($0) }) }

    // MARK: Node creation (for ops)

    /// A new node with an uninitialised value buffer.
    @usableFromInline func node(_ shape: Shape, _ op: Op, needsGrad: Bool) -> Tensor {
        let value = arena.allocate(Float.self, count: shape.count)
        nodes.append(Node(shape: shape, value: value, grad: nil, needsGrad: needsGrad, op: needsGrad ? op : .leaf))
        return Tensor(id: nodes.count - 1, shape: shape, graph: self)
    }

    /// A node whose value aliases `source`'s buffer (reshape, stop-gradient).
    func aliasNode(_ shape: Shape, of source: Tensor, _ op: Op, needsGrad: Bool) -> Tensor {
        nodes.append(Node(shape: shape, value: source.value, grad: nil, needsGrad: needsGrad, op: needsGrad ? op : .leaf))
        return Tensor(id: nodes.count - 1, shape: shape, graph: self)
    }

    /// Whether an op on these inputs must be recorded.
    @inline(__always) func needsGrad(_ ts: Tensor...) -> Bool {
        guard isRecording else { return false }
        for t in ts where nodes[t.id].needsGrad { return true }
        return false
    }

    /// The gradient buffer of node `id`, allocated (zeroed) on first use; nil when the node takes no gradient.
    @inline(__always) func grad(_ id: Int) -> UnsafeMutablePointer<Float>? {
        if let g = nodes[id].grad { return g }
        guard nodes[id].needsGrad else { return nil }
        let g = arena.zeros(nodes[id].shape.count)
        nodes[id].grad = g
        return g
    }

    /// The gradient buffer of node `id` for an op that will write every element of it: on first use the buffer is
    /// handed out uninitialised with `overwrite == true` (the op stores its contribution instead of adding it, which
    /// saves zeroing the buffer and reading it back); afterwards the op must add (`overwrite == false`). Nil when the
    /// node takes no gradient.
    @inline(__always) func gradForWrite(_ id: Int) -> (pointer: UnsafeMutablePointer<Float>, overwrite: Bool)? {
        if let g = nodes[id].grad { return (g, false) }
        guard nodes[id].needsGrad else { return nil }
        let g = arena.allocate(Float.self, count: nodes[id].shape.count)
        nodes[id].grad = g
        return (g, true)
    }

    // MARK: Backward

    /// Differentiates the scalar `loss` (seed gradient `seed`, default 1) with respect to every recorded input.
    public func backward(_ loss: Tensor, seed: Float = 1) {
        require(loss.graph === self, "backward: tensor from another graph")
        require(loss.count == 1, "backward: loss must be a scalar, got shape \(loss.shape)")
        require(isRecording, "backward: graph is not recording")
        guard let g = grad(loss.id) else { return }
        g[0] += seed
        var id = loss.id
        while id >= 0 {
            if let out = nodes[id].grad { backwardOp(id, out) }
            id -= 1
        }
    }

    /// Runs one node's local chain rule (dispatches to the op's own backward, defined beside its forward).
    private func backwardOp(_ id: Int, _ g: UnsafeMutablePointer<Float>) {
        let out = nodes[id]
        switch out.op {
        case .leaf: break
        case let .binary(kind, a, b): backwardBinary(kind, a, b, out: id, g)
        case let .unary(kind, x): backwardUnary(kind, x, out: id, g)
        case let .scale(x, s): backwardScale(x, s, count: out.shape.count, g)
        case let .matmul(a, b, spec): backwardMatmul(a, b, spec, g)
        case let .reshape(x): backwardReshape(x, g, count: out.shape.count)
        case let .permute(x, axes): backwardPermute(x, axes, g)
        case let .slice(x, axis, start): backwardSlice(x, axis: axis, start: start, out: id, g)
        case let .concat(ids, axis): backwardConcat(ids, axis: axis, out: id, g)
        case let .gather(table, idx): backwardGather(table, idx, g)
        case let .gatherLast(x, idx): backwardGatherLast(x, idx, g)
        case let .reduce(kind, x, axis, aux): backwardReduce(kind, x, axis: axis, aux: aux, out: id, g)
        case let .softmax(x): backwardSoftmax(x, out: id, g)
        case let .logSoftmax(x): backwardLogSoftmax(x, out: id, g)
        case let .crossEntropy(x, targets, aux): backwardCrossEntropy(x, targets, aux, g)
        case let .softCrossEntropy(x, targets, aux): backwardSoftCrossEntropy(x, targets, aux, g)
        case let .layerNorm(x, gamma, beta, aux): backwardLayerNorm(x, gamma, beta, aux, g)
        case let .attention(q, k, v, aux): backwardAttention(q, k, v, aux, out: id, g)
        case let .rope(x, aux): backwardRope(x, aux, g)
        case let .select(cond, a, b): backwardSelect(cond, a, b, g)
        case let .clamp(x, lo, hi): backwardClamp(x, lo, hi, g)
        case let .extremum(isMax, a, b): backwardExtremum(isMax, a, b, out: id, g)
        }
    }
}

/// Integer indices stored in a graph's arena.
public struct IndexBuffer {
    public let pointer: UnsafeMutablePointer<Int32>
    public let count: Int
    @inline(__always) public subscript(i: Int) -> Int { Int(pointer[i]) }
}

/// What produced a node, with what its backward needs. Kept to plain values so recording never allocates.
@usableFromInline enum Op {
    case leaf
    case binary(BinaryKind, Int, Int)
    case unary(UnaryKind, Int)
    case scale(Int, Float)
    case matmul(Int, Int, MatmulSpec)
    case reshape(Int)
    case permute(Int, SIMD4<Int32>)
    case slice(Int, Int, Int)                        // x, axis, start
    case concat(IndexBuffer, Int)                    // input ids, axis
    case gather(Int, IndexBuffer)                    // table, row ids
    case gatherLast(Int, IndexBuffer)                // x, index along last axis per row
    case reduce(ReduceKind, Int, Int, UnsafeMutablePointer<Int32>?)  // kind, x, axis, argmax
    case softmax(Int)
    case logSoftmax(Int)
    case crossEntropy(Int, IndexBuffer, UnsafeMutablePointer<Float>)     // logits, targets, softmax probs
    case softCrossEntropy(Int, Int, UnsafeMutablePointer<Float>)         // logits, target probs, softmax probs
    case layerNorm(Int, Int, Int, UnsafeMutablePointer<Float>)           // x, gamma, beta, [mean, rstd] per row
    case attention(Int, Int, Int, UnsafeMutablePointer<AttentionAux>)
    case rope(Int, UnsafeMutablePointer<RopeAux>)
    case select(Int, Int, Int)                       // condition, a, b
    case clamp(Int, Float, Float)
    case extremum(Bool, Int, Int)                    // isMax, a, b
}

/// A handle to one node of a graph: its id, shape and graph. Cheap to copy; keeps its graph alive; valid until the graph's `reset()`.
public struct Tensor {
    public let id: Int
    public let shape: Shape
    public let graph: Graph

    public var count: Int { shape.count }
    public var rank: Int { shape.rank }
    /// The value buffer (read-only by convention: ops never modify an existing node).
    public var value: UnsafeMutablePointer<Float> { graph.nodes[id].value }
    /// A copy of the values.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: value, count: count)) }
    /// The value of a one-element tensor.
    public var item: Float {
        require(count == 1, "item: tensor has shape \(shape)")
        return value[0]
    }
    /// A copy of the gradient after `backward`, or nil when none reached this tensor.
    public var gradient: [Float]? {
        graph.nodes[id].grad.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }
    public var requiresGrad: Bool { graph.nodes[id].needsGrad }
}
