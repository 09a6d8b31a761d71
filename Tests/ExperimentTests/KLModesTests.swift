import Testing
import Foundation
import Engine
import Environments
@testable import Harness
@testable import KLModesExperiment


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

    @Test func forwardKLGradientMatchesFiniteDifferences() {
        // one forward-KL step equals −lr · ∇ mean NLL (slow factor 1) on the same samples
        var rng = RandomStream(seed: 1)
        let grid = GridDensity(.unimodal, points: 50)
        var rngCopy = rng
        let t = simulate(.unimodal, .forward, learningRate: 0.1, settings: RunSettings(samples: 200, iterations: 1, slowFactor: 1),
                         grid: grid, rng: &rng) { _, _ in }
        let xs = (0..<200).map { _ in GridTarget.m2 + GridTarget.s2 * rngCopy.gaussian() }
        func nll(_ mu: Double, _ s: Double) -> Double { -xs.reduce(0) { $0 + log(gridNormalPDF($1, mu, s)) } / 200 }
        let h = 1e-6
        let gmu = (nll(-3.5 + h, 1) - nll(-3.5 - h, 1)) / (2 * h), gs = (nll(-3.5, 1 + h) - nll(-3.5, 1 - h)) / (2 * h)
        #expect(Swift.abs(t.params[1].mu1 - (-3.5 - 0.1 * gmu)) < 1e-6)
        #expect(Swift.abs(t.params[1].s1 - (1 - 0.1 * gs)) < 1e-6)
    }
}

@Suite struct KLModesDeclarationTests {
    @Test func learnersAreNamedFromTheirValues() throws {
        #expect(KLModes.methodNames(KLModes.defaultConfig) == ["forward", "reverse"])
        let c = try ConfigOverrides.apply([("learners.1.reverse.beta", "0.5")], to: KLModes.quickConfig)
        #expect(c.learners[1] == .reverse(beta: 0.5))
        #expect(KLModes.methodNames(c) == ["forward", "reverse[beta=0.5]"])
        let list = try ConfigOverrides.apply([("learners", #"["reverse(beta=1)","forward"]"#)], to: KLModes.quickConfig)
        #expect(KLModes.methodNames(list) == ["reverse[beta=1]", "forward"])
        try expectMethodExamplesValidate(KLModes.self)
        var bad = KLModes.quickConfig
        bad.learners = [.forward, .forward]
        #expect(KLModes.validate(bad) != nil)
        bad.learners = [.reverse(beta: 0)]
        #expect(KLModes.validate(bad) != nil)
    }

    @Test func claimsWithoutTheDefaultReverseLearnerAreInconclusive() throws {
        let c = try ConfigOverrides.apply([("learners.1.reverse.beta", "0.5"), ("bimodalIterations", "5"), ("unimodalIterations", "5"),
                                           ("samples", "50")], to: KLModes.quickConfig)
        let context = RunContext(experiment: "kl-modes", progress: Progress(label: "test", enabled: false))
        let results = try [0].map { try KLModes.runSeed(config: c, seed: $0, context: context) }
        let analysis = KLModes.analyze(config: c, seeds: [0], results: results, context: context)
        for claim in KLModes.claims {
            let r = ClaimEvaluator.evaluate(claim, analysis.evidence[claim.id]!)
            #expect(r.verdict == .inconclusive && r.note.contains("'reverse'"), "\(claim.id): \(r.note)")
        }
    }
}
