import Testing
import Foundation
@testable import Engine

@Suite struct HandComputedValues {
    @Test func softmaxAndCrossEntropy() {
        let g = Graph()
        let x = g.constant([1, 2, 3], Shape(1, 3))
        let p = x.softmax().scalars
        let z = exp(1.0) + exp(2.0) + exp(3.0)
        #expect(zip(p, [exp(1.0) / z, exp(2.0) / z, exp(3.0) / z]).allSatisfy { Swift.abs(Double($0) - $1) < 1e-6 })
        let ce = x.crossEntropy(targets: g.indices([0] as [Int32])).item
        #expect(Swift.abs(Double(ce) - (log(z) - 1)) < 1e-5)
        // stable for huge logits
        let big = g.constant([1000, 0, -1000], Shape(1, 3))
        #expect(big.logSoftmax().scalars[0] == 0)
        #expect(big.crossEntropy(targets: g.indices([1] as [Int32])).item == 1000)
        // soft targets: uniform over two classes of [0, 0] → log 2
        let soft = g.constant([0, 0], Shape(1, 2)).crossEntropy(softTargets: g.constant([0.5, 0.5], Shape(1, 2))).item
        #expect(Swift.abs(soft - Float(log(2.0))) < 1e-6)
    }

    @Test func logSigmoidIsStable() {
        let g = Graph()
        let y = g.constant([-200, 0, 200]).logSigmoid().scalars
        #expect(y[0] == -200)
        #expect(Swift.abs(y[1] - Float(-log(2.0))) < 1e-6)
        #expect(y[2] == 0)
    }

    @Test func layerNormMatchesDefinition() {
        let g = Graph()
        let y = g.constant([1, 2, 3, 4], Shape(1, 4)).layerNorm(gamma: g.constant([1, 1, 1, 2]), beta: g.constant([0, 0, 0, 1])).scalars
        let sd = (1.25 + 1e-5).squareRoot()   // biased variance of 1…4 is 1.25
        let expected = [-1.5 / sd, -0.5 / sd, 0.5 / sd, 2 * 1.5 / sd + 1]
        #expect(zip(y, expected).allSatisfy { Swift.abs(Double($0) - $1) < 1e-5 })
        // a width with full vectors and a tail, against the definition in Double
        let c = 37, x = (0..<(2 * c)).map { Float(($0 * 13) % 17) / 4 - 2 }, w = (0..<c).map { Float($0 % 5) / 2 - 1 }
        let b = (0..<c).map { Float($0 % 3) / 3 }
        let z = g.constant(x, Shape(2, c)).layerNorm(gamma: g.constant(w), beta: g.constant(b)).scalars
        for r in 0..<2 {
            let row = x[(r * c)..<(r * c + c)].map(Double.init), mean = row.reduce(0, +) / Double(c)
            let sd = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c) + 1e-5).squareRoot()
            for j in 0..<c { #expect(Swift.abs(Double(z[r * c + j]) - ((row[j] - mean) / sd * Double(w[j]) + Double(b[j]))) < 1e-5) }
        }
    }

    @Test func geluErfForm() {
        // torch.nn.functional.gelu(torch.tensor([-1., 0.5, 2.])) = [-0.158655, 0.345731, 1.954500]
        let y = Graph().constant([-1, 0.5, 2]).gelu().scalars
        #expect(zip(y, [-0.158655, 0.345731, 1.954500] as [Float]).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }

    @Test func attentionSingleQueryEqualsWeightedAverage() {
        // one head, D = 1: q = 1, keys 0 and ln 3 ⇒ weights ∝ exp(0), exp(ln 3) = 1 : 3 (scale 1/√1)
        let g = Graph()
        let q = g.constant([0, 1], Shape(1, 1, 2, 1))
        let k = g.constant([0, Float(log(3.0))], Shape(1, 1, 2, 1))
        let v = g.constant([10, 20], Shape(1, 1, 2, 1))
        let o = causalAttention(q, k, v).scalars
        #expect(o[0] == 10)                                     // first query sees only the first key
        #expect(Swift.abs(o[1] - (10 * 0.25 + 20 * 0.75)) < 1e-4)
        // fully padded query row outputs zeros
        let padded = causalAttention(q, k, v, keyStart: g.indices([1] as [Int32])).scalars
        #expect(padded[0] == 0 && padded[1] == 20)
    }

    @Test func broadcastingShapes() {
        let g = Graph()
        let a = g.constant([1, 2, 3, 4, 5, 6], Shape(2, 3))
        #expect((a + g.constant([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
        #expect((a * g.constant([2, 3], Shape(2, 1))).scalars == [2, 4, 6, 12, 15, 18])
        #expect((g.constant([1, 2], Shape(2, 1)) - g.constant([1, 2, 3], Shape(1, 3))).scalars == [0, -1, -2, 1, 0, -1])
        #expect(a.sum(axis: 0).scalars == [5, 7, 9])
        #expect(a.max(axis: 1).scalars == [3, 6])
        #expect(a.transposed().scalars == [1, 4, 2, 5, 3, 6])
    }
}

@Suite struct Infrastructure {
    @Test func arenaReusesMemoryAcrossSteps() {
        let g = Graph()
        func step() -> Int {
            g.reset()
            let x = g.variable((0..<64).map(Float.init), Shape(8, 8))
            let y = matmul(x, x).tanh().sum()
            g.backward(y)
            return g.arena.capacity
        }
        let first = step()
        let firstNodes = g.nodeCount
        for _ in 0..<5 { #expect(step() == first) }   // no new slabs after the first step
        #expect(g.nodeCount == firstNodes)
    }

    @Test func randomStreamIsDeterministicAndSplits() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        // SplitMix64 reference value: first output for seed 0 is 0xE220A8397B1DCDAF
        var z = RandomStream(seed: 0)
        #expect(z.next() == 0xE220_A839_7B1D_CDAF)
        // children depend on key and name only, not on how far the parent ran
        let p = RandomStream(seed: 7)
        var q = p; _ = q.next(); _ = q.next()
        var c1 = p.child("data"), c2 = q.child("data"), c3 = p.child("model")
        let s1 = (0..<10).map { _ in c1.next() }
        #expect(s1 == (0..<10).map { _ in c2.next() })
        #expect(s1 != (0..<10).map { _ in c3.next() })
        #expect(p.child(0).key != p.child(1).key)
    }

    @Test func randomStreamDistributions() {
        var r = RandomStream(seed: 3)
        let n = 200_000
        var sum = 0.0, sq = 0.0
        for _ in 0..<n { let x = Double(r.normal()); sum += x; sq += x * x }
        #expect(Swift.abs(sum / Double(n)) < 0.01)
        #expect(Swift.abs(sq / Double(n) - 1) < 0.02)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[r.int(6)] += 1 }
        #expect(counts.allSatisfy { Swift.abs($0 - 10_000) < 400 })
        let u = (0..<1000).map { _ in r.uniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        var hits = [0, 0, 0]
        for _ in 0..<30_000 { hits[r.categorical([1, 0, 2])] += 1 }
        #expect(hits[1] == 0 && Swift.abs(hits[2] - 20_000) < 500)
    }
}
