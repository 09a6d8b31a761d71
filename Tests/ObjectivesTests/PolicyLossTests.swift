import Foundation
import Testing
import Engine
@testable import Objectives

// Policy losses on tiny hand-computed inputs (values, exact gradients, diagnostics) and finite-difference checks,
// plus the aggregation modes of Core.swift and the minibatch / global-token-count trap.
//
// Ratios are set by construction: lp = old + log ρ, so "ρ = 1.5" below is exact up to Float rounding. Expected
// gradients are with respect to lp. N = number of masked tokens (token-mean).

/// Helpers shared by the policy-gradient objective tests (namespaced: the test module is shared).
enum PolicyGradientTestSupport {
    static func randoms(_ n: Int, seed: Int, scale: Float = 1) -> [Float] {
        var r = RandomStream(seed: 2025).child("policy-gradient-tests").child(seed)
        return (0..<n).map { _ in r.normal() * scale }
    }

    static func expectClose(_ a: [Float], _ b: [Float], tolerance: Float, _ comment: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, "\(comment): \(a.count) vs \(b.count) values", sourceLocation: sourceLocation)
        let worst = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(worst <= tolerance, "\(comment): \(a) vs expected \(b)", sourceLocation: sourceLocation)
    }

    static func expectClose(_ a: Double, _ b: Double, tolerance: Double, _ comment: String = "",
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Swift.abs(a - b) <= tolerance, "\(comment): \(a) vs expected \(b)", sourceLocation: sourceLocation)
    }

    /// The loss value and its gradient with respect to the log-probabilities.
    static func lossAndGradient(logProbs: [Float], shape: Shape, _ build: (Tensor) -> Tensor) -> (loss: Float, gradient: [Float]) {
        let g = Graph()
        let lp = g.variable(logProbs, shape)
        let loss = build(lp)
        g.backward(loss)
        return (loss.item, lp.gradient ?? [Float](repeating: 0, count: logProbs.count))
    }

    /// Finite differences (Float32, central, step 5e-3) against the analytic gradient with respect to lp.
    static func expectGradientCheck(_ name: String, logProbs: [Float], shape: Shape, step: Float = 5e-3,
                                    sourceLocation: SourceLocation = #_sourceLocation, _ build: @escaping (Tensor) -> Tensor) {
        let r = GradientCheck.check(inputs: [(logProbs, shape)], step: step) { build($0[0]) }
        #expect(r.passes, "\(name): \(r)", sourceLocation: sourceLocation)
        #expect(r.checked == logProbs.count, sourceLocation: sourceLocation)
    }

    /// PolicyInputs around `lp` with constant old log-probs, advantages and mask (all ones when nil).
    static func inputs(_ lp: Tensor, old: [Float], advantages: [Float], mask: [Float]? = nil, entropies: Tensor? = nil) -> PolicyInputs {
        let g = lp.graph, s = lp.shape
        return PolicyInputs(logProbs: lp, oldLogProbs: g.constant(old, s), advantages: g.constant(advantages, s),
                            mask: g.constant(mask ?? [Float](repeating: 1, count: s.count), s), entropies: entropies)
    }

    /// lp = old + log ρ.
    static func logProbs(old: [Float], ratios: [Float]) -> [Float] {
        zip(old, ratios).map { $0 + Foundation.log($1) }
    }
}

private typealias Support = PolicyGradientTestSupport

@Suite struct AggregationTests {
    // per-token ℓ = [[1, 2, 3], [4, 5, 6]], mask [[1, 1, 0], [1, 0, 0]]
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    let mask: [Float] = [1, 1, 0, 1, 0, 0]

    func valueAndWeights(_ mode: Aggregation, tokens: Int? = nil, sequences: Int? = nil) -> (Float, [Float]) {
        let m = mask
        return Support.lossAndGradient(logProbs: values, shape: Shape(2, 3)) { x in
            aggregate(x, mask: x.graph.constant(m, x.shape), mode: mode, globalTokenCount: tokens, globalSequenceCount: sequences)
        }
    }

    @Test func modesWeightTokensAsDocumented() {
        // token-mean: (1 + 2 + 4)/3 = 7/3, every token 1/3
        var (v, w) = valueAndWeights(.tokenMean)
        Support.expectClose(Double(v), 7.0 / 3, tolerance: 1e-6)
        Support.expectClose(w, [1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0, 0], tolerance: 1e-6)
        // sequence-mean of token-means: ((1 + 2)/2 + 4/1)/2 = 2.75; the short sequence's token weighs 1/2, the others 1/4
        (v, w) = valueAndWeights(.sequenceMeanOfTokenMeans)
        Support.expectClose(Double(v), 2.75, tolerance: 1e-6)
        Support.expectClose(w, [0.25, 0.25, 0, 0.5, 0, 0], tolerance: 1e-6)
        // sequence-mean of token-sums: (3 + 4)/2 = 3.5, every token 1/2
        (v, w) = valueAndWeights(.sequenceMeanOfTokenSums)
        Support.expectClose(Double(v), 3.5, tolerance: 1e-6)
        Support.expectClose(w, [0.5, 0.5, 0, 0.5, 0, 0], tolerance: 1e-6)
        // token-sum over a constant 4 (Dr.GRPO's max length): 7/4, every token 1/4
        (v, w) = valueAndWeights(.tokenSumOverConstant(4))
        Support.expectClose(Double(v), 1.75, tolerance: 1e-6)
        Support.expectClose(w, [0.25, 0.25, 0, 0.25, 0, 0], tolerance: 1e-6)
        // global counts replace the batch's own: 7/7 = 1 and (1.5 + 4)/4 = 1.375, (3 + 4)/4 = 1.75
        Support.expectClose(Double(valueAndWeights(.tokenMean, tokens: 7).0), 1, tolerance: 1e-6)
        Support.expectClose(Double(valueAndWeights(.sequenceMeanOfTokenMeans, sequences: 4).0), 1.375, tolerance: 1e-6)
        Support.expectClose(Double(valueAndWeights(.sequenceMeanOfTokenSums, sequences: 4).0), 1.75, tolerance: 1e-6)
    }

