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
    /// Forward and backward use the naive reference loops (`causalAttentionNaive`, for tests).
    var naive: Bool = false
}

/// Fused scaled dot-product causal attention, softmax(q kᵀ / √D + causal mask) v, per (batch, head).
///
/// q: [B, H, Tq, D]; k, v: [B, H, Tcap, D] of which the first `keyLength` rows are used (default: all), so a KV cache
/// with spare capacity can be passed as is. Query i sits at position keyLength − Tq + i and sees keys
/// keyStart[b] … its own position: with Tq = keyLength this is ordinary causal attention; with Tq = 1 it is one
/// decoding step. Keys left of `keyStart[b]` (left padding) are masked out; a query that sees no key outputs 0.
/// Parallel over (batch, head); each output row is computed the same way on any thread.
///
/// Per (batch, head) block the fast kernels work on whole tiles: S = q kᵀ by an 8-row × 16-key register tile over a
/// transposed copy of k (only the key chunks some row of the tile can see), a vectorised masked softmax per row,
/// then O = P v by an 8-row × 16-column tile (the backward pass likewise: dP = dO vᵀ, dS, dQ += dS k, dK += dSᵀ q,
/// dV += Pᵀ dO). Which kernel and which summation order an element gets depends only on the shapes, so results are
/// bit-identical at every thread count. `causalAttentionNaive` is the straightforward twin the tests compare against.
public func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyLength: Int? = nil, keyStart: IndexBuffer? = nil) -> Tensor {
    makeAttention(q, k, v, keyLength: keyLength, keyStart: keyStart, naive: false)
}

/// The reference implementation of `causalAttention` (same semantics, scalar loops; forward and backward).
func causalAttentionNaive(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyLength: Int? = nil, keyStart: IndexBuffer? = nil) -> Tensor {
    makeAttention(q, k, v, keyLength: keyLength, keyStart: keyStart, naive: true)
}

private func makeAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyLength: Int?, keyStart: IndexBuffer?, naive: Bool) -> Tensor {
    require(q.rank == 4 && k.rank == 4 && v.rank == 4 && k.shape == v.shape, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let cap = k.shape[2], tk = keyLength ?? cap
    require(k.shape[0] == b && k.shape[1] == h && k.shape[3] == d, "attention: q \(q.shape) vs k \(k.shape)")
    require(tk <= cap && tk >= tq, "attention: \(tk) keys for \(tq) queries (capacity \(cap))")
    require(keyStart == nil || keyStart!.count == b, "attention: keyStart needs one entry per batch row")
    if let keyStart { for i in 0..<b { require(keyStart[i] >= 0, "attention: negative keyStart \(keyStart[i])") } }
    let g = q.graph
    let needs = g.needsGrad(q, k, v)
    let aux = g.arena.allocate(AttentionAux.self, count: 1)
    aux.initialize(to: AttentionAux(batch: b, heads: h, queries: tq, keys: tk, headSize: d, keyCapacity: cap,
                                    scale: 1 / Float(d).squareRoot(),
                                    probs: needs ? g.arena.allocate(Float.self, count: b * h * tq * tk) : nil,
                                    keyStart: keyStart?.pointer, naive: naive))
    let out = g.node(q.shape, .attention(q.id, k.id, v.id, aux), needsGrad: needs)
    let a = aux.pointee
    if naive {
        attentionForwardNaive(a, q.value, k.value, v.value, out.value, g.arena)
    } else {
        attentionForward(a, q.value, k.value, v.value, out.value, g.arena)
    }
    return out
}

extension Graph {
    func backwardAttention(_ qid: Int, _ kid: Int, _ vid: Int, _ aux: UnsafeMutablePointer<AttentionAux>, out: Int,
                           _ gOut: UnsafeMutablePointer<Float>) {
        let a = aux.pointee
        guard a.probs != nil else { return }
        let Q = nodes[qid].value, K = nodes[kid].value, V = nodes[vid].value
        if a.naive {
            attentionBackwardNaive(a, Q, K, V, gOut, grad(qid), grad(kid), grad(vid), arena)
        } else {
            // a gradient buffer handed out fresh is stored into (every element written) instead of zeroed and added to;
            // when q, k, v are the same tensor only the first is fresh, and dQ is written before dK and dV
            let gQ = gradForWrite(qid), gK = gradForWrite(kid), gV = gradForWrite(vid)
            attentionBackward(a, Q, K, V, gOut, gQ?.pointer, gK?.pointer, gV?.pointer,
                              overwrite: (gQ?.overwrite ?? false, gK?.overwrite ?? false, gV?.overwrite ?? false), arena)
        }
    }
}

// MARK: - Fast kernels

private typealias F16 = SIMD16<Float>

@inline(__always) private func ld16(_ p: UnsafePointer<Float>) -> F16 { UnsafeRawPointer(p).loadUnaligned(as: F16.self) }
@inline(__always) private func ld16(_ p: UnsafeMutablePointer<Float>) -> F16 { UnsafeRawPointer(p).loadUnaligned(as: F16.self) }
@inline(__always) private func st16(_ p: UnsafeMutablePointer<Float>, _ v: F16) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}
/// Lanes 0..<count of a 16-lane chunk.
@inline(__always) private func lanesBelow(_ count: Int) -> SIMDMask<SIMD16<Int32>> {
    SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .< SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: Swift.min(count, 16)))
}

