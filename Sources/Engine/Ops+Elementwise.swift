import Foundation

// Elementwise ops: broadcasting add / sub / mul / div, unary maps, scaling. Each forward sits beside its backward.

public enum BinaryKind { case add, sub, mul, div }

public enum UnaryKind {
    case exp, log, tanh, relu, gelu, sigmoid, neg, sqrt, square, abs
    /// log σ(x) = −softplus(−x), computed stably.
    case logSigmoid
}

/// Visits every output element of a NumPy-broadcast binary op: body(outIndex, aIndex, bIndex).
@inline(__always)
func forEachBroadcast(_ out: Shape, _ a: Shape, _ b: Shape, _ body: (Int, Int, Int) -> Void) {
    let o = Shape(padTo4(out)), ap = Shape(padTo4(a)), bp = Shape(padTo4(b))
    let sa = stridesBroadcast(ap, o), sb = stridesBroadcast(bp, o)
    var idx = 0
    for i0 in 0..<o[0] {
        for i1 in 0..<o[1] {
            for i2 in 0..<o[2] {
                let baseA = i0 * sa.0 + i1 * sa.1 + i2 * sa.2
                let baseB = i0 * sb.0 + i1 * sb.1 + i2 * sb.2
                for i3 in 0..<o[3] {
                    body(idx, baseA + i3 * sa.3, baseB + i3 * sb.3)
                    idx += 1
                }
            }
        }
    }
}

private func padTo4(_ s: Shape) -> [Int] { [Int](repeating: 1, count: 4 - s.rank) + s.dims }

