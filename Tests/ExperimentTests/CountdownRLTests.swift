import Testing
import Foundation
import Engine
import Models
import Environments
import Objectives
@testable import Harness
@testable import NegativeReinforcementExperiment
@testable import MinimalistRLExperiment
@testable import Training

/// The shared Countdown machinery of negative-reinforcement and minimalist-rl.
struct CountdownRLTests {
    /// A tiny base configuration (3 numbers, a d16 model) for fast tests.
    static var tiny: CountdownBaseConfig {
        var c = CountdownBaseConfig()
        c.task = CountdownConfig(numberCount: 3)
        c.trainProblems = 64; c.testProblems = 6
        c.modelWidth = 16; c.layers = 1; c.heads = 2; c.steps = 2; c.batchSize = 8
        return c
    }

    @Test func methodsKeepTheSamplesThePapersTrainOn() {
        // groups of 4: all wrong, mixed, all correct (±1 rewards)
        let r: [Float] = [-1, -1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1]
        func kept(_ m: CountdownMethod) -> [Bool] { m.recipe(maxTokensPerMinibatch: 10).keep?(r, 4) ?? [Bool](repeating: true, count: r.count) }
        let wrong = [Bool](repeating: false, count: 4), mixed = [true, false, true, false], all = [Bool](repeating: true, count: 4)
        #expect(kept(.raft) == wrong + mixed + all)
        #expect(kept(.raftPlusPlus) == wrong + mixed + all && kept(.raftImportance) == wrong + mixed + all)
        #expect(kept(.reinforceRej) == wrong + all + wrong)
        #expect(kept(.rejectAllWrong) == wrong + all + all)
        #expect(kept(.rejectAllCorrect) == all + all + wrong)
        #expect(kept(.reinforce) == all + all + all && kept(.grpo) == all + all + all)
        // advantages on {0, 1} rewards for the sign-split family
        let b: [Float] = [1, 0, 0, 1]
        #expect(CountdownMethod.psr.recipe(maxTokensPerMinibatch: 1).advantages(b, 4) == [1, 0, 0, 1])
        #expect(CountdownMethod.nsr.recipe(maxTokensPerMinibatch: 1).advantages(b, 4) == [0, -1, -1, 0])
        #expect(CountdownMethod.wReinforce(0.1).recipe(maxTokensPerMinibatch: 1).advantages(b, 4) == [0.1, -1, -1, 0.1])
        #expect(CountdownMethod.reinforce.recipe(maxTokensPerMinibatch: 1).advantages(r, 4) == r)
        #expect(!CountdownMethod.psr.signedRewards && !CountdownMethod.wReinforce(1).signedRewards && CountdownMethod.grpo.signedRewards)
        // names are distinct (they key CSV rows)
        let all13: [CountdownMethod] = NegativeReinforcement.methods + MinimalistRL.methods
        #expect(Set(all13.map(\.slug)).count == Set(all13).count)
    }

    @Test func evaluationKsArePowersOfTwoUpToTheSampleCount() {
        #expect(CountdownEvaluation.ks(upTo: 256) == [1, 2, 4, 8, 16, 32, 64, 128, 256])
        #expect(CountdownEvaluation.ks(upTo: 12) == [1, 2, 4, 8, 12])
        #expect(CountdownEvaluation.ks(upTo: 2) == [1, 2])
    }

    @Test func evaluationCountsAreConsistent() {
        let task = CountdownTask(Self.tiny)
        var rng = RandomStream(seed: 3)
        let model = Transformer(Self.tiny.transformer, rng: &rng)
        var sampler = RandomStream(seed: 4)
        let e = CountdownEvaluator.evaluate(model, task, problems: 4, samples: 8, rng: &sampler)
        #expect(e.problems == 4 && e.ks == [1, 2, 4, 8])
        #expect(zip(e.distinctCorrect, e.correctCounts).allSatisfy { $0 <= $1 && $1 <= 8 })
        #expect(zip(e.passAtK, e.passAtK.dropFirst()).allSatisfy { $0 <= $1 + 1e-12 })
        #expect(e.neverSolved == e.correctCounts.filter { $0 == 0 }.count)
    }

    @Test func savedBaseRecordsItsConfigurationAndIsIgnoredForAnother() throws {
        let config = Self.tiny
        var rng = RandomStream(seed: 0)
        let model = Transformer(config.transformer, rng: &rng)
        let m = CountdownBase.Measurements(samplesPerProblem: 4, ks: [1, 2, 4], passAtK: [0.1, 0.2, 0.3])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("countdown-base-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try CountdownBase.write(model, config: config, measurements: m, trainingSeconds: 7, to: url)
        let saved = try #require(try CountdownBase.read(url, expecting: config))
        #expect(saved.config == config && saved.metrics == m && saved.trainingSeconds == 7)
        #expect(saved.model.parameters.flatValues == model.parameters.flatValues)
        var other = config
        other.steps = 3
        #expect(CountdownBase.hash(other) != CountdownBase.hash(config))
        #expect(try CountdownBase.read(url, expecting: other) == nil)
    }

    @Test func baseTrainingAndRLAreDeterministic() throws {
        let task = CountdownTask(Self.tiny)
        let a = try CountdownBase.train(task), b = try CountdownBase.train(task)
        #expect(a.parameters.flatValues == b.parameters.flatValues)
        var rl = CountdownRLConfig()
        rl.steps = 2; rl.promptsPerStep = 2; rl.groupSize = 2; rl.learningRate = 1e-3
        let start = a.parameters.flatValues
        for method in [CountdownMethod.grpo, .ppo, .raftPlusPlus] {
            a.parameters.setValues(start); b.parameters.setValues(start)
            let ta = try CountdownRL.run(a, reference: b, task: task, method: method, config: rl, seed: 9)
            var referenceRng = RandomStream(seed: 0)
            let reference = Transformer(Self.tiny.transformer, rng: &referenceRng)
            reference.parameters.setValues(start)
            let tb = try CountdownRL.run(b, reference: reference, task: task, method: method, config: rl, seed: 9)
            #expect(ta.map(\.accuracy) == tb.map(\.accuracy) && ta.map(\.entropy) == tb.map(\.entropy) && ta.map(\.kl) == tb.map(\.kl))
            #expect(a.parameters.flatValues == b.parameters.flatValues)
            #expect(ta.count == 2 && ta.allSatisfy { $0.entropy.isFinite && $0.kl.isFinite && (0...1).contains($0.accuracy) })
        }
    }

    @Test func earlyAndFinalAverageTheFirstAndLastSteps() {
        let trace = (0..<10).map { CountdownRLStep(accuracy: Double($0), entropy: 0, kl: 0, kept: 1) }
        let run = CountdownRun(method: .grpo, trace: trace, evaluation: nil, diverged: false)
        #expect(run.early(0.2, \.accuracy) == 0.5)
        #expect(run.final(0.1, \.accuracy) == 9)
        #expect(CountdownRun(method: .grpo, trace: trace, evaluation: nil, diverged: true).final(0.1, \.accuracy) == nil)
    }

    @Test func configurationsValidate() {
        #expect(NegativeReinforcement.validate(NegativeReinforcement.defaultConfig) == nil)
        #expect(NegativeReinforcement.validate(NegativeReinforcement.quickConfig) == nil)
        #expect(MinimalistRL.validate(MinimalistRL.defaultConfig) == nil && MinimalistRL.validate(MinimalistRL.quickConfig) == nil)
        var c = NegativeReinforcement.quickConfig
        c.evaluationProblems = c.base.testProblems + 1
        #expect(NegativeReinforcement.validate(c) != nil)
    }
}
