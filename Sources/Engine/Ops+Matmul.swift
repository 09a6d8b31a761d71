/// Shapes of a (batched) matrix product, kept for the backward pass.
@usableFromInline struct MatmulSpec {
    var transA: Bool, transB: Bool
    var batch: Int, m: Int, n: Int, k: Int
    /// B is one matrix shared by every batch entry (a Linear layer's weight).
    var bShared: Bool
    /// Node id of a bias [N] added to every output row (a fused Linear layer), or -1.
    var bias: Int = -1
}

/// Batched matrix product: op(a) · op(b) over the last two axes.
///
/// a: [..., M, K] ([..., K, M] when `transposeA`); b: [K, N] shared by every batch entry, or [..., K, N] with the same
/// leading axes as a ([…, N, K] when `transposeB`). Result: [..., M, N].
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    matmul(a, b, transposeA: transposeA, transposeB: transposeB, bias: nil)
}

/// op(a) · b + bias, with the bias [N] added to every output row inside the op (a Linear layer): the same values as
/// `matmul(a, b) + bias`, without the intermediate product, its extra pass, or its gradient copy.
public func matmul(_ a: Tensor, _ b: Tensor, bias: Tensor) -> Tensor {
    matmul(a, b, transposeA: false, transposeB: false, bias: bias)
}

