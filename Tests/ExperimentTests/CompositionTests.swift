import Testing
import Foundation
import Engine
import Models
import Environments
@testable import Harness
@testable import CompositionExperiment
@testable import Training

/// The composition experiment's Stage-1 data: the batch layout, packed sequences, the renderings of a problem, the
/// saved base's header.
@Suite struct CompositionStageOneTests {
    @Test func packedSequencesTrainOnResponsesAndNeverComposeHeldOutFunctions() {
        let env = StringFunctionsEnvironment()
        var config = CompositionBaseConfig()
        config.packedContext = 2
        var rng = RandomStream(seed: 3)
        var packed = 0
        for _ in 0..<400 {
            let s = CompositionBase.stageOneSequence(env, config, rng: &rng)
            #expect(s.tokens.count == s.trained.count)
            // split into problems at each `=` that ends a prompt: a prompt is untrained, its response trained
            var i = 0, problems = 0
            while i < s.tokens.count {
                var j = i
                while !s.trained[j] { j += 1 }                               // prompt tokens
                let prompt = Array(s.tokens[i..<j])
                #expect(prompt.last == StringFunctionsTokenizer.equals)
                let problem = env.problem(fromPrompt: prompt)
                #expect(problem != nil)
                if let problem, problem.level > 1 {
                    #expect(problem.calls.allSatisfy { !env.heldOutFunctions.contains($0) }, "a held-out function composed")
                }
                while j < s.tokens.count && s.trained[j] { j += 1 }           // response tokens, through `<end>`
                #expect(s.tokens[j - 1] == StringFunctionsTokenizer.end)
                problems += 1
                i = j
            }
            if problems > 1 { packed += 1 }
        }
        #expect(packed > 20)
    }

