import Foundation
import Testing
import Engine
import Objectives

// Preference objectives: values on hand-computed inputs (the arithmetic is in the comments) and finite-difference
// gradients (Float32 central differences, GradientCheck's default tolerances), plus the known traps: DPO = log 2 at
// Δ = 0, IPO on length-averaged log-ratios, SimPO without a reference, ORPO's odds by hand, KTO's detached baseline,
// cDPO / robust DPO = DPO at ε = 0.

/// [N] constant.
private func prefVector(_ g: Graph, _ values: [Float]) -> Tensor { g.constant(values, Shape(values.count)) }

/// |a − b| ≤ tolerance.
private func prefClose(_ a: Float, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { Swift.abs(Double(a) - b) <= tolerance }
private func prefClose(_ a: Double, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { Swift.abs(a - b) <= tolerance }

/// Finite-difference check of a loss built from [N]-vector inputs.
private func prefExpectGradients(_ name: String, _ inputs: [[Float]], step: Float = 1e-2, _ build: @escaping ([Tensor]) -> Tensor) {
    let r = GradientCheck.check(inputs: inputs.map { ($0, Shape($0.count)) }, step: step) { build($0) }
    #expect(r.passes, "\(name): \(r)")
    #expect(r.checked == inputs.reduce(0) { $0 + $1.count })
}

/// The analytic gradient of `build` at `x` (one backward pass).
private func prefAnalyticGradient(_ x: [Float], _ build: (Tensor) -> Tensor) -> [Float] {
    let g = Graph()
    let v = g.variable(x, Shape(x.count))
    g.backward(build(v))
    return v.gradient ?? [Float](repeating: 0, count: x.count)
}

/// Central differences (f(x + h) − f(x − h)) / 2h of a scalar function, per coordinate.
private func prefNumericGradient(_ x: [Float], step h: Float = 1e-2, _ f: ([Float]) -> Float) -> [Float] {
    (0..<x.count).map { i in
        var up = x, down = x
        up[i] += h; down[i] -= h
        return Float((Double(f(up)) - Double(f(down))) / (2 * Double(h)))
    }
}

/// Pairs with the policy log-probs as given tensors and the reference / lengths as constants.
private func prefPairs(_ chosen: Tensor, _ rejected: Tensor, _ referenceChosen: [Float], _ referenceRejected: [Float],
                       chosenLengths: [Float]? = nil, rejectedLengths: [Float]? = nil) -> PreferencePairs {
    let g = chosen.graph
    return PreferencePairs(chosenLogProbs: chosen, rejectedLogProbs: rejected,
                           referenceChosenLogProbs: prefVector(g, referenceChosen),
                           referenceRejectedLogProbs: prefVector(g, referenceRejected),
                           chosenLengths: chosenLengths.map { prefVector(g, $0) },
                           rejectedLengths: rejectedLengths.map { prefVector(g, $0) })
}

@Suite struct PreferenceObjectiveTests {
    // Two pairs used by the DPO family. Log-ratios: chosen lp − ref = [−2 − (−3), −5 − (−4)] = [1, −1];
    // rejected [−4 − (−3), −3 − (−4)] = [−1, 1]; Δ = [2, −2].
    let chosen: [Float] = [-2, -5], rejected: [Float] = [-4, -3]
    let referenceChosen: [Float] = [-3, -4], referenceRejected: [Float] = [-3, -4]

    @Test func dpoIsLogTwoAtZeroMargin() {
        // Δ = (lp_c − ref_c) − (lp_r − ref_r) = (−3 + 4) − (−2 + 3) = 1 − 1 = 0 for pair 0; pair 1 is policy = reference.
        // −log σ(0) = log 2 for every β.
        let g = Graph()
        for beta: Float in [0.1, 0.5, 3] {
            let pairs = prefPairs(prefVector(g, [-3, -6]), prefVector(g, [-2, -8]), [-4, -6], [-3, -8])
            let result = dpoLoss(pairs, beta: beta)
            #expect(prefClose(result.loss.item, Foundation.log(2.0)), "β \(beta): \(result.loss.item)")
            // rewards β·[1, 0] and β·[1, 0]: equal, so margin 0 and no pair "won"
            #expect(prefClose(result.diagnostics.margin, 0) && result.diagnostics.accuracy == 0)
            #expect(prefClose(result.diagnostics.chosenReward, Double(beta) * 0.5))
        }
    }

    @Test func dpoValueAndGradient() {
        // β = 0.5: βΔ = [1, −1]; −log σ(1) = log(1 + e^−1) = 0.3132617, −log σ(−1) = log(1 + e) = 1.3132617;
        // mean = 0.8132617. Rewards β·ratio: chosen [0.5, −0.5], rejected [−0.5, 0.5] → means 0, 0; margin 0; accuracy 1/2.
        let g = Graph()
        let result = dpoLoss(prefPairs(prefVector(g, chosen), prefVector(g, rejected), referenceChosen, referenceRejected), beta: 0.5)
        #expect(prefClose(result.loss.item, 0.8132617))
        #expect(prefClose(result.diagnostics.accuracy, 0.5) && prefClose(result.diagnostics.margin, 0) && prefClose(result.diagnostics.chosenReward, 0))
        // ∂L/∂lp_c,i = −β σ(−βΔ_i) / N: pair 0: −0.5·σ(−1)/2 = −0.25·0.2689414 = −0.0672354; pair 1: −0.25·σ(1) = −0.1827646.
        let grad = prefAnalyticGradient(chosen) { dpoLoss(prefPairs($0, prefVector($0.graph, rejected), referenceChosen, referenceRejected), beta: 0.5).loss }
        #expect(prefClose(grad[0], -0.0672354) && prefClose(grad[1], -0.1827646), "\(grad)")
        prefExpectGradients("dpo", [chosen, rejected]) { t in
            dpoLoss(prefPairs(t[0], t[1], referenceChosen, referenceRejected), beta: 0.5).loss
        }
    }

    @Test func conservativeAndRobustDPOReduceToDPOAtZeroSmoothing() {
        let g = Graph()
        let pairs = prefPairs(prefVector(g, chosen), prefVector(g, rejected), referenceChosen, referenceRejected)
        let dpo = dpoLoss(pairs, beta: 0.5).loss.item
        #expect(conservativeDPOLoss(pairs, beta: 0.5, labelSmoothing: 0).loss.item == dpo)
        #expect(robustDPOLoss(pairs, beta: 0.5, labelSmoothing: 0).loss.item == dpo)
        // and their gradients equal DPO's
        let reference = prefAnalyticGradient(chosen) { dpoLoss(prefPairs($0, prefVector($0.graph, rejected), referenceChosen, referenceRejected), beta: 0.5).loss }
        let conservative = prefAnalyticGradient(chosen) { conservativeDPOLoss(prefPairs($0, prefVector($0.graph, rejected), referenceChosen, referenceRejected), beta: 0.5, labelSmoothing: 0).loss }
        let robust = prefAnalyticGradient(chosen) { robustDPOLoss(prefPairs($0, prefVector($0.graph, rejected), referenceChosen, referenceRejected), beta: 0.5, labelSmoothing: 0).loss }
        #expect(conservative == reference && robust == reference)
    }

    @Test func conservativeAndRobustDPOValuesAndGradients() {
        // One pair, β = 0.5, Δ = 2 (βΔ = 1), ε = 0.1. With a = −log σ(1) = 0.3132617, b = −log σ(−1) = 1.3132617:
        // cDPO   = (1 − ε)·a + ε·b = 0.9·0.3132617 + 0.1·1.3132617 = 0.2819355 + 0.1313262 = 0.4132617
        // robust = [(1 − ε)·a − ε·b] / (1 − 2ε) = (0.2819355 − 0.1313262) / 0.8 = 0.1506094 / 0.8 = 0.1882617
        let g = Graph()
        let pairs = prefPairs(prefVector(g, [-2]), prefVector(g, [-4]), [-3], [-3])
        #expect(prefClose(conservativeDPOLoss(pairs, beta: 0.5, labelSmoothing: 0.1).loss.item, 0.4132617))
        #expect(prefClose(robustDPOLoss(pairs, beta: 0.5, labelSmoothing: 0.1).loss.item, 0.1882617))
        prefExpectGradients("cdpo", [chosen, rejected]) { t in
            conservativeDPOLoss(prefPairs(t[0], t[1], referenceChosen, referenceRejected), beta: 0.5, labelSmoothing: 0.2).loss
        }
        prefExpectGradients("robust dpo", [chosen, rejected]) { t in
            robustDPOLoss(prefPairs(t[0], t[1], referenceChosen, referenceRejected), beta: 0.5, labelSmoothing: 0.2).loss
        }
    }

    @Test func hingeValueAndGradient() {
        // β = 0.5, Δ = [1, 4] (chosen ratios [1, 4], rejected 0): relu(1 − 0.5) = 0.5, relu(1 − 2) = 0; mean 0.25.
        let g = Graph()
        let pairs = prefPairs(prefVector(g, [-1, 0]), prefVector(g, [-3, -3]), [-2, -4], [-3, -3])
        #expect(prefClose(hingePreferenceLoss(pairs, beta: 0.5).loss.item, 0.25))
        // gradient: −β/N = −0.25 on the active pair, 0 on the satisfied one (inputs far from the kink βΔ = 1)
        let grad = prefAnalyticGradient([-1, 0]) { hingePreferenceLoss(prefPairs($0, prefVector($0.graph, [-3, -3]), [-2, -4], [-3, -3]), beta: 0.5).loss }
        #expect(grad == [-0.25, 0])
        prefExpectGradients("hinge", [[-1, 0], [-3, -3]]) { t in
            hingePreferenceLoss(prefPairs(t[0], t[1], [-2, -4], [-3, -3]), beta: 0.5).loss
        }
    }

    @Test func ipoUsesLengthAveragedLogRatios() {
        // β = 0.5 → target 1/(2β) = 1.
        // pair 0: chosen ratio −4 − (−8) = 4 over |y_c| = 4 → 1; rejected ratio 0 over 2 → 0; Δ_avg = 1 → (1 − 1)² = 0.
        // pair 1: chosen ratio 0 over 3 → 0; rejected ratio −2 − (−4) = 2 over 1 → 2; Δ_avg = −2 → (−3)² = 9.
        // IPO = (0 + 9)/2 = 4.5. On SUMMED log-ratios it would be ((4 − 1)² + (−2 − 1)²)/2 = 9: the two differ.
        let g = Graph()
        let pairs = prefPairs(prefVector(g, [-4, -3]), prefVector(g, [-6, -2]), [-8, -3], [-6, -4],
                              chosenLengths: [4, 3], rejectedLengths: [2, 1])
        let result = ipoLoss(pairs, beta: 0.5)
        #expect(prefClose(result.loss.item, 4.5), "\(result.loss.item)")
        #expect(!prefClose(result.loss.item, 9, 1))
        // rewards β·averaged ratio: chosen [0.5, 0] → 0.25; rejected [0, 1] → 0.5
        #expect(prefClose(result.diagnostics.chosenReward, 0.25) && prefClose(result.diagnostics.rejectedReward, 0.5))
        // lengths of 1 everywhere give back the summed version: 9
        let unit = prefPairs(prefVector(g, [-4, -3]), prefVector(g, [-6, -2]), [-8, -3], [-6, -4],
                             chosenLengths: [1, 1], rejectedLengths: [1, 1])
        #expect(prefClose(ipoLoss(unit, beta: 0.5).loss.item, 9))
        prefExpectGradients("ipo", [[-4, -3], [-6, -2]]) { t in
            ipoLoss(prefPairs(t[0], t[1], [-8, -3], [-6, -4], chosenLengths: [4, 3], rejectedLengths: [2, 1]), beta: 0.5).loss
        }
    }

    @Test func simpoIsReferenceFree() {
        // β = 2, γ = 1. pair 0: 2·(−2/4 − (−6/3)) − 1 = 2·1.5 − 1 = 2 → −log σ(2) = log(1 + e^−2) = 0.1269280.
        // pair 1: 2·(−3/2 − (−1/2)) − 1 = −2 − 1 = −3 → −log σ(−3) = log(1 + e³) = 3.0485874. Mean = 1.5877577.
        // (simpoLoss has no reference inputs at all: nothing a reference model does can change it.)
        let g = Graph()
        let result = simpoLoss(chosenLogProbs: prefVector(g, [-2, -3]), rejectedLogProbs: prefVector(g, [-6, -1]),
                               chosenLengths: prefVector(g, [4, 2]), rejectedLengths: prefVector(g, [3, 2]), beta: 2, gamma: 1)
        #expect(prefClose(result.loss.item, 1.5877577))
        // rewards β·lp/|y|: chosen [−1, −3] → −2; rejected [−4, −1] → −2.5; accuracy 1/2
        #expect(prefClose(result.diagnostics.chosenReward, -2) && prefClose(result.diagnostics.rejectedReward, -2.5) && result.diagnostics.accuracy == 0.5)
        // equal averaged log-probs leave only the margin: −log σ(−γ) = log(1 + e) = 1.3132617
        let tie = simpoLoss(chosenLogProbs: prefVector(g, [-4]), rejectedLogProbs: prefVector(g, [-2]),
                            chosenLengths: prefVector(g, [2]), rejectedLengths: prefVector(g, [1]), beta: 2, gamma: 1)
        #expect(prefClose(tie.loss.item, 1.3132617))
        prefExpectGradients("simpo", [[-2, -3], [-6, -1]]) { t in
            simpoLoss(chosenLogProbs: t[0], rejectedLogProbs: t[1], chosenLengths: prefVector(t[0].graph, [4, 2]),
                      rejectedLengths: prefVector(t[0].graph, [3, 2])).loss
        }
    }

    @Test func orpoOddsRatioByHand() {
        // pair 0: mean lp_c = 2·log 0.5 / 2 → P = 0.5, odds 1, log odds 0; mean lp_r = 3·log 0.2 / 3 → P = 0.2,
        //         odds 0.2/0.8 = 0.25, log odds = −log 4. Log odds ratio = log 4; σ(log 4) = 4/5; −log σ = −log 0.8 = 0.2231436.
        // pair 1: mean lp_c = log 0.8 → odds 4, log 4; mean lp_r = 2·log 0.5 / 2 → log odds 0. Ratio log 4 again: 0.2231436.
        // NLL (token mean over chosen tokens) = −(2·log 0.5 + log 0.8) / (2 + 1) = (1.3862944 + 0.2231436)/3 = 0.5364793.
        // L = 0.5364793 + 0.1·0.2231436 = 0.5587937.
        let g = Graph()
        let log = { (x: Double) in Float(Foundation.log(x)) }
        let result = orpoLoss(chosenLogProbs: prefVector(g, [2 * log(0.5), log(0.8)]), rejectedLogProbs: prefVector(g, [3 * log(0.2), 2 * log(0.5)]),
                              chosenLengths: prefVector(g, [2, 1]), rejectedLengths: prefVector(g, [3, 2]), beta: 0.1)
        #expect(prefClose(result.loss.item, 0.5587937), "\(result.loss.item)")
        #expect(prefClose(result.diagnostics.extras["nll_loss"]!, 0.5364793))
        #expect(prefClose(result.diagnostics.extras["log_odds_chosen"]!, Foundation.log(4.0)))
        #expect(prefClose(result.diagnostics.extras["log_odds_ratio"]!, Foundation.log(0.8)))
        prefExpectGradients("orpo", [[-1.4, -0.2], [-4.8, -1.4]], step: 1e-3) { t in
            orpoLoss(chosenLogProbs: t[0], rejectedLogProbs: t[1], chosenLengths: prefVector(t[0].graph, [2, 1]),
                     rejectedLengths: prefVector(t[0].graph, [3, 2])).loss
        }
    }

    @Test func orpoLogOddsAreStableNearCertainty() {
        // mean lp_c = −1e-6: log odds = x − log(1 − eˣ) = −1e-6 − log(1e-6 − 5e-13) = 13.8155106 (Double).
        // Float32 log(1 − exp(x)) gives 13.80, off by 0.013; the stable evaluation is within 1e-4.
        let g = Graph()
        let result = orpoLoss(chosenLogProbs: prefVector(g, [-1e-6]), rejectedLogProbs: prefVector(g, [Float(Foundation.log(0.5))]),
                              chosenLengths: prefVector(g, [1]), rejectedLengths: prefVector(g, [1]))
        #expect(prefClose(result.diagnostics.extras["log_odds_chosen"]!, 13.8155106, 1e-4), "\(result.diagnostics.extras)")
        #expect(result.loss.item.isFinite)
    }

    @Test func ktoValueWithItsBaseline() {
        // β = 0.5, λ_D = 1, λ_U = 2. KL pairs: policy [−3, −5] vs reference [−4, −5] → mean (1 + 0)/2 = 0.5 = z.
        // desirable r = −2 − (−3.5) = 1.5: 1 − σ(0.5·(1.5 − 0.5)) = 1 − σ(0.5) = 1 − 0.6224593 = 0.3775407.
        // undesirable r = −4 − (−3.5) = −0.5: 2·(1 − σ(0.5·(0.5 + 0.5))) = 2·0.3775407 = 0.7550813.
        // L = (0.3775407 + 0.7550813)/2 = 0.5663110.
        let g = Graph()
        let result = ktoLoss(logProbs: prefVector(g, [-2, -4]), referenceLogProbs: prefVector(g, [-3.5, -3.5]), desirable: [true, false],
                             klLogProbs: prefVector(g, [-3, -5]), referenceKLLogProbs: prefVector(g, [-4, -5]),
                             beta: 0.5, desirableWeight: 1, undesirableWeight: 2)
        #expect(prefClose(result.loss.item, 0.5663110))
        #expect(prefClose(result.diagnostics.extras["kl"]!, 0.5))
        // rewards β·r: desirable 0.75, undesirable −0.25
        #expect(prefClose(result.diagnostics.chosenReward, 0.75) && prefClose(result.diagnostics.rejectedReward, -0.25))
        // a negative KL estimate is clamped: mean(−1, −2) < 0 → z = 0;
        // desirable 1 − σ(0.75) = 0.3208213, undesirable 2·(1 − σ(0.25)) = 2·0.4378235 = 0.8756470; mean 0.5982342.
        let clamped = ktoLoss(logProbs: prefVector(g, [-2, -4]), referenceLogProbs: prefVector(g, [-3.5, -3.5]), desirable: [true, false],
                              klLogProbs: prefVector(g, [-5, -6]), referenceKLLogProbs: prefVector(g, [-4, -4]),
                              beta: 0.5, desirableWeight: 1, undesirableWeight: 2)
        #expect(prefClose(clamped.diagnostics.extras["kl"]!, 0) && prefClose(clamped.loss.item, 0.5982342))
        prefExpectGradients("kto", [[-2, -4, -1, -5]]) { t in
            ktoLoss(logProbs: t[0], referenceLogProbs: prefVector(t[0].graph, [-3.5, -3.5, -2, -4]), desirable: [true, false, true, false],
                    klLogProbs: prefVector(t[0].graph, [-3, -5]), referenceKLLogProbs: prefVector(t[0].graph, [-4, -5]), beta: 0.5).loss
        }
    }

    @Test func ktoBaselineIsDetached() {
        // Here the KL completions are the same differentiable log-probs as the trained ones, so z depends on x.
        // The analytic gradient must equal the finite differences of the loss with z FROZEN at its value (no gradient
        // through z), and must differ from the finite differences of the loss where z moves with x.
        let x: [Float] = [-2, -4, -1]
        let reference: [Float] = [-3.5, -3.5, -3]
        let desirable = [true, false, true]
        let full: (Tensor) -> Tensor = { t in
            ktoLoss(logProbs: t, referenceLogProbs: prefVector(t.graph, reference), desirable: desirable,
                    klLogProbs: t, referenceKLLogProbs: prefVector(t.graph, reference), beta: 0.5).loss
        }
        // z at x: mean(1.5, −0.5, 2) = 1 > 0
        let g = Graph()
        let z = Float(ktoLoss(logProbs: prefVector(g, x), referenceLogProbs: prefVector(g, reference), desirable: desirable,
                              klLogProbs: prefVector(g, x), referenceKLLogProbs: prefVector(g, reference)).diagnostics.extras["kl"]!)
        #expect(prefClose(z, 1))
        let analytic = prefAnalyticGradient(x, full)
        let frozen = prefNumericGradient(x) { v in
            let g = Graph(recording: false)
            return ktoLoss(logProbs: prefVector(g, v), referenceLogProbs: prefVector(g, reference), desirable: desirable,
                           klBaseline: z, beta: 0.5).loss.item
        }
        let moving = prefNumericGradient(x) { v in full(prefVector(Graph(recording: false), v)).item }
        for i in 0..<x.count { #expect(prefClose(analytic[i], Double(frozen[i]), 2e-3), "\(i): \(analytic) vs frozen-z \(frozen)") }
        #expect(zip(analytic, moving).contains { Swift.abs($0 - $1) > 1e-2 }, "z should matter: \(analytic) vs \(moving)")
    }

    @Test func ktoMismatchedPairingShiftsByOne() {
        #expect(ktoMismatchedCompletionIndices(count: 4) == [3, 0, 1, 2])
    }

    @Test func bradleyTerryValueAndGradient() {
        // r_c − r_r = [2 − 1, 0 − 1] = [1, −1] → (0.3132617 + 1.3132617)/2 = 0.8132617; accuracy 1/2, margin 0.
        // centring c = 0.1: mean((2 + 1)², (0 + 1)²) = (9 + 1)/2 = 5 → + 0.5 = 1.3132617.
        let g = Graph()
        let result = bradleyTerryLoss(chosenRewards: prefVector(g, [2, 0]), rejectedRewards: prefVector(g, [1, 1]))
        #expect(prefClose(result.loss.item, 0.8132617) && result.diagnostics.accuracy == 0.5 && prefClose(result.diagnostics.margin, 0))
        let centred = bradleyTerryLoss(chosenRewards: prefVector(g, [2, 0]), rejectedRewards: prefVector(g, [1, 1]), centerRewardsCoefficient: 0.1)
        #expect(prefClose(centred.loss.item, 1.3132617))
        prefExpectGradients("bradley-terry", [[2, 0, 0.5], [1, 1, -0.3]]) { t in
            bradleyTerryLoss(chosenRewards: t[0], rejectedRewards: t[1], centerRewardsCoefficient: 0.1).loss
        }
    }

    @Test func pairsFromTokensSumOverTheMask() {
        // chosen tokens [−1, −2, −7] with mask [1, 1, 0] → −3, length 2; rejected [−0.5, −0.5, −0.5] all kept → −1.5, length 3.
        let g = Graph()
        let chosenTokens = g.constant([-1, -2, -7], Shape(1, 3)), chosenMask = g.constant([1, 1, 0], Shape(1, 3))
        let rejectedTokens = g.constant([-0.5, -0.5, -0.5], Shape(1, 3)), rejectedMask = g.constant([1, 1, 1], Shape(1, 3))
        let pairs = PreferencePairs(chosenTokenLogProbs: chosenTokens, chosenMask: chosenMask, rejectedTokenLogProbs: rejectedTokens,
                                    rejectedMask: rejectedMask, referenceChosenTokenLogProbs: chosenTokens, referenceRejectedTokenLogProbs: rejectedTokens)
        #expect(pairs.chosenLogProbs.scalars == [-3] && pairs.rejectedLogProbs.scalars == [-1.5])
        #expect(pairs.chosenLengths!.scalars == [2] && pairs.rejectedLengths!.scalars == [3])
    }
}
