import Foundation
import Testing
import Engine
@testable import Objectives

// KL estimators k1, k2, k3 (values, gradients, k3 ≥ 0, what their gradients estimate), the two KL placements, and the
// entropy bonus.

private typealias Support = PolicyGradientTestSupport

@Suite struct KLEstimatorTests {
    // (lp, ref) = (−1, −1.5): d = lp − ref = 0.5 → k1 0.5, k2 0.125, k3 = e^−0.5 + 0.5 − 1 = 0.1065307;
    //   ∂/∂lp: k1 1, k2 d = 0.5, k3 1 − e^{ref−lp} = 1 − 0.6065307 = 0.3934693
    // (lp, ref) = (−2, −1):   d = −1  → k1 −1, k2 0.5, k3 = e^1 − 1 − 1 = 0.7182818;
    //   ∂/∂lp: k1 1, k2 −1, k3 1 − e = −1.7182818
    let lp: [Float] = [-1, -2]
    let ref: [Float] = [-1.5, -1]

    func valueAndGradient(_ estimator: KLEstimator) -> (values: [Float], gradient: [Float]) {
        var values: [Float] = []
        let r = ref
        let gradient = Support.lossAndGradient(logProbs: lp, shape: Shape(1, 2)) { x in
            let kl = KL.perToken(estimator, logProbs: x, referenceLogProbs: x.graph.constant(r, x.shape))
            values = kl.scalars
            return kl.sum()
        }.gradient
        return (values, gradient)
    }

    @Test func valuesAndGradients() {
        var (v, g) = valueAndGradient(.k1)
        Support.expectClose(v, [0.5, -1], tolerance: 1e-6); Support.expectClose(g, [1, 1], tolerance: 1e-6)
        (v, g) = valueAndGradient(.k2)
        Support.expectClose(v, [0.125, 0.5], tolerance: 1e-6); Support.expectClose(g, [0.5, -1], tolerance: 1e-6)
        (v, g) = valueAndGradient(.k3)
        Support.expectClose(v, [0.1065307, 0.7182818], tolerance: 1e-6); Support.expectClose(g, [0.3934693, -1.7182818], tolerance: 1e-6)
        // the array versions agree with the tensors
        Support.expectClose(KL.perToken(.k3, logProbs: lp, referenceLogProbs: ref), [0.1065307, 0.7182818], tolerance: 1e-6)
        Support.expectClose(KL.perToken(.k2, logProbs: lp, referenceLogProbs: ref), [0.125, 0.5], tolerance: 1e-6)
        Support.expectClose(KL.perToken(.k1, logProbs: lp, referenceLogProbs: ref), [0.5, -1], tolerance: 1e-6)
    }

    @Test func finiteDifferences() {
        let x = Support.randoms(12, seed: 71, scale: 0.7).map { $0 - 1 }
        let r = Support.randoms(12, seed: 72, scale: 0.7).map { $0 - 1 }
        for estimator in [KLEstimator.k1, .k2, .k3] {
            Support.expectGradientCheck("\(estimator)", logProbs: x, shape: Shape(3, 4)) { lp in
                let weights = lp.graph.constant(Support.randoms(12, seed: 73), lp.shape)     // contract every entry
                return (KL.perToken(estimator, logProbs: lp, referenceLogProbs: lp.graph.constant(r, lp.shape)) * weights).sum()
            }
        }
    }

    @Test func k3IsNonNegative() {
        let x = Support.randoms(2000, seed: 74, scale: 3)
        let r = Support.randoms(2000, seed: 75, scale: 3)
        let g = Graph(recording: false)
        let k3 = KL.k3(logProbs: g.constant(x, Shape(2000)), referenceLogProbs: g.constant(r, Shape(2000))).scalars
        #expect(k3.allSatisfy { $0 >= 0 })
        #expect(KL.perToken(.k3, logProbs: x, referenceLogProbs: r).allSatisfy { $0 >= 0 })
        // and zero exactly where the policies agree
        #expect(KL.perToken(.k3, logProbs: x, referenceLogProbs: x).allSatisfy { $0 == 0 })
    }