    @Test func spelledIdsShareDigitTokensAndFitTheContext() {
        let f14 = StringFunctionsTokenizer.functionToken(14), g4 = StringFunctionsTokenizer.functionToken(16 + 4)
        let a = StringFunctionsTokenizer.symbolToken(0)
        #expect(IdSpelling.spell([f14, StringFunctionsTokenizer.open, a, StringFunctionsTokenizer.close])
                == [IdSpelling.familyMain, IdSpelling.digitBase + 1, IdSpelling.digitBase + 4, StringFunctionsTokenizer.open, a,
                    StringFunctionsTokenizer.close])
        #expect(IdSpelling.spell([g4]) == [IdSpelling.familyAuxiliary, IdSpelling.digitBase + 4])
        var config = CompositionBaseConfig()
        config.rendering.spelledIds = true
        let env = StringFunctionsEnvironment()
        var rng = RandomStream(seed: 5)
        for level in 1...6 {
            for subset in [StringFunctionsSubset.main, .auxiliary] {
                for _ in 0..<50 {
                    let (p, t) = config.rendering.example(env, env.sampleProblem(level: level, subset: subset, inputs: .anySymbols, rng: &rng), rng: &rng)
                    expectFits(p, t, level: level, env, config)
                    #expect(t.count <= env.maxResponseLength(level: level, style: .rewrite) + IdSpelling.extraTokens(level: level))
                    #expect((p + t).allSatisfy { $0 >= 0 && Int($0) < IdSpelling.vocabularySize })
                }
            }
        }
    }

    @Test func aliasedAndRestatedRenderingCopiesCallsConsistently() {
        let env = StringFunctionsEnvironment()
        let rendering = CompositionRendering(restatePrompt: true, auxiliaryAliases: 8)
        var aliasesSeen = Set<Int32>()
        forEachRestatedExample(rendering, seed: 11) { problem, subset, p, t in
            let aliases = (p + t).filter { $0 >= CompositionRendering.aliasBase }
            if subset == .main {
                #expect(aliases.isEmpty)
                #expect(p == env.prompt(for: problem))
            } else {
                // no plain auxiliary token is left; each function keeps one alias through prompt and trace
                #expect(!(p + t).contains { StringFunctionsTokenizer.functionId($0).map { !StringFunctionsTokenizer.isMainFunction($0) } ?? false })
                var aliasOf: [Int32: Int32] = [:]
                for a in aliases {
                    let function = (a - CompositionRendering.aliasBase) % 10
                    #expect(aliasOf[function, default: a] == a)
                    aliasOf[function] = a
                }
                #expect(Set(aliases).count == Set(problem.calls).count)
                aliasesSeen.formUnion(aliases)
            }
        }
        #expect(aliasesSeen.count > 60)                                        // most of the 80 aliases are drawn
    }

    @Test func numberedIdsWriteEachCallAsItsTwoDigitNumber() {
        let rendering = CompositionRendering(restatePrompt: true, auxiliaryAliases: 8, numberedIds: true)
        #expect(Set(CompositionRendering.numbers).count == 100)
        forEachRestatedExample(rendering, seed: 12) { problem, _, p, _ in
            // the prompt's calls, outermost first, are digit pairs naming the problem's functions
            let digits = p.filter { $0 >= IdSpelling.digitBase }.map { Int($0 - IdSpelling.digitBase) }
            #expect(digits.count == 2 * problem.level)
            let named = stride(from: 0, to: digits.count, by: 2).map { i -> Int in
                let index = CompositionRendering.numbers.firstIndex(of: 10 * digits[i] + digits[i + 1])!
                return index < 16 ? index : 16 + (index - 16) / 8
            }
            #expect(named == problem.calls.reversed())
        }
    }

    @Test func savedBaseRecordsItsConfigurationAndIsIgnoredForAnother() throws {
        var config = CompositionBaseConfig()
        config.modelWidth = 16; config.layers = 1; config.heads = 2; config.steps = 1
        var rng = RandomStream(seed: 0)
        let model = Transformer(config.transformer, rng: &rng)
        let gate = CompositionBase.Gate(levelOneByFunction: [0: 0.5], heldOut: [2: 0.1, 3: 0.05], train: [2: 0.3, 3: 0.1])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("composition-base-\(UUID().uuidString).ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try CompositionBaseFile.write(model, config: config, gate: gate, trainingSeconds: 12, to: url)
        let saved = try #require(try CompositionBaseFile.read(url, expecting: config))
        #expect(saved.config == config && saved.metrics == gate && saved.trainingSeconds == 12)
        #expect(saved.model.parameters.flatValues == model.parameters.flatValues)
        var other = config
        other.steps = 2
        #expect(CompositionBaseFile.hash(other) != CompositionBaseFile.hash(config))
        #expect(try CompositionBaseFile.read(url, expecting: other) == nil)
        #expect(try CompositionBaseFile.read(url.appendingPathExtension("missing"), expecting: config) == nil)
    }

    @Test func evaluationSizesListPowersOfTwoUpToTheSampleCount() {
        #expect(CompositionEvaluationSizes(greedyProblems: 1, passAtKProblems: 1, passAtKSamples: 64, trainProblems: 1).ks == [1, 2, 4, 8, 16, 32, 64])
        #expect(CompositionEvaluationSizes(greedyProblems: 1, passAtKProblems: 1, passAtKSamples: 12, trainProblems: 1).ks == [1, 2, 4, 8, 12])
        #expect(Composition.validate(Composition.defaultConfig) == nil && Composition.validate(Composition.quickConfig) == nil)
        var c = Composition.quickConfig
        c.passAtKProblems = c.evaluationProblems + 1
        #expect(Composition.validate(c) != nil)
    }
}

/// A rendered example fits the model's context, and sampling's response budget fits beside any prompt of its level.
func expectFits(_ p: [Int32], _ t: [Int32], level: Int, _ env: StringFunctionsEnvironment, _ config: CompositionBaseConfig) {
    let rendering = config.rendering, context = config.transformer.contextLength
    let budget = CompositionBase.maxResponseLength(env, level: level, rendering: rendering)
    let maxPrompt = StringFunctionsFormat.maxPromptLength(level: level) + rendering.extraPromptTokens(level: level)
    #expect(p.count + t.count <= context)
    #expect(t.count <= budget && p.count <= maxPrompt && maxPrompt + budget <= context)
    #expect((p + t).allSatisfy { $0 >= 0 && Int($0) < rendering.vocabularySize })
}