/// Strides of `s` (already padded to rank 4) read against the broadcast shape `o`: 0 along broadcast axes.
private func stridesBroadcast(_ s: Shape, _ o: Shape) -> (Int, Int, Int, Int) {
    let st = s.strides
    return (s[0] == o[0] ? st.0 : 0, s[1] == o[1] ? st.1 : 0, s[2] == o[2] ? st.2 : 0, s[3] == o[3] ? st.3 : 0)
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }
    public static func + (a: Tensor, s: Float) -> Tensor { binary(.add, a, a.graph.scalar(s)) }
    public static func - (a: Tensor, s: Float) -> Tensor { binary(.add, a, a.graph.scalar(-s)) }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (s: Float, a: Tensor) -> Tensor { binary(.sub, a.graph.scalar(s), a) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(by: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaled(by: s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.scaled(by: 1 / s) }
    public static prefix func - (a: Tensor) -> Tensor { a.unary(.neg) }

    public func exp() -> Tensor { unary(.exp) }
    public func log() -> Tensor { unary(.log) }
    public func tanh() -> Tensor { unary(.tanh) }
    public func relu() -> Tensor { unary(.relu) }
    /// GELU, exact (erf) form: x · Φ(x).
    public func gelu() -> Tensor { unary(.gelu) }
    public func sigmoid() -> Tensor { unary(.sigmoid) }
    public func sqrt() -> Tensor { unary(.sqrt) }
    public func square() -> Tensor { unary(.square) }
    public func abs() -> Tensor { unary(.abs) }
    /// log σ(x), stable for large |x| (the DPO / Bradley–Terry building block).
    public func logSigmoid() -> Tensor { unary(.logSigmoid) }

    /// x · s (s a constant).
    public func scaled(by s: Float) -> Tensor {
        let out = graph.node(shape, .scale(id, s), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value
        for i in 0..<count { y[i] = x[i] * s }
        return out
    }
}

func binary(_ kind: BinaryKind, _ a: Tensor, _ b: Tensor) -> Tensor {
    require(a.graph === b.graph, "binary op: tensors from different graphs")
    guard let shape = Shape.broadcast(a.shape, b.shape) else {
        fatalError("\(kind): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let g = a.graph
    let out = g.node(shape, .binary(kind, a.id, b.id), needsGrad: g.needsGrad(a, b))
    let x = a.value, y = b.value, z = out.value, n = shape.count
    @inline(__always) func apply(_ u: Float, _ v: Float) -> Float {
        switch kind {
        case .add: return u + v
        case .sub: return u - v
        case .mul: return u * v
        case .div: return u / v
        }
    }
    if a.shape == b.shape {
        VectorMath.chunked(n) { r in
            switch kind {
            case .add: for i in r { z[i] = x[i] + y[i] }
            case .sub: for i in r { z[i] = x[i] - y[i] }
            case .mul: for i in r { z[i] = x[i] * y[i] }
            case .div: for i in r { z[i] = x[i] / y[i] }
            }
        }
    } else if b.count == 1 {
        let v = y[0]
        VectorMath.chunked(n) { r in
            switch kind {
            case .add: for i in r { z[i] = x[i] + v }
            case .sub: for i in r { z[i] = x[i] - v }
            case .mul: for i in r { z[i] = x[i] * v }
            case .div: for i in r { z[i] = x[i] / v }
            }
        }
    } else if a.shape == shape && b.count == shape.last && b.shape.last == shape.last {
        // [..., C] op [C]: the bias pattern (one loop per kind, so each vectorises)
        let c = shape.last
        Parallel.forRange(n / c, grain: Swift.max(1, 4096 / c), costPerItem: c, minWork: 1 << 15) { rows in
            for r in rows {
                let xr = x + r * c, zr = z + r * c
                switch kind {
                case .add: for j in 0..<c { zr[j] = xr[j] + y[j] }
                case .sub: for j in 0..<c { zr[j] = xr[j] - y[j] }
                case .mul: for j in 0..<c { zr[j] = xr[j] * y[j] }
                case .div: for j in 0..<c { zr[j] = xr[j] / y[j] }
                }
            }
        }
    } else {
        forEachBroadcast(shape, a.shape, b.shape) { o, i, j in z[o] = apply(x[i], y[j]) }
    }
    return out
}

/// dst[i] += src[i] for i in 0..<n (in fixed chunks on the pool when large).
func addInto(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    VectorMath.chunked(n) { r in for i in r { dst[i] += src[i] } }
}

/// dst[i] = src[i] (overwrite) or dst[i] += src[i], in fixed chunks on the pool when large.
func storeOrAdd(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int, overwrite: Bool) {
    if overwrite { VectorMath.chunked(n) { r in (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count) } }
    else { addInto(dst, src, n) }
}

/// Rows of [rows, c] summed in order into out[c] (out = Σ or out += Σ): fixed blocks of rows are summed in parallel,
/// then the block sums are added in block order, so the result does not depend on the thread count.
func sumRows(_ x: UnsafePointer<Float>, rows: Int, c: Int, sign: Float = 1, into out: UnsafeMutablePointer<Float>,
             overwrite: Bool, scratch arena: Arena) {
    let block = 64, blocks = (rows + block - 1) / block
    let partial = arena.allocate(Float.self, count: Swift.max(1, blocks * c))
    Parallel.forRange(blocks, grain: 1, costPerItem: block * c, minWork: 1 << 15) { bs in
        for bi in bs {
            let p = partial + bi * c
            for j in 0..<c { p[j] = 0 }
            for r in (bi * block)..<Swift.min(rows, (bi + 1) * block) {
                let xr = x + r * c
                for j in 0..<c { p[j] += xr[j] }
            }
        }
    }
    if overwrite { for j in 0..<c { out[j] = 0 } }
    for bi in 0..<blocks { let p = partial + bi * c; for j in 0..<c { out[j] += sign * p[j] } }
}

extension Graph {
    func backwardBinary(_ kind: BinaryKind, _ a: Int, _ b: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        let sa = nodes[a].shape, sb = nodes[b].shape, so = nodes[out].shape
        let x = nodes[a].value, y = nodes[b].value
        if sa == sb {
            // a == b (x·x, x + x): one buffer, a's contribution stored or added first, then b's added
            let ga = gradForWrite(a), gb = a == b ? nil : gradForWrite(b)
            VectorMath.chunked(so.count) { r in
                if let (ga, ow) = ga {
                    switch (kind, ow) {
                    case (.add, true), (.sub, true): for i in r { ga[i] = g[i] }
                    case (.add, false), (.sub, false): for i in r { ga[i] += g[i] }
                    case (.mul, true): for i in r { ga[i] = g[i] * y[i] }
                    case (.mul, false): for i in r { ga[i] += g[i] * y[i] }
                    case (.div, true): for i in r { ga[i] = g[i] / y[i] }
                    case (.div, false): for i in r { ga[i] += g[i] / y[i] }
                    }
                }
                if a == b, let (ga, _) = ga {
                    // the same tensor on both sides: add b's contribution into a's (now written) buffer
                    switch kind {
                    case .add: for i in r { ga[i] += g[i] }
                    case .sub: for i in r { ga[i] -= g[i] }
                    case .mul: for i in r { ga[i] += g[i] * x[i] }
                    case .div: for i in r { ga[i] -= g[i] * x[i] / (y[i] * y[i]) }
                    }
                }
                if let (gb, ow) = gb {
                    switch (kind, ow) {
                    case (.add, true): for i in r { gb[i] = g[i] }
                    case (.add, false): for i in r { gb[i] += g[i] }
                    case (.sub, true): for i in r { gb[i] = -g[i] }
                    case (.sub, false): for i in r { gb[i] -= g[i] }
                    case (.mul, true): for i in r { gb[i] = g[i] * x[i] }
                    case (.mul, false): for i in r { gb[i] += g[i] * x[i] }
                    case (.div, true): for i in r { gb[i] = -(g[i] * x[i] / (y[i] * y[i])) }
                    case (.div, false): for i in r { gb[i] -= g[i] * x[i] / (y[i] * y[i]) }
                    }
                }
            }
            return
        }
        if sa == so && sb.count == so.last && sb.last == so.last && (kind == .add || kind == .sub) {
            // [..., C] ± [C] (a bias): the bias gradient sums rows (in fixed blocks, see sumRows)
            let n = so.count, c = so.last
            if let (ga, ow) = gradForWrite(a) { storeOrAdd(ga, g, n, overwrite: ow) }
            if let (gb, ow) = gradForWrite(b) {
                sumRows(g, rows: n / c, c: c, sign: kind == .add ? 1 : -1, into: gb, overwrite: ow, scratch: arena)
            }
            return
        }
        let ga = grad(a), gb = grad(b)
        forEachBroadcast(so, sa, sb) { o, i, j in
            let go = g[o]
            switch kind {
            case .add: ga?[i] += go; gb?[j] += go
            case .sub: ga?[i] += go; gb?[j] -= go
            case .mul: ga?[i] += go * y[j]; gb?[j] += go * x[i]
            case .div: ga?[i] += go / y[j]; gb?[j] -= go * x[i] / (y[j] * y[j])
            }
        }
    }

    func backwardScale(_ x: Int, _ s: Float, count: Int, _ g: UnsafeMutablePointer<Float>) {
        guard let (gx, ow) = gradForWrite(x) else { return }
        if ow { VectorMath.chunked(count) { r in for i in r { gx[i] = g[i] * s } } }
        else { VectorMath.chunked(count) { r in for i in r { gx[i] += g[i] * s } } }
    }

    func backwardUnary(_ kind: UnaryKind, _ xid: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        let x = nodes[xid].value, y = nodes[out].value, n = nodes[out].shape.count
        switch kind {
        case .relu:
            guard let (gx, ow) = gradForWrite(xid) else { return }
            if ow { VectorMath.chunked(n) { r in for i in r { gx[i] = x[i] > 0 ? g[i] : 0 } } }
            else { VectorMath.chunked(n) { r in for i in r { gx[i] += x[i] > 0 ? g[i] : 0 } } }
            return
        case .gelu:
            guard let (gx, ow) = gradForWrite(xid) else { return }
            VectorMath.chunked(n) { r in
                var i = r.lowerBound
                while i + 16 <= r.upperBound {
                    let d = VectorMath.load(g + i) * VectorMath.geluDerivative(VectorMath.load(x + i))
                    VectorMath.store(gx + i, ow ? d : VectorMath.load(gx + i) + d)
                    i += 16
                }
                if i < r.upperBound {
                    let m = r.upperBound - i
                    let d = VectorMath.loadPartial(g + i, m) * VectorMath.geluDerivative(VectorMath.loadPartial(x + i, m))
                    VectorMath.storePartial(gx + i, ow ? d : VectorMath.loadPartial(gx + i, m) + d, m)
                }
            }
            return
        default: break
        }
        guard let gx = grad(xid) else { return }
        switch kind {
        case .exp: for i in 0..<n { gx[i] += g[i] * y[i] }
        case .log: for i in 0..<n { gx[i] += g[i] / x[i] }
        case .tanh: for i in 0..<n { gx[i] += g[i] * (1 - y[i] * y[i]) }
        case .relu, .gelu: break
        case .sigmoid: for i in 0..<n { gx[i] += g[i] * y[i] * (1 - y[i]) }
        case .neg: for i in 0..<n { gx[i] -= g[i] }
        case .sqrt: for i in 0..<n { gx[i] += g[i] * 0.5 / y[i] }
        case .square: for i in 0..<n { gx[i] += g[i] * 2 * x[i] }
        case .abs: for i in 0..<n { gx[i] += x[i] > 0 ? g[i] : (x[i] < 0 ? -g[i] : 0) }
        case .logSigmoid: for i in 0..<n { gx[i] += g[i] * Scalar.sigmoid(-x[i]) }   // d/dx log σ(x) = σ(−x)
        }
    }
}

extension Tensor {
    func unary(_ kind: UnaryKind) -> Tensor {
        let out = graph.node(shape, .unary(kind, id), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value, n = count
        switch kind {
        case .exp: VectorMath.chunked(n) { r in VectorMath.map(VectorMath.Exp.self, x + r.lowerBound, y + r.lowerBound, r.count) }
        case .log: for i in 0..<n { y[i] = Foundation.log(x[i]) }
        case .tanh: for i in 0..<n { y[i] = Foundation.tanh(x[i]) }
        case .relu: for i in 0..<n { y[i] = Swift.max(x[i], 0) }
        case .gelu: VectorMath.chunked(n) { r in VectorMath.map(VectorMath.Gelu.self, x + r.lowerBound, y + r.lowerBound, r.count) }
        case .sigmoid: for i in 0..<n { y[i] = Scalar.sigmoid(x[i]) }
        case .neg: for i in 0..<n { y[i] = -x[i] }
        case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
        case .square: for i in 0..<n { y[i] = x[i] * x[i] }
        case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
        case .logSigmoid: for i in 0..<n { y[i] = Swift.min(x[i], 0) - Foundation.log1p(Foundation.exp(-Swift.abs(x[i]))) }
        }
        return out
    }
}

// Scalar math shared by ops and models.
public enum Scalar {
    /// σ(x), without overflow for large |x|.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }

    /// GELU, erf form: 0.5 x (1 + erf(x / √2)).
    @inline(__always) public static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }

    /// d/dx GELU = Φ(x) + x φ(x).
    @inline(__always) public static func geluDerivative(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + Foundation.erf(x * 0.70710678118654752))
        let pdf = Foundation.exp(-0.5 * x * x) * 0.39894228040143268
        return cdf + x * pdf
    }
}