/// Up to eight rows of 16 columns: acc_r = Σ_{s < count} c[r·crs + s·css] · x[s·xs ..< s·xs + 16] (fused multiply-adds
/// in increasing s), then o[r·os ..< r·os + 16] = acc_r, or += acc_r when `add`, for r < rows. All eight rows are
/// computed (c must be readable for all of them; the rows ≥ `rows` are discarded). Either css or crs must be 1
/// (two loop shapes, so that the eight coefficient addresses are not one serial chain of additions).
@inline(__always)
private func tile8(_ rows: Int, _ count: Int, _ c: UnsafePointer<Float>, _ crs: Int, _ css: Int,
                   _ x: UnsafePointer<Float>, _ xs: Int,
                   _ o: UnsafeMutablePointer<Float>, _ os: Int, add: Bool) {
    var a0 = F16(), a1 = F16(), a2 = F16(), a3 = F16(), a4 = F16(), a5 = F16(), a6 = F16(), a7 = F16()
    var xp = x
    if css == 1 {
        // coefficient rows c_r[s]: eight base pointers, one index
        let c0 = c, c1 = c + crs, c2 = c + 2 * crs, c3 = c + 3 * crs
        let c4 = c + 4 * crs, c5 = c + 5 * crs, c6 = c + 6 * crs, c7 = c + 7 * crs
        for s in 0..<count {
            let xv = ld16(xp)
            a0 = a0.addingProduct(F16(repeating: c0[s]), xv)
            a1 = a1.addingProduct(F16(repeating: c1[s]), xv)
            a2 = a2.addingProduct(F16(repeating: c2[s]), xv)
            a3 = a3.addingProduct(F16(repeating: c3[s]), xv)
            a4 = a4.addingProduct(F16(repeating: c4[s]), xv)
            a5 = a5.addingProduct(F16(repeating: c5[s]), xv)
            a6 = a6.addingProduct(F16(repeating: c6[s]), xv)
            a7 = a7.addingProduct(F16(repeating: c7[s]), xv)
            xp += xs
        }
    } else {
        // crs == 1: the eight coefficients of step s are contiguous
        var cp = c
        for _ in 0..<count {
            let xv = ld16(xp)
            a0 = a0.addingProduct(F16(repeating: cp[0]), xv)
            a1 = a1.addingProduct(F16(repeating: cp[1]), xv)
            a2 = a2.addingProduct(F16(repeating: cp[2]), xv)
            a3 = a3.addingProduct(F16(repeating: cp[3]), xv)
            a4 = a4.addingProduct(F16(repeating: cp[4]), xv)
            a5 = a5.addingProduct(F16(repeating: cp[5]), xv)
            a6 = a6.addingProduct(F16(repeating: cp[6]), xv)
            a7 = a7.addingProduct(F16(repeating: cp[7]), xv)
            cp += css; xp += xs
        }
    }
    if add {
        st16(o, ld16(o) + a0)
        if rows > 1 { st16(o + os, ld16(o + os) + a1) }
        if rows > 2 { st16(o + 2 * os, ld16(o + 2 * os) + a2) }
        if rows > 3 { st16(o + 3 * os, ld16(o + 3 * os) + a3) }
        if rows > 4 { st16(o + 4 * os, ld16(o + 4 * os) + a4) }
        if rows > 5 { st16(o + 5 * os, ld16(o + 5 * os) + a5) }
        if rows > 6 { st16(o + 6 * os, ld16(o + 6 * os) + a6) }
        if rows > 7 { st16(o + 7 * os, ld16(o + 7 * os) + a7) }
    } else {
        st16(o, a0)
        if rows > 1 { st16(o + os, a1) }
        if rows > 2 { st16(o + 2 * os, a2) }
        if rows > 3 { st16(o + 3 * os, a3) }
        if rows > 4 { st16(o + 4 * os, a4) }
        if rows > 5 { st16(o + 5 * os, a5) }
        if rows > 6 { st16(o + 6 * os, a6) }
        if rows > 7 { st16(o + 7 * os, a7) }
    }
}

