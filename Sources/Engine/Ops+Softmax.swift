import Foundation

// Softmax, log-softmax and cross-entropy over the last axis, all max-shifted for numerical stability.

/// Writes softmax(x) of each row of `x` ([rows, n]) into `p` (and log Σ exp into `logSumExp`). Rows run in fixed
/// chunks on the pool; within a row the exponentials are the vectorised `VectorMath.exp`, 16 lanes at a time.
@inline(__always)
func softmaxRows(_ x: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>, rows: Int, n: Int,
                 logSumExp: UnsafeMutablePointer<Float>? = nil) {
    guard n > 0 else { return }
    Parallel.forRange(rows, grain: Swift.max(1, 2048 / n), costPerItem: 8 * n, minWork: 1 << 15) { rs in
        for r in rs {
            let xr = x + r * n, pr = p + r * n
            var m = -Float.infinity
            for j in 0..<n { m = Swift.max(m, xr[j]) }
            let s = expShiftedRow(xr, pr, n, shift: m)
            let inv = 1 / s
            for j in 0..<n { pr[j] *= inv }
            logSumExp?[r] = m + Foundation.log(s)
        }
    }
}

/// p[j] = exp(x[j] − shift) for j in 0..<n; returns Σ p[j] (lane partial sums, then the lanes in order).
@inline(__always)
func expShiftedRow(_ x: UnsafePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = VectorMath.V()
    var j = 0
    while j + 16 <= n {
        let e = VectorMath.exp(VectorMath.load(x + j) - shift)
        VectorMath.store(p + j, e); acc += e
        j += 16
    }
    if j < n {
        let k = n - j
        var e = VectorMath.exp(VectorMath.loadPartial(x + j, k) - shift)
        for lane in k..<16 { e[lane] = 0 }
        VectorMath.storePartial(p + j, e, k); acc += e
    }
    return acc.sum()
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
        guard n > 0 else { return out }
        Parallel.forRange(shape.rows, grain: Swift.max(1, 2048 / n), costPerItem: 8 * n, minWork: 1 << 15) { rs in
            for r in rs {
                let xr = x + r * n, yr = y + r * n
                var m = -Float.infinity
                for j in 0..<n { m = Swift.max(m, xr[j]) }
                let lse = m + Foundation.log(expShiftedRow(xr, yr, n, shift: m))   // yr as scratch, then overwritten
                for j in 0..<n { yr[j] = xr[j] - lse }
            }
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
        guard let (gx, overwrite) = gradForWrite(x) else { return }
        let n = nodes[x].shape.last
        Parallel.forRange(targets.count, grain: Swift.max(1, 4096 / Swift.max(1, n)), costPerItem: 2 * n, minWork: 1 << 15) { rs in
            for r in rs {
                let gr = gx + r * n, pr = probs + r * n
                guard targets[r] >= 0 else {
                    if overwrite { for j in 0..<n { gr[j] = 0 } }
                    continue
                }
                let go = g[r]
                if overwrite { for j in 0..<n { gr[j] = go * pr[j] } } else { for j in 0..<n { gr[j] += go * pr[j] } }
                gr[targets[r]] -= go
            }
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
