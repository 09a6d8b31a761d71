import Foundation
import Testing
import Engine
@testable import Objectives

// Advantage estimators on tiny groups whose expected values are computed by hand (the arithmetic is in the comments),
// plus, for every estimator, a finite-difference check of the policy-gradient loss it feeds (−A·lp).

private typealias Support = PolicyGradientTestSupport

@Suite struct GroupAdvantageTests {
    @Test func grpoUsesUnbiasedStdAndEpsilon() {
        // group [1, 0, 0, 1]: mean 0.5; unbiased var = 4·0.25/3 = 1/3, std = 0.5773503; A = ±0.5/(0.5773503 + 1e-6)
        // group [2, 2, 2, 2]: std 0 → A = 0/(0 + 1e-6) = 0
        let a = Advantages.grpo(rewards: [1, 0, 0, 1, 2, 2, 2, 2], groupSize: 4)
        let s = 0.5 / (1.0 / 3.0).squareRoot()
        Support.expectClose(a, [s, -s, -s, s, 0, 0, 0, 0].map { Float($0) }, tolerance: 1e-5)
        // the biased (N) std would give ±1: make sure it is not that
        #expect(Swift.abs(a[0] - 1) > 0.1)
        // ε enters: one sample of reward 1 in a group of 1 → mean 0, std 1 (verl) → 1/(1 + 1e-6)
        let single = Advantages.grpo(rewards: [1], groupSize: 1, epsilon: 0.25)
        Support.expectClose(single, [0.8], tolerance: 1e-6)                  // 1/(1 + 0.25) = 0.8
    }

    @Test func rlooLeavesOneOut() {
        // [1, 0, 0, 1]: A_0 = 1 − (0 + 0 + 1)/3 = 2/3, A_1 = 0 − (1 + 0 + 1)/3 = −2/3
        // [3, 1, 2]:    A = 3 − 1.5 = 1.5, 1 − 2.5 = −1.5, 2 − 2 = 0
        Support.expectClose(Advantages.rloo(rewards: [1, 0, 0, 1], groupSize: 4), [2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3], tolerance: 1e-6)
        Support.expectClose(Advantages.rloo(rewards: [3, 1, 2], groupSize: 3), [1.5, -1.5, 0], tolerance: 1e-6)
        // equals G/(G−1)·(R − mean), verl's form: 3/2·[1, −1, 0]
        Support.expectClose(Advantages.rloo(rewards: [3, 1, 2], groupSize: 3),
                            Advantages.drGRPO(rewards: [3, 1, 2], groupSize: 3).map { $0 * 1.5 }, tolerance: 1e-6)
    }

    @Test func drGRPOSubtractsTheGroupMean() {
        // [1, 0, 0, 1] → ±0.5;  [3, 1, 2] → mean 2 → [1, −1, 0]
        Support.expectClose(Advantages.drGRPO(rewards: [1, 0, 0, 1, 3, 1, 2, 2], groupSize: 4),
                            [0.5, -0.5, -0.5, 0.5, 1, -1, 0, 0], tolerance: 1e-6)
        Support.expectClose(Advantages.drGRPO(rewards: [3, 1, 2], groupSize: 3), [1, -1, 0], tolerance: 1e-6)
    }

    @Test func batchNormalizedWhitensOverTheBatch() {
        // groups [1, 0] and [3, 1] → centred [0.5, −0.5, 1, −1]; batch mean 0;
        // unbiased var = (0.25 + 0.25 + 1 + 1)/3 = 0.8333…, std 0.9128709 → [0.5477226, −0.5477226, 1.0954451, −1.0954451]
        Support.expectClose(Advantages.batchNormalized(rewards: [1, 0, 3, 1], groupSize: 2),
                            [0.5477226, -0.5477226, 1.0954451, -1.0954451], tolerance: 1e-5)
        // token-weighted as verl (lengths 1, 1, 2, 2): mean (0.5 − 0.5 + 2 − 2)/6 = 0; Σw·x² = 0.25 + 0.25 + 2 + 2 = 4.5;
        // var = 4.5/6 · 6/5 = 0.9, std 0.9486833 → [0.5270463, −0.5270463, 1.0540926, −1.0540926]
        Support.expectClose(Advantages.batchNormalized(rewards: [1, 0, 3, 1], groupSize: 2, tokenCounts: [1, 1, 2, 2]),
                            [0.5270463, -0.5270463, 1.0540926, -1.0540926], tolerance: 1e-5)
    }