    @Test func anEmptySequenceContributesNothing() {
        // mask [[1, 1, 0], [0, 0, 0]]: sequence-mean of token-means = ((1 + 2)/2 + 0)/2 = 0.75
        let (v, w) = Support.lossAndGradient(logProbs: values, shape: Shape(2, 3)) { x in
            aggregate(x, mask: x.graph.constant([1, 1, 0, 0, 0, 0], x.shape), mode: .sequenceMeanOfTokenMeans)
        }
        Support.expectClose(Double(v), 0.75, tolerance: 1e-6)
        Support.expectClose(w, [0.25, 0.25, 0, 0, 0, 0], tolerance: 1e-6)
    }

    /// Pitfall 3: with the global token count, the minibatch losses (and gradients) sum to the full-batch loss; with
    /// per-minibatch counts they do not.
    @Test func globalCountsMakeMinibatchesSumToTheFullBatch() {
        let columns = 3
        let mask: [Float] = [1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0]          // lengths 3, 1, 2, 1: minibatches hold 4 and 3 tokens
        let old = Support.randoms(12, seed: 11, scale: 0.5).map { $0 - 1 }
        let lp = zip(old, Support.randoms(12, seed: 12, scale: 0.3)).map { $0 + $1 }
        let advantages = Support.randoms(12, seed: 13)
        func loss(rows: Range<Int>, mode: Aggregation, tokens: Int?, sequences: Int?) -> (loss: Float, gradient: [Float]) {
            let slice = { (a: [Float]) in Array(a[(rows.lowerBound * columns)..<(rows.upperBound * columns)]) }
            return Support.lossAndGradient(logProbs: slice(lp), shape: Shape(rows.count, columns)) { x in
                PolicyLoss.ppoClip(Support.inputs(x, old: slice(old), advantages: slice(advantages), mask: slice(mask)),
                                   aggregation: mode, globalTokenCount: tokens, globalSequenceCount: sequences).loss
            }
        }
        for mode in [Aggregation.tokenMean, .sequenceMeanOfTokenMeans, .sequenceMeanOfTokenSums] {
            let full = loss(rows: 0..<4, mode: mode, tokens: nil, sequences: nil)
            let first = loss(rows: 0..<2, mode: mode, tokens: 7, sequences: 4)
            let second = loss(rows: 2..<4, mode: mode, tokens: 7, sequences: 4)
            Support.expectClose(Double(first.loss + second.loss), Double(full.loss), tolerance: 1e-6, "\(mode) loss")
            Support.expectClose(first.gradient + second.gradient, full.gradient, tolerance: 1e-6, "\(mode) gradient")
        }
        // per-minibatch token counts (4 and 3) weight the two halves differently: their mean is not the full loss
        let local = [loss(rows: 0..<2, mode: .tokenMean, tokens: nil, sequences: nil), loss(rows: 2..<4, mode: .tokenMean, tokens: nil, sequences: nil)]
        let full = loss(rows: 0..<4, mode: .tokenMean, tokens: nil, sequences: nil)
        #expect(Swift.abs((local[0].loss + local[1].loss) / 2 - full.loss) > 1e-3)
    }
}

@Suite struct VanillaAndImportanceSamplingTests {
    @Test func vanillaValueAndGradient() {
        // A = [1, −2], lp = [−1, −0.5]: ℓ = −A·lp = [1, −1] → mean 0; ∂/∂lp = −A/2 = [−0.5, 1]
        let (v, grad) = Support.lossAndGradient(logProbs: [-1, -0.5], shape: Shape(1, 2)) { lp in
            PolicyLoss.vanilla(Support.inputs(lp, old: [-1, -0.5], advantages: [1, -2])).loss
        }
        Support.expectClose(Double(v), 0, tolerance: 1e-6)
        Support.expectClose(grad, [-0.5, 1], tolerance: 1e-6)
        let old = Support.randoms(8, seed: 1, scale: 0.5).map { $0 - 1 }, a = Support.randoms(8, seed: 2)
        Support.expectGradientCheck("vanilla", logProbs: old, shape: Shape(2, 4)) { lp in
            PolicyLoss.vanilla(Support.inputs(lp, old: old, advantages: a), aggregation: .sequenceMeanOfTokenSums).loss
        }
    }

