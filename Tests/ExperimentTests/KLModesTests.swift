import Testing
import Foundation
import Engine
@testable import Harness
@testable import KLModes

@Suite(.serialized) struct KLModesClaims {
    @Test(.timeLimit(.minutes(1))) func everyClaimHoldsOnTheQuickConfiguration() throws {
        try expectClaimsHold(AnyExperiment(KLModes.self))
    }

    @Test(.timeLimit(.minutes(1))) func outputsDoNotDependOnThreads() throws {
        try expectThreadIndependentOutputs(AnyExperiment(KLModes.self), seeds: [0, 1])
    }
}

@Suite struct KLModesToy {
    @Test func configurationsAreValidated() {
        #expect(KLModes.validate(KLModes.defaultConfig) == nil && KLModes.validate(KLModes.quickConfig) == nil)
        var c = KLModes.defaultConfig
        c.gridPoints = 1
        #expect(KLModes.validate(c) != nil)
        c = KLModes.defaultConfig
        c.unimodalReverseRates = [0.01, -1]
        #expect(KLModes.validate(c) != nil)
        #expect(CLI.main(["kl-modes", "--quick", "--set", "samples=0", "--out", "/tmp"], registry: [AnyExperiment(KLModes.self)]) == 2)
    }

    @Test func gridAndOverlapsMatchThePapersSetup() {
        let grid = Grid(.bimodal, points: 500)
        // the target's components integrate to their weights on [−8, 8]
        #expect(Swift.abs(grid.area1 - 0.75) < 1e-4 && Swift.abs(grid.area2 - 0.25) < 1e-4)
        // a model equal to the target has accuracy 1 on both modes
        let perfect = ModelParams(pi1: 0.75, mu1: -3, s1: 1, mu2: 3.5, s2: 0.7)
        let acc = grid.accuracies(perfect, .bimodal)
        #expect(Swift.abs(acc.old - 1) < 1e-9 && Swift.abs(acc.new - 1) < 1e-9)
        // the initial bimodal model: old mode shifted by 0.5 ⇒ overlap 2Φ(−0.25) ≈ 0.8026; new mode far away
        let start = grid.accuracies(.bimodalStart, .bimodal)
        #expect(Swift.abs(start.old - 0.8026) < 2e-3)
        #expect(start.new < 0.05)
        #expect(Swift.abs(Grid.trapezoid(grid.density(.bimodalStart, .bimodal), grid.xs) - 1) < 1e-9)
    }

    @Test func forwardKLGradientMatchesFiniteDifferences() {
        // one forward-KL step equals −lr · ∇ mean NLL (slow factor 1) on the same samples
        var rng = RandomStream(seed: 1)
        let grid = Grid(.unimodal, points: 50)
        var rngCopy = rng
        let t = simulate(.unimodal, .forward, learningRate: 0.1, settings: RunSettings(samples: 200, iterations: 1, beta: 0.1, slowFactor: 1),
                         grid: grid, rng: &rng) { _, _ in }
        let xs = (0..<200).map { _ in Target.m2 + Target.s2 * rngCopy.gaussian() }
        func nll(_ mu: Double, _ s: Double) -> Double { -xs.reduce(0) { $0 + log(normalPDF($1, mu, s)) } / 200 }
        let h = 1e-6
        let gmu = (nll(-3.5 + h, 1) - nll(-3.5 - h, 1)) / (2 * h), gs = (nll(-3.5, 1 + h) - nll(-3.5, 1 - h)) / (2 * h)
        #expect(Swift.abs(t.params[1].mu1 - (-3.5 - 0.1 * gmu)) < 1e-6)
        #expect(Swift.abs(t.params[1].s1 - (1 - 0.1 * gs)) < 1e-6)
    }
}