    @Test func reinforceWithAndWithoutBaseline() {
        // [1, 0, 3]; batch mean 4/3 → [−1/3, −4/3, 5/3]
        Support.expectClose(Advantages.reinforce(rewards: [1, 0, 3]), [1, 0, 3], tolerance: 0)
        Support.expectClose(Advantages.reinforce(rewards: [1, 0, 3], batchMeanBaseline: true), [-1.0 / 3, -4.0 / 3, 5.0 / 3], tolerance: 1e-6)
    }

    @Test func remaxSubtractsTheGreedyReward() {
        // prompts p0, p1 with two samples each; greedy rewards 0.5 and 1
        // [1 − 0.5, 0 − 0.5, 0.5 − 1, 1 − 1] = [0.5, −0.5, −0.5, 0]
        Support.expectClose(Advantages.remax(rewards: [1, 0, 0.5, 1], greedyRewards: [0.5, 1], groupSize: 2),
                            [0.5, -0.5, -0.5, 0], tolerance: 1e-6)
    }

    @Test func gpgScalesByBatchOverNonzero() {
        // B = 8, nonzero rewards 4 → α = 2; means 0.25 and 0.75
        // group 1: 2·[0.75, −0.25, −0.25, −0.25];  group 2: 2·[0.25, 0.25, −0.75, 0.25]
        Support.expectClose(Advantages.gpg(rewards: [1, 0, 0, 0, 1, 1, 0, 1], groupSize: 4),
                            [1.5, -0.5, -0.5, -0.5, 0.5, 0.5, -1.5, 0.5], tolerance: 1e-6)
        // all zero: α = 8/max(0, 1) and every advantage is 0
        Support.expectClose(Advantages.gpg(rewards: [0, 0, 0, 0], groupSize: 2), [0, 0, 0, 0], tolerance: 0)
    }

    @Test func signSplitEstimators() {
        let r: [Float] = [1, 0, 1, 0]
        // PSR: A = r ≥ 0, only correct pushed; NSR: A = r − 1 ≤ 0, only wrong pushed; W-REINFORCE: 0.1 / −1
        Support.expectClose(Advantages.positiveSampleReinforcement(rewards: r), [1, 0, 1, 0], tolerance: 0)
        Support.expectClose(Advantages.negativeSampleReinforcement(rewards: r), [0, -1, 0, -1], tolerance: 0)
        Support.expectClose(Advantages.weightedReinforce(rewards: r), [0.1, -1, 0.1, -1], tolerance: 0)
        Support.expectClose(Advantages.weightedReinforce(rewards: r, positiveWeight: 1), [1, -1, 1, -1], tolerance: 0)
        #expect(Advantages.positiveSampleReinforcement(rewards: r).allSatisfy { $0 >= 0 })
        #expect(Advantages.negativeSampleReinforcement(rewards: r).allSatisfy { $0 <= 0 })
    }

    @Test func raftKeepsPositiveRewards() {
        // max(r, 0): [1, −1, 0.5, 0] → [1, 0, 0.5, 0]
        Support.expectClose(Advantages.raft(rewards: [1, -1, 0.5, 0]), [1, 0, 0.5, 0], tolerance: 0)
    }

    @Test func reinforceRejDropsUniformGroups() {
        // groups of 3: [1 1 1] all correct → dropped; [0 1 0] mixed → kept, A = r; [0 0 0] all wrong → dropped
        let (a, kept) = Advantages.reinforceRej(rewards: [1, 1, 1, 0, 1, 0, 0, 0, 0], groupSize: 3)
        #expect(kept == [false, false, false, true, true, true, false, false, false])
        Support.expectClose(a, [0, 0, 0, 0, 1, 0, 0, 0, 0], tolerance: 0)
        // ±1 rewards with the ablations: groups [1 1] (all correct), [1 −1] (mixed), [−1 −1] (all wrong)
        let r: [Float] = [1, 1, 1, -1, -1, -1]
        #expect(Advantages.reinforceRejKept(rewards: r, groupSize: 2, dropAllWrong: false) == [false, false, true, true, true, true])
        #expect(Advantages.reinforceRejKept(rewards: r, groupSize: 2, dropAllCorrect: false) == [true, true, true, true, false, false])
        #expect(Advantages.reinforceRej(rewards: r, groupSize: 2).advantages == [0, 0, 1, -1, 0, 0])
    }

