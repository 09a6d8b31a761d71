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
        func recipe(_ m: CountdownMethod) -> PolicyGradientRecipe { m.recipe.gradientRecipe(maximumTokensPerMinibatch: 10) }
        func kept(_ m: CountdownMethod) -> [Bool] { recipe(m).keep?(r, 4) ?? [Bool](repeating: true, count: r.count) }
        let wrong = [Bool](repeating: false, count: 4), mixed = [true, false, true, false], all = [Bool](repeating: true, count: 4)
        #expect(kept(.raft) == wrong + mixed + all)
        #expect(kept(.raftPlusPlus) == wrong + mixed + all && kept(.raftImportance) == wrong + mixed + all)
        #expect(kept(.reinforceRej) == wrong + all + wrong)
        #expect(kept(.rejectAllWrong) == wrong + all + all)
        #expect(kept(.rejectAllCorrect) == all + all + wrong)
        #expect(kept(.reinforce) == all + all + all && kept(.grpo) == all + all + all)
        #expect(recipe(.reinforce).keep == nil && recipe(.grpo).keep == nil)
        // advantages on {0, 1} rewards for the sign-split family
        let b: [Float] = [1, 0, 0, 1]
        #expect(recipe(.psr).advantages(b, 4) == [1, 0, 0, 1])
        #expect(recipe(.nsr).advantages(b, 4) == [0, -1, -1, 0])
        #expect(recipe(.wReinforce(0.1)).advantages(b, 4) == [0.1, -1, -1, 0.1])
        #expect(recipe(.reinforce).advantages(r, 4) == r)
        #expect(CountdownMethod.psr.rewards == .binary && CountdownMethod.wReinforce(1).rewards == .binary && CountdownMethod.grpo.rewards == .signed)
        // PPO is the clipped surrogate with GAE on a critic; Dr.GRPO sums tokens over the constant
        #expect(CountdownMethod.ppo.advantage.needsCritic && CountdownMethod.ppo.objective == .ppo)
        #expect(CountdownMethod.drGRPO.aggregation == .tokenSumOverMaximum && CountdownMethod.grpo.aggregation == .tokenMean)
        // one name per value across both catalogues (the names key CSV rows and random streams)
        let entries = NegativeReinforcement.catalogue.entries + MinimalistRL.catalogue.entries
        for e in entries { #expect(entries.filter { $0.name == e.name }.allSatisfy { $0.value == e.value }, "\(e.name)") }
        #expect(Set(entries.map(\.name)).count == Set(entries.map(\.value)).count)
        for e in entries { #expect(e.value.problem() == nil, "\(e.name)") }
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
            #expect(ta.map(\.diagnostics) == tb.map(\.diagnostics))
            #expect(a.parameters.flatValues == b.parameters.flatValues)
            #expect(ta.count == 2 && ta.allSatisfy { $0.entropy.isFinite && $0.kl.isFinite && (0...1).contains($0.accuracy) })
            #expect(ta.allSatisfy { $0.diagnostics.meanRatio.isFinite && (0...1).contains($0.diagnostics.clipFraction)
                && (0...1).contains($0.diagnostics.mixedGroupShare) })
        }
    }

    @Test func earlyAndFinalAverageTheFirstAndLastSteps() {
        let none = StepDiagnostics(meanRatio: 1, clipFraction: 0, approxKL: 0, entropy: 0, mixedGroupShare: 0)
        let trace = (0..<10).map { CountdownRLStep(accuracy: Double($0), entropy: 0, kl: 0, kept: 1, diagnostics: none) }
        let grpo = MinimalistRL.catalogue.named(.grpo)
        let run = CountdownRun(method: grpo, trace: trace, evaluation: nil, diverged: false)
        #expect(run.early(0.2, \.accuracy) == 0.5)
        #expect(run.final(0.1, \.accuracy) == 9)
        #expect(CountdownRun(method: grpo, trace: trace, evaluation: nil, diverged: true).final(0.1, \.accuracy) == nil)
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

/// The two Countdown experiments as declarations: their methods by name, `--set` swaps, the claims' reading by name,
/// the valid ranges, and `--train-base`.
@Suite struct CountdownDeclarationTests {
    /// The `key=value` of a `--help` example (`--set key=value   # comment`, the pair possibly in single quotes).
    static func pair(_ example: String) -> (String, String) { methodExamplePair(example) }

    /// One seed's results for `methods`, every evaluation and trace the same (the base inside the gate).
    static func results(_ methods: [NamedMethod<CountdownMethod>], seeds: Int = 3) -> [CountdownSeedResult] {
        let e = CountdownEvaluation(samples: 4, correctCounts: [1, 2], distinctCorrect: [1, 1], ks: [1, 2, 4], passAtK: [0.3, 0.5, 0.8])
        let d = StepDiagnostics(meanRatio: 1, clipFraction: 0, approxKL: 0, entropy: 0.1, mixedGroupShare: 0.5)
        let trace = (0..<10).map { CountdownRLStep(accuracy: 0.1 * Double($0), entropy: 0.1, kl: 0.01, kept: 1, diagnostics: d) }
        return (0..<seeds).map { _ in
            CountdownSeedResult(base: e, runs: methods.map { CountdownRun(method: $0, trace: trace, evaluation: e, diverged: false) })
        }
    }

    @Test func defaultMethodsKeepTheirCSVNames() {
        #expect(NegativeReinforcement.methodNames(NegativeReinforcement.defaultConfig)
            == ["psr", "nsr", "w_reinforce_0.05", "w_reinforce_0.1", "w_reinforce_0.2", "w_reinforce_1", "grpo", "ppo"])
        #expect(MinimalistRL.methodNames(MinimalistRL.defaultConfig)
            == ["raft", "raft_pp", "raft_is", "reinforce ±1", "reinforce_rej", "reject_all_wrong", "reject_all_correct", "grpo", "dr_grpo"])
        #expect(NegativeReinforcement.methodNames(NegativeReinforcement.quickConfig) == NegativeReinforcement.methodNames(NegativeReinforcement.defaultConfig))
        #expect(MinimalistRL.methodNames(MinimalistRL.quickConfig) == MinimalistRL.methodNames(MinimalistRL.defaultConfig))
        let labels = NegativeReinforcement.catalogue.entries.map(\.label) + MinimalistRL.catalogue.entries.map(\.label)
        #expect(labels.contains("W-REINFORCE λ=0.1") && labels.contains("REINFORCE ±1") && labels.contains("RAFT+IS (no clip)"))
    }

    @Test func aSwapRenamesTheMethodAndItsClaimsBecomeInconclusive() throws {
        // negative-reinforcement: PSR without the ratio
        let n = try ConfigOverrides.apply([("methods.0.objective", "vanilla")], to: NegativeReinforcement.quickConfig)
        #expect(n.methods[0] == CountdownMethod(advantage: .psr, objective: .vanilla, rewards: .binary))
        #expect(NegativeReinforcement.methodNames(n)[0] == "psr[objective=vanilla]" && NegativeReinforcement.validate(n) == nil)
        let ne = NegativeReinforcement.evidence(config: n, results: Self.results(NegativeReinforcement.catalogue.resolve(n.methods).methods))
        for id in ["1a", "1b", "3a", "5", "6"] {
            let r = ClaimEvaluator.evaluate(NegativeReinforcement.claims.first { $0.id == id }!, ne[id]!)
            #expect(r.verdict == .inconclusive && r.note.contains("'psr'"), "claim \(id): \(r.note)")
        }
        for id in ["2a", "2b", "3b", "4"] {
            let r = ClaimEvaluator.evaluate(NegativeReinforcement.claims.first { $0.id == id }!, ne[id]!)
            #expect(!r.note.contains("not in this run's methods"), "claim \(id): \(r.note)")
        }
        // the defaults read every method
        let d = NegativeReinforcement.evidence(config: NegativeReinforcement.quickConfig,
                                               results: Self.results(NegativeReinforcement.catalogue.resolve(NegativeReinforcement.quickConfig.methods).methods))
        for spec in NegativeReinforcement.claims { #expect(!ClaimEvaluator.evaluate(spec, d[spec.id]!).note.contains("not in this run's methods")) }

        // minimalist-rl: GRPO with Dr.GRPO's advantage (token-mean aggregation kept)
        let m = try ConfigOverrides.apply([("methods.7.advantage", "drGRPO")], to: MinimalistRL.quickConfig)
        #expect(m.methods[7] == CountdownMethod(advantage: .drGRPO))
        #expect(MinimalistRL.methodNames(m)[7] == "grpo[advantage=drGRPO]" && MinimalistRL.validate(m) == nil)
        let me = MinimalistRL.evidence(results: Self.results(MinimalistRL.catalogue.resolve(m.methods).methods))
        for id in ["1a", "1b", "1c", "3a", "3b"] {
            let r = ClaimEvaluator.evaluate(MinimalistRL.claims.first { $0.id == id }!, me[id]!)
            #expect(r.verdict == .inconclusive && r.note.contains("'grpo'"), "claim \(id): \(r.note)")
        }
        #expect(!ClaimEvaluator.evaluate(MinimalistRL.claims.first { $0.id == "4" }!, me["4"]!).note.contains("not in this run's methods"))
    }

    @Test func everyHelpExampleParsesAndValidates() throws {
        for example in NegativeReinforcement.methodExamples {
            let config = try ConfigOverrides.apply([Self.pair(example)], to: NegativeReinforcement.quickConfig)
            #expect(config != NegativeReinforcement.quickConfig && NegativeReinforcement.validate(config) == nil, "\(example)")
        }
        for example in MinimalistRL.methodExamples {
            let config = try ConfigOverrides.apply([Self.pair(example)], to: MinimalistRL.quickConfig)
            #expect(config != MinimalistRL.quickConfig && MinimalistRL.validate(config) == nil, "\(example)")
        }
        let lambda = try ConfigOverrides.apply([Self.pair(NegativeReinforcement.methodExamples[1])], to: NegativeReinforcement.quickConfig)
        #expect(NegativeReinforcement.methodNames(lambda)[3] == "w_reinforce_0.1[advantage.lambda=0.3]")
        let cispo = try ConfigOverrides.apply([Self.pair(NegativeReinforcement.methodExamples[2])], to: NegativeReinforcement.quickConfig)
        #expect(NegativeReinforcement.methodNames(cispo)[6] == "grpo[objective=cispo(high=0.28,low=0.2)]")
        let clipHigher = try ConfigOverrides.apply([Self.pair(MinimalistRL.methodExamples[1])], to: MinimalistRL.quickConfig)
        #expect(MinimalistRL.methodNames(clipHigher)[1] == "raft_pp[objective.high=0.28]")
        let one = try ConfigOverrides.apply([Self.pair(MinimalistRL.methodExamples[2])], to: MinimalistRL.quickConfig)
        #expect(one.methods == [CountdownMethod(advantage: .rloo)])
    }

    @Test func aChangedValueIsNamedAfterTheNearestEntryPreferringItsOwnPosition() {
        let nr = NegativeReinforcement.catalogue, mr = MinimalistRL.catalogue
        // one parameter changed: every W-REINFORCE entry is as near; the one it replaces names it
        let lambda = CountdownMethod.wReinforce(0.3)
        #expect(nr.named(lambda, position: 3).name == "w_reinforce_0.1[advantage.lambda=0.3]")
        #expect(nr.named(lambda, position: 0).name == "w_reinforce_0.05[advantage.lambda=0.3]")
        // a parameter changed counts less than a case changed: RAFT++ with clip-higher is not named after RAFT
        var clipHigher = CountdownMethod.raftPlusPlus
        clipHigher.objective = .ppoClip(low: 0.2, high: 0.28, dualClip: 3)
        #expect(mr.named(clipHigher, position: 0).name == "raft_pp[objective.high=0.28]")
        // a catalogue value keeps its name anywhere
        #expect(mr.named(.grpo, position: 0).name == "grpo" && mr.resolve([.drGRPO, .grpo]).methods.map(\.name) == ["dr_grpo", "grpo"])
        #expect(mr.resolve([.grpo, .grpo]).problem != nil)
    }

    @Test func outOfRangeValuesAreRejected() throws {
        let rejected: [(String, String)] = [
            ("steps", "0"), ("promptsPerStep", "0"), ("groupSize", "1"), ("learningRate", "0"), ("learningRate", "2"),
            ("criticLearningRate", "0"), ("minibatches", "0"), ("minibatches", "65"), ("evaluationProblems", "0"),
            ("evaluationProblems", "129"), ("evaluationSamples", "1"), ("evaluationSamples", "5000"), ("methods", "[]"),
            ("methods.0.rewards", "signed"), ("methods.2.advantage", "wReinforce(lambda=-1)"),
            ("methods.0.objective", "ppoClip(low=1,high=0.2,dualClip=3)"), ("methods.0.objective", "ppoClip(low=0.2,high=0.2,dualClip=0.5)"),
            ("methods.7.advantage", "gae(gamma=2,lambda=0.95,whiten=true)"), ("base.heads", "3"), ("base.steps", "0"),
        ]
        for (key, value) in rejected {
            let c = try ConfigOverrides.apply([(key, value)], to: NegativeReinforcement.quickConfig)
            #expect(NegativeReinforcement.validate(c) != nil, "\(key)=\(value) should be rejected")
        }
        // the same value twice (PPO's advantage swapped for GRPO's makes it GRPO)
        let twice = try ConfigOverrides.apply([("methods.7.advantage", "grpo")], to: NegativeReinforcement.quickConfig)
        #expect(NegativeReinforcement.validate(twice)?.contains("twice") == true)
        // minimalist-rl takes one evaluation sample
        let one = try ConfigOverrides.apply([("evaluationSamples", "1")], to: MinimalistRL.quickConfig)
        #expect(MinimalistRL.validate(one) == nil)
    }

    /// Every field of both Config structs states its valid range in its doc comment.
    @Test func everyConfigFieldDeclaresItsValidRange() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Experiments")
        for name in ["negative-reinforcement", "minimalist-rl"] {
            let text = try String(contentsOf: folder.appendingPathComponent(name).appendingPathComponent("Config.swift"), encoding: .utf8)
            let body = try #require(text.components(separatedBy: "public struct Config:").dropFirst().first?.components(separatedBy: "\n    }\n").first)
            var comment = "", fields = 0
            for line in body.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("///") { comment += line + " "; continue }
                if line.hasPrefix("public var ") {
                    fields += 1
                    #expect(comment.contains("Valid:"), "\(name): \(line) has no valid range")
                }
                comment = ""
            }
            #expect(fields == 10, "\(name)")
        }
    }

    @Test func theCommittedBaseIsReusedAndProtected() throws {
        // its configuration hash (of its canonical JSON) is the committed file's
        #expect(CountdownBase.hash(CountdownDesign.chosenBase) == "43395707de400144")
        #expect(try CountdownBase.read(CountdownBase.defaultURL, expecting: CountdownDesign.chosenBase) != nil)
        let context = RunContext(experiment: "negative-reinforcement", progress: Progress(label: "test", enabled: false))
        #expect(throws: UsageError.self) { try NegativeReinforcement.trainBase(config: NegativeReinforcement.defaultConfig, force: false, context: context) }
        #expect(throws: UsageError.self) { try MinimalistRL.trainBase(config: MinimalistRL.defaultConfig, force: false, context: context) }
    }

    @Test(.timeLimit(.minutes(10))) func trainBaseWritesTheGateAndRefusesToReplaceABase() throws {
        let b = CountdownRLTests.tiny
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("countdown-base-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("base.ckpt")
        let context = RunContext(experiment: "negative-reinforcement", progress: Progress(label: "test", enabled: false))
        let made = try CountdownBase.trainBase(b, to: url, gateSamples: 4, force: false, experiment: "negative-reinforcement", context: context)
        #expect(made.files.map(\.name) == ["gate.csv"])
        let rows = made.files[0].text.split(separator: "\n")
        #expect(rows.first == "k,pass_at_k,problems,samples_per_problem,required_lowest,required_highest,passes")
        #expect(rows.count == 1 + 3)   // k = 1, 2, 4
        #expect(rows[1].hasPrefix("1,") && rows[1].contains(",6,4,0.15,0.6,") && rows[3].hasPrefix("4,") && rows[3].contains(",6,4,0.5,0.97,"))
        #expect(made.summary.contains(CountdownBase.hash(b)) && made.summary.contains("gate: "))
        let saved = try #require(try CountdownBase.read(url, expecting: b))
        #expect(saved.metrics?.samplesPerProblem == 4 && saved.metrics?.ks == [1, 2, 4])
        #expect(throws: UsageError.self) { try CountdownBase.trainBase(b, to: url, gateSamples: 4, force: false, experiment: "test", context: context) }
        let again = try CountdownBase.trainBase(b, to: url, gateSamples: 4, force: true, experiment: "test", context: context)
        #expect(again.files[0].text == made.files[0].text)   // deterministic
    }
}