func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, bias: Tensor?) -> Tensor {
    require(a.graph === b.graph, "matmul: tensors from different graphs")
    require(a.rank >= 2 && b.rank >= 2, "matmul: need rank ≥ 2, got \(a.shape) and \(b.shape)")
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let m = transposeA ? ac : ar, k = transposeA ? ar : ac
    let kb = transposeB ? bc : br, n = transposeB ? br : bc
    require(k == kb, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let bShared = b.rank == 2
    if !bShared {
        require(b.rank == a.rank && (0..<(a.rank - 2)).allSatisfy { a.shape[$0] == b.shape[$0] },
                     "matmul: batch axes differ: \(a.shape) and \(b.shape)")
    }
    var outDims = a.shape.dims
    outDims[a.rank - 2] = m; outDims[a.rank - 1] = n
    var spec = MatmulSpec(transA: transposeA, transB: transposeB, batch: a.count / (m * k), m: m, n: n, k: k, bShared: bShared)
    if bShared && !transposeA { spec.m *= spec.batch; spec.batch = 1 }   // [B, T, K] · [K, N] is one [B·T, K] · [K, N]
    if let bias {
        require(bias.graph === a.graph && bias.count == n && bias.shape.last == n, "matmul: bias \(bias.shape) for \(n) output columns")
        spec.bias = bias.id
    }
    let g = a.graph
    let needs = bias.map { g.needsGrad(a, b, $0) } ?? g.needsGrad(a, b)
    let out = g.node(Shape(outDims), .matmul(a.id, b.id, spec), needsGrad: needs)
    let s = spec, bv = bias.map { UnsafePointer($0.value) }
    // the kernel adds the bias to each output row as it stores the tile: the same single rounding as a separate
    // broadcast add, without another pass over the output
    batchedGemm(g, batch: s.batch, m: s.m, n: s.n, k: s.k) { i, scratch, w in
        Kernels.gemm(m: s.m, n: s.n, k: s.k,
                     a: a.value + i * s.m * s.k, lda: s.transA ? s.m : s.k, transA: s.transA,
                     b: b.value + (s.bShared ? 0 : i * s.k * s.n), ldb: s.transB ? s.k : s.n, transB: s.transB,
                     c: out.value + i * s.m * s.n, ldc: s.n, accumulate: false, scratch: scratch, parallel: w > 0, workers: w,
                     bias: bv)
    }
    return out
}

/// Runs `body(i, scratch, workers)` for each of `batch` independent GEMMs of size m×n×k: in parallel across the batch
/// when each product is small (workers 0: each GEMM on one thread), else one after another with each GEMM parallel
/// inside on `workers` workers (the count its scratch was sized for).
func batchedGemm(_ g: Graph, batch: Int, m: Int, n: Int, k: Int,
                 _ body: (Int, UnsafeMutablePointer<Float>, Int) -> Void) {
    let small = m * n * k < Kernels.parallelThreshold
    if batch > 1 && small && batch * m * n * k >= Kernels.parallelThreshold {
        let workers = Swift.max(1, Swift.min(Parallel.threads, batch))
        let scratch = g.arena.allocate(Float.self, count: workers * Kernels.gemmScratchPerWorker)
        Parallel.forEach(chunks: batch, maxWorkers: workers) { i, w in
            body(i, scratch + Swift.min(w, workers - 1) * Kernels.gemmScratchPerWorker, 0)
        }
    } else {
        let workers = Kernels.gemmWorkers(m: m, n: n, k: k)
        let scratch = g.arena.allocate(Float.self, count: Kernels.gemmScratchCount(m: m, n: n, k: k, workers: workers))
        for i in 0..<batch { body(i, scratch, workers) }
    }
}

extension Graph {
    func backwardMatmul(_ aid: Int, _ bid: Int, _ s: MatmulSpec, _ dC: UnsafeMutablePointer<Float>) {
        if s.bias >= 0, let (gb, overwrite) = gradForWrite(s.bias) {
            sumRows(dC, rows: s.batch * s.m, c: s.n, into: gb, overwrite: overwrite, scratch: arena)
        }
        let A = nodes[aid].value, B = nodes[bid].value
        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
        let (m, n, k) = (s.m, s.n, s.k)
        if let (dA, overwriteA) = gradForWrite(aid) {
            batchedGemm(self, batch: s.batch, m: s.transA ? k : m, n: s.transA ? m : k, k: n) { i, scratch, w in
                let a = dA + i * m * k, b = B + (s.bShared ? 0 : i * k * n), c = dC + i * m * n
                if !s.transA {
                    // dA[m,k] += dC[m,n] · op(B)ᵀ[n,k]
                    Kernels.gemm(m: m, n: k, k: n, a: c, lda: n, transA: false, b: b, ldb: ldb, transB: !s.transB,
                                 c: a, ldc: k, accumulate: !overwriteA, scratch: scratch, parallel: w > 0, workers: w)
                } else {
                    // A is stored [k,m]: dA[k,m] += op(B)[k,n] · dCᵀ[n,m]
                    Kernels.gemm(m: k, n: m, k: n, a: b, lda: ldb, transA: s.transB, b: c, ldb: n, transB: true,
                                 c: a, ldc: m, accumulate: !overwriteA, scratch: scratch, parallel: w > 0, workers: w)
                }
            }
        }
        if let (dB, overwriteB) = gradForWrite(bid) {
            // a shared B sums every batch entry into one dB: the first product stores, the rest add
            let gemmB: (Int, UnsafeMutablePointer<Float>, Int) -> Void = { i, scratch, w in
                let accumulate = !overwriteB || (s.bShared && i > 0)
                let a = A + i * m * k, b = dB + (s.bShared ? 0 : i * k * n), c = dC + i * m * n
                if !s.transB {
                    // dB[k,n] += op(A)ᵀ[k,m] · dC[m,n]
                    Kernels.gemm(m: k, n: n, k: m, a: a, lda: lda, transA: !s.transA, b: c, ldb: n, transB: false,
                                 c: b, ldc: n, accumulate: accumulate, scratch: scratch, parallel: w > 0, workers: w)
                } else {
                    // B is stored [n,k]: dB[n,k] += dCᵀ[n,m] · op(A)[m,k]
                    Kernels.gemm(m: n, n: k, k: m, a: c, lda: n, transA: true, b: a, ldb: lda, transB: s.transA,
                                 c: b, ldc: k, accumulate: accumulate, scratch: scratch, parallel: w > 0, workers: w)
                }
            }
            if s.bShared {
                // every batch entry adds into the same dB: in order, each GEMM parallel inside
                let workers = Kernels.gemmWorkers(m: k, n: n, k: m)
                let scratch = arena.allocate(Float.self, count: Kernels.gemmScratchCount(m: k, n: n, k: m, workers: workers))
                for i in 0..<s.batch { gemmB(i, scratch, workers) }
            } else {
                batchedGemm(self, batch: s.batch, m: s.transB ? n : k, n: s.transB ? k : n, k: m, gemmB)
            }
        }
    }
}