    /// Pitfall 4, exactly (no sampling): on a 3-armed softmax policy π = softmax(θ) against π_ref, the on-policy
    /// expectation Σ_a sg(π_a)·k(lp_a, ref_a) has value KL(π ‖ π_ref) for k1 and k3, while its gradient is 0 for k1,
    /// ∇KL(π ‖ π_ref) = π ⊙ (log π − log π_ref − KL) for k2, and π − π_ref = ∇KL(π_ref ‖ π) for k3.
    @Test func onPolicyGradientsOfTheEstimators() {
        let theta: [Float] = [0.2, -0.4, 0.9], refLogits: [Double] = [0, 0.3, -0.5]
        func logSoftmax(_ z: [Double]) -> [Double] {
            let m = z.max()!, lse = m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) })
            return z.map { $0 - lse }
        }
        let logPi = logSoftmax(theta.map { Double($0) }), logRef = logSoftmax(refLogits)
        let pi = logPi.map { Foundation.exp($0) }, piRef = logRef.map { Foundation.exp($0) }
        let kl = (0..<3).reduce(0.0) { $0 + pi[$1] * (logPi[$1] - logRef[$1]) }
        func expectation(_ estimator: KLEstimator) -> (value: Double, gradient: [Float]) {
            let g = Graph()
            let logits = g.variable(theta, Shape(3))
            let lp = logits.logSoftmax()
            let weights = lp.exp().detached()                                               // sg(π)
            let k = KL.perToken(estimator, logProbs: lp, referenceLogProbs: g.constant(logRef.map { Float($0) }, Shape(3)))
            let loss = (weights * k).sum()
            g.backward(loss)
            return (Double(loss.item), logits.gradient!)
        }
        let k1 = expectation(.k1), k2 = expectation(.k2), k3 = expectation(.k3)
        Support.expectClose(k1.value, kl, tolerance: 1e-6, "E[k1] = KL")
        Support.expectClose(k3.value, kl, tolerance: 1e-6, "E[k3] = KL")
        Support.expectClose(k1.gradient, [0, 0, 0], tolerance: 1e-6, "E[∇k1] = 0")
        Support.expectClose(k2.gradient, (0..<3).map { Float(pi[$0] * (logPi[$0] - logRef[$0] - kl)) }, tolerance: 1e-6, "E[∇k2] = ∇KL(π‖ref)")
        Support.expectClose(k3.gradient, (0..<3).map { Float(pi[$0] - piRef[$0]) }, tolerance: 1e-6, "E[∇k3] = ∇KL(ref‖π)")
        // and k3's gradient is not the forward KL's
        let forward = (0..<3).map { pi[$0] * (logPi[$0] - logRef[$0] - kl) }
        #expect((0..<3).contains { Swift.abs(Double(k3.gradient[$0]) - forward[$0]) > 1e-2 })
    }
}

@Suite struct KLPlacementTests {
    // B = 2, T = 3, mask [[1, 1, 0], [1, 1, 1]], R = [1, 0]
    let mask: [Float] = [1, 1, 0, 1, 1, 1]
    let lp: [Float] = [-1, -2, -3, -1, -1, -1]               // the masked token (−3 vs −1) must not count anywhere
    let ref: [Float] = [-1.5, -2, -1, -1, -0.5, -2]

