import Foundation
import Testing
import Engine
import Models
import Objectives

// SFT and its variants: hand-computed values, finite-difference gradients (for the stop-gradient weights of DFT and
// CHORD-φ: against finite differences of the loss with the weights frozen at the evaluation point), and the
// selection / conditioning helpers on hand examples.

private func supClose(_ a: Float, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { Swift.abs(Double(a) - b) <= tolerance }

private func supExpectGradients(_ name: String, _ inputs: [(values: [Float], shape: Shape)], step: Float = 1e-2,
                                _ build: @escaping ([Tensor]) -> Tensor) {
    let r = GradientCheck.check(inputs: inputs, step: step) { build($0) }
    #expect(r.passes, "\(name): \(r)")
}

private func supAnalyticGradient(_ x: [Float], _ shape: Shape, _ build: (Tensor) -> Tensor) -> [Float] {
    let g = Graph()
    let v = g.variable(x, shape)
    g.backward(build(v))
    return v.gradient ?? [Float](repeating: 0, count: x.count)
}

private func supNumericGradient(_ x: [Float], step h: Float = 1e-2, _ f: ([Float]) -> Float) -> [Float] {
    (0..<x.count).map { i in
        var up = x, down = x
        up[i] += h; down[i] -= h
        return Float((Double(f(up)) - Double(f(down))) / (2 * Double(h)))
    }
}

private let ln = { (x: Double) in Float(Foundation.log(x)) }

@Suite struct SupervisedObjectiveTests {
    @Test func sftIsMaskedMeanCrossEntropy() {
        // lp [[−1, −2, −9], [−3, −4, −5]], mask [[1, 1, 0], [1, 0, 0]]: (1 + 2 + 3)/3 = 2; gradient −1/3 on kept tokens.
        let lp: [Float] = [-1, -2, -9, -3, -4, -5], mask: [Float] = [1, 1, 0, 1, 0, 0]
        let g = Graph()
        #expect(supClose(sftLoss(logProbs: g.constant(lp, Shape(2, 3)), mask: g.constant(mask, Shape(2, 3))).item, 2))
        // sequence mean of token means: (1.5 + 3)/2 = 2.25
        #expect(supClose(sftLoss(logProbs: g.constant(lp, Shape(2, 3)), mask: g.constant(mask, Shape(2, 3)), aggregation: .sequenceMeanOfTokenMeans).item, 2.25))
        let grad = supAnalyticGradient(lp, Shape(2, 3)) { sftLoss(logProbs: $0, mask: $0.graph.constant(mask, Shape(2, 3))) }
        #expect(zip(grad, mask).allSatisfy { supClose($0, -Double($1) / 3) })
        supExpectGradients("sft", [(lp, Shape(2, 3))]) { sftLoss(logProbs: $0[0], mask: $0[0].graph.constant(mask, Shape(2, 3))) }
    }

    @Test func softTargetSFT() {
        // position 0: logits [0, 0] → p = [0.5, 0.5], q = [0.75, 0.25]: −(0.75 + 0.25)·log 0.5 = log 2 = 0.6931472.
        // position 1: logits [log 3, 0] → p = [0.75, 0.25], q = [1, 0]: −log 0.75 = 0.2876821.
        // position 2 masked. Mean = (0.6931472 + 0.2876821)/2 = 0.4904146.
        let logits: [Float] = [0, 0, ln(3), 0, 4, -4], q: [Float] = [0.75, 0.25, 1, 0, 0, 1]
        let g = Graph()
        let loss = softTargetSFTLoss(logits: g.constant(logits, Shape(1, 3, 2)), targetDistribution: g.constant(q, Shape(1, 3, 2)),
                                     mask: g.constant([1, 1, 0], Shape(1, 3)))
        #expect(supClose(loss.item, 0.4904146))
        supExpectGradients("soft-target sft", [(logits, Shape(1, 3, 2))]) { x in
            softTargetSFTLoss(logits: x[0], targetDistribution: x[0].graph.constant(q, Shape(1, 3, 2)), mask: x[0].graph.constant([1, 1, 0], Shape(1, 3)))
        }
    }

    @Test func dftWeightIsDetached() {
        // lp = [log 0.5, log 0.25]: −0.5·log 0.5 = 0.3465736 and −0.25·log 0.25 = 0.3465736; mean 0.3465736.
        // Gradient with sg(p): −p/N = [−0.25, −0.125]. Without the stop-gradient it would be −p(1 + lp)/N =
        // [−0.5·0.3068528/2, −0.25·(−0.3862944)/2] = [−0.0767132, 0.0482868].
        let lp = [ln(0.5), ln(0.25)], mask: [Float] = [1, 1]
        let g = Graph()
        #expect(supClose(dftLoss(logProbs: g.constant(lp, Shape(1, 2)), mask: g.constant(mask, Shape(1, 2))).item, 0.3465736))
        let dft: (Tensor) -> Tensor = { dftLoss(logProbs: $0, mask: $0.graph.constant(mask, Shape(1, 2))) }
        let analytic = supAnalyticGradient(lp, Shape(1, 2), dft)
        #expect(supClose(analytic[0], -0.25) && supClose(analytic[1], -0.125), "\(analytic)")
        // finite differences of the loss with the weight FROZEN at p(lp) agree; of the loss itself they do not
        let frozen = supNumericGradient(lp) { v in
            let g = Graph(recording: false)
            let weight = g.constant(lp.map { Foundation.exp($0) }, Shape(1, 2))
            return (-(weight * g.constant(v, Shape(1, 2)))).mean().item
        }
        let moving = supNumericGradient(lp) { v in dft(Graph(recording: false).constant(v, Shape(1, 2))).item }
        #expect(zip(analytic, frozen).allSatisfy { Swift.abs($0 - $1) < 2e-3 }, "\(analytic) vs \(frozen)")
        #expect(supClose(moving[0], -0.0767132, 1e-3) && supClose(moving[1], 0.0482868, 1e-3), "\(moving)")
    }

    @Test func chordMixesRLAndPhiWeightedSFT() {
        // μ = 0.25, policy-gradient loss 0.4, expert lp = [log 0.5, log 0.25], all kept.
        // φ = p(1 − p) = [0.25, 0.1875]; SFT-φ = (0.25·0.6931472 + 0.1875·1.3862944)/2 = (0.1732868 + 0.2599302)/2 = 0.2166085.
        // L = 0.75·0.4 + 0.25·0.2166085 = 0.3 + 0.0541521 = 0.3541521.
        // Without φ: SFT = (0.6931472 + 1.3862944)/2 = 1.0397208 → L = 0.3 + 0.2599302 = 0.5599302.
        let lp = [ln(0.5), ln(0.25)]
        let g = Graph()
        let pg = g.scalar(0.4), expert = g.constant(lp, Shape(1, 2)), mask = g.constant([1, 1], Shape(1, 2))
        #expect(supClose(chordLoss(policyGradientLoss: pg, expertLogProbs: expert, expertMask: mask, mu: 0.25).item, 0.3541521))
        #expect(supClose(chordLoss(policyGradientLoss: pg, expertLogProbs: expert, expertMask: mask, mu: 0.25, useTokenWeights: false).item, 0.5599302))
        // gradients: ∂L/∂pg = 1 − μ = 0.75; ∂L/∂lp = −μ·φ/N = −0.25·[0.25, 0.1875]/2 = [−0.03125, −0.0234375] (φ detached)
        let pgGradient = supAnalyticGradient([0.4], Shape()) { chordLoss(policyGradientLoss: $0, expertLogProbs: $0.graph.constant(lp, Shape(1, 2)),
                                                                         expertMask: $0.graph.constant([1, 1], Shape(1, 2)), mu: 0.25) }
        #expect(supClose(pgGradient[0], 0.75))
        let chord: (Tensor) -> Tensor = { chordLoss(policyGradientLoss: $0.graph.scalar(0.4), expertLogProbs: $0, expertMask: $0.graph.constant([1, 1], Shape(1, 2)), mu: 0.25) }
        let analytic = supAnalyticGradient(lp, Shape(1, 2), chord)
        #expect(supClose(analytic[0], -0.03125) && supClose(analytic[1], -0.0234375), "\(analytic)")
        let frozen = supNumericGradient(lp) { v in
            let g = Graph(recording: false)
            let phi = g.constant(lp.map { Foundation.exp($0) * (1 - Foundation.exp($0)) }, Shape(1, 2))
            return (0.75 * 0.4 + 0.25 * (-(phi * g.constant(v, Shape(1, 2)))).mean().item)
        }
        #expect(zip(analytic, frozen).allSatisfy { Swift.abs($0 - $1) < 2e-3 }, "\(analytic) vs \(frozen)")
        supExpectGradients("chord without φ", [([0.4], Shape()), (lp, Shape(1, 2))]) { x in
            chordLoss(policyGradientLoss: x[0], expertLogProbs: x[1], expertMask: x[1].graph.constant([1, 1], Shape(1, 2)), mu: 0.3, useTokenWeights: false)
        }
    }

    @Test func chordMuScheduleWarmsUpAndDecays() {
        // warm-up 10 steps to 0.9, cosine decay over 100 steps to 0.05:
        // step 5 → 0.45; step 10 → 0.9; step 60 → cos(π/2) = 0 → 0.85·0.5 + 0.05 = 0.475; step 110 → 0.05.
        #expect(supClose(Objectives.chordMuSchedule(step: 5, warmupSteps: 10, decaySteps: 100, peak: 0.9, valley: 0.05), 0.45))
        #expect(supClose(Objectives.chordMuSchedule(step: 10, warmupSteps: 10, decaySteps: 100, peak: 0.9, valley: 0.05), 0.9))
        #expect(supClose(Objectives.chordMuSchedule(step: 60, warmupSteps: 10, decaySteps: 100, peak: 0.9, valley: 0.05), 0.475))
        #expect(supClose(Objectives.chordMuSchedule(step: 110, warmupSteps: 10, decaySteps: 100, peak: 0.9, valley: 0.05), 0.05))
        #expect(Objectives.chordMuSchedule(step: 1234) == 0.1)
    }

    @Test func binaryFeedMETrainsOnGoodSamplesOnly() {
        // rows judged [good, bad, good]; lp rows [−1, −2], [−10, −10], [−3, (masked −8)]: (1 + 2 + 3)/3 = 2.
        let lp: [Float] = [-1, -2, -10, -10, -3, -8], mask: [Float] = [1, 1, 1, 1, 1, 0]
        let g = Graph()
        #expect(supClose(binaryFeedMELoss(logProbs: g.constant(lp, Shape(3, 2)), mask: g.constant(mask, Shape(3, 2)), judgedGood: [true, false, true]).item, 2))
        #expect(binaryFeedMESelection(judgements: [true, false, true]) == [0, 2])
        supExpectGradients("binary feedme", [(lp, Shape(3, 2))]) { x in
            binaryFeedMELoss(logProbs: x[0], mask: x[0].graph.constant(mask, Shape(3, 2)), judgedGood: [true, false, true])
        }
    }

    @Test func rejectionSamplingKeepsDistinctCorrectSamples() {
        // groups of 3: [1, 0, 1 (same text as #0)] [1, 0, 1] → correct: 0, 2, 3, 5; distinct per group: 0, 3, 5
        // (#3 repeats #0's text but in another group, so it stays).
        let rewards: [Double] = [1, 0, 1, 1, 0, 1]
        let responses: [[Int32]] = [[1, 2], [3], [1, 2], [1, 2], [5], [7]]
        #expect(rejectionSamplingSelection(rewards: rewards) == [0, 2, 3, 5])
        #expect(rejectionSamplingSelection(rewards: rewards, groupSize: 3, responses: responses) == [0, 3, 5])
        #expect(rejectionSamplingSelection(rewards: [0.2, 0.7, 0.9], threshold: 0.5) == [1, 2])
    }

    @Test func bestOfNAndExpertIteration() {
        // groups [0.1, 0.9, 0.5] → #1; [0.3, 0.3, 0.2] → #3 (tie: the first).
        let rewards: [Double] = [0.1, 0.9, 0.5, 0.3, 0.3, 0.2]
        #expect(bestOfNSelection(rewards: rewards, groupSize: 3) == [1, 3])
        #expect(expertIterationSelection(rewards: rewards, groupSize: 3) == [1, 3])
        #expect(expertIterationSelection(rewards: rewards, groupSize: 3, minimumReward: 0.5) == [1])
        #expect(bestOfNSelection(rewards: rewards, groupSize: 1) == [0, 1, 2, 3, 4, 5])
    }

    @Test func rewardConditioningBuckets() {
        // boundaries [0, 0.5] → buckets (−∞, 0), [0, 0.5), [0.5, ∞) with tokens 100, 101, 102.
        let conditioning = RewardConditioning(boundaries: [0, 0.5], tokens: [100, 101, 102])
        #expect([-1, 0, 0.49, 0.5, 3].map { conditioning.bucket(for: $0) } == [0, 1, 1, 2, 2])
        #expect(conditioning.conditionedPrompt([5, 6], reward: 0.7) == [102, 5, 6])
        #expect(conditioning.conditionedPrompt([5, 6], reward: -0.2) == [100, 5, 6])
        #expect(conditioning.bestToken == 102 && prefixControlToken(7, to: [1]) == [7, 1])
    }

    @Test func quarkQuantilesFollowQuarkDataPool() {
        // rewards [0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.9], K = 3. Sorted high → low (ties keep pool order):
        // #1 0.9, #6 0.9, #4 0.7, #3 0.5, #0 0.3, #5 0.2, #2 0.1. Chunks of ⌊7/3⌋ = 2, remainder to the last:
        // quantile 0 = {#1, #6}, 1 = {#4, #3}, 2 = {#0, #5, #2}.
        #expect(quarkQuantiles(rewards: [0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.9], quantileCount: 3) == [2, 0, 2, 1, 1, 2, 0])
        #expect(quarkQuantiles(rewards: [1, 2], quantileCount: 5) == [4, 4])      // fewer samples than quantiles: all last
    }

    @Test func quarkLossByHand() {
        // One token, V = 2: logits [0, 0] (π_θ = [0.5, 0.5]), target 0, reference logits [log 3, 0] (π_ref = [0.75, 0.25]).
        // NLL = log 2 = 0.6931472; KL(π_θ ‖ π_ref) = 0.5·log(2/3) + 0.5·log 2 = 0.1438410; H = log 2.
        // ℓ = 0.6931472 + 0.05·0.1438410 − 0.06·0.6931472 = 0.6931472 + 0.0071921 − 0.0415888 = 0.6587504.
        let g = Graph()
        let loss = quarkLoss(logits: g.constant([0, 0, 3, 1], Shape(1, 2, 2)), targets: [0, -1], referenceLogits: g.constant([ln(3), 0, 0, 0], Shape(1, 2, 2)),
                             mask: g.constant([1, 0], Shape(1, 2)))
        #expect(supClose(loss.item, 0.6587504))
        supExpectGradients("quark", [(Array([0.3, -0.2, 1, 0.5, -1, 0.1, 0, 0.7, 0.2, -0.6, 0.4, 0.9] as [Float]), Shape(2, 2, 3))]) { x in
            let g = x[0].graph
            return quarkLoss(logits: x[0], targets: [0, 2, 1, 1], referenceLogits: g.constant([0, 1, -1, 0.5, 0.5, 0, 1, 1, 1, -2, 0, 2], Shape(2, 2, 3)),
                             mask: g.constant([1, 1, 1, 0], Shape(2, 2)), klCoefficient: 0.5, entropyCoefficient: 0.3)
        }
    }
}

@Suite struct SupervisedSequenceTests {
    @Test func batchPredictsTargetTokensOnly() {
        // prompt [7, 8], target [9, 1]; a shorter second sequence is right-padded with `pad`
        let b = SupervisedBatch([SupervisedSequence(prompt: [7, 8], target: [9, 1]), SupervisedSequence(prompt: [7], target: [1])], pad: 3)
        #expect(b.inputs == [7, 8, 9, 7, 1, 3])
        #expect(b.targets == [-1, 9, 1, 1, -1, -1])
        #expect(b.targetCount == 3)
        var packed = SupervisedSequence(prompt: [7], target: [1])
        packed.append(prompt: [8], target: [2, 1])
        #expect(packed.tokens == [7, 1, 8, 2, 1] && packed.trained == [false, true, false, true, true])
    }

    @Test func microBatchedLossIsTheMeanOverAllTrainedTokens() {
        var rng = RandomStream(seed: 4)
        let model = Transformer(TransformerConfig(vocabularySize: 6, contextLength: 8, modelWidth: 16, layers: 1, heads: 2), rng: &rng)
        let sequences = [SupervisedSequence(prompt: [2, 3], target: [4, 1]), SupervisedSequence(prompt: [5], target: [1]),
                         SupervisedSequence(prompt: [2, 2, 3], target: [5, 4, 1])]
        let g = Graph(recording: false)
        let whole = SupervisedBatch.loss(sequences, model: model, graph: g, microBatch: 8).item
        // the same mean by hand: per-sequence summed losses over the total trained-token count (6)
        let summed = sequences.map { SupervisedBatch([$0]).summedLoss(model, graph: g).item }.reduce(0, +)
        #expect(Swift.abs(whole - summed / 6) < 1e-5)
        #expect(Swift.abs(SupervisedBatch.loss(sequences, model: model, graph: g, microBatch: 1).item - whole) < 1e-5)
    }
}
