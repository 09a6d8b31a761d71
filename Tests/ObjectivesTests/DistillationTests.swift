import Foundation
import Testing
import Engine
import Objectives

// Distillation objectives: hand-computed values on a two-token vocabulary, finite-difference gradients, and the
// generalised JSD's endpoints (β = 0 → forward KL, β = 1 → reverse KL, as GKD's code defines them).
//
// Hand distributions (V = 2): student logits [0, 0] → Q = [0.5, 0.5]; teacher logits [log 3, 0] → P = [0.75, 0.25].
//   KL(P ‖ Q) = 0.75·log(0.75/0.5) + 0.25·log(0.25/0.5) = 0.75·0.4054651 − 0.25·0.6931472 = 0.3040988 − 0.1732868 = 0.1308120
//   KL(Q ‖ P) = 0.5·log(0.5/0.75) + 0.5·log(0.5/0.25) = −0.2027326 + 0.3465736 = 0.1438410
//   M (β = 0.5) = [0.625, 0.375]
//   KL(P ‖ M) = 0.75·log(1.2) + 0.25·log(2/3) = 0.1367412 − 0.1013663 = 0.0353749
//   KL(Q ‖ M) = 0.5·log(0.8) + 0.5·log(4/3) = −0.1115718 + 0.1438410 = 0.0322693
//   JSD_0.5 = 0.5·(0.0353749 + 0.0322693) = 0.0338221

private func distillClose(_ a: Float, _ b: Double, _ tolerance: Double = 1e-5) -> Bool { Swift.abs(Double(a) - b) <= tolerance }

/// A shaped input for GradientCheck.
private func distillInput(_ values: [Float], _ dims: Int...) -> (values: [Float], shape: Shape) { (values, Shape(dims)) }

private func distillExpectGradients(_ name: String, _ inputs: [(values: [Float], shape: Shape)], step: Float = 1e-2,
                                    _ build: @escaping ([Tensor]) -> Tensor) {
    let r = GradientCheck.check(inputs: inputs, step: step) { build($0) }
    #expect(r.passes, "\(name): \(r)")
}

/// Fixed pseudo-random values (SplitMix64 via the engine's RandomStream), scaled.
func distillRandoms(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var r = RandomStream(seed: seed)
    return (0..<n).map { _ in r.normal() * scale }
}

/// The analytic gradient of a scalar built from one shaped input.
private func distillAnalyticGradient(_ x: [Float], _ shape: Shape, _ build: (Tensor) -> Tensor) -> [Float] {
    let g = Graph()
    let v = g.variable(x, shape)
    g.backward(build(v))
    return v.gradient ?? [Float](repeating: 0, count: x.count)
}

@Suite struct DistillationObjectiveTests {
    let ln3 = Float(Foundation.log(3.0))

    /// The hand pair of distributions at one position ([1, 1, 2]) plus a masked-out second position ([1, 2, 2]).
    func handLogits(_ g: Graph) -> (student: Tensor, teacher: Tensor, mask: Tensor) {
        (g.constant([0, 0, 5, -5], Shape(1, 2, 2)), g.constant([ln3, 0, -5, 5], Shape(1, 2, 2)), g.constant([1, 0], Shape(1, 2)))
    }

    @Test func forwardAndReverseKLByHand() {
        let g = Graph()
        let (s, t, m) = handLogits(g)
        // the masked second position (very different distributions) must not count
        #expect(distillClose(forwardKLDistillationLoss(studentLogits: s, teacherLogits: t, mask: m).item, 0.1308120))
        #expect(distillClose(reverseKLDistillationLoss(studentLogits: s, teacherLogits: t, mask: m).item, 0.1438410))
        // temperature 2 divides logits: teacher [log 3 / 2, 0] → P = [√3, 1]/(√3 + 1) = [0.6339746, 0.3660254];
        // KL(P ‖ Q) = 0.6339746·log(1.2679492) + 0.3660254·log(0.7320508) = 0.1505061 − 0.1141653 = 0.0363408
        #expect(distillClose(forwardKLDistillationLoss(studentLogits: s, teacherLogits: t, mask: m, temperature: 2).item, 0.0363408))
    }

    @Test func forwardAndReverseKLGradients() {
        let teacher = distillRandoms(2 * 3 * 4, seed: 2)
        let mask: [Float] = [1, 1, 0, 1, 0, 1]
        distillExpectGradients("forward KL", [distillInput(distillRandoms(24, seed: 1), 2, 3, 4)]) { t in
            let g = t[0].graph
            return forwardKLDistillationLoss(studentLogits: t[0], teacherLogits: g.constant(teacher, Shape(2, 3, 4)), mask: g.constant(mask, Shape(2, 3)))
        }
        distillExpectGradients("reverse KL", [distillInput(distillRandoms(24, seed: 1), 2, 3, 4)]) { t in
            let g = t[0].graph
            return reverseKLDistillationLoss(studentLogits: t[0], teacherLogits: g.constant(teacher, Shape(2, 3, 4)), mask: g.constant(mask, Shape(2, 3)),
                                             temperature: 0.7)
        }
    }

