import Foundation

// Softmax, log-softmax and cross-entropy over the last axis, all max-shifted for numerical stability.

/// Writes softmax(x) of each row of `x` ([rows, n]) into `p`; returns nothing. Empty rows are skipped.
@inline(__always)
func softmaxRows(_ x: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>, rows: Int, n: Int,
                 logSumExp: UnsafeMutablePointer<Float>? = nil) {
    for r in 0..<rows {
        let xr = x + r * n, pr = p + r * n
        var m = -Float.infinity
        for j in 0..<n { m = Swift.max(m, xr[j]) }
        var s: Float = 0
        for j in 0..<n { let e = Foundation.exp(xr[j] - m); pr[j] = e; s += e }
        let inv = 1 / s
        for j in 0..<n { pr[j] *= inv }
        logSumExp?[r] = m + Foundation.log(s)
    }
}

extension Tensor {
    /// softmax over the last axis.
    public func softmax() -> Tensor {
        let out = graph.node(shape, .softmax(id), needsGrad: graph.needsGrad(self))
        softmaxRows(value, out.value, rows: shape.rows, n: shape.last)
        return out
    }

    /// log-softmax over the last axis: x − max − log Σ exp(x − max).
    public func logSoftmax() -> Tensor {
        let out = graph.node(shape, .logSoftmax(id), needsGrad: graph.needsGrad(self))
        let n = shape.last, x = value, y = out.value
        for r in 0..<shape.rows {
            let xr = x + r * n, yr = y + r * n
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, xr[j]) }
            var s: Float = 0
            for j in 0..<n { s += Foundation.exp(xr[j] - m) }
            let lse = m + Foundation.log(s)
            for j in 0..<n { yr[j] = xr[j] - lse }
        }
        return out
    }

    /// Cross-entropy of logits [..., V] with integer targets (one per row): −log softmax(x)[target], per row
    /// (shape without the last axis). A negative target marks a row to ignore: loss 0, no gradient.
    public func crossEntropy(targets: IndexBuffer) -> Tensor {
        let v = shape.last, rows = shape.rows
        require(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(shape)")
        let probs = graph.arena.allocate(Float.self, count: rows * v)
        let lse = graph.arena.allocate(Float.self, count: rows)
        let outShape = rank <= 1 ? Shape(rows) : shape.removing(axis: rank - 1)
        let out = graph.node(outShape, .crossEntropy(id, targets, probs), needsGrad: graph.needsGrad(self))
        softmaxRows(value, probs, rows: rows, n: v, logSumExp: lse)
        let x = value, y = out.value
        for r in 0..<rows {
            let t = targets[r]
            require(t < v, "crossEntropy: target \(t) outside 0..<\(v)")
            y[r] = t < 0 ? 0 : lse[r] - x[r * v + t]
        }
        return out
    }

    /// Cross-entropy to a target distribution q [..., V] (soft targets): −Σ_j q_j log softmax(x)_j, per row.
    /// Differentiable in both the logits and q.
    public func crossEntropy(softTargets q: Tensor) -> Tensor {
        require(q.shape == shape, "crossEntropy: targets \(q.shape) vs logits \(shape)")
        let v = shape.last, rows = shape.rows
        let probs = graph.arena.allocate(Float.self, count: rows * v)
        let lse = graph.arena.allocate(Float.self, count: rows)
        let outShape = rank <= 1 ? Shape(rows) : shape.removing(axis: rank - 1)
        let out = graph.node(outShape, .softCrossEntropy(id, q.id, probs), needsGrad: graph.needsGrad(self, q))
        softmaxRows(value, probs, rows: rows, n: v, logSumExp: lse)
        let x = value, t = q.value, y = out.value
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<v where t[r * v + j] != 0 { s -= t[r * v + j] * (x[r * v + j] - lse[r]) }
            y[r] = s
        }
        return out
    }
}

extension Graph {
    func backwardSoftmax(_ x: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let s = nodes[out].shape, n = s.last, p = nodes[out].value
        for r in 0..<s.rows {
            var dot: Float = 0
            for j in 0..<n { dot += g[r * n + j] * p[r * n + j] }
            for j in 0..<n { gx[r * n + j] += p[r * n + j] * (g[r * n + j] - dot) }
        }
    }

    func backwardLogSoftmax(_ x: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let s = nodes[out].shape, n = s.last, y = nodes[out].value
        for r in 0..<s.rows {
            var sum: Float = 0
            for j in 0..<n { sum += g[r * n + j] }
            for j in 0..<n { gx[r * n + j] += g[r * n + j] - Foundation.exp(y[r * n + j]) * sum }
        }
    }

    func backwardCrossEntropy(_ x: Int, _ targets: IndexBuffer, _ probs: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let n = nodes[x].shape.last
        for r in 0..<targets.count where targets[r] >= 0 {
            let go = g[r]
            for j in 0..<n { gx[r * n + j] += go * probs[r * n + j] }
            gx[r * n + targets[r]] -= go
        }
    }

    func backwardSoftCrossEntropy(_ x: Int, _ q: Int, _ probs: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>) {
        let n = nodes[x].shape.last, rows = nodes[x].shape.rows, t = nodes[q].value
        if let gx = grad(x) {
            for r in 0..<rows {
                var mass: Float = 0
                for j in 0..<n { mass += t[r * n + j] }
                for j in 0..<n { gx[r * n + j] += g[r] * (probs[r * n + j] * mass - t[r * n + j]) }
            }
        }
        if let gq = grad(q) {
            for r in 0..<rows { for j in 0..<n { gq[r * n + j] -= g[r] * Foundation.log(probs[r * n + j]) } }
        }
    }
}
