import Testing
@testable import Engine

/// The fast GEMM against its naive twin, on shapes that hit every edge: tiny, ragged row and column tiles, K longer
/// than one K-block, all transposes, accumulation. Tolerance: both sum the same products in the same k order, the
/// fast one with fused multiply-adds, so they differ by rounding only: |fast − naive| ≤ 1e-5 · Σ|a||b| per entry.
@Suite(.serialized) struct MatmulKernels {
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (3, 5, 7), (8, 32, 16), (9, 33, 17), (64, 48, 300), (130, 70, 65), (257, 129, 513),
                                                (70, 260, 300)]   // 9 panels: one row block per panel

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func fastAgreesWithNaive(ta: Bool, tb: Bool) {
        for (m, n, k) in Self.shapes {
            for accumulate in [false, true] {
                let a = randoms(m * k, m + k), b = randoms(k * n, n + 7 * k)
                let c0 = randoms(m * n, 5)
                var fast = c0, naive = c0
                var bound = [Float](repeating: 0, count: m * n)
                let lda = ta ? m : k, ldb = tb ? k : n
                Kernels.gemm(m: m, n: n, k: k, a: a, lda: lda, transA: ta, b: b, ldb: ldb, transB: tb, c: &fast, ldc: n, accumulate: accumulate)
                Kernels.gemmNaive(m: m, n: n, k: k, a: a, lda: lda, transA: ta, b: b, ldb: ldb, transB: tb, c: &naive, ldc: n, accumulate: accumulate)
                let absA = a.map { Swift.abs($0) }, absB = b.map { Swift.abs($0) }
                Kernels.gemmNaive(m: m, n: n, k: k, a: absA, lda: lda, transA: ta, b: absB, ldb: ldb, transB: tb, c: &bound, ldc: n, accumulate: false)
                var worst: Float = 0
                for i in 0..<(m * n) { worst = Swift.max(worst, Swift.abs(fast[i] - naive[i]) / (1e-5 * (bound[i] + Swift.abs(c0[i])) + 1e-30)) }
                #expect(worst <= 1, "gemm \(m)x\(n)x\(k) ta=\(ta) tb=\(tb) acc=\(accumulate): worst ratio \(worst)")
            }
        }
    }

    @Test func bitIdenticalAtEveryThreadCount() {
        // 64-row blocks (7 panels), and one row block per panel (10 panels)
        for (m, n, k) in [(300, 200, 280), (150, 300, 280)] {
            let a = randoms(m * k, 1), b = randoms(k * n, 2)
            var results: [[Float]] = []
            for t in [1, 2, 3, 5] {
                Parallel.withThreads(t) {
                    var c = [Float](repeating: 0, count: m * n)
                    Kernels.gemm(m: m, n: n, k: k, a: a, lda: k, transA: false, b: b, ldb: n, transB: false, c: &c, ldc: n, accumulate: false)
                    results.append(c)
                }
            }
            #expect(results.allSatisfy { $0 == results[0] })
        }
    }
}