/// One row of 16 columns: Σ_{s < count} c[s·css] · x[s·xs ..< +16] with four interleaved partial sums
/// (s mod 4, combined as (p0 + p1) + (p2 + p3)), stored to o or added to it.
@inline(__always)
private func tile1(_ count: Int, _ c: UnsafePointer<Float>, _ css: Int, _ x: UnsafePointer<Float>, _ xs: Int,
                   _ o: UnsafeMutablePointer<Float>, add: Bool) {
    var a0 = F16(), a1 = F16(), a2 = F16(), a3 = F16()
    var s = 0
    while s + 4 <= count {
        a0 = a0.addingProduct(F16(repeating: c[s * css]), ld16(x + s * xs))
        a1 = a1.addingProduct(F16(repeating: c[(s + 1) * css]), ld16(x + (s + 1) * xs))
        a2 = a2.addingProduct(F16(repeating: c[(s + 2) * css]), ld16(x + (s + 2) * xs))
        a3 = a3.addingProduct(F16(repeating: c[(s + 3) * css]), ld16(x + (s + 3) * xs))
        s += 4
    }
    while s < count { a0 = a0.addingProduct(F16(repeating: c[s * css]), ld16(x + s * xs)); s += 1 }
    let r = (a0 + a1) + (a2 + a3)
    st16(o, add ? ld16(o) + r : r)
}

/// Copies `rows` rows of `d` floats (stride `d`) into rows of stride `dp` ≥ d, zero-filling columns d..<dp.
@inline(__always)
private func padRows(_ src: UnsafePointer<Float>, _ rows: Int, _ d: Int, _ dst: UnsafeMutablePointer<Float>, _ dp: Int) {
    for r in 0..<rows {
        let s = src + r * d, t = dst + r * dp
        for c in 0..<d { t[c] = s[c] }
        for c in d..<dp { t[c] = 0 }
    }
}

/// xT[c·npad + j] = x[j·d + c] for j < n, 0 for n ≤ j < npad.
@inline(__always)
private func transposeRows(_ x: UnsafePointer<Float>, _ n: Int, _ d: Int, _ xT: UnsafeMutablePointer<Float>, _ npad: Int) {
    for c in 0..<d {
        let t = xT + c * npad
        var src = x + c
        for j in 0..<n { t[j] = src.pointee; src += d }
        for j in n..<npad { t[j] = 0 }
    }
}

/// The geometry of one (batch, head) block: keys are numbered from keyStart (j = key − lo), row i sees keys
/// 0..<visible(i).
private struct BlockGeometry {
    let n: Int, npad: Int, off: Int
    init(tq: Int, tk: Int, lo: Int) {
        n = Swift.max(0, tk - lo)
        npad = (n + 15) & ~15
        off = tk - tq - lo
    }
    @inline(__always) func visible(_ i: Int) -> Int { Swift.min(n, Swift.max(0, i + off + 1)) }
    /// The first query that sees key j.
    @inline(__always) func firstQuery(_ j: Int) -> Int { Swift.max(0, j - off) }
}

/// Σ x[i]·y[i] over `slices` × 16 floats: lane-wise fused multiply-adds, then a fixed pairwise tree over the lanes.
@inline(__always)
private func dot16(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ slices: Int) -> Float {
    var acc = ld16(x) * ld16(y)
    for s in 1..<Swift.max(1, slices) { acc = acc.addingProduct(ld16(x + s * 16), ld16(y + s * 16)) }
    let a8 = acc.lowHalf + acc.highHalf, a4 = a8.lowHalf + a8.highHalf, a2 = a4.lowHalf + a4.highHalf
    return a2[0] + a2[1]
}

/// Below this many queries the forward computes scores by dot products (no transposed copy of k).
private let dotQueryLimit = 4