    @Test func importanceSamplingValueAndGradient() {
        // A = [1, −1], ρ = [1.5, 0.5]: ℓ = −ρA = [−1.5, 0.5] → mean −0.5; ∂/∂lp = −ρA/2 = [−0.75, 0.25]
        let old: [Float] = [-1, -2]
        let lp = Support.logProbs(old: old, ratios: [1.5, 0.5])
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 2)) { x in
            PolicyLoss.importanceSampling(Support.inputs(x, old: old, advantages: [1, -1])).loss
        }
        Support.expectClose(Double(v), -0.5, tolerance: 1e-6)
        Support.expectClose(grad, [-0.75, 0.25], tolerance: 1e-6)
        let old8 = Support.randoms(8, seed: 3, scale: 0.5).map { $0 - 1 }, a = Support.randoms(8, seed: 4)
        let lp8 = zip(old8, Support.randoms(8, seed: 5, scale: 0.5)).map { $0 + $1 }
        Support.expectGradientCheck("importance sampling", logProbs: lp8, shape: Shape(2, 4)) { x in
            PolicyLoss.importanceSampling(Support.inputs(x, old: old8, advantages: a)).loss
        }
    }
}

@Suite struct PPOClipTests {
    let old: [Float] = [-1, -0.5, -2, -1.5, -0.7]

    @Test func valueGradientAndDiagnostics() {
        // ε = 0.2, c = 3; per token (A, ρ) → ℓ, ∂ℓ/∂lp:
        //  (+1, 1.5): max(−1.5, −1.2) = −1.2  clipped, 0
        //  (+1, 0.5): max(−0.5, −0.8) = −0.5  unclipped, −ρA = −0.5
        //  (−1, 0.5): max(0.5, 0.8) = 0.8     clipped, 0
        //  (−1, 4.0): max(4, 1.2) = 4 → min(4, 3) = 3   dual-clipped, 0
        //  (−1, 1.1): max(1.1, 1.1) = 1.1     inside, −ρA = 1.1
        // token-mean: (−1.2 − 0.5 + 0.8 + 3 + 1.1)/5 = 0.64; gradient /5 → [0, −0.1, 0, 0, 0.22]
        let lp = Support.logProbs(old: old, ratios: [1.5, 0.5, 0.5, 4, 1.1])
        var diagnostics: PolicyDiagnostics?
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 5)) { x in
            let r = PolicyLoss.ppoClip(Support.inputs(x, old: old, advantages: [1, 1, -1, -1, -1]))
            diagnostics = r.diagnostics
            return r.loss
        }
        Support.expectClose(Double(v), 0.64, tolerance: 1e-5)
        Support.expectClose(grad, [0, -0.1, 0, 0, 0.22], tolerance: 1e-6)
        // clip fraction 3/5; mean ratio 7.6/5 = 1.52; approx KL = mean((ρ − 1) − log ρ)
        //  = (0.0945349 + 0.1931472 + 0.1931472 + 1.6137056 + 0.0046898)/5 = 0.4198449
        Support.expectClose(diagnostics!.clipFraction, 0.6, tolerance: 1e-9)
        Support.expectClose(diagnostics!.meanRatio, 1.52, tolerance: 1e-5)
        Support.expectClose(diagnostics!.approxKL, 0.4198449, tolerance: 1e-5)
        #expect(diagnostics!.entropy.isNaN)
    }

    @Test func finiteDifferences() {
        // log-ratios away from the kinks log 0.8 = −0.22, log 1.2 = 0.18, log 3 = 1.10
        let logRatios: [Float] = [-0.4, -0.1, 0.05, 0.3, 0.6, 1.3, -0.6, 0.15]
        let advantages: [Float] = [1, -1, 0.5, -2, 1, -1, -0.7, 2]
        let old = Support.randoms(8, seed: 21, scale: 0.5).map { $0 - 1 }
        let lp = zip(old, logRatios).map { $0 + $1 }
        for mode in [Aggregation.tokenMean, .sequenceMeanOfTokenMeans] {
            Support.expectGradientCheck("PPO \(mode)", logProbs: lp, shape: Shape(2, 4)) { x in
                PolicyLoss.ppoClip(Support.inputs(x, old: old, advantages: advantages, mask: [1, 1, 1, 1, 1, 1, 1, 0]),
                                   aggregation: mode, clipEpsilonHigh: 0.28).loss
            }
        }
    }

    @Test func clippedSideHasZeroGradientAndTheOtherSideDoesNot() {
        // (A, ρ): (+1, 1.3) and (−1, 0.7) are outside on the clipped side → 0;
        // (+1, 0.7) and (−1, 1.3) are outside on the other side → −ρA (the unclipped branch stays active)
        let o: [Float] = [-1, -1, -1, -1]
        let lp = Support.logProbs(old: o, ratios: [1.3, 0.7, 0.7, 1.3])
        let grad = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: o, advantages: [1, -1, 1, -1]), aggregation: .tokenSumOverConstant(1)).loss
        }.gradient
        Support.expectClose(grad, [0, 0, -0.7, 1.3], tolerance: 1e-6)
    }

    @Test func dualClipBoundsNegativeAdvantages() {
        // A = −2: ρ = 5 → min(max(10, 2.4), 3·2) = 6, gradient 0; ρ = 2.5 → 5 (< 6), gradient −ρA = 5
        // without dual clip: ρ = 5 → 10, gradient 10
        let o: [Float] = [-1, -1]
        let lp = Support.logProbs(old: o, ratios: [5, 2.5])
        let dual = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 2)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: o, advantages: [-2, -2]), aggregation: .tokenSumOverConstant(1)).loss
        }
        Support.expectClose(Double(dual.loss), 11, tolerance: 1e-5)
        Support.expectClose(dual.gradient, [0, 5], tolerance: 1e-5)
        let plain = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 2)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: o, advantages: [-2, -2]), aggregation: .tokenSumOverConstant(1), dualClip: nil).loss
        }
        Support.expectClose(Double(plain.loss), 15, tolerance: 1e-5)
        Support.expectClose(plain.gradient, [10, 5], tolerance: 1e-5)
        // a positive advantage is never dual-clipped: A = +1, ρ = 5 → −1.2 (ordinary clip)
        let positive = Support.lossAndGradient(logProbs: [lp[0]], shape: Shape(1, 1)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: [-1], advantages: [1]), aggregation: .tokenSumOverConstant(1)).loss
        }
        Support.expectClose(Double(positive.loss), -1.2, tolerance: 1e-6)
    }

    @Test func clipHigherIsAsymmetric() {
        // (A, ρ) = (+1, 1.25): ε_hi 0.2 clips it (value −1.2, gradient 0); ε_hi 0.28 does not (−1.25, gradient −1.25)
        // (−1, 0.75): below 1 − ε_lo = 0.8 in both settings (value 0.8, gradient 0)
        let o: [Float] = [-1, -1]
        let lp = Support.logProbs(old: o, ratios: [1.25, 0.75])
        func run(_ high: Float) -> (loss: Float, gradient: [Float]) {
            Support.lossAndGradient(logProbs: lp, shape: Shape(1, 2)) { x in
                PolicyLoss.ppoClip(Support.inputs(x, old: o, advantages: [1, -1]), aggregation: .tokenSumOverConstant(1),
                                   clipEpsilonHigh: high).loss
            }
        }
        let symmetric = run(0.2), higher = run(0.28)
        Support.expectClose(Double(symmetric.loss), -1.2 + 0.8, tolerance: 1e-6)
        Support.expectClose(symmetric.gradient, [0, 0], tolerance: 1e-6)
        Support.expectClose(Double(higher.loss), -1.25 + 0.8, tolerance: 1e-6)
        Support.expectClose(higher.gradient, [-1.25, 0], tolerance: 1e-6)
    }

    /// Pitfalls 1 and 6: on-policy (ρ ≡ 1) the PPO value is −mean(A) while its gradient is vanilla PG's, whatever the
    /// clip range.
    @Test func onPolicyGradientEqualsVanillaPolicyGradient() {
        let old = Support.randoms(12, seed: 31, scale: 0.5).map { $0 - 1 }
        let advantages = Support.randoms(12, seed: 32)
        let mask: [Float] = [1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1]
        let shape = Shape(3, 4)
        let vanilla = Support.lossAndGradient(logProbs: old, shape: shape) { x in
            PolicyLoss.vanilla(Support.inputs(x, old: old, advantages: advantages, mask: mask)).loss
        }
        for high: Float in [0.2, 0.28] {
            let ppo = Support.lossAndGradient(logProbs: old, shape: shape) { x in
                PolicyLoss.ppoClip(Support.inputs(x, old: old, advantages: advantages, mask: mask), clipEpsilonHigh: high).loss
            }
            Support.expectClose(ppo.gradient, vanilla.gradient, tolerance: 1e-6, "ε_hi \(high)")
            let meanAdvantage = zip(advantages, mask).reduce(Float(0)) { $0 + $1.0 * $1.1 } / mask.reduce(0, +)
            Support.expectClose(Double(ppo.loss), Double(-meanAdvantage), tolerance: 1e-6)
        }
        #expect(Swift.abs(vanilla.loss - PolicyGradientTestSupport.lossAndGradient(logProbs: old, shape: shape) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: old, advantages: advantages, mask: mask)).loss }.loss) > 1e-2)
    }

    @Test func diagnosticsReportEntropy() {
        // entropies [0.5, 1.5, 9] with the last token masked → mean 1
        let g = Graph()
        let lp = g.variable([-1, -1, -1], Shape(1, 3))
        let inputs = Support.inputs(lp, old: [-1, -1, -1], advantages: [1, 1, 1], mask: [1, 1, 0],
                                    entropies: g.constant([0.5, 1.5, 9], Shape(1, 3)))
        let d = PolicyLoss.ppoClip(inputs).diagnostics
        Support.expectClose(d.entropy, 1, tolerance: 1e-9)
        Support.expectClose(d.meanRatio, 1, tolerance: 1e-9)
        Support.expectClose(d.approxKL, 0, tolerance: 1e-9)
    }
}