    @Test func passAtKRewardsOnlyTheBestSample() {
        // group [0, 1, 0.5, 1]: r_max 1 (first at index 1), r_second 1 → 0 everywhere
        // group [0.2, 0.9, 0.3, 0.1]: the 0.9 gets 0.9 − 0.3 = 0.6, the others 0
        let a = Advantages.passAtK(rewards: [0, 1, 0.5, 1, 0.2, 0.9, 0.3, 0.1], groupSize: 4)
        Support.expectClose(a, [0, 0, 0, 0, 0, 0.6, 0, 0], tolerance: 1e-6)
        // verl's std normalisation: group 2 mean 0.375, deviations −.175 .525 −.075 −.275, Σ² = 0.3875,
        // var = 0.3875/3 = 0.1291667, std = 0.3593976 → 0.6/(0.3593976 + 1e-6) = 1.669455
        let normalized = Advantages.passAtK(rewards: [0.2, 0.9, 0.3, 0.1], groupSize: 4, normalizeByStd: true)
        Support.expectClose(normalized, [0, 1.669455, 0, 0], tolerance: 1e-5)
    }
}

@Suite struct TokenAdvantageTests {
    @Test func gaeEqualsItsClosedForm() {
        // r = [0, 0, 1], V = [0.5, 0.6, 0.7], γ = 0.9, λ = 0.8 (γλ = 0.72), V after the end = 0:
        // δ0 = 0 + 0.9·0.6 − 0.5 = 0.04;  δ1 = 0 + 0.9·0.7 − 0.6 = 0.03;  δ2 = 1 + 0.9·0 − 0.7 = 0.3
        // A2 = δ2 = 0.3;  A1 = δ1 + 0.72·δ2 = 0.246;  A0 = δ0 + 0.72·δ1 + 0.72²·δ2 = 0.04 + 0.0216 + 0.15552 = 0.21712
        // returns = A + V = [0.71712, 0.846, 1.0]
        let (a, ret) = Advantages.gae(rewards: [0, 0, 1], values: [0.5, 0.6, 0.7], gamma: 0.9, lambda: 0.8)
        Support.expectClose(a, [0.21712, 0.246, 0.3], tolerance: 1e-6)
        Support.expectClose(ret, [0.71712, 0.846, 1.0], tolerance: 1e-6)
        // the same sequence right-padded to 5 columns, beside a second sequence of length 2 (r = [0, 2], V = [1, 1]):
        // γλ = 0.72 → δ = [0 + 0.9 − 1, 2 − 1] = [−0.1, 1]; A = [−0.1 + 0.72, 1] = [0.62, 1]
        let mask: [Float] = [1, 1, 1, 0, 0, 1, 1, 0, 0, 0]
        let (batch, batchReturns) = Advantages.gae(rewards: [0, 0, 1, 0, 0, 0, 2, 0, 0, 0],
                                                   values: [0.5, 0.6, 0.7, 9, 9, 1, 1, 9, 9, 9],
                                                   mask: mask, columns: 5, gamma: 0.9, lambda: 0.8)
        Support.expectClose(batch, [0.21712, 0.246, 0.3, 0, 0, 0.62, 1, 0, 0, 0], tolerance: 1e-6)
        Support.expectClose(batchReturns, [0.71712, 0.846, 1.0, 0, 0, 1.62, 2, 0, 0, 0], tolerance: 1e-6)
        // γ = λ = 1: A_t = Σ_{s≥t} r_s − V_t (Monte-Carlo return minus the value): [1 − 0.5, 1 − 0.6, 1 − 0.7]
        Support.expectClose(Advantages.gae(rewards: [0, 0, 1], values: [0.5, 0.6, 0.7], gamma: 1, lambda: 1).advantages,
                            [0.5, 0.4, 0.3], tolerance: 1e-6)
    }

    @Test func onPolicyDistillationIsNegativeLogRatio() {
        // A = −(lp_s − lp_t): −(−1 + 1.5) = −0.5;  −(−2 + 1) = 1;  masked → 0
        let a = Advantages.onPolicyDistillation(studentLogProbs: [-1, -2, -3], teacherLogProbs: [-1.5, -1, -0.1], mask: [1, 1, 0])
        Support.expectClose(a, [-0.5, 1, 0], tolerance: 1e-6)
    }

    @Test func advantageReweightingAttenuatesLowProbabilityTokens() {
        // α = 0.2: weights 0.2·0.5 + 0.8 = 0.9 and 0.2·0.1 + 0.8 = 0.82 → [0.9·1, 0.82·(−2)] = [0.9, −1.64]
        let a = Advantages.advantageReweighting(advantages: [1, -2], oldLogProbs: [Foundation.log(0.5), Foundation.log(0.1)])
        Support.expectClose(a, [0.9, -1.64], tolerance: 1e-6)
    }

