// Selection ops with the gradients PPO-style clipping needs: where, clamp, elementwise minimum and maximum.

/// where(condition, a, b): a where condition > 0, else b (all the same shape). The condition takes no gradient.
public func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    require(condition.shape == a.shape && a.shape == b.shape, "select: shapes \(condition.shape), \(a.shape), \(b.shape)")
    let g = a.graph
    let out = g.node(a.shape, .select(condition.id, a.id, b.id), needsGrad: g.needsGrad(a, b))
    let c = condition.value, x = a.value, y = b.value, z = out.value
    for i in 0..<a.count { z[i] = c[i] > 0 ? x[i] : y[i] }
    return out
}

/// Elementwise minimum (a, b same shape). At ties each input gets half the gradient (as PyTorch).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { extremum(false, a, b) }
/// Elementwise maximum (a, b same shape). At ties each input gets half the gradient (as PyTorch).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { extremum(true, a, b) }

func extremum(_ isMax: Bool, _ a: Tensor, _ b: Tensor) -> Tensor {
    require(a.shape == b.shape, "\(isMax ? "maximum" : "minimum"): shapes \(a.shape) and \(b.shape)")
    let g = a.graph
    let out = g.node(a.shape, .extremum(isMax, a.id, b.id), needsGrad: g.needsGrad(a, b))
    let x = a.value, y = b.value, z = out.value
    for i in 0..<a.count { z[i] = isMax ? Swift.max(x[i], y[i]) : Swift.min(x[i], y[i]) }
    return out
}

extension Tensor {
    /// clamp(x, lo, hi). Gradient 1 where lo ≤ x ≤ hi, else 0 (PyTorch's convention: the clipped branch of the PPO
    /// surrogate passes no gradient).
    public func clamped(_ lo: Float, _ hi: Float) -> Tensor {
        require(lo <= hi, "clamp: lo \(lo) > hi \(hi)")
        let out = graph.node(shape, .clamp(id, lo, hi), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value
        for i in 0..<count { y[i] = Swift.min(Swift.max(x[i], lo), hi) }
        return out
    }
}

extension Graph {
    func backwardSelect(_ c: Int, _ a: Int, _ b: Int, _ g: UnsafeMutablePointer<Float>) {
        let cond = nodes[c].value, n = nodes[a].shape.count
        if let ga = grad(a) { for i in 0..<n where cond[i] > 0 { ga[i] += g[i] } }
        if let gb = grad(b) { for i in 0..<n where !(cond[i] > 0) { gb[i] += g[i] } }
    }

    func backwardClamp(_ x: Int, _ lo: Float, _ hi: Float, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let v = nodes[x].value
        for i in 0..<nodes[x].shape.count where v[i] >= lo && v[i] <= hi { gx[i] += g[i] }
    }

    func backwardExtremum(_ isMax: Bool, _ a: Int, _ b: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        let x = nodes[a].value, y = nodes[b].value, n = nodes[a].shape.count
        let ga = grad(a), gb = grad(b)
        for i in 0..<n {
            if x[i] == y[i] {
                ga?[i] += 0.5 * g[i]; gb?[i] += 0.5 * g[i]
            } else if (x[i] > y[i]) == isMax {
                ga?[i] += g[i]
            } else {
                gb?[i] += g[i]
            }
        }
    }
}