@Suite struct CISPOTests {
    @Test func clippedWeightsKeepTheGradient() {
        // ε_lo 0.2, ε_hi 0.28 → w = sg(clip(ρ, 0.8, 1.28)); lp = [−1, −2, −0.5]; (A, ρ) = (1, 1.5), (−1, 0.5), (1, 1.1)
        // w = [1.28, 0.8, 1.1]; ℓ = −w·A·lp = [−1.28·1·(−1), −0.8·(−1)·(−2), −1.1·1·(−0.5)] = [1.28, −1.6, 0.55]
        // mean = 0.23/3 = 0.0766667; ∂/∂lp = −w·A/3 = [−0.4266667, 0.2666667, −0.3666667] (nonzero although clipped)
        let lp: [Float] = [-1, -2, -0.5]
        let old = zip(lp, [Float(1.5), 0.5, 1.1]).map { $0 - Foundation.log($1) }
        var clipFraction = 0.0
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 3)) { x in
            let r = PolicyLoss.cispo(Support.inputs(x, old: old, advantages: [1, -1, 1]))
            clipFraction = r.diagnostics.clipFraction
            return r.loss
        }
        Support.expectClose(Double(v), 0.0766667, tolerance: 1e-6)
        Support.expectClose(grad, [-0.4266667, 0.2666667, -0.3666667], tolerance: 1e-6)
        Support.expectClose(clipFraction, 2.0 / 3, tolerance: 1e-9)
    }

    @Test func finiteDifferencesWhereTheWeightIsClipped() {
        // where w is clipped it is a constant and the surrogate −w·A·lp is an ordinary function of lp
        let old = Support.randoms(8, seed: 41, scale: 0.5).map { $0 - 1 }
        let lp = Support.logProbs(old: old, ratios: [1.5, 0.5, 1.6, 0.6, 2, 0.4, 1.4, 0.7])
        let advantages = Support.randoms(8, seed: 42)
        Support.expectGradientCheck("CISPO", logProbs: lp, shape: Shape(2, 4)) { x in
            PolicyLoss.cispo(Support.inputs(x, old: old, advantages: advantages)).loss
        }
    }
}