    @Test func generalizedJSDByHand() {
        let g = Graph()
        let (s, t, m) = handLogits(g)
        #expect(distillClose(generalizedJSDLoss(studentLogits: s, teacherLogits: t, mask: m, beta: 0.5).item, 0.0338221))
        distillExpectGradients("JSD β = 0.3", [distillInput(distillRandoms(24, seed: 3), 2, 3, 4)]) { x in
            let g = x[0].graph
            return generalizedJSDLoss(studentLogits: x[0], teacherLogits: g.constant(distillRandoms(24, seed: 4), Shape(2, 3, 4)),
                                      mask: g.constant([1, 1, 1, 0, 1, 1], Shape(2, 3)), beta: 0.3)
        }
    }

    @Test func generalizedJSDEndpointsAreForwardAndReverseKL() {
        // β = 0 is KL(teacher ‖ student), β = 1 is KL(student ‖ teacher): by value and by gradient.
        let g = Graph()
        let (s, t, m) = handLogits(g)
        #expect(distillClose(generalizedJSDLoss(studentLogits: s, teacherLogits: t, mask: m, beta: 0).item, 0.1308120))
        #expect(distillClose(generalizedJSDLoss(studentLogits: s, teacherLogits: t, mask: m, beta: 1).item, 0.1438410))

        let student = distillRandoms(24, seed: 5), teacher = distillRandoms(24, seed: 6, scale: 2)
        let shape = Shape(2, 3, 4), mask: [Float] = [1, 1, 0, 1, 1, 1]
        func gradient(_ loss: @escaping (Tensor, Tensor, Tensor) -> Tensor) -> [Float] {
            distillAnalyticGradient(student, shape) { x in loss(x, x.graph.constant(teacher, shape), x.graph.constant(mask, Shape(2, 3))) }
        }
        let forward = gradient { forwardKLDistillationLoss(studentLogits: $0, teacherLogits: $1, mask: $2) }
        let reverse = gradient { reverseKLDistillationLoss(studentLogits: $0, teacherLogits: $1, mask: $2) }
        let jsd0 = gradient { generalizedJSDLoss(studentLogits: $0, teacherLogits: $1, mask: $2, beta: 0) }
        let jsd1 = gradient { generalizedJSDLoss(studentLogits: $0, teacherLogits: $1, mask: $2, beta: 1) }
        #expect(zip(jsd0, forward).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        #expect(zip(jsd1, reverse).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        #expect(zip(forward, reverse).contains { Swift.abs($0 - $1) > 1e-3 })   // the two directions do differ here

        // They are also the limits of the β-formula itself, normalised: JSD_β/β → KL(P‖Q) as β → 0 and
        // JSD_β/(1 − β) → KL(Q‖P) as β → 1 (the unnormalised JSD_β vanishes at both ends).
        // (The gap is of order (1 − β)·χ²(Q‖P) resp. β·χ²(P‖Q), so this uses a milder teacher than above.)
        let gv = Graph(recording: false)
        let sv = gv.constant(student, shape), tv = gv.constant(distillRandoms(24, seed: 6), shape), mv = gv.constant(mask, Shape(2, 3))
        let forwardValue = Double(forwardKLDistillationLoss(studentLogits: sv, teacherLogits: tv, mask: mv).item)
        let reverseValue = Double(reverseKLDistillationLoss(studentLogits: sv, teacherLogits: tv, mask: mv).item)
        let nearZero = Double(generalizedJSDLoss(studentLogits: sv, teacherLogits: tv, mask: mv, beta: 1e-4).item) / 1e-4
        let nearOne = Double(generalizedJSDLoss(studentLogits: sv, teacherLogits: tv, mask: mv, beta: 1 - 1e-4).item) / 1e-4
        #expect(Swift.abs(nearZero - forwardValue) < 1e-3 * forwardValue, "\(nearZero) vs \(forwardValue)")
        #expect(Swift.abs(nearOne - reverseValue) < 1e-3 * reverseValue, "\(nearOne) vs \(reverseValue)")
    }