/// Every level and both families, 40 problems each, in a rendering that restates the prompt: the response begins with
/// the prompt, fits the context and the sampling budget, and is a correct answer; then `check(problem, subset, p, t)`.
func forEachRestatedExample(_ rendering: CompositionRendering, seed: UInt64,
                            _ check: (StringFunctionsProblem, StringFunctionsSubset, [Int32], [Int32]) -> Void) {
    let env = StringFunctionsEnvironment()
    var config = CompositionBaseConfig()
    config.rendering = rendering
    var rng = RandomStream(seed: seed)
    for level in 1...6 {
        for subset in [StringFunctionsSubset.main, .auxiliary] {
            for _ in 0..<40 {
                let problem = env.sampleProblem(level: level, subset: subset, inputs: .anySymbols, rng: &rng)
                let (p, t) = rendering.example(env, problem, rng: &rng)
                // the response restates the prompt, then continues with the environment's own trace and answer
                #expect(Array(t.prefix(p.count)) == p)
                expectFits(p, t, level: level, env, config)
                // the answer is untouched: the environment's verifier accepts the gold response
                #expect(env.verify(response: t, problem: problem).isCorrect)
                check(problem, subset, p, t)
            }
        }
    }
}

/// Stage-2 variants as values, and `--train-base` at a tiny size.
@Suite struct CompositionDeclarationTests {
    @Test func defaultVariantsKeepTheirNamesAndAChangedOneIsRenamed() throws {
        #expect(Composition.methodNames(Composition.defaultConfig) == ["rl_l1", "rl_l2", "rl_l1_2", "rft_l2"])
        let c = try ConfigOverrides.apply([("methods.1.recipe.advantage", "drGRPO")], to: Composition.quickConfig)
        #expect(Composition.methodNames(c) == ["rl_l1", "rl_l2[recipe.advantage=drGRPO]", "rl_l1_2", "rft_l2"])
        #expect(c.methods[1].recipe.advantage == .drGRPO && c.methods[1].levels == [2])
        #expect(Composition.validate(c) == nil)
        // every example of --help parses
        try expectMethodExamplesValidate(Composition.self)
        var twice = Composition.quickConfig
        twice.methods = [twice.methods[0], twice.methods[0]]
        #expect(Composition.validate(twice) != nil)
    }

    @Test func claimsNamingAMissingVariantAreInconclusive() {
        let evidence = ClaimEvidence.comparing(["rl_l2", "rl_l1"], in: ["rl_l1", "rl_l2[recipe.advantage=drGRPO]"]) { .perSeed(values: [1], preconditionFailed: [nil]) }
        let result = ClaimEvaluator.evaluate(Composition.claims[0], evidence)
        #expect(result.verdict == .inconclusive)
        #expect(result.note.contains("'rl_l2'"))
    }

    @Test(.timeLimit(.minutes(10))) func trainBaseWritesTheGateAndRefusesToReplaceABase() throws {
        var b = CompositionBaseConfig()
        b.modelWidth = 16; b.layers = 1; b.heads = 2; b.steps = 2; b.batchSize = 4; b.microBatchSize = 4; b.warmupSteps = 1
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("composition-base-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("base.ckpt")
        let context = RunContext(experiment: "composition", progress: Progress(label: "test", enabled: false))
        let made = try Composition.trainBase(b, to: url, gateProblems: 2, force: false, context: context)
        #expect(made.files.map(\.name) == ["gate.csv"])
        #expect(made.files[0].text.hasPrefix("variant,metric,subset,level,function,accuracy,threshold\n"))
        #expect(made.files[0].text.split(separator: "\n").count >= 1 + 4 + 1)   // header, Levels 2–3 held out and train, functions seen
        #expect(made.summary.contains(CompositionBaseFile.hash(b)))
        let saved = try CompositionBaseFile.read(url, expecting: b)
        #expect(saved != nil)
        #expect(throws: UsageError.self) { try Composition.trainBase(b, to: url, gateProblems: 2, force: false, context: context) }
        _ = try Composition.trainBase(b, to: url, gateProblems: 2, force: true, context: context)
    }
}
