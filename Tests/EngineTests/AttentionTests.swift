import Foundation
import Testing
@testable import Engine

/// The fast causal attention (tiled kernels) against its naive twin, forward and backward, on training, decoding
/// (one query against part of a KV cache, left padding) and ragged shapes, including queries that see no key and
/// head sizes that are not multiples of 16; and bit-identity across thread counts.
@Suite(.serialized) struct AttentionKernels {
    struct Case: CustomStringConvertible, Sendable {
        var batch: Int, heads: Int, queries: Int, keyLength: Int, capacity: Int, headSize: Int
        var keyStart: [Int32]?
        var description: String {
            "B\(batch) H\(heads) Tq\(queries) Tk\(keyLength)/\(capacity) D\(headSize) start \(keyStart.map { "\($0)" } ?? "-")"
        }
    }

    static let cases: [Case] = [
        Case(batch: 2, heads: 3, queries: 37, keyLength: 37, capacity: 37, headSize: 16, keyStart: nil),        // training
        Case(batch: 2, heads: 2, queries: 64, keyLength: 64, capacity: 64, headSize: 16, keyStart: [0, 9]),     // prefill with padding
        Case(batch: 3, heads: 2, queries: 40, keyLength: 40, capacity: 40, headSize: 32, keyStart: [0, 5, 40]), // last row sees nothing
        Case(batch: 4, heads: 2, queries: 1, keyLength: 20, capacity: 32, headSize: 16, keyStart: [0, 3, 19, 20]),  // decoding
        Case(batch: 2, heads: 2, queries: 1, keyLength: 45, capacity: 64, headSize: 32, keyStart: [7, 0]),      // decoding, D 32
        Case(batch: 2, heads: 2, queries: 13, keyLength: 29, capacity: 40, headSize: 12, keyStart: [2, 17]),    // Tq < Tk, D 12
        Case(batch: 2, heads: 1, queries: 3, keyLength: 10, capacity: 10, headSize: 32, keyStart: [0, 8]),      // few queries
        Case(batch: 2, heads: 2, queries: 19, keyLength: 19, capacity: 19, headSize: 5, keyStart: [0, 4]),      // odd D
        Case(batch: 1, heads: 2, queries: 24, keyLength: 30, capacity: 33, headSize: 48, keyStart: nil),        // D 48
    ]

    struct Result { var out: [Float], gq: [Float]?, gk: [Float]?, gv: [Float]? }

    /// out and the gradients of L = Σ out ⊙ W (+ Σ k ⊙ W' with `kTerm`: that term reaches gK first, so the attention
    /// backward must add to what is already there; without it every gradient buffer starts fresh).
    static func run(_ c: Case, naive: Bool, seed: Int = 0, recording: Bool = true, kTerm: Bool = true) -> Result {
        let g = Graph(recording: recording)
        let qShape = Shape(c.batch, c.heads, c.queries, c.headSize)
        let kShape = Shape(c.batch, c.heads, c.capacity, c.headSize)
        let q = g.variable(randoms(qShape.count, 10 + seed, scale: 1.5), qShape)
        let k = g.variable(randoms(kShape.count, 20 + seed, scale: 1.5), kShape)
        let v = g.variable(randoms(kShape.count, 30 + seed), kShape)
        let start = c.keyStart.map { g.indices($0) }
        let out = naive ? causalAttentionNaive(q, k, v, keyLength: c.keyLength, keyStart: start)
                        : causalAttention(q, k, v, keyLength: c.keyLength, keyStart: start)
        let values = out.scalars
        guard recording else { return Result(out: values, gq: nil, gk: nil, gv: nil) }
        let loss = contract(out, seed: 40 + seed)
        g.backward(kTerm ? loss + contract(k, seed: 50 + seed) : loss)
        return Result(out: values, gq: q.gradient, gk: k.gradient, gv: v.gradient)
    }

    /// max |a − b| / (max |b| + 1e-3): relative to the tensor's scale (gradients sum many terms of both signs).
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var worst: Float = 0, scale: Float = 0
        for (x, y) in zip(a, b) { worst = Swift.max(worst, Swift.abs(x - y)); scale = Swift.max(scale, Swift.abs(y)) }
        return worst.isNaN ? .infinity : worst / (scale + 1e-3)
    }

    @Test(arguments: cases)
    func fastAgreesWithNaive(_ c: Case) {
        for (recording, kTerm) in [(true, true), (true, false), (false, false)] {
            let fast = Self.run(c, naive: false, recording: recording, kTerm: kTerm)
            let naive = Self.run(c, naive: true, recording: recording, kTerm: kTerm)
            #expect(Self.relativeError(fast.out, naive.out) < 1e-5, "\(c) out (recording \(recording))")
            guard recording else { continue }
            for (name, f, n) in [("dq", fast.gq, naive.gq), ("dk", fast.gk, naive.gk), ("dv", fast.gv, naive.gv)] {
                #expect(f != nil && n != nil, "\(c) \(name) missing")
                if let f, let n {
                    let e = Self.relativeError(f, n)
                    #expect(e < 1e-5, "\(c) \(name) (k term \(kTerm)): \(e)")
                }
            }
        }
    }

    @Test func queriesThatSeeNoKeyOutputZero() {
        // decoding step: row 2 starts at keyLength (sees nothing); prefill: row 1's first 9 queries see nothing
        for c in [Self.cases[3], Self.cases[2]] {
            let r = Self.run(c, naive: false)
            let d = c.headSize, tq = c.queries
            for bi in 0..<c.batch {
                let start = Int(c.keyStart?[bi] ?? 0)
                for hi in 0..<c.heads {
                    for i in 0..<tq where c.keyLength - tq + i < start {
                        let row = ((bi * c.heads + hi) * tq + i) * d
                        #expect(r.out[row..<(row + d)].allSatisfy { $0 == 0 }, "\(c): batch \(bi) query \(i)")
                        #expect(r.gq![row..<(row + d)].allSatisfy { $0 == 0 }, "\(c): dq batch \(bi) query \(i)")
                    }
                }
            }
        }
    }

    @Test func selfAttentionAccumulatesAllThreeGradients() {
        // q = k = v = x: the three contributions land in one gradient buffer
        func grad(naive: Bool) -> [Float] {
            let g = Graph()
            let x = g.variable(randoms(2 * 2 * 21 * 16, 77), Shape(2, 2, 21, 16))
            let y = naive ? causalAttentionNaive(x, x, x, keyStart: g.indices([0, 3] as [Int32]))
                          : causalAttention(x, x, x, keyStart: g.indices([0, 3] as [Int32]))
            g.backward(contract(y, seed: 78))
            return x.gradient!
        }
        #expect(Self.relativeError(grad(naive: false), grad(naive: true)) < 1e-5)
    }

    @Test func bitIdenticalAtEveryThreadCount() {
        for c in [Self.cases[1], Self.cases[3], Self.cases[5], Self.cases[7]] {
            var results: [Result] = []
            for t in [1, 2, 3, 5] {
                Parallel.withThreads(t) {
                    results.append(Self.run(c, naive: false, seed: 3))
                    results.append(Self.run(c, naive: false, seed: 3, kTerm: false))
                }
            }
            for (i, r) in results.enumerated().dropFirst(2) {
                let r0 = results[i % 2]
                #expect(r.out == r0.out && r.gq == r0.gq && r.gk == r0.gk && r.gv == r0.gv, "\(c)")
            }
        }
    }
}

