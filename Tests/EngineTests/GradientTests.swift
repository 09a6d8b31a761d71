import Testing
@testable import Engine

// Finite-difference checks of every differentiable op. Precision: Float32 forward passes, central differences with
// step h = 1e-2, pass when |analytic − numeric| ≤ 2e-3 + 1e-2·|numeric| for every input entry. Each op's output is
// contracted with fixed random weights, L = Σ out ⊙ W, so every output entry's gradient path is exercised.

func randoms(_ n: Int, _ seed: Int, scale: Float = 1, awayFrom kinks: [Float] = [], margin: Float = 0.05) -> [Float] {
    var r = RandomStream(seed: 1234).child(seed)
    return (0..<n).map { _ in
        var x = r.normal() * scale
        for k in kinks where Swift.abs(x - k) < margin { x = k + (x < k ? -margin : margin) * 2 }
        return x
    }
}

/// L = Σ out ⊙ W with W fixed random weights.
func contract(_ t: Tensor, seed: Int = 99) -> Tensor {
    (t * t.graph.constant(randoms(t.count, seed), t.shape)).sum()
}

func expectGradients(_ name: String, _ inputs: [(values: [Float], shape: Shape)], step: Float = 1e-2,
                     _ build: @escaping ([Tensor]) -> Tensor) {
    let r = GradientCheck.check(inputs: inputs, step: step) { contract(build($0)) }
    #expect(r.passes, "\(name): \(r)")
    #expect(r.checked == inputs.reduce(0) { $0 + $1.values.count })
}

func input(_ dims: [Int], _ seed: Int, scale: Float = 1, awayFrom kinks: [Float] = []) -> (values: [Float], shape: Shape) {
    let s = Shape(dims)
    return (randoms(s.count, seed, scale: scale, awayFrom: kinks), s)
}

@Suite struct ElementwiseGradients {
    @Test(arguments: [BinaryKind.add, .sub, .mul, .div])
    func binaryBroadcasting(kind: BinaryKind) {
        // same shape, bias pattern, column broadcast, scalar, and both sides broadcasting
        let pairs: [([Int], [Int])] = [([3, 4], [3, 4]), ([2, 3, 4], [4]), ([3, 4], [3, 1]), ([3, 4], []), ([3, 1], [1, 4]), ([4], [2, 3, 4])]
        for (sa, sb) in pairs {
            var b = input(sb, 2)
            if kind == .div { b.values = b.values.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 } }   // keep away from 0
            expectGradients("\(kind) \(sa) \(sb)", [input(sa, 1), b]) { binary(kind, $0[0], $0[1]) }
        }
    }

    @Test(arguments: [BinaryKind.add, .sub, .mul, .div])
    func sameTensorOnBothSidesAndReuse(kind: BinaryKind) {
        // x ∘ x (one gradient buffer gets both sides), and x used by two ops (the first stores, the second adds)
        let x = (input([3, 4], 8).values.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 }, Shape(3, 4))
        expectGradients("\(kind) x∘x", [x]) { binary(kind, $0[0], $0[0]) }
        let y = (input([3, 4], 9).values.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 }, Shape(3, 4))   // away from 0 (div)
        expectGradients("\(kind) reuse", [x, y]) { binary(kind, binary(kind, $0[0], $0[1]), $0[0].relu() + $0[0].gelu() + 2) }   // denominator ≥ 1.8
    }

    @Test func biasOverManyRowBlocks() {
        // the bias gradient sums rows in blocks of 64: 150 rows span three blocks
        expectGradients("bias", [input([150, 5], 10), input([5], 11)], step: 5e-3) { $0[0] + $0[1] }
        expectGradients("bias sub", [input([150, 5], 10), input([5], 11)], step: 5e-3) { $0[0] - $0[1] }
    }

    @Test func unaryOps() {
        let x = input([3, 5], 3)
        let positive = (x.values.map { Swift.abs($0) + 0.3 }, x.shape)
        expectGradients("exp", [x]) { $0[0].exp() }
        expectGradients("log", [positive]) { $0[0].log() }
        expectGradients("sqrt", [positive]) { $0[0].sqrt() }
        expectGradients("tanh", [x]) { $0[0].tanh() }
        expectGradients("relu", [input([3, 5], 4, awayFrom: [0])]) { $0[0].relu() }
        expectGradients("abs", [input([3, 5], 4, awayFrom: [0])]) { $0[0].abs() }
        expectGradients("gelu", [x]) { $0[0].gelu() }
        expectGradients("sigmoid", [x]) { $0[0].sigmoid() }
        expectGradients("logSigmoid", [input([3, 5], 5, scale: 4)]) { $0[0].logSigmoid() }
        expectGradients("neg", [x]) { -$0[0] }
        expectGradients("square", [x]) { $0[0].square() }
        expectGradients("scale", [x]) { $0[0] * 0.7 }
        expectGradients("scalar add/sub", [x]) { (2 - $0[0]) + 1.5 }
    }

    @Test func selectClampExtremum() {
        let cond = (0..<15).map { Float($0 % 3 == 0 ? 1 : 0) }
        expectGradients("select", [input([3, 5], 1), input([3, 5], 2)]) { select($0[0].graph.constant(cond, Shape(3, 5)), $0[0], $0[1]) }
        expectGradients("clamp", [input([4, 5], 3, awayFrom: [-0.5, 0.8])]) { $0[0].clamped(-0.5, 0.8) }
        // ties are split half/half, which finite differences of max(x, x) = x confirm
        expectGradients("maximum", [input([3, 5], 4), input([3, 5], 5)]) { maximum($0[0], $0[1]) }
        expectGradients("minimum", [input([3, 5], 4), input([3, 5], 5)]) { minimum($0[0], $0[1]) }
        expectGradients("maximum tie", [input([3, 5], 4)]) { maximum($0[0], $0[0]) }
    }

    @Test func ppoClippedSurrogate() {
        // max(−ρA, −clip(ρ, 1−ε, 1+ε)A) with ρ = exp(lp − old): both clipped and unclipped entries present
        let lp = input([12], 6, scale: 0.4, awayFrom: [log(0.8) , log(1.2)])
        let adv = randoms(12, 7)
        expectGradients("ppo", [lp]) { t in
            let ratio = t[0].exp()
            let a = t[0].graph.constant(adv)
            return maximum(-(ratio * a), -(ratio.clamped(0.8, 1.2) * a))
        }
    }

    @Test func stopGradientBlocksFlow() {
        let g = Graph()
        let x = g.variable([1, 2, 3], Shape(3))
        let y = (x * x.detached()).sum()          // d/dx = x (not 2x)
        g.backward(y)
        #expect(x.gradient == [1, 2, 3])
    }
}

