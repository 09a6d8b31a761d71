import Testing
import Engine
import Environments
@testable import Composition

/// The composition experiment's Stage-1 data (in progress, issue 8): the batch layout and the packed sequences.
@Suite struct CompositionStageOneTests {
    @Test func batchPredictsTargetTokensOnly() {
        // prompt [7, 8], target [9, 1]; a shorter second sequence is right-padded
        let b = SupervisedBatch([SupervisedSequence(prompt: [7, 8], target: [9, 1]), SupervisedSequence(prompt: [7], target: [1])])
        #expect(b.inputs == [7, 8, 9, 7, 1, StringFunctionsTokenizer.pad])
        #expect(b.targets == [-1, 9, 1, 1, -1, -1])
        #expect(b.targetCount == 3)
    }

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
        config.spelledIds = true
        let env = StringFunctionsEnvironment()
        var rng = RandomStream(seed: 5)
        for level in 1...6 {
            for subset in [StringFunctionsSubset.main, .auxiliary] {
                for _ in 0..<50 {
                    let (p, t) = CompositionBase.example(env, config, env.sampleProblem(level: level, subset: subset, inputs: .anySymbols, rng: &rng))
                    #expect(p.count + t.count <= config.transformer.contextLength)
                    #expect(t.count <= env.maxResponseLength(level: level, style: .rewrite) + IdSpelling.extraTokens(level: level))
                    #expect((p + t).allSatisfy { $0 >= 0 && Int($0) < IdSpelling.vocabularySize })
                }
            }
        }
    }
}
