import Foundation

/// What causal attention's backward needs.
public struct AttentionAux {
    var batch: Int, heads: Int, queries: Int, keys: Int, headSize: Int
    /// Rows between consecutive (batch, head) blocks of k and v (≥ keys: a KV cache has spare capacity).
    var keyCapacity: Int
    var scale: Float
    /// Softmax probabilities [B, H, Tq, keys] (nil when not recording).
    var probs: UnsafeMutablePointer<Float>?
    /// First valid key column per batch row (left padding), or nil.
    var keyStart: UnsafeMutablePointer<Int32>?
}

/// Fused scaled dot-product causal attention, softmax(q kᵀ / √D + causal mask) v, per (batch, head).
///
/// q: [B, H, Tq, D]; k, v: [B, H, Tcap, D] of which the first `keyLength` rows are used (default: all), so a KV cache
/// with spare capacity can be passed as is. Query i sits at position keyLength − Tq + i and sees keys
/// keyStart[b] … its own position: with Tq = keyLength this is ordinary causal attention; with Tq = 1 it is one
/// decoding step. Keys left of `keyStart[b]` (left padding) are masked out; a query that sees no key outputs 0.
/// Parallel over (batch, head); each output row is computed the same way on any thread.
public func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyLength: Int? = nil, keyStart: IndexBuffer? = nil) -> Tensor {
    require(q.rank == 4 && k.rank == 4 && v.rank == 4 && k.shape == v.shape, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let cap = k.shape[2], tk = keyLength ?? cap
    require(k.shape[0] == b && k.shape[1] == h && k.shape[3] == d, "attention: q \(q.shape) vs k \(k.shape)")
    require(tk <= cap && tk >= tq, "attention: \(tk) keys for \(tq) queries (capacity \(cap))")
    require(keyStart == nil || keyStart!.count == b, "attention: keyStart needs one entry per batch row")
    let g = q.graph
    let needs = g.needsGrad(q, k, v)
    let aux = g.arena.allocate(AttentionAux.self, count: 1)
    aux.initialize(to: AttentionAux(batch: b, heads: h, queries: tq, keys: tk, headSize: d, keyCapacity: cap,
                                    scale: 1 / Float(d).squareRoot(),
                                    probs: needs ? g.arena.allocate(Float.self, count: b * h * tq * tk) : nil,
                                    keyStart: keyStart?.pointer))
    let out = g.node(q.shape, .attention(q.id, k.id, v.id, aux), needsGrad: needs)
    let a = aux.pointer(to: \.self)!.pointee
    let rowScratch = g.arena.allocate(Float.self, count: Swift.max(1, Parallel.threads) * tk)
    let Q = q.value, K = k.value, V = v.value, O = out.value
    Parallel.forEach(chunks: b * h) { bh, worker in
        let bi = bh / h
        let lo = a.keyStart.map { Int($0[bi]) } ?? 0
        let qb = Q + bh * tq * d, kb = K + bh * cap * d, vb = V + bh * cap * d, ob = O + bh * tq * d
        let scratch = rowScratch + Swift.min(worker, Parallel.threads - 1) * tk
        for i in 0..<tq {
            let hi = tk - tq + i                                    // last visible key
            let p = a.probs.map { $0 + (bh * tq + i) * tk } ?? scratch
            let qi = qb + i * d, oi = ob + i * d
            for j in 0..<d { oi[j] = 0 }
            if a.probs != nil { for j in 0..<tk { p[j] = 0 } }
            guard lo <= hi else { continue }
            var m = -Float.infinity
            for j in lo...hi {
                var s = dot(qi, kb + j * d, d)
                s *= a.scale
                p[j] = s
                m = Swift.max(m, s)
            }
            for j in lo...hi { p[j] -= m }
            VectorMath.map(p + lo, p + lo, hi - lo + 1, VectorMath.exp)
            var sum: Float = 0
            for j in lo...hi { sum += p[j] }
            let inv = 1 / sum
            for j in lo...hi {
                p[j] *= inv
                let w = p[j], vj = vb + j * d
                for c in 0..<d { oi[c] += w * vj[c] }
            }
        }
    }
    return out
}

extension Graph {
    func backwardAttention(_ qid: Int, _ kid: Int, _ vid: Int, _ aux: UnsafeMutablePointer<AttentionAux>, out: Int,
                           _ gOut: UnsafeMutablePointer<Float>) {
        let a = aux.pointee
        guard let probs = a.probs else { return }
        let (h, tq, tk, d, cap) = (a.heads, a.queries, a.keys, a.headSize, a.keyCapacity)
        let Q = nodes[qid].value, K = nodes[kid].value, V = nodes[vid].value
        let gQ = grad(qid), gK = grad(kid), gV = grad(vid)
        let workers = Swift.max(1, Parallel.threads)
        let dpScratch = arena.allocate(Float.self, count: workers * tk)
        Parallel.forEach(chunks: a.batch * h) { bh, worker in
            let bi = bh / h
            let lo = a.keyStart.map { Int($0[bi]) } ?? 0
            let dp = dpScratch + Swift.min(worker, workers - 1) * tk
            for i in 0..<tq {
                let hi = tk - tq + i
                guard lo <= hi else { continue }
                let p = probs + (bh * tq + i) * tk
                let go = gOut + (bh * tq + i) * d
                // dV_j += p_ij dO_i ; dP_ij = dO_i · V_j
                var rowDot: Float = 0
                for j in lo...hi {
                    let s = dot(go, V + (bh * cap + j) * d, d)
                    dp[j] = s
                    rowDot += s * p[j]
                    if let gV { let gv = gV + (bh * cap + j) * d; for c in 0..<d { gv[c] += p[j] * go[c] } }
                }
                // dS_ij = P_ij (dP_ij − Σ_j P_ij dP_ij); dQ_i += scale Σ_j dS_ij K_j; dK_j += scale dS_ij Q_i
                let qi = Q + (bh * tq + i) * d
                for j in lo...hi {
                    let ds = p[j] * (dp[j] - rowDot) * a.scale
                    if let gQ { let gq = gQ + (bh * tq + i) * d, kj = K + (bh * cap + j) * d; for c in 0..<d { gq[c] += ds * kj[c] } }
                    if let gK { let gk = gK + (bh * cap + j) * d; for c in 0..<d { gk[c] += ds * qi[c] } }
                }
            }
        }
    }
}

/// Σ x[i]·y[i] with eight running partial sums (a fixed order, so results do not depend on threads), then the tail.
@inline(__always)
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        acc = acc.addingProduct(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self),
                                UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self))
        i += 8
    }
    var s = acc.sum()
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}