/// Masked softmax of one row in place: s[0..<count] (raw scores) become probabilities, s[count..<npad] = 0.
/// Vectorised in 16-lane chunks: scaled scores, lane-wise maximum, exp, lane-wise sum, all in a fixed order.
@inline(__always)
private func softmaxRow(_ s: UnsafeMutablePointer<Float>, _ count: Int, _ npad: Int, _ scale: Float) {
    let chunks = (count + 15) / 16
    if count > 0 {
        var mv = F16(repeating: -.infinity)
        for ch in 0..<chunks {
            let p = s + ch * 16
            var x = ld16(p) * scale
            x.replace(with: -.infinity, where: .!lanesBelow(count - ch * 16))
            st16(p, x)
            mv.replace(with: x, where: x .> mv)
        }
        var m = mv[0]
        for l in 1..<16 { m = Swift.max(m, mv[l]) }
        let mm = F16(repeating: m)
        var sv = F16()
        for ch in 0..<chunks {
            let p = s + ch * 16
            var e = VectorMath.exp(ld16(p) - mm)
            e.replace(with: 0, where: .!lanesBelow(count - ch * 16))
            st16(p, e)
            sv += e
        }
        let inv = F16(repeating: 1 / sv.sum())
        for ch in 0..<chunks { let p = s + ch * 16; st16(p, ld16(p) * inv) }
    }
    for ch in chunks..<(npad / 16) { st16(s + ch * 16, F16()) }
}

/// Picks a worker's scratch: the arena buffer when the worker index is within the count it was sized for (always,
/// unless the thread count changed in between), otherwise a temporary buffer (same arithmetic either way).
@inline(__always)
private func withWorkerScratch(_ base: UnsafeMutablePointer<Float>, _ worker: Int, _ workers: Int, _ perWorker: Int,
                               _ body: (UnsafeMutablePointer<Float>) -> Void) {
    if worker < workers { body(base + worker * perWorker) } else {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: perWorker) { body($0.baseAddress!) }
    }
}

private func attentionForward(_ a: AttentionAux, _ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>,
                              _ V: UnsafePointer<Float>, _ O: UnsafeMutablePointer<Float>, _ arena: Arena) {
    let (h, tq, tk, d, cap) = (a.heads, a.queries, a.keys, a.headSize, a.keyCapacity)
    let chunks = a.batch * h
    guard chunks > 0 && tq > 0 else { return }
    let padded = d % 16 != 0, dp = (d + 15) & ~15, slices = dp / 16
    let npadMax = (tk + 15) & ~15
    let useDot = tq < dotQueryLimit
    // per worker: scores/probabilities [tq rounded up to 8][npad], kᵀ [d][npad] and the last query tile [8][d];
    // padded v [n][dp] and o [tq][dp] for odd d
    let tq8 = (tq + 7) & ~7
    let sizeS = tq8 * npadMax, sizeKT = useDot ? 0 : d * npadMax + 8 * d
    let sizeV = padded ? tk * dp : 0, sizeO = padded ? tq * dp : 0
    let perWorker = (sizeS + sizeKT + sizeV + sizeO + 15) & ~15
    let workers = Parallel.workers(for: chunks)
    let scratch = arena.allocate(Float.self, count: workers * perWorker)
    let scale = a.scale
    Parallel.forEach(chunks: chunks, maxWorkers: workers) { bh, worker in
        withWorkerScratch(scratch, worker, workers, perWorker) { ws in
            let bi = bh / h
            let lo = a.keyStart.map { Int($0[bi]) } ?? 0
            let geo = BlockGeometry(tq: tq, tk: tk, lo: lo)
            let n = geo.n, npad = geo.npad
            let qb = Q + bh * tq * d, kb = K + (bh * cap + lo) * d, vb0 = V + (bh * cap + lo) * d
            let ob0 = O + bh * tq * d
            guard n > 0 else {
                ob0.initialize(repeating: 0, count: tq * d)
                if let probs = a.probs { (probs + bh * tq * tk).initialize(repeating: 0, count: tq * tk) }
                return
            }
            let S = ws, kT = ws + sizeS, qTail = kT + d * npadMax
            var vb = vb0, vld = d, ob = ob0, old = d
            if padded {
                let vP = ws + sizeS + sizeKT, oP = vP + sizeV
                padRows(vb0, n, d, vP, dp)
                vb = UnsafePointer(vP); vld = dp; ob = oP; old = dp
            }
            // scores S[i][j] = q_i · k_j for the key chunks each row (tile) can see
            if useDot {
                for i in 0..<tq {
                    let row = S + i * npad
                    if padded {
                        for j in 0..<geo.visible(i) { row[j] = dot(qb + i * d, kb + j * d, d) }
                    } else {
                        for j in 0..<geo.visible(i) { row[j] = dot16(qb + i * d, kb + j * d, slices) }
                    }
                }
            } else {
                transposeRows(kb, n, d, kT, npad)
                var i0 = 0
                while i0 < tq {
                    let rows = Swift.min(8, tq - i0)
                    var qt = qb + i0 * d
                    if rows < 8 {                       // the last, partial tile reads its rows from a padded copy
                        qTail.update(from: qt, count: rows * d)
                        (qTail + rows * d).initialize(repeating: 0, count: (8 - rows) * d)
                        qt = UnsafePointer(qTail)
                    }
                    let kc = (geo.visible(i0 + rows - 1) + 15) / 16
                    for ch in 0..<kc { tile8(rows, d, qt, d, 1, kT + ch * 16, npad, S + i0 * npad + ch * 16, npad, add: false) }
                    i0 += 8
                }
            }
            for i in 0..<tq {
                let cnt = geo.visible(i), row = S + i * npad
                softmaxRow(row, cnt, npad, scale)
                if let probs = a.probs {                // probabilities of the visible keys, 0 elsewhere
                    let pr = probs + (bh * tq + i) * tk
                    pr.initialize(repeating: 0, count: lo)
                    (pr + lo).update(from: row, count: cnt)
                    (pr + lo + cnt).initialize(repeating: 0, count: tk - lo - cnt)
                }
            }
            // O = P v (a partial tile also reads the zeroed rows up to a multiple of 8 of S, and discards them)
            (S + tq * npad).initialize(repeating: 0, count: (tq8 - tq) * npad)
            if useDot {
                for i in 0..<tq {
                    let cnt = geo.visible(i)
                    for s in 0..<slices { tile1(cnt, S + i * npad, 1, vb + s * 16, vld, ob + i * old + s * 16, add: false) }
                }
            } else {
                var i0 = 0
                while i0 < tq {
                    let rows = Swift.min(8, tq - i0), cnt = geo.visible(i0 + rows - 1)
                    for s in 0..<slices { tile8(rows, cnt, S + i0 * npad, npad, 1, vb + s * 16, vld, ob + i0 * old + s * 16, old, add: false) }
                    i0 += 8
                }
            }
            if padded {
                for i in 0..<tq { (ob0 + i * d).update(from: ob + i * dp, count: d) }
            }
        }
    }
}