@Suite struct LinearAlgebraGradients {
    @Test func matmulWithFusedBias() {
        // a Linear layer: shared weight over [B, T, K], per-batch weights, and 70 rows (two blocks of the bias sum)
        expectGradients("linear", [input([2, 3, 5], 1), input([5, 4], 2), input([4], 3)]) { matmul($0[0], $0[1], bias: $0[2]) }
        expectGradients("batched", [input([2, 3, 5], 4), input([2, 5, 4], 5), input([4], 6)]) { matmul($0[0], $0[1], bias: $0[2]) }
        expectGradients("rows", [input([70, 3], 7), input([3, 2], 8), input([2], 9)], step: 5e-3) { matmul($0[0], $0[1], bias: $0[2]) }
        // the fused op gives exactly the values and gradients of matmul + bias
        let g = Graph()
        let x = g.variable(randoms(42, 10), Shape(2, 7, 3)), w = g.variable(randoms(12, 11), Shape(3, 4)), b = g.variable(randoms(4, 12), Shape(4))
        let fused = matmul(x, w, bias: b), plain = matmul(x, w) + b
        #expect(fused.scalars == plain.scalars)
        g.backward((fused * fused).sum() + (plain * plain).sum() * 0)
        let fusedGrads = [x.gradient!, w.gradient!, b.gradient!]
        let h = Graph()
        let x2 = h.variable(randoms(42, 10), Shape(2, 7, 3)), w2 = h.variable(randoms(12, 11), Shape(3, 4)), b2 = h.variable(randoms(4, 12), Shape(4))
        let p2 = matmul(x2, w2) + b2
        h.backward((p2 * p2).sum())
        #expect([x2.gradient!, w2.gradient!, b2.gradient!] == fusedGrads)
        // the bias added inside the GEMM's tile store: full and edge tiles (40 columns), two k blocks (300), parallel
        let big = Graph()
        let xb = big.constant(randoms(3 * 50 * 300, 13), Shape(3, 50, 300)), wb = big.constant(randoms(300 * 40, 14), Shape(300, 40))
        let bb = big.constant(randoms(40, 15), Shape(40))
        #expect(matmul(xb, wb, bias: bb).scalars == (matmul(xb, wb) + bb).scalars)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulTransposes(ta: Bool, tb: Bool) {
        let (m, k, n) = (3, 5, 4)
        expectGradients("matmul \(ta) \(tb)", [input(ta ? [k, m] : [m, k], 1), input(tb ? [n, k] : [k, n], 2)]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
        // batched, per-batch B
        expectGradients("bmm \(ta) \(tb)", [input(ta ? [2, k, m] : [2, m, k], 3), input(tb ? [2, n, k] : [2, k, n], 4)]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
        // batched A, shared B (a Linear layer on [B, T, C])
        expectGradients("shared \(ta) \(tb)", [input(ta ? [2, k, m] : [2, m, k], 5), input(tb ? [n, k] : [k, n], 6)]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
    }

    @Test func shapeOps() {
        expectGradients("reshape", [input([2, 6], 1)]) { $0[0].reshaped(3, 4) }
        expectGradients("transpose", [input([2, 3, 4], 2)]) { $0[0].transposed(0, 2) }
        expectGradients("permute", [input([2, 3, 4, 5], 3)]) { $0[0].permuted([2, 0, 3, 1]) }
        expectGradients("slice", [input([3, 5, 2], 4)]) { $0[0].slice(axis: 1, start: 1, length: 3) }
        // the last axis kept last (copied in runs), and the same tensor permuted or sliced twice (stored, then added)
        expectGradients("permute runs", [input([2, 3, 4, 5], 5)]) { $0[0].permuted([0, 2, 1, 3]) }
        expectGradients("permute runs twice", [input([2, 3, 4], 6)]) { $0[0].permuted([1, 0, 2]) * $0[0].permuted([1, 0, 2]).exp() }
        expectGradients("slices of one tensor", [input([3, 6, 2], 7)]) {
            $0[0].slice(axis: 1, start: 4, length: 2) * $0[0].slice(axis: 1, start: 0, length: 2) + $0[0].slice(axis: 1, start: 1, length: 2)
        }
        expectGradients("concat", [input([2, 3], 5), input([2, 2], 6)]) { concat([$0[0], $0[1]], axis: 1) }
        expectGradients("concat axis 0 twice", [input([2, 3], 5)]) { concat([$0[0], $0[0]], axis: 0) }
        expectGradients("gatherRows", [input([5, 3], 7)]) { t in
            t[0].gatherRows(t[0].graph.indices([4, 0, 4, 2] as [Int32]), shape: Shape(2, 2))
        }
        expectGradients("gatherLast", [input([3, 4], 8)]) { t in t[0].gatherLast(t[0].graph.indices([3, 0, 1] as [Int32])) }
    }

    @Test func reductions() {
        for axis in 0..<3 {
            expectGradients("sum \(axis)", [input([2, 3, 4], 1)]) { $0[0].sum(axis: axis) }
            expectGradients("mean \(axis)", [input([2, 3, 4], 2)]) { $0[0].mean(axis: axis, keepingAxis: true) }
            expectGradients("max \(axis)", [input([2, 3, 4], 3)]) { $0[0].max(axis: axis) }
        }
        expectGradients("sum all", [input([2, 3], 4)]) { $0[0].sum() }
        expectGradients("mean all", [input([2, 3], 5)]) { $0[0].mean() }
    }
}

@Suite struct NormalisationGradients {
    @Test func softmaxFamily() {
        expectGradients("softmax", [input([3, 5], 1, scale: 2)]) { $0[0].softmax() }
        expectGradients("logSoftmax", [input([2, 3, 5], 2, scale: 2)]) { $0[0].logSoftmax() }
        expectGradients("crossEntropy", [input([4, 5], 3, scale: 2)]) { t in
            t[0].crossEntropy(targets: t[0].graph.indices([1, 4, -1, 0] as [Int32]))   // −1: ignored row
        }
        let q = (0..<20).map { _ in Float(0) }.enumerated().map { i, _ in Float((i * 7) % 5) / 10 }
        expectGradients("softCrossEntropy", [input([4, 5], 4, scale: 2), (q, Shape(4, 5))]) { $0[0].crossEntropy(softTargets: $0[1]) }
    }

    @Test func layerNorm() {
        expectGradients("layerNorm", [input([2, 3, 6], 1, scale: 2), input([6], 2), input([6], 3)]) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2])
        }
        // 140 rows span three 64-row blocks of the dγ/dβ reduction; the input is used twice (stored, then added)
        expectGradients("layerNorm blocks", [input([140, 4], 4, scale: 2), input([4], 5), input([4], 6)], step: 5e-3) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2]) + $0[0]
        }
        // width 37: two 16-lane vectors and a 5-element tail; then 70 rows of width 20 across two blocks
        expectGradients("layerNorm wide", [input([3, 37], 7, scale: 2), input([37], 8), input([37], 9)]) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2]) + $0[0]
        }
        expectGradients("layerNorm wide blocks", [input([70, 20], 10, scale: 2), input([20], 11), input([20], 12)]) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2])
        }
    }

    @Test func attention() {
        let shape = [2, 2, 4, 3]
        expectGradients("causal attention", [input(shape, 1), input(shape, 2), input(shape, 3)]) {
            causalAttention($0[0], $0[1], $0[2])
        }
        expectGradients("attention, left padding", [input(shape, 4), input(shape, 5), input(shape, 6)]) { t in
            causalAttention(t[0], t[1], t[2], keyStart: t[0].graph.indices([0, 2] as [Int32]))
        }
        // two queries against the first five keys of a capacity-7 cache
        expectGradients("attention, cache", [input([2, 2, 2, 3], 7), input([2, 2, 7, 3], 8), input([2, 2, 7, 3], 9)]) { t in
            causalAttention(t[0], t[1], t[2], keyLength: 5, keyStart: t[0].graph.indices([1, 0] as [Int32]))
        }
    }

    @Test func rope() {
        expectGradients("rope", [input([2, 2, 5, 4], 1)]) { $0[0].rope() }
        expectGradients("rope, offset and padding", [input([2, 1, 3, 6], 2)]) { t in
            t[0].rope(offset: 4, padding: t[0].graph.indices([0, 2] as [Int32]))
        }
    }
}

import Foundation