    @Test func inTheRewardPenalisesTokensWithoutGradient() {
        // k1 = lp − ref = [0.5, 0, (masked), 0, −0.5, 1]; β = 0.1; R on each sequence's last response token
        // row 0: [−0.05, 1 − 0, 0];  row 1: [0, +0.05, 0 − 0.1]   → sequence sums [0.95, −0.05]
        let kl = KLRegularization.inReward(coefficient: 0.1)
        Support.expectClose(kl.penalizedTokenRewards(sequenceRewards: [1, 0], logProbs: lp, referenceLogProbs: ref, mask: mask, columns: 3),
                            [-0.05, 1, 0, 0, 0.05, -0.1], tolerance: 1e-6)
        Support.expectClose(kl.penalizedSequenceRewards(sequenceRewards: [1, 0], logProbs: lp, referenceLogProbs: ref, mask: mask, columns: 3),
                            [0.95, -0.05], tolerance: 1e-6)
        // …and contributes nothing to the loss
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(2, 3)) { x in
            let term = kl.lossTerm(logProbs: x, referenceLogProbs: x.graph.constant(self.ref, x.shape), mask: x.graph.constant(self.mask, x.shape))
            return term + (x * 0).sum()
        }
        #expect(v == 0 && grad.allSatisfy { $0 == 0 })
    }

    @Test func inTheLossLeavesRewardsAlone() {
        // k3 per token: 0.1065307, 0, (masked), 0, e^0.5 − 1.5 = 0.1487213, e^−1 + 1 − 1 = 0.3678794;
        // token-mean over 5 = 0.6231314/5 = 0.1246263; × β 0.1 = 0.01246263
        let kl = KLRegularization.inLoss(coefficient: 0.1)
        Support.expectClose(kl.penalizedTokenRewards(sequenceRewards: [1, 0], logProbs: lp, referenceLogProbs: ref, mask: mask, columns: 3),
                            [0, 1, 0, 0, 0, 0], tolerance: 0)
        Support.expectClose(kl.penalizedSequenceRewards(sequenceRewards: [1, 0], logProbs: lp, referenceLogProbs: ref, mask: mask, columns: 3),
                            [1, 0], tolerance: 0)
        let build = { (x: Tensor) -> Tensor in
            kl.lossTerm(logProbs: x, referenceLogProbs: x.graph.constant(self.ref, x.shape), mask: x.graph.constant(self.mask, x.shape))
        }
        let (v, grad) = Support.lossAndGradient(logProbs: lp, shape: Shape(2, 3), build)
        Support.expectClose(Double(v), 0.01246263, tolerance: 1e-7)
        // ∂/∂lp = β·(1 − e^{ref − lp})/5 = 0.02·[0.3934693, 0, 0, 0, 1 − e^0.5, 1 − e^−1]
        Support.expectClose(grad, [0.007869386, 0, 0, 0, -0.012974425, 0.012642411], tolerance: 1e-7)
        Support.expectGradientCheck("KL in loss", logProbs: lp, shape: Shape(2, 3), build)
    }

    @Test func onePlacementPerValue() {
        // one KLRegularization can regularise in one place only : exactly one of the two is active
        for kl in [KLRegularization.inReward(coefficient: 0.5), .inLoss(coefficient: 0.5)] {
            let rewardsChanged = kl.penalizedSequenceRewards(sequenceRewards: [1, 0], logProbs: lp, referenceLogProbs: ref,
                                                             mask: mask, columns: 3) != [1, 0]
            let g = Graph(recording: false)
            let lossActive = kl.lossTerm(logProbs: g.constant(lp, Shape(2, 3)), referenceLogProbs: g.constant(ref, Shape(2, 3)),
                                         mask: g.constant(mask, Shape(2, 3))).item != 0
            #expect(rewardsChanged != lossActive)
        }
    }
}

@Suite struct EntropyBonusTests {
    @Test func bonusIsMinusCTimesAggregatedEntropy() {
        // H = [[1, 2, 3]], mask [[1, 1, 0]], c = 0.01, token-mean: −0.01·1.5 = −0.015; ∂/∂H = −0.01/2 on each token
        let (v, grad) = Support.lossAndGradient(logProbs: [1, 2, 3], shape: Shape(1, 3)) { h in
            EntropyBonus.loss(entropies: h, mask: h.graph.constant([1, 1, 0], h.shape), coefficient: 0.01)
        }
        Support.expectClose(Double(v), -0.015, tolerance: 1e-7)
        Support.expectClose(grad, [-0.005, -0.005, 0], tolerance: 1e-7)
        // sequence-mean of token sums: −0.01·3 = −0.03
        let sums = Support.lossAndGradient(logProbs: [1, 2, 3], shape: Shape(1, 3)) { h in
            EntropyBonus.loss(entropies: h, mask: h.graph.constant([1, 1, 0], h.shape), coefficient: 0.01,
                              aggregation: .sequenceMeanOfTokenSums)
        }
        Support.expectClose(Double(sums.loss), -0.03, tolerance: 1e-7)
    }

    @Test func entropiesFromLogits() {
        // uniform over 3: log 3 = 1.0986123; logits [0, log 3] → p = [0.25, 0.75]:
        // H = −(0.25·log 0.25 + 0.75·log 0.75) = 0.3465736 + 0.2157616 = 0.5623351
        let g = Graph(recording: false)
        Support.expectClose(EntropyBonus.entropies(logits: g.constant([0, 0, 0], Shape(1, 3))).scalars, [1.0986123], tolerance: 1e-6)
        Support.expectClose(EntropyBonus.entropies(logits: g.constant([0, Foundation.log(3)], Shape(1, 2))).scalars, [0.5623351], tolerance: 1e-6)
        let logits = Support.randoms(12, seed: 81)
        Support.expectGradientCheck("entropy of logits", logProbs: logits, shape: Shape(2, 2, 3)) { x in
            let h = EntropyBonus.entropies(logits: x)                                           // [2, 2]
            return EntropyBonus.loss(entropies: h, mask: x.graph.constant([1, 1, 1, 0], h.shape), coefficient: 0.5)
        }
    }
}