    @Test func broadcastAndWhiten() {
        // [2, −1] over mask [[1 1 0], [1 0 0]] → [2 2 0 −1 0 0]
        let mask: [Float] = [1, 1, 0, 1, 0, 0]
        Support.expectClose(Advantages.broadcast([2, -1], mask: mask, columns: 3), [2, 2, 0, -1, 0, 0], tolerance: 0)
        let g = Graph(recording: false)
        let t = Advantages.broadcast([2, -1], mask: g.constant(mask, Shape(2, 3)))
        #expect(t.shape == Shape(2, 3) && t.scalars == [2, 2, 0, -1, 0, 0])
        // whiten [1, 3] (weights 1): mean 2, unbiased var 2, → [−1/√2, 1/√2]; a zero weight is excluded and returns 0
        Support.expectClose(Advantages.whiten([1, 3, 100], weights: [1, 1, 0]), [-0.7071068, 0.7071068, 0], tolerance: 1e-5)
    }
}

/// Every estimator feeds the vanilla loss −A·lp (GPG's own loss; the others' on-policy loss): its gradient must be
/// −A·m/N by finite differences, for advantages produced by each estimator.
@Suite struct AdvantageGradientTests {
    @Test func everyEstimatorGivesAFiniteDifferenceExactGradient() {
        let rewards: [Float] = [1, 0, 0, 1, 0.5, 0.2, 0.9, 0.3]
        let binary: [Float] = [1, 0, 0, 1, 1, 1, 0, 1]
        let columns = 3
        let mask: [Float] = (0..<(8 * columns)).map { i in (i % columns) < 1 + (i / columns) % 3 ? 1 : 0 }
        let oldLogProbs = Support.randoms(8 * columns, seed: 5, scale: 0.5).map { $0 - 1 }
        let perSequence: [(String, [Float])] = [
            ("REINFORCE", Advantages.reinforce(rewards: rewards, batchMeanBaseline: true)),
            ("RLOO", Advantages.rloo(rewards: rewards, groupSize: 4)),
            ("GRPO", Advantages.grpo(rewards: rewards, groupSize: 4)),
            ("Dr.GRPO", Advantages.drGRPO(rewards: rewards, groupSize: 4)),
            ("batch-normalised", Advantages.batchNormalized(rewards: rewards, groupSize: 4)),
            ("ReMax", Advantages.remax(rewards: rewards, greedyRewards: [0.5, 0.4], groupSize: 4)),
            ("GPG", Advantages.gpg(rewards: rewards, groupSize: 4)),
            ("PSR", Advantages.positiveSampleReinforcement(rewards: binary)),
            ("NSR", Advantages.negativeSampleReinforcement(rewards: binary)),
            ("W-REINFORCE", Advantages.weightedReinforce(rewards: binary)),
            ("RAFT", Advantages.raft(rewards: rewards)),
            ("Reinforce-Rej", Advantages.reinforceRej(rewards: binary, groupSize: 4).advantages),
            ("pass@k", Advantages.passAtK(rewards: rewards, groupSize: 4)),
        ]
        var perToken = perSequence.map { ($0.0, Advantages.broadcast($0.1, mask: mask, columns: columns)) }
        let values = Support.randoms(8 * columns, seed: 6, scale: 0.3)
        let tokenRewards = mask.indices.map { i in (i % columns == 0) ? rewards[i / columns] : 0 }
        perToken.append(("GAE", Advantages.gae(rewards: tokenRewards, values: values, mask: mask, columns: columns).advantages))
        perToken.append(("distillation", Advantages.onPolicyDistillation(studentLogProbs: oldLogProbs,
                                                                        teacherLogProbs: Support.randoms(8 * columns, seed: 7).map { $0 - 1 },
                                                                        mask: mask)))
        perToken.append(("AR", Advantages.advantageReweighting(advantages: perToken[2].1, oldLogProbs: oldLogProbs)))
        let shape = Shape(8, columns), tokens = Float(mask.reduce(0, +))
        for (name, advantages) in perToken {
            let build = { (lp: Tensor) -> Tensor in
                let g = lp.graph
                let inputs = PolicyInputs(logProbs: lp, oldLogProbs: g.constant(oldLogProbs, shape),
                                          advantages: g.constant(advantages, shape), mask: g.constant(mask, shape))
                return PolicyLoss.vanilla(inputs).loss
            }
            Support.expectGradientCheck(name, logProbs: oldLogProbs, shape: shape, build)
            let (_, gradient) = Support.lossAndGradient(logProbs: oldLogProbs, shape: shape, build)
            Support.expectClose(gradient, mask.indices.map { -advantages[$0] * mask[$0] / tokens }, tolerance: 1e-6, name)
        }
    }
}