    @Test func forwardKLOnTeacherSamplesIsSFT() {
        // student lp of teacher samples [−1, −2 | −0.5, (−9 masked)], teacher lp [−0.5, −1 | −0.5, −1]:
        // value with the teacher = mean(−0.5 + 1, −1 + 2, −0.5 + 0.5) = (0.5 + 1 + 0)/3 = 0.5; without = (1 + 2 + 0.5)/3 = 7/6.
        // The gradient is −1/3 on each kept token either way.
        let g = Graph()
        let lp = g.constant([-1, -2, -0.5, -9], Shape(2, 2)), mask = g.constant([1, 1, 1, 0], Shape(2, 2))
        let teacher = g.constant([-0.5, -1, -0.5, -1], Shape(2, 2))
        #expect(distillClose(forwardKLDistillationLoss(logProbs: lp, mask: mask, teacherLogProbs: teacher).item, 0.5))
        #expect(distillClose(forwardKLDistillationLoss(logProbs: lp, mask: mask).item, 7.0 / 6))
        let grad = distillAnalyticGradient([-1, -2, -0.5, -9], Shape(2, 2)) { x in
            forwardKLDistillationLoss(logProbs: x, mask: x.graph.constant([1, 1, 1, 0], Shape(2, 2)),
                                      teacherLogProbs: x.graph.constant([-0.5, -1, -0.5, -1], Shape(2, 2)))
        }
        #expect(zip(grad, [-1.0 / 3, -1.0 / 3, -1.0 / 3, 0]).allSatisfy { distillClose($0, $1) })
        distillExpectGradients("forward KL on samples", [distillInput([-1, -2, -0.5, -9], 2, 2)]) { x in
            forwardKLDistillationLoss(logProbs: x[0], mask: x[0].graph.constant([1, 1, 1, 0], Shape(2, 2)),
                                      teacherLogProbs: x[0].graph.constant([-0.5, -1, -0.5, -1], Shape(2, 2)))
        }
    }

    @Test func onPolicyDistillationByHand() {
        // One row, mask [1, 1, 0]. Sampler lp [−1, −2, −3], teacher lp [−1.5, −1, −9].
        // A = −(lp_old − lp_T) = [−(−1 + 1.5), −(−2 + 1), 0] = [−0.5, 1, 0].
        // On-policy ρ = 1: ℓ = −A = [0.5, −1]; token mean = −0.25. Gradient −ρA/2 = [0.25, −0.5, 0].
        // teacher reverse KL = mean(0.5, −1) = −0.25.
        let g = Graph()
        let old = g.constant([-1, -2, -3], Shape(1, 3)), teacher = g.constant([-1.5, -1, -9], Shape(1, 3)), mask = g.constant([1, 1, 0], Shape(1, 3))
        let result = onPolicyDistillationLoss(logProbs: old, samplingLogProbs: old, teacherLogProbs: teacher, mask: mask)
        #expect(distillClose(result.loss.item, -0.25) && result.advantages == [-0.5, 1, 0])
        #expect(distillClose(Float(result.teacherReverseKL), -0.25) && distillClose(Float(result.diagnostics.meanRatio), 1))
        let grad = distillAnalyticGradient([-1, -2, -3], Shape(1, 3)) { x in
            onPolicyDistillationLoss(logProbs: x, samplingLogProbs: x.graph.constant([-1, -2, -3], Shape(1, 3)),
                                     teacherLogProbs: x.graph.constant([-1.5, -1, -9], Shape(1, 3)), mask: x.graph.constant([1, 1, 0], Shape(1, 3))).loss
        }
        #expect(zip(grad, [0.25, -0.5, 0]).allSatisfy { distillClose($0, $1) }, "\(grad)")
        // Off-policy, lp_0 = lp_old,0 + log 2 → ρ_0 = 2: ℓ = [−2·(−0.5), −1] → mean 0.
        let shifted = g.constant([-1 + Float(Foundation.log(2.0)), -2, -3], Shape(1, 3))
        #expect(distillClose(onPolicyDistillationLoss(logProbs: shifted, samplingLogProbs: old, teacherLogProbs: teacher, mask: mask).loss.item, 0))
        // γ = 0.5: A_1 = 1 + 0.5·0 = 1, A_0 = −0.5 + 0.5·1 = 0; with task advantages [1, 1, 1] added: [1, 2, 1].
        let discounted = onPolicyDistillationLoss(logProbs: old, samplingLogProbs: old, teacherLogProbs: teacher, mask: mask, discountFactor: 0.5)
        #expect(discounted.advantages == [0, 1, 0])
        let withTask = onPolicyDistillationLoss(logProbs: old, samplingLogProbs: old, teacherLogProbs: teacher, mask: mask,
                                                taskAdvantages: g.constant([1, 1, 1], Shape(1, 3)), discountFactor: 0.5)
        #expect(withTask.advantages == [1, 2, 1])
        distillExpectGradients("on-policy distillation", [distillInput([-0.7, -2.2, -3, -1.1, -0.4, -2], 2, 3)]) { x in
            let g = x[0].graph
            return onPolicyDistillationLoss(logProbs: x[0], samplingLogProbs: g.constant([-1, -2, -3, -1, -0.5, -2], Shape(2, 3)),
                                            teacherLogProbs: g.constant([-1.5, -1, -9, -0.2, -3, -1], Shape(2, 3)),
                                            mask: g.constant([1, 1, 0, 1, 1, 1], Shape(2, 3)), discountFactor: 0.9).loss
        }
    }
}