private func attentionBackward(_ a: AttentionAux, _ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>,
                               _ V: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>,
                               _ gQ: UnsafeMutablePointer<Float>?, _ gK: UnsafeMutablePointer<Float>?,
                               _ gV: UnsafeMutablePointer<Float>?, overwrite: (q: Bool, k: Bool, v: Bool), _ arena: Arena) {
    guard let probs = a.probs, gQ != nil || gK != nil || gV != nil else { return }
    let (h, tq, tk, d, cap) = (a.heads, a.queries, a.keys, a.headSize, a.keyCapacity)
    let chunks = a.batch * h
    guard chunks > 0 && tq > 0 else {
        if overwrite.k, let gK { gK.initialize(repeating: 0, count: chunks * cap * d) }
        if overwrite.v, let gV { gV.initialize(repeating: 0, count: chunks * cap * d) }
        return
    }
    let padded = d % 16 != 0, dp = (d + 15) & ~15, slices = dp / 16
    let npadMax = (tk + 15) & ~15
    // per worker: P and dS [tq rounded up to 8][npad], vᵀ [d][npad] and the last dO tile [8][d]; for odd d padded
    // q, dO, dQ [tq][dp] and k, dK, dV [n][dp]
    let sizeP = ((tq + 7) & ~7) * npadMax, sizeVT = d * npadMax + 8 * d
    let sizeQ = padded ? tq * dp : 0, sizeK = padded ? tk * dp : 0
    let perWorker = (2 * sizeP + sizeVT + 3 * sizeQ + 3 * sizeK + 15) & ~15
    let workers = Parallel.workers(for: chunks)
    let scratch = arena.allocate(Float.self, count: workers * perWorker)
    let scale = a.scale
    Parallel.forEach(chunks: chunks, maxWorkers: workers) { bh, worker in
        withWorkerScratch(scratch, worker, workers, perWorker) { ws in
            let bi = bh / h
            let lo = a.keyStart.map { Int($0[bi]) } ?? 0
            let geo = BlockGeometry(tq: tq, tk: tk, lo: lo)
            let n = geo.n, npad = geo.npad
            // fresh buffers: zero the rows no key tile writes (keys before keyStart and beyond keyLength; everything
            // when the block has no visible key)
            if overwrite.q, n == 0, let gQ { (gQ + bh * tq * d).initialize(repeating: 0, count: tq * d) }
            if overwrite.k, let gK { zeroUnwrittenKeyRows(gK + bh * cap * d, cap: cap, d: d, lo: lo, tk: tk) }
            if overwrite.v, let gV { zeroUnwrittenKeyRows(gV + bh * cap * d, cap: cap, d: d, lo: lo, tk: tk) }
            guard n > 0 else { return }
            let P = ws, dS = ws + sizeP, vT = dS + sizeP, goTail = vT + d * npadMax
            let qb0 = Q + bh * tq * d, kb0 = K + (bh * cap + lo) * d, vb = V + (bh * cap + lo) * d
            let gob0 = gOut + bh * tq * d
            let pb = probs + bh * tq * tk + lo
            // padded operands (odd head sizes): rows of dp floats
            var qb = qb0, kb = kb0, gob = gob0, ld = d
            let qP = vT + sizeVT, goP = qP + sizeQ, dQP = goP + sizeQ
            let kP = dQP + sizeQ, dKP = kP + sizeK, dVP = dKP + sizeK
            if padded {
                if gK != nil { padRows(qb0, tq, d, qP, dp); qb = UnsafePointer(qP) }
                if gQ != nil { padRows(kb0, n, d, kP, dp); kb = UnsafePointer(kP) }
                if gV != nil { padRows(gob0, tq, d, goP, dp); gob = UnsafePointer(goP) }
                ld = dp
            }
            // P rows (visible part, zero beyond) and dP = dO vᵀ into dS
            for i in 0..<tq {
                let cnt = geo.visible(i), row = P + i * npad
                row.update(from: pb + i * tk, count: cnt)
                (row + cnt).initialize(repeating: 0, count: npad - cnt)
            }
            transposeRows(vb, n, d, vT, npad)
            var i0 = 0
            while i0 < tq {
                let rows = Swift.min(8, tq - i0)
                var gt = gob0 + i0 * d
                if rows < 8 {
                    goTail.update(from: gt, count: rows * d)
                    (goTail + rows * d).initialize(repeating: 0, count: (8 - rows) * d)
                    gt = UnsafePointer(goTail)
                }
                let kc = (geo.visible(i0 + rows - 1) + 15) / 16
                for ch in 0..<kc { tile8(rows, d, gt, d, 1, vT + ch * 16, npad, dS + i0 * npad + ch * 16, npad, add: false) }
                i0 += 8
            }
            // rows up to a multiple of 8, read (and discarded) by partial tiles
            let tail = (((tq + 7) & ~7) - tq) * npad
            (P + tq * npad).initialize(repeating: 0, count: tail); (dS + tq * npad).initialize(repeating: 0, count: tail)
            // dS_ij = P_ij (dP_ij − Σ_j P_ij dP_ij) · scale, zero where row i does not see key j
            for i in 0..<tq {
                let cnt = geo.visible(i), pr = P + i * npad, sr = dS + i * npad
                let kc = (cnt + 15) / 16
                var acc = F16()
                for ch in 0..<kc {
                    var x = ld16(pr + ch * 16) * ld16(sr + ch * 16)
                    x.replace(with: 0, where: .!lanesBelow(cnt - ch * 16))
                    acc += x
                }
                let rowDot = F16(repeating: acc.sum())
                for ch in 0..<kc {
                    var x = ld16(pr + ch * 16) * (ld16(sr + ch * 16) - rowDot) * scale
                    x.replace(with: 0, where: .!lanesBelow(cnt - ch * 16))
                    st16(sr + ch * 16, x)
                }
                for ch in kc..<(npad / 16) { st16(sr + ch * 16, F16()) }
            }
            // dQ += dS k (rows: queries; sum over the keys the row tile sees)
            if let gQ {
                let out = padded ? dQP : gQ + bh * tq * d, add = !padded && !overwrite.q
                var i0 = 0
                while i0 < tq {
                    let rows = Swift.min(8, tq - i0), cnt = geo.visible(i0 + rows - 1)
                    for s in 0..<slices { tile8(rows, cnt, dS + i0 * npad, npad, 1, kb + s * 16, ld, out + i0 * ld + s * 16, ld, add: add) }
                    i0 += 8
                }
                if padded {
                    let g = gQ + bh * tq * d
                    if overwrite.q {
                        for i in 0..<tq { for c in 0..<d { g[i * d + c] = dQP[i * dp + c] } }
                    } else {
                        for i in 0..<tq { for c in 0..<d { g[i * d + c] += dQP[i * dp + c] } }
                    }
                }
            }
            // dK += dSᵀ q and dV += Pᵀ dO (rows: keys; sum over the queries that see the key tile)
            if let gK { keyRowGradients(geo, tq, dS, qb, ld, gK + (bh * cap + lo) * d, d, padded ? dKP : nil, slices, overwrite: overwrite.k) }
            if let gV { keyRowGradients(geo, tq, P, gob, ld, gV + (bh * cap + lo) * d, d, padded ? dVP : nil, slices, overwrite: overwrite.v) }
        }
    }
}

