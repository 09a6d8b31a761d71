import Foundation

extension Tensor {
    /// Layer normalisation over the last axis: γ ⊙ (x − mean) / √(var + ε) + β, with the biased variance (as
    /// PyTorch's LayerNorm). γ and β have shape [C].
    public func layerNorm(gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let c = shape.last, rows = shape.rows
        require(gamma.count == c && beta.count == c, "layerNorm: γ \(gamma.shape), β \(beta.shape) for width \(c)")
        let stats = graph.arena.allocate(Float.self, count: 2 * rows)   // [mean, rstd] per row
        let out = graph.node(shape, .layerNorm(id, gamma.id, beta.id, stats), needsGrad: graph.needsGrad(self, gamma, beta))
        let x = value, y = out.value, w = gamma.value, b = beta.value
        Parallel.forRange(rows, grain: Swift.max(1, 4096 / Swift.max(1, c)), costPerItem: 4 * c, minWork: 1 << 15) { rs in
            for r in rs {
                let xr = x + r * c, yr = y + r * c
                let mean = rowSum(xr, c) / Float(c)
                let rstd = 1 / (rowSquaredDeviation(xr, c, mean) / Float(c) + epsilon).squareRoot()
                let vm = V(repeating: mean), vr = V(repeating: rstd)
                var j = 0
                while j + 16 <= c {
                    let xhat = (VectorMath.load(xr + j) - vm) * vr
                    VectorMath.store(yr + j, xhat * VectorMath.load(w + j) + VectorMath.load(b + j))
                    j += 16
                }
                while j < c { yr[j] = (xr[j] - mean) * rstd * w[j] + b[j]; j += 1 }
                stats[2 * r] = mean; stats[2 * r + 1] = rstd
            }
        }
        return out
    }
}

private typealias V = VectorMath.V

/// Σ x over a row: 16 lane partial sums, then the lanes, then the tail in order.
@inline(__always) private func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = V(), j = 0
    while j + 16 <= n { acc += VectorMath.load(x + j); j += 16 }
    var s = VectorMath.laneSum(acc)
    while j < n { s += x[j]; j += 1 }
    return s
}

/// Σ (x − mean)² over a row, in the same order as `rowSum`.
@inline(__always) private func rowSquaredDeviation(_ x: UnsafePointer<Float>, _ n: Int, _ mean: Float) -> Float {
    var acc = V(), j = 0
    let m = V(repeating: mean)
    while j + 16 <= n { let d = VectorMath.load(x + j) - m; acc = acc.addingProduct(d, d); j += 16 }
    var s = VectorMath.laneSum(acc)
    while j < n { let d = x[j] - mean; s += d * d; j += 1 }
    return s
}

extension Graph {
    /// Rows are independent for dx; dγ and dβ sum over rows in fixed blocks of 64 rows (block partials in parallel,
    /// then added in block order), so the result does not depend on the thread count.
    func backwardLayerNorm(_ xid: Int, _ gid: Int, _ bid: Int, _ stats: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) {
        let s = nodes[xid].shape, c = s.last, rows = s.rows, x = nodes[xid].value, w = nodes[gid].value
        let gx = gradForWrite(xid), gw = gradForWrite(gid), gb = gradForWrite(bid)
        let block = 64, blocks = (rows + block - 1) / block
        let partial = (gw != nil || gb != nil) ? arena.allocate(Float.self, count: Swift.max(1, 2 * blocks * c)) : nil
        let invC = 1 / Float(c)
        Parallel.forRange(blocks, grain: 1, costPerItem: 8 * block * c, minWork: 1 << 15) { bs in
            for bi in bs {
                let pw = partial.map { $0 + 2 * bi * c }, pb = pw.map { $0 + c }
                if let pw, let pb { for j in 0..<c { pw[j] = 0; pb[j] = 0 } }
                for r in (bi * block)..<Swift.min(rows, (bi + 1) * block) {
                    let xr = x + r * c, gr = g + r * c
                    let mean = stats[2 * r], rstd = stats[2 * r + 1]
                    let vm = V(repeating: mean), vr = V(repeating: rstd)
                    // Σ dx̂ and Σ dx̂·x̂ in 16 lane partial sums (then the lanes, then the tail); dγ, dβ partials
                    var accD = V(), accDX = V()
                    var j = 0
                    while j + 16 <= c {
                        let gv = VectorMath.load(gr + j), xhat = (VectorMath.load(xr + j) - vm) * vr
                        let dxhat = gv * VectorMath.load(w + j)
                        accD += dxhat; accDX += dxhat * xhat
                        if let pw, let pb {
                            VectorMath.store(pw + j, VectorMath.load(pw + j) + gv * xhat)
                            VectorMath.store(pb + j, VectorMath.load(pb + j) + gv)
                        }
                        j += 16
                    }
                    let vectorEnd = j
                    var sumD = VectorMath.laneSum(accD), sumDX = VectorMath.laneSum(accDX)
                    while j < c {
                        let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                        sumD += dxhat; sumDX += dxhat * xhat
                        if let pw, let pb { pw[j] += gr[j] * xhat; pb[j] += gr[j] }
                        j += 1
                    }
                    if let (gx, overwrite) = gx {
                        let gxr = gx + r * c
                        let mD = sumD * invC, mDX = sumDX * invC
                        let vD = V(repeating: mD), vDX = V(repeating: mDX)
                        j = 0
                        while j < vectorEnd {
                            let xhat = (VectorMath.load(xr + j) - vm) * vr
                            let dxhat = VectorMath.load(gr + j) * VectorMath.load(w + j)
                            let d = vr * (dxhat - vD - xhat * vDX)
                            VectorMath.store(gxr + j, overwrite ? d : VectorMath.load(gxr + j) + d)
                            j += 16
                        }
                        while j < c {
                            let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                            let d = rstd * (dxhat - mD - xhat * mDX)
                            gxr[j] = overwrite ? d : gxr[j] + d
                            j += 1
                        }
                    }
                }
            }
        }
        guard let partial else { return }
        func reduce(_ target: (pointer: UnsafeMutablePointer<Float>, overwrite: Bool)?, _ k: Int) {
            guard let (dst, overwrite) = target else { return }
            if overwrite { for j in 0..<c { dst[j] = 0 } }
            for bi in 0..<blocks { let p = partial + (2 * bi + k) * c; for j in 0..<c { dst[j] += p[j] } }
        }
        reduce(gw, 0); reduce(gb, 1)
    }
}
