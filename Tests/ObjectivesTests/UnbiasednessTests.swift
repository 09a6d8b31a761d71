import Foundation
import Testing
import Engine
@testable import Objectives

// Unbiasedness of the policy-gradient estimators on a 3-armed softmax bandit, through the engine: logits θ as a graph
// variable, logSoftmax, gatherLast of the sampled arms, the estimator's advantages, PolicyLoss.vanilla, backward.
//
// J(θ) = Σ_a π_a·r_a with π = softmax(θ), so the exact policy gradient is ∂J/∂θ_j = π_j·(r_j − J). Each group of G
// samples gives one gradient estimate ĝ = −∇θ loss; over N groups the Monte-Carlo mean must match its expectation
// within z = 4 standard errors per component, the standard error being the sample standard deviation of the N
// per-group estimates over √N (no hand-tuned tolerance).
//
// Expectations: REINFORCE (A = R) and RLOO (leave-one-out baseline) are unbiased. Dr.GRPO's baseline, the group mean,
// includes the sample itself: E[ĝ] = (G − 1)/G·∇J (the direction is exact; RLOO = G/(G−1)·Dr.GRPO). The test checks
// that scale and that the unscaled difference is resolvable, so the test could see a bias of that size.

@Suite struct UnbiasednessTests {
    let theta: [Float] = [0.3, -0.2, 0.1]
    let armRewards: [Float] = [1.0, 0.2, 0.5]
    let groupSize = 4
    let groups = 20_000

    /// The exact ∇θ Σ_a π_a r_a.
    var exactGradient: [Double] {
        let z = theta.map { Double($0) }, m = z.max()!
        let e = z.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
        let pi = e.map { $0 / total }
        let value = zip(pi, armRewards).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        return (0..<3).map { pi[$0] * (Double(armRewards[$0]) - value) }
    }

    /// One gradient estimate per group, [groups][3], for the given advantage estimator, all groups in one graph:
    /// θ is bound once per group ([groups, 1, 3]) so that its gradient rows are the per-group estimates.
    func perGroupGradients(actions: [Int], advantages estimator: ([Float]) -> [Float]) -> [[Double]] {
        let g = Graph()
        let thetas = g.variable((0..<groups).flatMap { _ in theta }, Shape(groups, 1, 3))
        let logits = thetas + g.zeros(Shape(groups, groupSize, 3))                          // [groups, G, 3]
        let logProbs = logits.logSoftmax().gatherLast(g.indices(actions))                  // [groups, G]
        let rewards = actions.map { armRewards[$0] }
        let shape = Shape(groups, groupSize)
        let inputs = PolicyInputs(logProbs: logProbs, oldLogProbs: logProbs.detached(),
                                  advantages: g.constant(estimator(rewards), shape), mask: g.full(shape, 1))
        // Σ_groups (1/G)·Σ_i −A_i·lp_i: each group's loss is its mean over its G samples
        let loss = PolicyLoss.vanilla(inputs, aggregation: .tokenSumOverConstant(Float(groupSize))).loss
        g.backward(loss)
        let grad = thetas.gradient!
        return (0..<groups).map { k in (0..<3).map { -Double(grad[k * 3 + $0]) } }
    }

    func meanAndStandardError(_ samples: [[Double]]) -> (mean: [Double], standardError: [Double]) {
        let n = Double(samples.count)
        let mean = (0..<3).map { j in samples.reduce(0.0) { $0 + $1[j] } / n }
        let standardError = (0..<3).map { j -> Double in
            let variance = samples.reduce(0.0) { $0 + ($1[j] - mean[j]) * ($1[j] - mean[j]) } / (n - 1)
            return (variance / n).squareRoot()
        }
        return (mean, standardError)
    }

    @Test func monteCarloGradientsMatchTheExactPolicyGradient() {
        var rng = RandomStream(seed: 20250611).child("unbiasedness")
        let probabilities: [Float] = {
            let m = theta.max()!, e = theta.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
            return e.map { $0 / total }
        }()
        let actions = (0..<(groups * groupSize)).map { _ in rng.categorical(probabilities) }
        let exact = exactGradient
        let z = 4.0
        let G = groupSize
        let cases: [(name: String, scale: Double, estimator: ([Float]) -> [Float])] = [
            ("REINFORCE", 1, { Advantages.reinforce(rewards: $0) }),
            ("RLOO", 1, { Advantages.rloo(rewards: $0, groupSize: G) }),
            ("Dr.GRPO", Double(G - 1) / Double(G), { Advantages.drGRPO(rewards: $0, groupSize: G) }),
        ]
        let largest = exact.map { Swift.abs($0) }.max()!
        for c in cases {
            let (mean, standardError) = meanAndStandardError(perGroupGradients(actions: actions, advantages: c.estimator))
            for j in 0..<3 {
                let expected = c.scale * exact[j]
                #expect(Swift.abs(mean[j] - expected) <= z * standardError[j],
                        "\(c.name) θ\(j): Monte-Carlo \(mean[j]) ± \(standardError[j]) vs expected \(expected)")
                // the sample is large enough for the comparison to mean something
                #expect(z * standardError[j] < 0.1 * largest, "\(c.name) θ\(j): standard error \(standardError[j]) too large")
            }
            if c.name == "Dr.GRPO" {
                // Dr.GRPO's (G − 1)/G shrinkage is far outside the sampling error: the test resolves a bias of this size
                #expect((0..<3).contains { Swift.abs(mean[$0] - exact[$0]) > z * standardError[$0] })
            }
        }
    }
}