@Suite struct GSPOTests {
    // three sequences of two columns, ε = 0.2 both sides, sequence-mean of token-means:
    //  s1: lp − old = [0.1, 0.3] → s = e^0.2 = 1.2214028 > 1.2, A = 1 → clipped: ℓ = −1.2, gradient 0
    //  s2: lp − old = [−0.2, masked] → s = e^−0.2 = 0.8187308, A = −1 → inside: ℓ = 0.8187308, ∂/∂lp = s/3 = 0.2729103
    //  s3: lp − old = [0.05, −0.01] → s = e^0.02 = 1.0202013, A = 2 → inside: ℓ = −2.0404027,
    //      ∂/∂lp_t = −A·s·(1/|y|)/3 = −2·1.0202013/6 = −0.3400671 for each token
    // loss = (−1.2 + 0.8187308 − 2.0404027)/3 = −0.8072240
    let old: [Float] = [-1, -2, -0.5, -1, -1.5, -0.8]
    let logRatios: [Float] = [0.1, 0.3, -0.2, 0.7, 0.05, -0.01]
    let advantages: [Float] = [1, 1, -1, -1, 2, 2]
    let mask: [Float] = [1, 1, 1, 0, 1, 1]

    @Test func sequenceRatioValueAndGradient() {
        let lp = zip(old, logRatios).map { $0 + $1 }
        var clipFraction = 0.0
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(3, 2)) { x in
            let r = PolicyLoss.gspo(Support.inputs(x, old: old, advantages: advantages, mask: mask),
                                    clipEpsilonLow: 0.2, clipEpsilonHigh: 0.2)
            clipFraction = r.diagnostics.clipFraction
            return r.loss
        }
        Support.expectClose(Double(v), -0.8072240, tolerance: 1e-5)
        Support.expectClose(grad, [0, 0, 0.2729103, 0, -0.3400671, -0.3400671], tolerance: 1e-5)
        Support.expectClose(clipFraction, 2.0 / 5, tolerance: 1e-9)     // the two tokens of the clipped sequence
    }

    @Test func finiteDifferences() {
        // with the paper's tiny ε every sequence below is clipped (flat); use ε = 0.2 to exercise the ratio's gradient
        let lp = zip(old, [Float(0.1), 0.05, -0.2, 0.7, 0.05, -0.01]).map { $0 + $1 }
        for mode in [Aggregation.sequenceMeanOfTokenMeans, .tokenMean] {
            Support.expectGradientCheck("GSPO \(mode)", logProbs: lp, shape: Shape(3, 2)) { x in
                PolicyLoss.gspo(Support.inputs(x, old: self.old, advantages: self.advantages, mask: self.mask),
                                aggregation: mode, clipEpsilonLow: 0.2, clipEpsilonHigh: 0.2).loss
            }
        }
    }

    @Test func defaultBoundsAreThePapers() {
        // s = e^{0.001} = 1.0010005 > 1 + 4e-4 with A > 0 → clipped at 1.0004; value −1.0004, no gradient
        let (v, grad) = Support.lossAndGradient(logProbs: [-0.999], shape: Shape(1, 1)) { x in
            PolicyLoss.gspo(Support.inputs(x, old: [-1], advantages: [1])).loss
        }
        Support.expectClose(Double(v), -1.0004, tolerance: 1e-6)
        Support.expectClose(grad, [0], tolerance: 0)
    }
}

@Suite struct GPPOTests {
    // (A, ρ) with ε = 0.2, token-mean over 4:
    //  (+1, 1.5): value −1.2 (as PPO), gradient −A·(1 + ε_h) = −1.2
    //  (−1, 0.5): value  0.8,          gradient −A·(1 − ε_l) =  0.8
    //  (+1, 0.5): value −0.5,          gradient −A·ρ = −0.5
    //  (−1, 1.5): value  1.5,          gradient −A·ρ =  1.5
    // loss = 0.6/4 = 0.15; gradient /4 = [−0.3, 0.2, −0.125, 0.375]
    let old: [Float] = [-1, -1.2, -0.4, -2]
    let ratios: [Float] = [1.5, 0.5, 0.5, 1.5]
    let advantages: [Float] = [1, -1, 1, -1]