/// Zeroes the rows of a (batch, head) block of a key gradient that no key tile writes: before keyStart (lo) and from
/// keyLength (tk) to the capacity.
@inline(__always)
private func zeroUnwrittenKeyRows(_ block: UnsafeMutablePointer<Float>, cap: Int, d: Int, lo: Int, tk: Int) {
    let lo = Swift.min(lo, tk)
    block.initialize(repeating: 0, count: lo * d)
    (block + tk * d).initialize(repeating: 0, count: (cap - tk) * d)
}

/// grad[j] += Σ_i coef[i][j] · x[i] (= with `overwrite`) for the block's keys j (rows of `grad`, stride d), summing over
/// the queries that see the 8-key tile (coef is zero where a query does not see a key). x has rows of `ld` floats (d,
/// or dp when padded); with `tmp` (odd d) the sums go through padded rows there first.
@inline(__always)
private func keyRowGradients(_ geo: BlockGeometry, _ tq: Int, _ coef: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                             _ ld: Int, _ grad: UnsafeMutablePointer<Float>, _ d: Int,
                             _ tmp: UnsafeMutablePointer<Float>?, _ slices: Int, overwrite: Bool) {
    let n = geo.n, npad = geo.npad
    let out = tmp ?? grad, add = tmp == nil && !overwrite
    var j0 = 0
    while j0 < n {
        // a partial tile reads coefficients of columns < npad (n % 8 ≠ 0, so j0 + 7 < npad) and discards them
        let rows = Swift.min(8, n - j0), first = geo.firstQuery(j0), cnt = tq - first
        for s in 0..<slices {
            tile8(rows, cnt, coef + first * npad + j0, 1, npad, x + first * ld + s * 16, ld, out + j0 * ld + s * 16, ld, add: add)
        }
        j0 += 8
    }
    if let tmp {
        if overwrite {
            for j in 0..<n { for c in 0..<d { grad[j * d + c] = tmp[j * ld + c] } }
        } else {
            for j in 0..<n { for c in 0..<d { grad[j * d + c] += tmp[j * ld + c] } }
        }
    }
}