@Suite(.serialized) struct RopeKernels {
    static func aux(batch: Int, heads: Int, length: Int, headSize: Int, offset: Int, padding: [Int32]?,
                    _ body: (RopeAux) -> Void) {
        let half = headSize / 2, positions = offset + length
        var cosT = [Float](repeating: 0, count: positions * half), sinT = cosT
        for p in 0..<positions { for i in 0..<half { cosT[p * half + i] = Float(p + 1) * 0.01 + Float(i); sinT[p * half + i] = 1 / Float(p + i + 1) } }
        var pad = padding ?? []
        cosT.withUnsafeMutableBufferPointer { c in
            sinT.withUnsafeMutableBufferPointer { s in
                pad.withUnsafeMutableBufferPointer { pp in
                    body(RopeAux(batch: batch, heads: heads, length: length, headSize: headSize, cos: c.baseAddress!,
                                 sin: s.baseAddress!, offset: offset, padding: padding == nil ? nil : pp.baseAddress!))
                }
            }
        }
    }

    @Test func fastApplyMatchesNaiveBitwise() {
        for (b, h, t, d, offset, padding) in [(2, 3, 17, 16, 0, nil), (3, 2, 5, 32, 4, [0, 2, 7] as [Int32]?),
                                              (2, 2, 9, 6, 1, [1, 0] as [Int32]?), (64, 4, 1, 16, 30, nil)] {
            Self.aux(batch: b, heads: h, length: t, headSize: d, offset: offset, padding: padding) { a in
                let n = b * h * t * d
                let x = randoms(n, 5)
                for (inverse, accumulate) in [(false, false), (true, true)] {
                    var fast = randoms(n, 6), naive = fast
                    ropeApply(a, x, &fast, inverse: inverse, accumulate: accumulate)
                    ropeApplyNaive(a, x, &naive, inverse: inverse, accumulate: accumulate)
                    #expect(fast == naive, "rope \(b)x\(h)x\(t)x\(d) inverse \(inverse)")
                }
            }
        }
    }

    @Test func ropeMatchesDefinition() {
        // cached tables (grown across calls) give the same rotation as computing the angle directly
        let g = Graph()
        for (t, offset) in [(3, 0), (5, 100), (2, 300)] {
            let (b, h, d) = (2, 2, 8)
            let xs = randoms(b * h * t * d, t)
            let y = g.constant(xs, Shape(b, h, t, d)).rope(offset: offset, padding: g.indices([0, 1] as [Int32])).scalars
            for bi in 0..<b {
                for hi in 0..<h {
                    for tt in 0..<t {
                        let pos = Swift.max(0, offset + tt - bi)
                        let row = ((bi * h + hi) * t + tt) * d
                        for i in 0..<(d / 2) {
                            let angle = Double(pos) * Foundation.pow(10_000, -2 * Double(i) / Double(d))
                            let (c, s) = (Foundation.cos(angle), Foundation.sin(angle))
                            let x1 = Double(xs[row + i]), x2 = Double(xs[row + d / 2 + i])
                            #expect(Swift.abs(Double(y[row + i]) - (x1 * c - x2 * s)) < 1e-5)
                            #expect(Swift.abs(Double(y[row + d / 2 + i]) - (x1 * s + x2 * c)) < 1e-5)
                        }
                    }
                }
            }
        }
    }

    @Test func bitIdenticalAtEveryThreadCount() {
        var results: [[Float]] = []
        for threads in [1, 2, 3] { Parallel.withThreads(threads) {
            let g = Graph()
            let x = g.variable(randoms(32 * 4 * 64 * 16, 9), Shape(32, 4, 64, 16))
            let y = x.rope(offset: 3, padding: g.indices((0..<32).map { Int32($0 % 5) }))
            g.backward(contract(y, seed: 10))
            results.append(y.scalars + x.gradient!)
        } }
        #expect(results.allSatisfy { $0 == results[0] })
    }
}