    @Test func forwardLikePPOGradientBounded() {
        let lp = Support.logProbs(old: old, ratios: ratios)
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.gppo(Support.inputs(x, old: self.old, advantages: self.advantages)).loss
        }
        Support.expectClose(Double(v), 0.15, tolerance: 1e-6)
        Support.expectClose(grad, [-0.3, 0.2, -0.125, 0.375], tolerance: 1e-6)
        let ppo = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: self.old, advantages: self.advantages), dualClip: nil).loss
        }
        Support.expectClose(Double(v), Double(ppo.loss), tolerance: 1e-6)                     // same value as PPO
        Support.expectClose(ppo.gradient, [0, 0, -0.125, 0.375], tolerance: 1e-6)           // PPO drops the clipped two
    }

    @Test func finiteDifferencesInsideTheRange() {
        let lp = Support.logProbs(old: old, ratios: [1.1, 0.9, 0.6, 1.4])                   // none on the clipped side
        Support.expectGradientCheck("GPPO", logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.gppo(Support.inputs(x, old: self.old, advantages: self.advantages)).loss
        }
    }
}

@Suite struct ECPOTests {
    // ε = 0.2, δ = 0.1 → negative-advantage ratios capped at 1.3 (with gradient); token-mean over 4:
    //  (−1, 2.0): ρ' = 1.3 → max(1.3, clip(1.3) = 1.2) = 1.3, gradient −A·ρ' = 1.3
    //  (−1, 1.1): ρ' = 1.1 (not capped) → 1.1, gradient 1.1
    //  (+1, 2.0): PPO → −1.2, gradient 0
    //  (−1, 0.5): PPO → 0.8, gradient 0
    // loss = (1.3 + 1.1 − 1.2 + 0.8)/4 = 0.5; gradient /4 = [0.325, 0.275, 0, 0]
    let old: [Float] = [-2, -1, -1.5, -0.5]
    let advantages: [Float] = [-1, -1, 1, -1]

    @Test func capsNegativeRatiosKeepingTheirGradient() {
        let lp = Support.logProbs(old: old, ratios: [2, 1.1, 2, 0.5])
        var clipFraction = 0.0
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            let r = PolicyLoss.ecpo(Support.inputs(x, old: self.old, advantages: self.advantages))
            clipFraction = r.diagnostics.clipFraction
            return r.loss
        }
        Support.expectClose(Double(v), 0.5, tolerance: 1e-5)
        Support.expectClose(grad, [0.325, 0.275, 0, 0], tolerance: 1e-5)
        Support.expectClose(clipFraction, 0.75, tolerance: 1e-9)       // capped, clipped, clipped
    }

    @Test func finiteDifferencesBelowTheCapMatchPPO() {
        let lp = Support.logProbs(old: old, ratios: [1.25, 1.1, 0.9, 0.5])                   // no ratio above 1.3
        Support.expectGradientCheck("ECPO", logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.ecpo(Support.inputs(x, old: self.old, advantages: self.advantages)).loss
        }
        let ecpo = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.ecpo(Support.inputs(x, old: self.old, advantages: self.advantages)).loss
        }
        let ppo = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: self.old, advantages: self.advantages)).loss
        }
        Support.expectClose(Double(ecpo.loss), Double(ppo.loss), tolerance: 1e-6)
        Support.expectClose(ecpo.gradient, ppo.gradient, tolerance: 1e-6)
    }
}

@Suite struct BAPOTests {
    @Test func searchRaisesBothBoundsUntilPositivesCarryTheirShare() {
        // tokens (A, ρ): (+1, 1.28) (−1, 0.7) (−1, 1.0) (+1, 1.0); steps δ⁻ 0.02, δ⁺ 0.05 from (0.6, 1.2):
        //  step 0 (0.60, 1.20): positive 1.0 (1.28 > 1.2 is clipped), negative 0.7 + 1.0 → share 1/2.7 = 0.370 < 0.4
        //  step 1 (0.62, 1.25): unchanged, 0.370
        //  step 2 (0.64, 1.30): positive 1.28 + 1.0 = 2.28, negative 1.7 → share 2.28/3.98 = 0.5729 ≥ 0.4 → stop
        let bounds = PolicyLoss.bapoBounds(logProbs: [Foundation.log(1.28), Foundation.log(0.7), 0, 0], oldLogProbs: [0, 0, 0, 0],
                                           advantages: [1, -1, -1, 1], mask: [1, 1, 1, 1])
        #expect(bounds.steps == 2)
        Support.expectClose(Double(bounds.low), 0.64, tolerance: 1e-6)
        Support.expectClose(Double(bounds.high), 1.30, tolerance: 1e-6)
        Support.expectClose(bounds.positiveShare, 2.28 / 3.98, tolerance: 1e-6)
    }

    @Test func raisingTheLowerBoundClipsNegatives() {
        // (+1, 1.0) and (−5, 0.71): share 1/(1 + 3.55) = 0.22; c_low passes 0.71 at step 6 (0.72), when the negative
        // token stops contributing → share 1; c_high = 1.2 + 6·0.05 = 1.5
        let bounds = PolicyLoss.bapoBounds(logProbs: [0, Foundation.log(0.71)], oldLogProbs: [0, 0], advantages: [1, -5], mask: [1, 1])
        #expect(bounds.steps == 6)
        Support.expectClose(Double(bounds.low), 0.72, tolerance: 1e-6)
        Support.expectClose(Double(bounds.high), 1.5, tolerance: 1e-6)
        Support.expectClose(bounds.positiveShare, 1, tolerance: 1e-12)
        // nothing can satisfy an all-negative batch: both bounds end at their maxima (15 and 36 steps)
        let stuck = PolicyLoss.bapoBounds(logProbs: [0], oldLogProbs: [0], advantages: [-1], mask: [1])
        #expect(stuck.steps == 36 && stuck.positiveShare == 0)
        Support.expectClose(Double(stuck.low), 0.9, tolerance: 1e-6)
        Support.expectClose(Double(stuck.high), 3.0, tolerance: 1e-6)
        // a balanced batch keeps the starting bounds
        let balanced = PolicyLoss.bapoBounds(logProbs: [0, 0], oldLogProbs: [0, 0], advantages: [1, -1], mask: [1, 1])
        #expect(balanced.steps == 0 && balanced.low == 0.6 && balanced.high == 1.2)
    }