/// What RoPE's backward needs.
public struct RopeAux {
    var batch: Int, heads: Int, length: Int, headSize: Int
    /// cos and sin tables [positions, D/2].
    var cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>
    /// Position of row t of batch b: offset + t − padding[b] (clamped at 0).
    var offset: Int
    var padding: UnsafeMutablePointer<Int32>?
}

extension Tensor {
    /// Rotary position embedding (Su et al. 2021) on [B, H, T, D], half-split pairing (x_i, x_{i+D/2}) as in GPT-NeoX:
    /// each pair is rotated by angle pos · base^(−2i/D). Row t of batch b has position offset + t − padding[b].
    public func rope(offset: Int = 0, padding: IndexBuffer? = nil, base: Float = 10_000) -> Tensor {
        require(rank == 4 && shape[3] % 2 == 0, "rope: need [B, H, T, D] with even D, got \(shape)")
        let (b, h, t, d) = (shape[0], shape[1], shape[2], shape[3])
        let half = d / 2, positions = offset + t
        let cosT = graph.arena.allocate(Float.self, count: positions * half)
        let sinT = graph.arena.allocate(Float.self, count: positions * half)
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Double(p) * Foundation.pow(Double(base), -2 * Double(i) / Double(d))
                cosT[p * half + i] = Float(Foundation.cos(angle)); sinT[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        let aux = graph.arena.allocate(RopeAux.self, count: 1)
        aux.initialize(to: RopeAux(batch: b, heads: h, length: t, headSize: d, cos: cosT, sin: sinT, offset: offset,
                                   padding: padding?.pointer))
        let out = graph.node(shape, .rope(id, aux), needsGrad: graph.needsGrad(self))
        ropeApply(aux.pointee, value, out.value, inverse: false, accumulate: false)
        return out
    }
}

/// y = R x (or y += Rᵀ x for the backward pass).
func ropeApply(_ a: RopeAux, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, inverse: Bool, accumulate: Bool) {
    let half = a.headSize / 2, d = a.headSize
    for bi in 0..<a.batch {
        let pad = a.padding.map { Int($0[bi]) } ?? 0
        for hi in 0..<a.heads {
            for t in 0..<a.length {
                let pos = Swift.max(0, a.offset + t - pad)
                let row = ((bi * a.heads + hi) * a.length + t) * d
                let c = a.cos + pos * half, s = a.sin + pos * half
                for i in 0..<half {
                    let x1 = x[row + i], x2 = x[row + half + i]
                    let sn = inverse ? -s[i] : s[i]
                    let y1 = x1 * c[i] - x2 * sn, y2 = x1 * sn + x2 * c[i]
                    if accumulate { y[row + i] += y1; y[row + half + i] += y2 } else { y[row + i] = y1; y[row + half + i] = y2 }
                }
            }
        }
    }
}

extension Graph {
    func backwardRope(_ x: Int, _ aux: UnsafeMutablePointer<RopeAux>, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        ropeApply(aux.pointee, g, gx, inverse: true, accumulate: true)
    }
}
