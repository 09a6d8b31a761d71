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
        for r in 0..<rows {
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
        return out
    }
}

extension Graph {
    func backwardLayerNorm(_ xid: Int, _ gid: Int, _ bid: Int, _ stats: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) {
        let s = nodes[xid].shape, c = s.last, x = nodes[xid].value, w = nodes[gid].value
        let gx = grad(xid), gw = grad(gid), gb = grad(bid)
        for r in 0..<s.rows {
            let xr = x + r * c, gr = g + r * c
            let mean = stats[2 * r], rstd = stats[2 * r + 1]
            var sumD: Float = 0, sumDX: Float = 0   // Σ dx̂, Σ dx̂·x̂
            for j in 0..<c {
                let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                sumD += dxhat; sumDX += dxhat * xhat
                gw?[j] += gr[j] * xhat
                gb?[j] += gr[j]
            }
            if let gx {
                let invC = 1 / Float(c)
                for j in 0..<c {
                    let xhat = (xr[j] - mean) * rstd, dxhat = gr[j] * w[j]
                    gx[r * c + j] += rstd * (dxhat - sumD * invC - xhat * sumDX * invC)
                }
            }
        }
    }
}
