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
                var mean: Float = 0
                for j in 0..<c { mean += xr[j] }
                mean /= Float(c)
                var v: Float = 0
                for j in 0..<c { let d = xr[j] - mean; v += d * d }
                let rstd = 1 / (v / Float(c) + epsilon).squareRoot()
                for j in 0..<c { yr[j] = (xr[j] - mean) * rstd * w[j] + b[j] }
                stats[2 * r] = mean; stats[2 * r + 1] = rstd
            }
        }
        return out
    }
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
                    var sumD: Float = 0, sumDX: Float = 0   // Σ dx̂, Σ dx̂·x̂
                    for j in 0..<c {
                        let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                        sumD += dxhat; sumDX += dxhat * xhat
                    }
                    if let pw, let pb { for j in 0..<c { pw[j] += gr[j] * (xr[j] - mean) * rstd; pb[j] += gr[j] } }
                    if let (gx, overwrite) = gx {
                        let gxr = gx + r * c
                        for j in 0..<c {
                            let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                            let d = rstd * (dxhat - sumD * invC - xhat * sumDX * invC)
                            gxr[j] = overwrite ? d : gxr[j] + d
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