// MARK: - Naive reference

private func attentionForwardNaive(_ a: AttentionAux, _ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>,
                                   _ V: UnsafePointer<Float>, _ O: UnsafeMutablePointer<Float>, _ arena: Arena) {
    let (h, tq, tk, d, cap) = (a.heads, a.queries, a.keys, a.headSize, a.keyCapacity)
    let workers = Parallel.workers(for: a.batch * h)
    let rowScratch = arena.allocate(Float.self, count: workers * Swift.max(1, tk))
    Parallel.forEach(chunks: a.batch * h, maxWorkers: workers) { bh, worker in
        withWorkerScratch(rowScratch, worker, workers, Swift.max(1, tk)) { scratch in
            let bi = bh / h
            let lo = a.keyStart.map { Int($0[bi]) } ?? 0
            let qb = Q + bh * tq * d, kb = K + bh * cap * d, vb = V + bh * cap * d, ob = O + bh * tq * d
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
    }
}

private func attentionBackwardNaive(_ a: AttentionAux, _ Q: UnsafePointer<Float>, _ K: UnsafePointer<Float>,
                                    _ V: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>,
                                    _ gQ: UnsafeMutablePointer<Float>?, _ gK: UnsafeMutablePointer<Float>?,
                                    _ gV: UnsafeMutablePointer<Float>?, _ arena: Arena) {
    guard let probs = a.probs else { return }
    let (h, tq, tk, d, cap) = (a.heads, a.queries, a.keys, a.headSize, a.keyCapacity)
    let workers = Parallel.workers(for: a.batch * h)
    let dpScratch = arena.allocate(Float.self, count: workers * Swift.max(1, tk))
    Parallel.forEach(chunks: a.batch * h, maxWorkers: workers) { bh, worker in
        withWorkerScratch(dpScratch, worker, workers, Swift.max(1, tk)) { dp in
            let bi = bh / h
            let lo = a.keyStart.map { Int($0[bi]) } ?? 0
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

// MARK: - RoPE

/// What RoPE's backward needs.
public struct RopeAux {
    var batch: Int, heads: Int, length: Int, headSize: Int
    /// cos and sin tables [positions, D/2].
    var cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>
    /// Position of row t of batch b: offset + t − padding[b] (clamped at 0).
    var offset: Int
    var padding: UnsafeMutablePointer<Int32>?
}

/// RoPE's cos / sin tables, one per (D/2, base), computed once and grown (doubling) when more positions are needed.
/// Entry (p, i) is always Float(cos(p · base^(−2i/D))) in Double, whatever the table's size, so values are
/// deterministic. Tables are never freed (graphs may still point at an outgrown one); they stay small.
private enum RopeTables {
    struct Key: Hashable { var half: Int, base: UInt32 }
    struct Table { var positions: Int, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float> }
    static let lock = NSLock()
    nonisolated(unsafe) static var tables: [Key: Table] = [:]

    static func table(positions: Int, half: Int, base: Float) -> Table {
        lock.lock(); defer { lock.unlock() }
        let key = Key(half: half, base: base.bitPattern)
        let old = tables[key]
        if let old, old.positions >= positions { return old }
        let count = Swift.max(positions, 2 * (old?.positions ?? 0), 64)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, count * half))
        let s = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, count * half))
        let d = 2 * half
        for i in 0..<half {
            let freq = Foundation.pow(Double(base), -2 * Double(i) / Double(d))
            for p in 0..<count {
                let angle = Double(p) * freq
                c[p * half + i] = Float(Foundation.cos(angle)); s[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        let t = Table(positions: count, cos: c, sin: s)
        tables[key] = t
        return t
    }
}

extension Tensor {
    /// Rotary position embedding (Su et al. 2021) on [B, H, T, D], half-split pairing (x_i, x_{i+D/2}) as in GPT-NeoX:
    /// each pair is rotated by angle pos · base^(−2i/D). Row t of batch b has position offset + t − padding[b].
    public func rope(offset: Int = 0, padding: IndexBuffer? = nil, base: Float = 10_000) -> Tensor {
        require(rank == 4 && shape[3] % 2 == 0, "rope: need [B, H, T, D] with even D, got \(shape)")
        let (b, h, t, d) = (shape[0], shape[1], shape[2], shape[3])
        require(padding == nil || padding!.count == b, "rope: padding needs one entry per batch row")
        let half = d / 2, positions = offset + t
        let table = RopeTables.table(positions: positions, half: half, base: base)
        let aux = graph.arena.allocate(RopeAux.self, count: 1)
        aux.initialize(to: RopeAux(batch: b, heads: h, length: t, headSize: d, cos: table.cos, sin: table.sin, offset: offset,
                                   padding: padding?.pointer))
        let out = graph.node(shape, .rope(id, aux), needsGrad: graph.needsGrad(self))
        ropeApply(aux.pointee, value, out.value, inverse: false, accumulate: false)
        return out
    }
}

/// y = R x (or y += Rᵀ x for the backward pass), in parallel over (batch, head) blocks in fixed chunks; each element
/// is computed by the same lane-wise arithmetic as `ropeApplyNaive`.
func ropeApply(_ a: RopeAux, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, inverse: Bool, accumulate: Bool) {
    let half = a.headSize / 2, d = a.headSize
    let blocks = a.batch * a.heads
    Parallel.forRange(blocks, grain: 16, costPerItem: a.length * d, minWork: 1 << 15) { range in
        for bh in range {
            let pad = a.padding.map { Int($0[bh / a.heads]) } ?? 0
            for t in 0..<a.length {
                let pos = Swift.max(0, a.offset + t - pad)
                let row = (bh * a.length + t) * d
                let c = a.cos + pos * half, s = a.sin + pos * half
                let x1 = x + row, x2 = x + row + half, y1 = y + row, y2 = y + row + half
                var i = 0
                while i + 8 <= half {
                    let xa = UnsafeRawPointer(x1 + i).loadUnaligned(as: SIMD8<Float>.self)
                    let xb = UnsafeRawPointer(x2 + i).loadUnaligned(as: SIMD8<Float>.self)
                    let cv = UnsafeRawPointer(c + i).loadUnaligned(as: SIMD8<Float>.self)
                    var sv = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self)
                    if inverse { sv = -sv }
                    var ra = xa * cv - xb * sv, rb = xa * sv + xb * cv
                    if accumulate {
                        ra = UnsafeRawPointer(y1 + i).loadUnaligned(as: SIMD8<Float>.self) + ra
                        rb = UnsafeRawPointer(y2 + i).loadUnaligned(as: SIMD8<Float>.self) + rb
                    }
                    UnsafeMutableRawPointer(y1 + i).storeBytes(of: ra, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(y2 + i).storeBytes(of: rb, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < half {
                    let xa = x1[i], xb = x2[i]
                    let sn = inverse ? -s[i] : s[i]
                    let ra = xa * c[i] - xb * sn, rb = xa * sn + xb * c[i]
                    if accumulate { y1[i] += ra; y2[i] += rb } else { y1[i] = ra; y2[i] = rb }
                    i += 1
                }
            }
        }
    }
}

/// The reference loop of `ropeApply` (serial, scalar).
func ropeApplyNaive(_ a: RopeAux, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, inverse: Bool, accumulate: Bool) {
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
