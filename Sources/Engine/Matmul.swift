/// Matrix multiply kernels: a fast SIMD, blocked, multi-threaded GEMM and its naive twin (tested to agree).
///
/// C[m, n] (+)= op(A) · op(B), row-major, op = identity or transpose. The fast kernel packs op(B) into K-block × 32
/// panels (zero-padded at the edge) and sweeps 8-row tiles of op(A) through an 8 × 32 register tile (16 SIMD16
/// accumulators, fused multiply-add), adding an optional bias row as it stores the last k block. Work is split into
/// chunks fixed by the shape alone (`rowBlockSize`), and every output element is one FMA chain over k in increasing
/// order, so the result does not depend on the thread count (nor on which chunk layout computed it).
public enum Kernels {
    static let MR = 8, NR = 32, KC = 256, MC = 64
    /// Floats of scratch one worker needs.
    public static let gemmScratchPerWorker = KC * NR + KC * MR
    /// Below this m·n·k the kernel runs on one thread.
    public static var parallelThreshold = 1 << 18

    /// Reference GEMM: three loops, Float accumulation in increasing k, no blocking.
    public static func gemmNaive(m: Int, n: Int, k: Int,
                                 a: UnsafePointer<Float>, lda: Int, transA: Bool,
                                 b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = accumulate ? c[i * ldc + j] : 0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += x * y
                }
                c[i * ldc + j] = s
            }
        }
    }

    /// Rows per chunk. With 8 or more 32-column panels, a chunk is one panel by all rows: its worker packs that
    /// panel of op(B) once and sweeps every row through it. With fewer panels, a chunk is a 64-row block by all
    /// panels (op(B) is packed once per call up front): each 8-row tile of op(A) is read once per k block and stays
    /// in L1 while it meets every panel, and there are chunks enough to share.
    static func rowBlockSize(m: Int, n: Int) -> Int { (n + NR - 1) / NR >= 8 ? Swift.max(m, 1) : MC }

    /// Chunks of a `gemm` of this shape: panels (one row block) or row blocks (several).
    static func gemmChunks(m: Int, n: Int) -> Int {
        let mc = rowBlockSize(m: m, n: n), rowBlocks = (m + mc - 1) / mc
        return rowBlocks >= 2 ? rowBlocks : (n + NR - 1) / NR
    }

    /// The workers a parallel `gemm` of this shape uses at the current thread count. Callers that size scratch pass
    /// the same value to `gemmScratchCount` and `gemm`, so a change of `Parallel.threads` in between (tests do that
    /// from other threads) cannot make the kernel use more scratch than was allocated.
    public static func gemmWorkers(m: Int, n: Int, k: Int) -> Int {
        Swift.max(1, Swift.min(Parallel.threads, gemmChunks(m: m, n: n)))
    }

    /// Scratch floats `gemm` needs for this shape with `workers` workers (default: `gemmWorkers`).
    public static func gemmScratchCount(m: Int, n: Int, k: Int, workers: Int? = nil) -> Int {
        let panels = (n + NR - 1) / NR, mc = rowBlockSize(m: m, n: n), rowBlocks = (m + mc - 1) / mc
        let parallel = m * n * k >= parallelThreshold
        let w = parallel ? Swift.max(1, Swift.min(workers ?? gemmWorkers(m: m, n: n, k: k), gemmChunks(m: m, n: n))) : 1
        return w * gemmScratchPerWorker + (rowBlocks >= 2 ? panels * NR * k : 0)
    }

    /// Fast GEMM. `scratch` must hold `gemmScratchCount(m:n:k:workers:)` floats for the same `workers`; when nil the
    /// kernel allocates its own.
    /// With `parallel == false` it never uses more than one thread (for callers that parallelise around it).
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, transA: Bool,
                            b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                            scratch: UnsafeMutablePointer<Float>? = nil, parallel: Bool = true, workers requested: Int? = nil,
                            bias: UnsafePointer<Float>? = nil) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).initialize(repeating: 0, count: n) } }
            if let bias { for i in 0..<m { for j in 0..<n { c[i * ldc + j] += bias[j] } } }
            return
        }
        let panels = (n + NR - 1) / NR, mc = rowBlockSize(m: m, n: n), rowBlocks = (m + mc - 1) / mc
        let byRows = rowBlocks >= 2, chunks = gemmChunks(m: m, n: n)
        let goParallel = parallel && m * n * k >= parallelThreshold
        let workers = goParallel ? Swift.max(1, Swift.min(requested ?? gemmWorkers(m: m, n: n, k: k), chunks)) : 1
        var owned: UnsafeMutablePointer<Float>? = nil
        let buf: UnsafeMutablePointer<Float>
        if let scratch { buf = scratch } else {
            owned = .allocate(capacity: workers * gemmScratchPerWorker + (byRows ? panels * NR * k : 0)); buf = owned!
        }
        defer { owned?.deallocate() }
        // op(A)[i, p] = a[i * ars + p * aks]; op(B)[p, j] = b[p * brs + j * bcs]
        let ars = transA ? 1 : lda, aks = transA ? lda : 1
        let brs = transB ? 1 : ldb, bcs = transB ? ldb : 1
        /// Packs op(B)[k0..<k0+kb, j0..<j0+32] as [kb][32] at dst, zero beyond n.
        let pack: (Int, Int, Int, UnsafeMutablePointer<Float>) -> Void = { j0, k0, kb, dst in
            let nb = Swift.min(NR, n - j0)
            for p in 0..<kb {
                let d = dst + p * NR
                let src = b + (k0 + p) * brs + j0 * bcs
                if bcs == 1 {
                    for j in 0..<nb { d[j] = src[j] }
                } else {
                    for j in 0..<nb { d[j] = src[j * bcs] }
                }
                for j in nb..<NR { d[j] = 0 }
            }
        }
        /// The 8-row tile of op(A) at rows r..<r+rb, k block k0..<k0+kb, as (pointer, row stride, k stride): in place
        /// when full, else copied to a zero-padded [kb][8] tile at `spare`.
        let rowTile: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int, Int) = { r, rb, k0, kb, spare in
            if rb == MR { return (a + r * ars + k0 * aks, ars, aks) }
            for p in 0..<kb {
                for i in 0..<MR { spare[p * MR + i] = i < rb ? a[(r + i) * ars + (k0 + p) * aks] : 0 }
            }
            return (UnsafePointer(spare), 1, MR)
        }
        let packedAll = buf + workers * gemmScratchPerWorker
        /// Chunk = one panel by all rows.
        let panelChunk: (Int, Int) -> Void = { panel, worker in
            let j0 = panel * NR, nb = Swift.min(NR, n - j0)
            let own = buf + Swift.min(worker, workers - 1) * gemmScratchPerWorker
            var k0 = 0
            while k0 < k {
                let kb = Swift.min(KC, k - k0)
                pack(j0, k0, kb, own)
                let load = accumulate || k0 > 0
                let tileBias = k0 + kb == k ? bias.map { $0 + j0 } : nil   // added once, after the last k block
                var r = 0
                while r < m {
                    let rb = Swift.min(MR, m - r)
                    let (ap, rs, ks) = rowTile(r, rb, k0, kb, own + KC * NR)
                    tile(kb, ap, rs, ks, own, c + r * ldc + j0, ldc, rb, nb, load, tileBias)
                    r += MR
                }
                k0 += kb
            }
        }
        /// Chunk = one 64-row block by all panels (op(B) packed up front).
        let rowChunk: (Int, Int) -> Void = { rowBlock, worker in
            let r0 = rowBlock * mc, r1 = Swift.min(m, r0 + mc)
            let spare = buf + Swift.min(worker, workers - 1) * gemmScratchPerWorker + KC * NR
            var k0 = 0
            while k0 < k {
                let kb = Swift.min(KC, k - k0)
                let load = accumulate || k0 > 0, last = k0 + kb == k
                var r = r0
                while r < r1 {
                    let rb = Swift.min(MR, r1 - r)
                    let (ap, rs, ks) = rowTile(r, rb, k0, kb, spare)
                    for panel in 0..<panels {
                        let j0 = panel * NR
                        tile(kb, ap, rs, ks, packedAll + panel * NR * k + k0 * NR, c + r * ldc + j0, ldc, rb,
                              Swift.min(NR, n - j0), load, last ? bias.map { $0 + j0 } : nil)
                    }
                    r += MR
                }
                k0 += kb
            }
        }
        func each(_ count: Int, _ body: (Int, Int) -> Void) {
            if goParallel { Parallel.forEach(chunks: count, maxWorkers: workers, body) } else { for i in 0..<count { body(i, 0) } }
        }
        if byRows {
            // all of op(B), panel by panel as [k][32] (a copy: the arithmetic, and so the result, is the same)
            each(panels) { panel, _ in pack(panel * NR, 0, k, packedAll + panel * NR * k) }
            each(chunks, rowChunk)
        } else {
            each(chunks, panelChunk)
        }
    }

    @inline(__always) static func ld(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func ld(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> { ld(UnsafePointer(p)) }
    @inline(__always) static func st(_ p: UnsafeMutablePointer<Float>, _ v: SIMD16<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// One register tile: the 8 × 32 kernel, or the 8 × 16 one when the panel has at most 16 columns (a last
    /// panel: half the work of a zero-padded full tile, the same arithmetic on the columns that exist).
    @inline(__always)
    static func tile(_ kb: Int, _ a: UnsafePointer<Float>, _ ars: Int, _ aks: Int,
                     _ pb: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                     _ rows: Int, _ cols: Int, _ load: Bool, _ bias: UnsafePointer<Float>?) {
        if cols > 16 {
            micro(kb, a, ars, aks, pb, c, ldc, rows, cols, load, bias)
        } else {
            microHalf(kb, a, ars, aks, pb, c, ldc, rows, cols, load, bias)
        }
    }

    /// The 8 × 16 tile: C[0..<rows, 0..<cols] (+)= A[8, kb] · packedB[kb, 0..<16] (packedB rows 32 apart), cols ≤ 16.
    @inline(never)
    static func microHalf(_ kb: Int, _ a: UnsafePointer<Float>, _ ars: Int, _ aks: Int,
                          _ pb: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                          _ rows: Int, _ cols: Int, _ load: Bool, _ bias: UnsafePointer<Float>?) {
        typealias V = SIMD16<Float>
        let full = rows == MR && cols == 16
        @inline(__always) func get(_ i: Int) -> V {
            full ? ld(c + i * ldc) : (i < rows ? VectorMath.loadPartial(c + i * ldc, cols) : V())
        }
        @inline(__always) func put(_ i: Int, _ v: V) {
            if full { st(c + i * ldc, v) } else if i < rows { VectorMath.storePartial(c + i * ldc, v, cols) }
        }
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
        if load { c0 = get(0); c1 = get(1); c2 = get(2); c3 = get(3); c4 = get(4); c5 = get(5); c6 = get(6); c7 = get(7) }
        @inline(__always) func step(_ b: V, _ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float,
                                    _ x4: Float, _ x5: Float, _ x6: Float, _ x7: Float) {
            c0 = c0.addingProduct(V(repeating: x0), b); c1 = c1.addingProduct(V(repeating: x1), b)
            c2 = c2.addingProduct(V(repeating: x2), b); c3 = c3.addingProduct(V(repeating: x3), b)
            c4 = c4.addingProduct(V(repeating: x4), b); c5 = c5.addingProduct(V(repeating: x5), b)
            c6 = c6.addingProduct(V(repeating: x6), b); c7 = c7.addingProduct(V(repeating: x7), b)
        }
        var ap = a, bp = pb
        if ars == 1 {
            for _ in 0..<kb {
                step(ld(bp), ap[0], ap[1], ap[2], ap[3], ap[4], ap[5], ap[6], ap[7])
                ap += aks; bp += NR
            }
        } else {
            for _ in 0..<kb {
                step(ld(bp), ap[0], ap[ars], ap[2 * ars], ap[3 * ars], ap[4 * ars], ap[5 * ars], ap[6 * ars], ap[7 * ars])
                ap += aks; bp += NR
            }
        }
        if let bias {
            let b = cols == 16 ? ld(bias) : VectorMath.loadPartial(bias, cols)
            c0 += b; c1 += b; c2 += b; c3 += b; c4 += b; c5 += b; c6 += b; c7 += b
        }
        put(0, c0); put(1, c1); put(2, c2); put(3, c3); put(4, c4); put(5, c5); put(6, c6); put(7, c7)
    }

    /// The 8 × 32 register tile: C[0..<rows, 0..<cols] (+)= A[8, kb] · packedB[kb, 32]. A full tile reads and
    /// writes C in place; an edge tile goes through an 8 × 32 staging copy (the arithmetic is the same).
    @inline(__always)
    static func micro(_ kb: Int, _ a: UnsafePointer<Float>, _ ars: Int, _ aks: Int,
                      _ pb: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                      _ rows: Int, _ cols: Int, _ load: Bool, _ bias: UnsafePointer<Float>?) {
        let full = rows == MR && cols == NR
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
        var c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>()
        var c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>()
        var c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        if load {
            if full {
                c00 = ld(c + 0 * ldc); c01 = ld(c + 0 * ldc + 16)
                c10 = ld(c + 1 * ldc); c11 = ld(c + 1 * ldc + 16)
                c20 = ld(c + 2 * ldc); c21 = ld(c + 2 * ldc + 16)
                c30 = ld(c + 3 * ldc); c31 = ld(c + 3 * ldc + 16)
                c40 = ld(c + 4 * ldc); c41 = ld(c + 4 * ldc + 16)
                c50 = ld(c + 5 * ldc); c51 = ld(c + 5 * ldc + 16)
                c60 = ld(c + 6 * ldc); c61 = ld(c + 6 * ldc + 16)
                c70 = ld(c + 7 * ldc); c71 = ld(c + 7 * ldc + 16)
            } else {
                withUnsafeTemporaryAllocation(of: Float.self, capacity: MR * NR) { buf in
                    let t = buf.baseAddress!
                    t.initialize(repeating: 0, count: MR * NR)
                    for i in 0..<rows { for j in 0..<cols { t[i * NR + j] = c[i * ldc + j] } }
                c00 = ld(t + 0); c01 = ld(t + 16)
                c10 = ld(t + 32); c11 = ld(t + 48)
                c20 = ld(t + 64); c21 = ld(t + 80)
                c30 = ld(t + 96); c31 = ld(t + 112)
                c40 = ld(t + 128); c41 = ld(t + 144)
                c50 = ld(t + 160); c51 = ld(t + 176)
                c60 = ld(t + 192); c61 = ld(t + 208)
                c70 = ld(t + 224); c71 = ld(t + 240)
                }
            }
        }
        // Two loop shapes. When the eight values of a step are adjacent (ars == 1: a transposed A or a packed edge
        // tile) they are read at constant offsets from one pointer, not through ap[i·ars], which the compiler turns
        // into a serial chain of address additions (measured +7% on a transposed-A product). Rows of A contiguous in
        // k keep ap[i·ars]: eight row pointers and one index measured no faster there.
        var bp = pb
        @inline(__always) func step(_ b0: SIMD16<Float>, _ b1: SIMD16<Float>, _ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float,
                                    _ x4: Float, _ x5: Float, _ x6: Float, _ x7: Float) {
            let a0 = SIMD16<Float>(repeating: x0)
            c00 = c00.addingProduct(a0, b0); c01 = c01.addingProduct(a0, b1)
            let a1 = SIMD16<Float>(repeating: x1)
            c10 = c10.addingProduct(a1, b0); c11 = c11.addingProduct(a1, b1)
            let a2 = SIMD16<Float>(repeating: x2)
            c20 = c20.addingProduct(a2, b0); c21 = c21.addingProduct(a2, b1)
            let a3 = SIMD16<Float>(repeating: x3)
            c30 = c30.addingProduct(a3, b0); c31 = c31.addingProduct(a3, b1)
            let a4 = SIMD16<Float>(repeating: x4)
            c40 = c40.addingProduct(a4, b0); c41 = c41.addingProduct(a4, b1)
            let a5 = SIMD16<Float>(repeating: x5)
            c50 = c50.addingProduct(a5, b0); c51 = c51.addingProduct(a5, b1)
            let a6 = SIMD16<Float>(repeating: x6)
            c60 = c60.addingProduct(a6, b0); c61 = c61.addingProduct(a6, b1)
            let a7 = SIMD16<Float>(repeating: x7)
            c70 = c70.addingProduct(a7, b0); c71 = c71.addingProduct(a7, b1)
        }
        var ap = a
        if ars == 1 {
            for _ in 0..<kb {
                step(ld(bp), ld(bp + 16), ap[0], ap[1], ap[2], ap[3], ap[4], ap[5], ap[6], ap[7])
                ap += aks; bp += NR
            }
        } else {
            for _ in 0..<kb {
                step(ld(bp), ld(bp + 16), ap[0], ap[ars], ap[2 * ars], ap[3 * ars], ap[4 * ars], ap[5 * ars], ap[6 * ars], ap[7 * ars])
                ap += aks; bp += NR
            }
        }
        if let bias {
            // C + bias: one rounding after the sum, as a separate broadcast add would give
            var b0 = SIMD16<Float>(), b1 = SIMD16<Float>()
            if cols >= 16 {
                b0 = ld(bias); b1 = cols == NR ? ld(bias + 16) : VectorMath.loadPartial(bias + 16, cols - 16)
            } else {
                b0 = VectorMath.loadPartial(bias, cols)
            }
            c00 += b0; c01 += b1; c10 += b0; c11 += b1; c20 += b0; c21 += b1; c30 += b0; c31 += b1
            c40 += b0; c41 += b1; c50 += b0; c51 += b1; c60 += b0; c61 += b1; c70 += b0; c71 += b1
        }
        if full {
            st(c + 0 * ldc, c00); st(c + 0 * ldc + 16, c01)
            st(c + 1 * ldc, c10); st(c + 1 * ldc + 16, c11)
            st(c + 2 * ldc, c20); st(c + 2 * ldc + 16, c21)
            st(c + 3 * ldc, c30); st(c + 3 * ldc + 16, c31)
            st(c + 4 * ldc, c40); st(c + 4 * ldc + 16, c41)
            st(c + 5 * ldc, c50); st(c + 5 * ldc + 16, c51)
            st(c + 6 * ldc, c60); st(c + 6 * ldc + 16, c61)
            st(c + 7 * ldc, c70); st(c + 7 * ldc + 16, c71)
        } else {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: MR * NR) { buf in
                let t = buf.baseAddress!
                st(t + 0, c00); st(t + 16, c01)
                st(t + 32, c10); st(t + 48, c11)
                st(t + 64, c20); st(t + 80, c21)
                st(t + 96, c30); st(t + 112, c31)
                st(t + 128, c40); st(t + 144, c41)
                st(t + 160, c50); st(t + 176, c51)
                st(t + 192, c60); st(t + 208, c61)
                st(t + 224, c70); st(t + 240, c71)
                for i in 0..<rows { for j in 0..<cols { c[i * ldc + j] = t[i * NR + j] } }
            }
        }
    }
}
