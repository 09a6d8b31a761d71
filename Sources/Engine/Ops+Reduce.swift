import Foundation

// Reductions over one axis (sum, mean, max) and over everything.

public enum ReduceKind { case sum, mean, max }

extension Tensor {
    public func sum(axis: Int, keepingAxis: Bool = false) -> Tensor { reduce(.sum, axis: axis, keepingAxis: keepingAxis) }
    public func mean(axis: Int, keepingAxis: Bool = false) -> Tensor { reduce(.mean, axis: axis, keepingAxis: keepingAxis) }
    /// Maximum along an axis; the gradient goes to the first maximal entry.
    public func max(axis: Int, keepingAxis: Bool = false) -> Tensor { reduce(.max, axis: axis, keepingAxis: keepingAxis) }
    /// Sum of every element (a scalar).
    public func sum() -> Tensor { reshaped(Shape(count)).reduce(.sum, axis: 0, keepingAxis: false) }
    /// Mean of every element (a scalar).
    public func mean() -> Tensor { reshaped(Shape(count)).reduce(.mean, axis: 0, keepingAxis: false) }

    func reduce(_ kind: ReduceKind, axis: Int, keepingAxis: Bool) -> Tensor {
        let ax = shape.axis(axis)
        let (outer, size, inner) = shape.split(at: ax)
        require(size > 0 || kind != .max, "max over an empty axis")
        let needs = graph.needsGrad(self)
        let argmax: UnsafeMutablePointer<Int32>? = (kind == .max && needs) ? graph.arena.allocate(Int32.self, count: outer * inner) : nil
        let out = graph.node(shape.removing(axis: ax, keepingAxis: keepingAxis), .reduce(kind, id, ax, argmax), needsGrad: needs)
        let x = value, y = out.value
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                switch kind {
                case .sum, .mean:
                    var s: Float = 0
                    for j in 0..<size { s += x[base + j * inner] }
                    y[o * inner + i] = kind == .mean ? s / Float(size) : s
                case .max:
                    var best = x[base], at = 0
                    for j in 1..<Swift.max(size, 1) where x[base + j * inner] > best { best = x[base + j * inner]; at = j }
                    y[o * inner + i] = best
                    argmax?[o * inner + i] = Int32(at)
                }
            }
        }
        return out
    }
}

extension Graph {
    func backwardReduce(_ kind: ReduceKind, _ x: Int, axis: Int, aux: UnsafeMutablePointer<Int32>?, out: Int,
                        _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let (outer, size, inner) = nodes[x].shape.split(at: axis)
        for o in 0..<outer {
            for i in 0..<inner {
                let go = g[o * inner + i], base = o * size * inner + i
                switch kind {
                case .sum: for j in 0..<size { gx[base + j * inner] += go }
                case .mean: let s = go / Float(size); for j in 0..<size { gx[base + j * inner] += s }
                case .max: gx[base + Int(aux![o * inner + i]) * inner] += go
                }
            }
        }
    }
}