    @Test func lossIsPPOAtTheChosenBounds() {
        // same batch as the first test, chosen bounds (0.64, 1.30): (+1, 1.28) unclipped → −1.28, gradient −1.28;
        // (−1, 0.7) inside → 0.7, gradient 0.7; (−1, 1) → 1, gradient 1; (+1, 1) → −1, gradient −1
        // token-mean: (−1.28 + 0.7 + 1 − 1)/4 = −0.145; gradient /4 = [−0.32, 0.175, 0.25, −0.25]
        let old: [Float] = [-1, -1, -1, -1]
        let lp = Support.logProbs(old: old, ratios: [1.28, 0.7, 1, 1])
        var chosen: BAPOBounds?
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 4)) { x in
            let (r, b) = PolicyLoss.bapo(Support.inputs(x, old: old, advantages: [1, -1, -1, 1]))
            chosen = b
            return r.loss
        }
        #expect(chosen?.steps == 2)
        Support.expectClose(Double(v), -0.145, tolerance: 1e-5)
        Support.expectClose(grad, [-0.32, 0.175, 0.25, -0.25], tolerance: 1e-5)
        // with fixed bounds BAPO is PPO with ε_lo = 1 − c_low, ε_hi = c_high − 1
        let fixed = BAPOBounds(low: 0.7, high: 1.5, positiveShare: 0, steps: 0)
        let old8 = Support.randoms(8, seed: 51, scale: 0.5).map { $0 - 1 }
        // ratios away from BAPO's bound grid (0.6 + 0.02k, 1.2 + 0.05k) so that the searched bounds are no kink
        let lp8 = Support.logProbs(old: old8, ratios: [1.32, 0.61, 1.67, 0.93, 1.12, 0.67, 2.03, 1.05])
        let a8 = Support.randoms(8, seed: 52)
        let bapo = Support.lossAndGradient(logProbs: lp8, shape: Shape(2, 4)) { x in
            PolicyLoss.bapo(Support.inputs(x, old: old8, advantages: a8), bounds: fixed).result.loss
        }
        let ppo = Support.lossAndGradient(logProbs: lp8, shape: Shape(2, 4)) { x in
            PolicyLoss.ppoClip(Support.inputs(x, old: old8, advantages: a8), clipEpsilonLow: 0.3, clipEpsilonHigh: 0.5).loss
        }
        Support.expectClose(Double(bapo.loss), Double(ppo.loss), tolerance: 1e-6)
        Support.expectClose(bapo.gradient, ppo.gradient, tolerance: 1e-6)
        Support.expectGradientCheck("BAPO", logProbs: lp8, shape: Shape(2, 4)) { x in
            PolicyLoss.bapo(Support.inputs(x, old: old8, advantages: a8)).result.loss
        }
    }
}

@Suite struct AEPOTests {
    let config = AEPOConfig(entropyHigh: 1.5, entropyLow: 0.5)

    @Test func hysteresis() {
        // H: 1.0 (in band, starts unmasked) → 2.0 (above H_high: mask) → 1.0 (in band: stay masked) → 0.3 (below H_low:
        // restore) → 1.0 (stay restored)
        var state = AEPOState()
        var trace: [Bool] = []
        for h in [1.0, 2.0, 1.0, 0.3, 1.0] {
            state = state.next(batchEntropy: h, config: config)
            trace.append(state.negativesMasked)
        }
        #expect(trace == [false, true, true, false, false])
    }

    @Test func masksNegativeTokensOnlyWhileEntropyIsHigh() {
        // on-policy (ρ = 1), A = [1, −1, 2, −0.5]: PPO ℓ = −A = [−1, 1, −2, 0.5]
        // masking: keep [1, 0, 1, 0] → (−1 − 2)/4 = −0.75, gradient [−0.25, 0, −0.5, 0]
        // not masking: (−1 + 1 − 2 + 0.5)/4 = −0.375, gradient −A/4
        let old: [Float] = [-1, -0.5, -2, -1.5]
        let a: [Float] = [1, -1, 2, -0.5]
        func run(entropy: Double, state: AEPOState) -> (loss: Float, gradient: [Float], state: AEPOState) {
            var newState = state
            let (v, grad) = Support.lossAndGradient(logProbs: old, shape: Shape(1, 4)) { x in
                let (r, s) = PolicyLoss.aepo(Support.inputs(x, old: old, advantages: a), config: self.config,
                                             state: state, batchEntropy: entropy)
                newState = s
                return r.loss
            }
            return (v, grad, newState)
        }
        let high = run(entropy: 2, state: AEPOState())
        #expect(high.state.negativesMasked)
        Support.expectClose(Double(high.loss), -0.75, tolerance: 1e-6)
        Support.expectClose(high.gradient, [-0.25, 0, -0.5, 0], tolerance: 1e-6)
        let band = run(entropy: 1, state: high.state)                                       // still masked
        Support.expectClose(band.gradient, [-0.25, 0, -0.5, 0], tolerance: 1e-6)
        let low = run(entropy: 0.2, state: band.state)
        #expect(!low.state.negativesMasked)
        Support.expectClose(Double(low.loss), -0.375, tolerance: 1e-6)
        Support.expectClose(low.gradient, [-0.25, 0.25, -0.5, 0.125], tolerance: 1e-6)
    }

    @Test func sequenceGranularityAndEntropyFromInputs() {
        // sequences [A = 1, −2] (mean −0.5 → masked whole) and [1, 1]; entropies all 2 > H_high → masking
        // kept tokens: the second sequence, ℓ = −1 each → (−2)/4 = −0.5; gradient [0, 0, −0.25, −0.25]
        let config = AEPOConfig(entropyHigh: 1.5, entropyLow: 0.5, granularity: .sequence)
        let old: [Float] = [-1, -1, -1, -1]
        let (v, grad) = Support.lossAndGradient(logProbs: old, shape: Shape(2, 2)) { x in
            let inputs = Support.inputs(x, old: old, advantages: [1, -2, 1, 1], entropies: x.graph.full(Shape(2, 2), 2))
            return PolicyLoss.aepo(inputs, config: config, state: AEPOState()).result.loss
        }
        Support.expectClose(Double(v), -0.5, tolerance: 1e-6)
        Support.expectClose(grad, [0, 0, -0.25, -0.25], tolerance: 1e-6)
    }

    @Test func finiteDifferences() {
        let old = Support.randoms(8, seed: 61, scale: 0.5).map { $0 - 1 }
        let lp = Support.logProbs(old: old, ratios: [1.1, 0.9, 1.3, 0.7, 1.05, 2, 0.5, 1])
        let a = Support.randoms(8, seed: 62)
        for masked in [false, true] {
            Support.expectGradientCheck("AEPO masked \(masked)", logProbs: lp, shape: Shape(2, 4)) { x in
                PolicyLoss.aepo(Support.inputs(x, old: old, advantages: a), config: self.config,
                                state: AEPOState(negativesMasked: masked), batchEntropy: 1).result.loss
            }
        }
    }
}

@Suite struct LoptiTests {
    // π_old = [0.3, 0.5, 0.1, 0.9], mask [1, 1, 1, 0], η = 0.4 → low [1, 0, 1, 0], high [0, 1, 0, 0]
    let old: [Float] = [0.3, 0.5, 0.1, 0.9].map { Foundation.log(Float($0)) }
    let mask: [Float] = [1, 1, 1, 0]

    @Test func splitsTokensByBehaviourProbability() {
        let (low, high) = PolicyLoss.loptiMasks(oldLogProbs: old, mask: mask)
        #expect(low == [1, 0, 1, 0] && high == [0, 1, 0, 0])
        let (low5, high5) = PolicyLoss.loptiMasks(oldLogProbs: old, mask: [1, 1, 1, 1], probabilityThreshold: 0.6)
        #expect(low5 == [1, 1, 1, 0] && high5 == [0, 0, 0, 1])
    }

    @Test func twoPassLosses() {
        // on-policy, A = [1, −1, 2, 5]: low pass tokens 0 and 2 → (−1 − 2)/2 = −1.5, gradient [−0.5, 0, −1, 0];
        // high pass token 1 → 1/1 = 1, gradient [0, 1, 0, 0]
        let a: [Float] = [1, -1, 2, 5]
        let low = Support.lossAndGradient(logProbs: old, shape: Shape(1, 4)) { x in
            PolicyLoss.lopti(Support.inputs(x, old: self.old, advantages: a, mask: self.mask)).lowProbability.loss
        }
        let high = Support.lossAndGradient(logProbs: old, shape: Shape(1, 4)) { x in
            PolicyLoss.lopti(Support.inputs(x, old: self.old, advantages: a, mask: self.mask)).highProbability.loss
        }
        Support.expectClose(Double(low.loss), -1.5, tolerance: 1e-6)
        Support.expectClose(low.gradient, [-0.5, 0, -1, 0], tolerance: 1e-6)
        Support.expectClose(Double(high.loss), 1, tolerance: 1e-6)
        Support.expectClose(high.gradient, [0, 1, 0, 0], tolerance: 1e-6)
        // the passes' inputs restrict only the mask
        let g = Graph(recording: false)
        let passes = PolicyLoss.loptiPasses(Support.inputs(g.constant(old, Shape(1, 4)), old: old, advantages: a, mask: mask))
        #expect(passes.lowProbability.mask.scalars == [1, 0, 1, 0] && passes.highProbability.mask.scalars == [0, 1, 0, 0])
        #expect(passes.lowProbability.advantages.scalars == a)
    }

    @Test func finiteDifferences() {
        let lp = Support.logProbs(old: old, ratios: [1.1, 0.9, 1.3, 0.7])
        let a: [Float] = [1, -1, 2, -0.5]
        Support.expectGradientCheck("Lopti low", logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.lopti(Support.inputs(x, old: self.old, advantages: a, mask: [1, 1, 1, 1])).lowProbability.loss
        }
        Support.expectGradientCheck("Lopti high", logProbs: lp, shape: Shape(1, 4)) { x in
            PolicyLoss.lopti(Support.inputs(x, old: self.old, advantages: a, mask: [1, 1, 1, 1])).highProbability.loss
        }
    }
}
