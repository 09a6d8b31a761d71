import Testing
import Foundation
@testable import Environments
import Engine

// Tests of the StringFunctions environment (composition finding). Expected values are worked out by hand in the
// comments, never computed by the code under test.

private func symbols(_ text: String) -> [UInt8] { StringFunctionsAlphabet.symbols(text)! }
private func tokens(_ text: String) -> [Int32] { StringFunctionsTokenizer.encode(text)! }

@Suite struct StringFunctionsAtomicFunctions {
    /// (function, input, expected), each worked out by hand from the definition.
    static let handChecked: [(StringFunctionsKind, String, String)] = [
        // out_i = s_{(i·m) mod L}: L=4, m=3 → 0,3,2,1; L=5, m=3 → 0,3,1,4,2; L=6, m=5 → 0,5,4,3,2,1;
        // L=3, m=5 → 0,2,1; L=7, m=3 → 0,3,6,2,5,1,4; L=2 identity.
        (.deterministicShuffle, "abcd", "adcb"), (.deterministicShuffle, "abcde", "adbec"),
        (.deterministicShuffle, "abcdef", "afedcb"), (.deterministicShuffle, "abc", "acb"),
        (.deterministicShuffle, "abcdefg", "adgcfbe"), (.deterministicShuffle, "ba", "ba"),
        (.sortSymbols, "dcab", "abcd"), (.sortSymbols, "h1ab2a", "aabh12"), (.sortSymbols, "hgf", "fgh"),
        (.reverse, "abcd", "dcba"), (.reverse, "a1h", "h1a"),
        (.rotateLeftTwo, "abcd", "cdab"), (.rotateLeftTwo, "abc", "cab"), (.rotateLeftTwo, "ab", "ab"),
        (.rotateLeftTwo, "abcde", "cdeab"),
        (.rotateRightOne, "abcd", "dabc"), (.rotateRightOne, "abc", "cab"), (.rotateRightOne, "a", "a"),
        (.swapAdjacentPairs, "abcd", "badc"), (.swapAdjacentPairs, "abcde", "badce"),
        // a→d, b→e, c→f, h→c; e→h, f→a, g→b; digits stay.
        (.caesarShiftThree, "abch", "defc"), (.caesarShiftThree, "efg1", "hab1"),
        (.vowelToDigit, "bead", "b21d"), (.vowelToDigit, "aaeh", "112h"), (.vowelToDigit, "bcd", "bcd"),
        (.removeVowels, "bead", "bd"), (.removeVowels, "a1e2c", "12c"),
        (.compressRepeats, "aabccc", "abc"), (.compressRepeats, "abba", "aba"), (.compressRepeats, "abc", "abc"),
        (.dropLastIfOddLength, "abc", "ab"), (.dropLastIfOddLength, "abcd", "abcd"),
        (.dropLastIfOddLength, "abcdefg", "abcdef"),
        (.duplicateSymbols, "abc", "aabbcc"), (.duplicateSymbols, "abcde", "aabbccdd"), (.duplicateSymbols, "ab1", "aabb11"),
        // "abcdefg" + "gh" has 9 symbols: keep the last 8.
        (.addSuffix, "abc", "abcgh"), (.addSuffix, "abcdef", "abcdefgh"), (.addSuffix, "abcdefg", "bcdefggh"),
        // "hb" + "abcdefg" has 9 symbols: keep the first 8.
        (.addPrefix, "abc", "hbabc"), (.addPrefix, "abcdefg", "hbabcdef"),
        // "abcde" + "edcba" = "abcdeedcba": keep the last 8; length 8 becomes its reverse.
        (.mirror, "abc", "abccba"), (.mirror, "abcde", "cdeedcba"), (.mirror, "abcdefgh", "hgfedcba"),
        (.appendDigitIfNone, "abc", "abc1"), (.appendDigitIfNone, "a2b", "a2b"), (.appendDigitIfNone, "abcdefgh", "bcdefgh1"),
        // Auxiliary family.
        (.atbash, "abcd", "hgfe"), (.atbash, "e1h", "d1a"),
        (.swapLetterPairs, "abcd", "badc"), (.swapLetterPairs, "egh2", "fhg2"),
        (.swapVowels, "bead", "baed"), (.swapVowels, "aaec", "eeac"),
        (.swapHalves, "abcd", "cdab"), (.swapHalves, "abcde", "cdeab"), (.swapHalves, "a", "a"),
        (.outsideIn, "abcde", "aebdc"), (.outsideIn, "abcdef", "afbecd"),
        (.removeDuplicates, "abacb", "abc"), (.removeDuplicates, "hhah", "ha"),
        (.keepEvenPositions, "abcde", "ace"), (.keepEvenPositions, "abcdef", "ace"), (.keepEvenPositions, "ab", "a"),
        (.repeatString, "abc", "abcabc"), (.repeatString, "abcde", "abcdeabc"),
        (.duplicateFirst, "abc", "aabc"), (.duplicateFirst, "abcdefgh", "aabcdefg"),
        (.vowelsToEnd, "bead", "bdea"), (.vowelsToEnd, "aebc", "bcae"), (.vowelsToEnd, "hgf", "hgf"),
    ]

    @Test func everyFunctionMatchesHandCheckedExamples() {
        for (kind, input, expected) in Self.handChecked {
            #expect(kind.apply(input) == expected, "\(kind)(\(input))")
        }
    }

    @Test func everyFunctionHasAtLeastTwoHandCheckedExamples() {
        for kind in StringFunctionsKind.allCases {
            #expect(Self.handChecked.filter { $0.0 == kind }.count >= 2, "\(kind)")
        }
    }

    @Test func familySizes() {
        #expect(StringFunctionsKind.main.count == 16)
        #expect(StringFunctionsKind.auxiliary.count == 10)
        #expect(StringFunctionsKind.main.allSatisfy { $0.isMain })
        #expect(!StringFunctionsKind.auxiliary.contains { $0.isMain })
    }

    @Test func functionsArePairwiseDistinctMaps() {
        // Every pair of the 26 functions differs on some string (so no auxiliary function duplicates a main one).
        var rng = RandomStream(seed: 11)
        let probes: [[UInt8]] = (0..<400).map { _ in
            (0..<(1 + rng.int(8))).map { _ in UInt8(rng.int(StringFunctionsAlphabet.symbolCount)) }
        }
        let kinds = StringFunctionsKind.allCases
        for i in kinds.indices { for j in kinds.indices where i < j {
            #expect(probes.contains { kinds[i].apply($0) != kinds[j].apply($0) }, "\(kinds[i]) vs \(kinds[j])")
        } }
    }

    @Test func everyResultFitsTheCapAndKeepsTheSymbolSet() {
        var rng = RandomStream(seed: 12)
        for _ in 0..<3000 {
            let s = (0..<rng.int(9)).map { _ in UInt8(rng.int(StringFunctionsAlphabet.symbolCount)) }
            for kind in StringFunctionsKind.allCases {
                let out = kind.apply(s)
                #expect(out.count <= StringFunctionsAlphabet.maxStringLength)
                #expect(out.allSatisfy { $0 < StringFunctionsAlphabet.symbolCount })
            }
        }
    }

    @Test func packedTwinAgreesWithArrayReference() {
        // Exhaustive on lengths 0–3 over all 10 symbols, random on lengths 4–8.
        var strings: [[UInt8]] = [[]]
        var layer: [[UInt8]] = [[]]
        for _ in 1...3 {
            layer = layer.flatMap { s in (0..<10).map { s + [UInt8($0)] } }
            strings += layer
        }
        var rng = RandomStream(seed: 13)
        for _ in 0..<20_000 { strings.append((0..<(4 + rng.int(5))).map { _ in UInt8(rng.int(10)) }) }
        for s in strings {
            for kind in StringFunctionsKind.allCases {
                let fast = kind.apply(packed: StringFunctionsPacked(s)).symbols
                if fast != kind.apply(s) { Issue.record("\(kind)(\(StringFunctionsAlphabet.text(s))): packed \(fast)"); return }
            }
        }
    }

    @Test func alphabetTextRoundTrip() {
        #expect(StringFunctionsAlphabet.symbols("ah12") == [0, 7, 8, 9])
        #expect(StringFunctionsAlphabet.text([0, 7, 8, 9]) == "ah12")
        #expect(StringFunctionsAlphabet.symbols("abz") == nil)
        #expect(StringFunctionsAlphabet.text([200]) == "?")
    }
}

@Suite struct StringFunctionsSetupAndComposition {
    let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 7, testSetSize: 64))

    @Test func idsNameEveryFunctionOnceAndSplitIsDisjointHalves() {
        #expect(Set(env.kinds.prefix(16)) == Set(StringFunctionsKind.main))
        #expect(Set(env.kinds.dropFirst(16)) == Set(StringFunctionsKind.auxiliary))
        #expect(env.trainFunctions.count == 8 && env.heldOutFunctions.count == 8)
        #expect(Set(env.trainFunctions).isDisjoint(with: env.heldOutFunctions))
        #expect(Set(env.trainFunctions + env.heldOutFunctions) == Set(0..<16))
        #expect(env.auxiliaryFunctions == Array(16..<26))
        for kind in StringFunctionsKind.allCases { #expect(env.kind(of: env.functionId(of: kind)) == kind) }
    }

    @Test func assignmentAndSplitAreFixedBySeed() {
        let same = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 7))
        #expect(same.kinds == env.kinds && same.trainFunctions == env.trainFunctions)
        let other = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 8))
        #expect(other.kinds != env.kinds || other.trainFunctions != env.trainFunctions)
        // Across seeds the ids really are shuffled: f0 does not always name the same function.
        let firstKinds = Set((0..<20).map { StringFunctionsEnvironment(config: StringFunctionsConfig(seed: UInt64($0))).kinds[0] })
        #expect(firstKinds.count > 1)
    }

    @Test func compositionsMatchHandComputation() {
        let sort = env.functionId(of: .sortSymbols), reverse = env.functionId(of: .reverse)
        let duplicate = env.functionId(of: .duplicateSymbols), caesar = env.functionId(of: .caesarShiftThree)
        let suffix = env.functionId(of: .addSuffix), removeVowels = env.functionId(of: .removeVowels)
        // reverse(sort("dcab")) = reverse("abcd") = "dcba"
        #expect(env.evaluate(calls: [sort, reverse], input: symbols("dcab")) == symbols("dcba"))
        // addSuffix(caesar(duplicate("ab"))) = addSuffix(caesar("aabb")) = addSuffix("ddee") = "ddeegh"
        #expect(env.evaluate(calls: [duplicate, caesar, suffix], input: symbols("ab")) == symbols("ddeegh"))
        // removeVowels(duplicate(caesar("abc"))) = removeVowels(duplicate("def")) = removeVowels("ddeeff") = "ddff"
        let values = env.values(calls: [caesar, duplicate, removeVowels], input: symbols("abc"))
        #expect(values == [symbols("abc"), symbols("def"), symbols("ddeeff"), symbols("ddff")])
        // Auxiliary: outsideIn(atbash(repeatString("abc"))) = outsideIn(atbash("abcabc")) = outsideIn("hgfhgf") = "hfggfh"
        let aux = [env.functionId(of: .repeatString), env.functionId(of: .atbash), env.functionId(of: .outsideIn)]
        #expect(env.evaluate(calls: aux, input: symbols("abc")) == symbols("hfggfh"))
        let p = env.makeProblem(calls: [sort, reverse], input: symbols("dcab"))
        #expect(p.answer == symbols("dcba") && p.level == 2)
        #expect(p.code == "f\(reverse)(f\(sort)(dcab))")
    }

    @Test func generatorsRespectLevelSubsetLengthAndNonEmptiness() {
        var rng = RandomStream(seed: 21)
        for subset in StringFunctionsSubset.allCases {
            let pool = Set(env.functions(in: subset))
            for level in 1...StringFunctionsEnvironment.maxLevel {
                for _ in 0..<30 {
                    let p = env.sampleProblem(level: level, subset: subset, rng: &rng)
                    #expect(p.level == level && p.calls.allSatisfy(pool.contains))
                    #expect((3...6).contains(p.input.count) && p.input.allSatisfy { $0 < 8 })
                    let values = env.values(calls: p.calls, input: p.input)
                    #expect(values.allSatisfy { !$0.isEmpty && $0.count <= 8 })
                    #expect(values.last == p.answer)
                    // Every call matters: no proper subsequence of the calls reaches the answer.
                    #expect(!env.reachesByFewerCallsReference(calls: p.calls, input: p.input, target: p.answer))
                }
            }
        }
    }

    @Test func inputDistributions() {
        var rng = RandomStream(seed: 22)
        var sawDigit = false, sawLong = false
        for _ in 0..<500 {
            let letters = env.sampleInput(.letters, rng: &rng)
            #expect((3...6).contains(letters.count) && letters.allSatisfy { $0 < 8 })
            let any = env.sampleInput(.anySymbols, rng: &rng)
            #expect((1...8).contains(any.count) && any.allSatisfy { $0 < 10 })
            let inner = env.sampleInput(.intermediates(subset: .main, maxDepth: 5), rng: &rng)
            #expect((1...8).contains(inner.count) && inner.allSatisfy { $0 < 10 })
            sawDigit = sawDigit || inner.contains { $0 >= 8 }
            sawLong = sawLong || inner.count > 6
        }
        #expect(sawDigit && sawLong)   // intermediates reach digits and lengths beyond the prompt inputs
    }

    @Test func configurationsRoundTripThroughJSON() throws {
        let config = StringFunctionsConfig(seed: 4, maxInputLength: 5, traceStyle: .steps, requireEveryCallMatters: false)
        #expect(try JSONDecoder().decode(StringFunctionsConfig.self, from: JSONEncoder().encode(config)) == config)
        let mix = StringFunctionsPretrainingMix(auxiliaryShare: 0.3, mainInputs: .intermediates(subset: .train, maxDepth: 2))
        #expect(try JSONDecoder().decode(StringFunctionsPretrainingMix.self, from: JSONEncoder().encode(mix)) == mix)
    }

    @Test func samplingIsDeterministicPerSeed() {
        func draw(_ seed: UInt64) -> [StringFunctionsProblem] {
            var rng = RandomStream(seed: seed)
            return (1...6).map { env.sampleProblem(level: $0, subset: .main, rng: &rng) }
        }
        #expect(draw(1) == draw(1))
        #expect(draw(1) != draw(2))
        let again = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 7, testSetSize: 64))
        #expect(again.testSet(level: 3, subset: .heldOut) == env.testSet(level: 3, subset: .heldOut))
        let otherSeed = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 9, testSetSize: 64))
        #expect(otherSeed.testSet(level: 3, subset: .heldOut) != env.testSet(level: 3, subset: .heldOut))
    }

    @Test func stageOneMixNeverComposesHeldOutFunctions() {
        var rng = RandomStream(seed: 23)
        let mix = StringFunctionsPretrainingMix(auxiliaryShare: 0.4, trainChainShare: 0.1)
        let heldOut = Set(env.heldOutFunctions), aux = Set(env.auxiliaryFunctions), train = Set(env.trainFunctions)
        var counts = (aux: 0, chain: 0, atomic: 0), auxLevels = Set<Int>()
        let total = 4000
        for _ in 0..<total {
            let p = env.sampleStageOne(mix: mix, rng: &rng)
            #expect(!env.isReservedForTest(p))
            if p.calls.allSatisfy(aux.contains) { counts.aux += 1; auxLevels.insert(p.level) }
            else if p.level == 2 { counts.chain += 1; #expect(p.calls.allSatisfy(train.contains)) }
            else { counts.atomic += 1; #expect(p.level == 1) }
            if p.level >= 2 { #expect(!p.calls.contains(where: heldOut.contains)) }
        }
        #expect(auxLevels == Set(1...6))
        #expect(abs(Double(counts.aux) / Double(total) - 0.4) < 0.03)
        #expect(abs(Double(counts.chain) / Double(total) - 0.1) < 0.02)
    }
}

@Suite struct StringFunctionsTestSets {
    let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 3, testSetSize: 96))

    @Test func testSetsAreFixedSizeDistinctReservedAndFromTheirSubset() {
        for subset in [StringFunctionsSubset.heldOut, .train] {
            let pool = Set(env.functions(in: subset))
            for level in 1...6 {
                let set = env.testSet(level: level, subset: subset)
                #expect(set.count == 96 && Set(set).count == 96)
                #expect(set.allSatisfy { $0.level == level && $0.calls.allSatisfy(pool.contains) && env.isReservedForTest($0) })
                #expect(set.allSatisfy { (3...6).contains($0.input.count) })
            }
        }
        // Level 1 is balanced over the subset's functions (96 = 12 per function).
        let level1 = env.testSet(level: 1, subset: .heldOut)
        for f in env.heldOutFunctions { #expect(level1.filter { $0.calls == [f] }.count == 12) }
        // A smaller set is a prefix of a larger one; the default size is the config's.
        #expect(env.testSet(level: 2, subset: .train, size: 10) == Array(env.testSet(level: 2, subset: .train).prefix(10)))
    }

    @Test func trainingGeneratorsNeverReturnATestProblem() {
        var rng = RandomStream(seed: 31)
        var reservedSeen = 0
        let test = Set((1...3).flatMap { l in [StringFunctionsSubset.train, .heldOut].flatMap { env.testSet(level: l, subset: $0) } })
        for i in 0..<6000 {
            let subset: StringFunctionsSubset = [.train, .heldOut, .main, .auxiliary][i % 4]
            let inputs: StringFunctionsInputDistribution = [.letters, .anySymbols, .intermediates(subset: .main, maxDepth: 3)][i % 3]
            let p = env.sampleProblem(level: 1 + i % 3, subset: subset, inputs: inputs, rng: &rng)
            if env.isReservedForTest(p) || test.contains(p) { reservedSeen += 1 }
        }
        #expect(reservedSeen == 0)
    }

    @Test func reservationTakesAboutOneProblemInEight() {
        var rng = RandomStream(seed: 32)
        var reserved = 0
        for _ in 0..<8000 {
            let calls = (0..<(1 + rng.int(3))).map { _ in rng.int(16) }
            if env.isReserved(calls: calls, input: env.sampleInput(.letters, rng: &rng)) { reserved += 1 }
        }
        #expect(abs(Double(reserved) / 8000 - 1.0 / 8) < 0.015)
    }
}

@Suite struct StringFunctionsTokenFormat {
    let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 5))

    @Test func vocabularyIdsByHand() {
        #expect(StringFunctionsTokenizer.vocabularySize == 43)
        #expect(tokens("<pad> <end> ( ) = ; >") == [0, 1, 2, 3, 4, 5, 6])
        #expect(tokens("a h 1 2") == [7, 14, 15, 16])
        #expect(tokens("f0 f15 g0 g9") == [17, 32, 33, 42])
        #expect(tokens("f0 ( a ) =") == [17, 2, 7, 3, 4])
        #expect(StringFunctionsTokenizer.encode("f16") == nil)       // no such id: main ids stop at f15
        #expect(StringFunctionsTokenizer.encode("a b x") == nil)
        #expect(StringFunctionsTokenizer.encode("") == [])
        #expect(StringFunctionsTokenizer.encode("  f3\n(\ta )  ") == [20, 2, 7, 3])
    }

    @Test func tokenizerRoundTrips() {
        for text in ["f3 ( f7 ( a b c d ) ) =", "g2 ( h 1 2 ) = h 1 2 ; > h 1 2 <end>", "<pad> <pad> > a <end>", ""] {
            #expect(StringFunctionsTokenizer.decode(tokens(text)) == text)
        }
        let all = (0..<Int32(StringFunctionsTokenizer.vocabularySize)).map { $0 }
        #expect(tokens(StringFunctionsTokenizer.decode(all)) == all)
        var rng = RandomStream(seed: 41)
        for _ in 0..<300 {
            let p = env.sampleProblem(level: 1 + rng.int(6), subset: .main, rng: &rng)
            for style in StringFunctionsTraceStyle.allCases {
                let e = env.example(for: p, style: style)
                let text = StringFunctionsTokenizer.decode(e.prompt + e.target)
                #expect(tokens(text) == e.prompt + e.target)
                #expect(StringFunctionsTokenizer.decode(tokens(text)) == text)
            }
        }
        #expect(StringFunctionsTokenizer.decode([-1, 43, Int32.max, 7]) == "<unk> <unk> <unk> a")
    }

    @Test func promptAndTracesByHand() {
        let sort = env.functionId(of: .sortSymbols), reverse = env.functionId(of: .reverse)
        let fs = "f\(sort)", fr = "f\(reverse)"
        let p = env.makeProblem(calls: [sort, reverse], input: symbols("dcab"))
        #expect(env.prompt(for: p) == tokens("\(fr) ( \(fs) ( d c a b ) ) ="))
        #expect(env.response(for: p, style: .steps)
                == tokens("\(fs) ( d c a b ) = a b c d ; \(fr) ( a b c d ) = d c b a ; > d c b a <end>"))
        #expect(env.response(for: p, style: .rewrite) == tokens("\(fr) ( a b c d ) = d c b a > d c b a <end>"))
        let level1 = env.makeProblem(calls: [reverse], input: symbols("abc"))
        #expect(env.response(for: level1, style: .rewrite) == tokens("c b a > c b a <end>"))
        #expect(env.response(for: level1, style: .steps) == tokens("\(fr) ( a b c ) = c b a ; > c b a <end>"))
        let (prompt, target) = env.example(for: p, style: .rewrite)
        #expect(prompt == env.prompt(for: p) && target == env.response(for: p, style: .rewrite))
        #expect(env.response(for: p) == env.response(for: p, style: env.config.traceStyle))
    }

    @Test func promptParsesBackToItsProblem() {
        var rng = RandomStream(seed: 42)
        for _ in 0..<300 {
            let p = env.sampleProblem(level: 1 + rng.int(6), subset: .main, rng: &rng)
            #expect(env.problem(fromPrompt: env.prompt(for: p)) == p)
        }
        #expect(env.problem(fromPrompt: []) == nil)
        #expect(env.problem(fromPrompt: tokens("f1 ( a b c )")) == nil)           // no '='
        #expect(env.problem(fromPrompt: tokens("f1 ( a b c ) ) =")) == nil)       // unbalanced
        #expect(env.problem(fromPrompt: tokens("f1 ( ) =")) == nil)               // empty input
        #expect(env.problem(fromPrompt: tokens("a b c =")) == nil)                // no call
        #expect(env.problem(fromPrompt: tokens("f1 ( a b c d e f g h a ) =")) == nil)   // 9 symbols
    }

    @Test func contextLengthsByHand() {
        // Level 6, M = 8, input ≤ 8: prompt 3·6 + 8 + 1 = 27; steps 5·6 + 8 + 2·6·8 + 2 = 136; rewrite 45 + 48 + 6 + 1 + 8 = 108.
        #expect(env.contextLength(level: 6, style: .steps) == 163)
        #expect(env.contextLength(level: 6, style: .rewrite) == 135)
        #expect(StringFunctionsFormat.contextLength(level: 6, style: .steps, inputLength: 6) == 159)
        #expect(StringFunctionsFormat.contextLength(level: 6, style: .rewrite, inputLength: 6) == 133)
        // Level 1: "f ( v0 ) = v1 ; > v1 <end>" = 31 tokens at most; "v1 > v1 <end>" = 18.
        #expect(env.maxResponseLength(level: 1, style: .steps) == 31)
        #expect(env.maxResponseLength(level: 1, style: .rewrite) == 18)
    }

    @Test func contextBoundHoldsForTenThousandLevelSixTasks() {
        let fast = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 5, requireEveryCallMatters: false))
        var rng = RandomStream(seed: 43)
        var longest: [StringFunctionsTraceStyle: Int] = [:]
        for i in 0..<10_000 {
            // Half with the default generator, half without the every-call-matters filter (more cap hits).
            let p = i % 2 == 0 ? env.sampleProblem(level: 6, subset: .main, rng: &rng)
                               : fast.sampleProblem(level: 6, subset: .main, rng: &rng)
            #expect(env.values(calls: p.calls, input: p.input).allSatisfy { $0.count <= StringFunctionsAlphabet.maxStringLength })
            for style in StringFunctionsTraceStyle.allCases {
                let e = env.example(for: p, style: style)
                longest[style] = max(longest[style] ?? 0, e.prompt.count + e.target.count)
                #expect(e.target.count <= env.maxResponseLength(level: 6, style: style))
            }
        }
        #expect(longest[.steps]! <= StringFunctionsFormat.contextLength(level: 6, style: .steps, inputLength: 6))
        #expect(longest[.rewrite]! <= StringFunctionsFormat.contextLength(level: 6, style: .rewrite, inputLength: 6))
        #expect(longest[.steps]! >= 150 && longest[.rewrite]! >= 125)   // the bound is nearly reached, not loose
    }
}

@Suite struct StringFunctionsVerification {
    let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 5))
    var answer: [UInt8] { symbols("dcba") }

    func verdict(_ text: String) -> StringFunctionsVerdict { StringFunctionsVerifier.verify(response: tokens(text), answer: answer) }

    @Test func rewardsByHand() {
        #expect(verdict("> d c b a <end>") == StringFunctionsVerdict(status: .parsed, isCorrect: true, reward: 1))
        #expect(verdict("f1 ( a b c d ) = d c b a > d c b a <end> <pad> <pad>").reward == 1)
        #expect(verdict("> d c b a <end> > a <end>").reward == 1)                  // only the first answer counts
        #expect(verdict("> d c b <end>") == StringFunctionsVerdict(status: .parsed, isCorrect: false, reward: 0))
        #expect(verdict("> d c b a a <end>").reward == 0)
        #expect(verdict("> a b c d <end>").reward == 0)
        #expect(verdict("d c b a <end>") == StringFunctionsVerdict(status: .missingAnswerMarker, isCorrect: false, reward: -1))
        #expect(verdict("> d c b a").status == .missingEndToken)
        #expect(verdict("> <end>").status == .emptyAnswer)
        #expect(verdict("> d ( <end>").status == .invalidAnswerToken)
        #expect(verdict("> d c b a <pad> <end>").status == .invalidAnswerToken)
        #expect(verdict("> > d c b a <end>").status == .invalidAnswerToken)
        #expect(verdict("").status == .missingAnswerMarker)
        for bad in ["d c b a <end>", "> d c b a", "> <end>", "> d ( <end>", ""] { #expect(verdict(bad).reward == -1) }
        // Unknown ids: in the answer they make it unparseable; before the marker they are ignored.
        #expect(StringFunctionsVerifier.verify(response: [6, 10, 99, 1], answer: answer).status == .invalidAnswerToken)
        #expect(StringFunctionsVerifier.verify(response: [-7, 999, 6, 10, 9, 8, 7, 1], answer: answer).reward == 1)
        #expect(StringFunctionsVerifier.reward(response: tokens("> d c b a <end>")[...], answer: answer) == 1)
        let parsed = StringFunctionsVerifier.parseAnswer(response: tokens("; > h 1 <end>"))
        #expect(parsed.status == .parsed && parsed.answer == symbols("h1"))
    }

    @Test func goldResponsesEarnOne() {
        var rng = RandomStream(seed: 51)
        for _ in 0..<300 {
            let p = env.sampleProblem(level: 1 + rng.int(6), subset: .main, rng: &rng)
            for style in StringFunctionsTraceStyle.allCases {
                let r = env.response(for: p, style: style)
                #expect(env.verify(response: r, problem: p).reward == 1)
                let a = env.analyze(response: r, problem: p, style: style)
                #expect(a.errorClass == .correct)
                #expect(a.trace.wellFormed && a.trace.structure == .sameCalls && a.trace.stepCount == p.level)
                #expect(a.trace.firstDeviation == nil && a.trace.firstSlip == nil && a.trace.answerMatchesTrace)
            }
        }
    }

    /// Problem: calls [addSuffix, reverse] on "abc": "abc" → "abcgh" → "hgcba".
    /// Fewer calls: [] "abc", [addSuffix] "abcgh", [reverse] "cba". Other order: reverse then addSuffix = "cbagh".
    @Test func errorClassesAtLevelTwoByHand() {
        let suffix = env.functionId(of: .addSuffix), reverse = env.functionId(of: .reverse)
        let p = env.makeProblem(calls: [suffix, reverse], input: symbols("abc"))
        #expect(p.answer == symbols("hgcba"))
        #expect(env.classify(answer: symbols("hgcba"), problem: p) == .correct)
        #expect(env.classify(answer: symbols("abc"), problem: p) == .ignoresComposition)
        #expect(env.classify(answer: symbols("abcgh"), problem: p) == .ignoresComposition)
        #expect(env.classify(answer: symbols("cba"), problem: p) == .ignoresComposition)
        #expect(env.classify(answer: symbols("cbagh"), problem: p) == .wrongOrder)
        #expect(env.classify(answer: symbols("hgcbb"), problem: p) == .atomicError)
        #expect(env.classify(answer: symbols("abcdefgha"), problem: p) == .atomicError)   // too long for any chain
        #expect(env.classify(answer: nil, problem: p) == .unparseable)
        #expect(env.classify(response: tokens("> c b a g h <end>"), problem: p) == .wrongOrder)
        #expect(env.classify(response: tokens("> c b a g h"), problem: p) == .unparseable)
    }

    /// Problem: calls [caesar, duplicate, removeVowels] on "abc": "def" → "ddeeff" → "ddff".
    /// Fewer calls: [] "abc", [c] "def", [d] "aabbcc", [r] "bc", [c,d] "ddeeff", [c,r] "df", [d,r] "bbcc".
    /// Other order [r, c, d]: "bc" → "ef" → "eeff".
    @Test func errorClassesAtLevelThreeByHand() {
        let c = env.functionId(of: .caesarShiftThree), d = env.functionId(of: .duplicateSymbols)
        let r = env.functionId(of: .removeVowels)
        let p = env.makeProblem(calls: [c, d, r], input: symbols("abc"))
        #expect(p.answer == symbols("ddff"))
        for fewer in ["abc", "def", "aabbcc", "bc", "ddeeff", "df", "bbcc"] {
            #expect(env.classify(answer: symbols(fewer), problem: p) == .ignoresComposition, "\(fewer)")
        }
        #expect(env.classify(answer: symbols("eeff"), problem: p) == .wrongOrder)
        #expect(env.classify(answer: symbols("ddfg"), problem: p) == .atomicError)
        // Level 1: every wrong answer, even a copy of the input, is an atomic error.
        let level1 = env.makeProblem(calls: [env.functionId(of: .reverse)], input: symbols("abc"))
        #expect(env.classify(answer: symbols("abc"), problem: level1) == .atomicError)
    }

    @Test func traceReportsByHand() {
        let a = env.functionId(of: .addSuffix), r = env.functionId(of: .reverse)
        let fa = "f\(a)", fr = "f\(r)"
        let p = env.makeProblem(calls: [a, r], input: symbols("abc"))
        func analysis(_ text: String, _ style: StringFunctionsTraceStyle) -> StringFunctionsAnalysis {
            env.analyze(response: tokens(text), problem: p, style: style)
        }
        // Skipped the inner call: fewer calls, no local slip.
        let skip = analysis("\(fr) ( a b c ) = c b a ; > c b a <end>", .steps)
        #expect(skip.errorClass == .ignoresComposition && skip.verdict.reward == 0)
        #expect(skip.trace.structure == .fewerCalls && skip.trace.appliedCalls == [r] && skip.trace.stepCount == 1)
        #expect(skip.trace.firstDeviation == 0 && skip.trace.firstSlip == nil && skip.trace.answerMatchesTrace)
        // Applied in the wrong order.
        let swap = analysis("\(fr) ( a b c ) = c b a ; \(fa) ( c b a ) = c b a g h ; > c b a g h <end>", .steps)
        #expect(swap.errorClass == .wrongOrder && swap.trace.structure == .reorderedCalls && swap.trace.firstSlip == nil)
        // Right structure, a wrong second step.
        let slip = analysis("\(fa) ( a b c ) = a b c g h ; \(fr) ( a b c g h ) = h g c a b ; > h g c a b <end>", .steps)
        #expect(slip.errorClass == .atomicError && slip.trace.structure == .sameCalls)
        #expect(slip.trace.firstDeviation == 1 && slip.trace.firstSlip == 1)
        // Miscopied input of step 2: a slip at step 1 even though reverse is applied correctly to what was copied.
        let copy = analysis("\(fa) ( a b c ) = a b c g h ; \(fr) ( a b c g ) = g c b a ; > g c b a <end>", .steps)
        #expect(copy.trace.firstSlip == 1 && copy.trace.firstDeviation == 1)
        // Trace and answer disagree.
        let inconsistent = analysis("\(fa) ( a b c ) = a b c g h ; \(fr) ( a b c g h ) = h g c b a ; > h g c b <end>", .steps)
        #expect(!inconsistent.trace.answerMatchesTrace && inconsistent.trace.firstDeviation == nil)
        // Rewrite traces: the gold one, a skip, an atomic slip, a malformed one.
        let gold = analysis("\(fr) ( a b c g h ) = h g c b a > h g c b a <end>", .rewrite)
        #expect(gold.errorClass == .correct && gold.trace.structure == .sameCalls && gold.trace.stepCount == 2)
        let rewriteSkip = analysis("c b a > c b a <end>", .rewrite)
        #expect(rewriteSkip.errorClass == .ignoresComposition && rewriteSkip.trace.firstSlip == 0)
        #expect(rewriteSkip.trace.structure == .fewerCalls && rewriteSkip.trace.firstDeviation == 0)
        let rewriteSlip = analysis("\(fr) ( a b c g h ) = h g c b b > h g c b b <end>", .rewrite)
        #expect(rewriteSlip.errorClass == .atomicError && rewriteSlip.trace.firstSlip == 1 && rewriteSlip.trace.firstDeviation == 1)
        let malformed = analysis("\(fr) ( a b c g h = h g > h g <end>", .rewrite)
        #expect(!malformed.trace.wellFormed && malformed.trace.structure == .unparseable && malformed.trace.firstDeviation == 0)
        // No trace at all: zero steps, fewer calls.
        let bare = analysis("> h g c b a <end>", .steps)
        #expect(bare.errorClass == .correct && bare.trace.stepCount == 0 && bare.trace.structure == .fewerCalls)
    }

    @Test func packedClassifierAgreesWithReferenceSubsequenceSearch() {
        var rng = RandomStream(seed: 52)
        for _ in 0..<500 {
            let p = env.sampleProblem(level: 2 + rng.int(5), subset: .main, rng: &rng)
            let answer = (0..<(1 + rng.int(8))).map { _ in UInt8(rng.int(10)) }
            #expect(env.reachesByFewerCalls(calls: p.calls, input: p.input, target: answer)
                    == env.reachesByFewerCallsReference(calls: p.calls, input: p.input, target: answer))
            // And on answers that are fewer-call results by construction.
            let mask = rng.int((1 << p.level) - 1)
            let fewer = env.evaluate(calls: p.calls.indices.filter { mask & (1 << $0) != 0 }.map { p.calls[$0] }, input: p.input)
            #expect(env.classify(answer: fewer, problem: p) == .ignoresComposition)
        }
    }
}

@Suite struct StringFunctionsFuzz {
    let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 9))

    /// Checks that a verdict is internally consistent.
    func checkVerdict(_ v: StringFunctionsVerdict) {
        #expect([-1, 0, 1].contains(v.reward))
        #expect((v.status == .parsed) == (v.reward >= 0))
        #expect(v.isCorrect == (v.reward == 1))
    }

    @Test func randomTokenSequencesNeverTrap() {
        var rng = RandomStream(seed: 61)
        let problems = (0..<20).map { env.sampleProblem(level: 1 + $0 % 6, subset: .main, rng: &rng) }
        let extremes: [Int32] = [-1, -100, 43, 44, 1000, Int32.max, Int32.min]
        for i in 0..<4000 {
            let length = [0, 1, 2, 5, 20, 80, 300][i % 7]
            let response: [Int32] = (0..<length).map { _ in
                rng.int(20) == 0 ? extremes[rng.int(extremes.count)] : Int32(rng.int(StringFunctionsTokenizer.vocabularySize))
            }
            let p = problems[i % problems.count]
            checkVerdict(env.verify(response: response, problem: p))
            let a = env.analyze(response: response, problem: p, style: i % 2 == 0 ? .steps : .rewrite)
            #expect((a.errorClass == .unparseable) == (a.verdict.reward == -1))
            #expect(a.trace.stepCount <= response.count)
            _ = env.problem(fromPrompt: response)
            _ = StringFunctionsFormat.parseExpression(response[...])
            #expect(!StringFunctionsTokenizer.decode(response).isEmpty || response.isEmpty)
        }
    }

    @Test func truncatedAndMutatedGoldResponses() {
        var rng = RandomStream(seed: 62)
        let edits: [Int32] = [StringFunctionsTokenizer.open, StringFunctionsTokenizer.close, StringFunctionsTokenizer.equals,
                              StringFunctionsTokenizer.stepSeparator, StringFunctionsTokenizer.answerMarker,
                              StringFunctionsTokenizer.end, StringFunctionsTokenizer.pad, 40, -3, 77]
        for i in 0..<200 {
            let p = env.sampleProblem(level: 1 + i % 6, subset: .main, rng: &rng)
            let style: StringFunctionsTraceStyle = i % 2 == 0 ? .steps : .rewrite
            let gold = env.response(for: p, style: style)
            // Every strict prefix lacks the end token, so nothing parses (−1); the whole response earns 1.
            for cut in 0..<gold.count {
                let v = env.verify(response: gold[..<cut], problem: p)
                #expect(v.reward == -1 && (v.status == .missingEndToken || v.status == .missingAnswerMarker))
                _ = env.analyze(response: Array(gold[..<cut]), problem: p, style: style)
            }
            // Unbalanced parentheses and other edits in the trace: the answer still decides the reward.
            let marker = gold.firstIndex(of: StringFunctionsTokenizer.answerMarker)!
            for _ in 0..<10 {
                var mutated = gold
                let position = rng.int(marker + 1)
                if rng.bernoulli(0.5) && position < marker { mutated.remove(at: position) }
                else { mutated.insert(edits[rng.int(edits.count)], at: position) }
                let v = env.verify(response: mutated, problem: p)
                checkVerdict(v)
                let a = env.analyze(response: mutated, problem: p, style: style)
                if a.trace.wellFormed && a.trace.firstDeviation == nil { #expect(mutated == gold || a.trace.stepCount == p.level) }
            }
        }
    }

    @Test func veryLongAndDegenerateInputs() {
        var rng = RandomStream(seed: 63)
        let p = env.sampleProblem(level: 3, subset: .heldOut, rng: &rng)
        let long = [StringFunctionsTokenizer.answerMarker] + [Int32](repeating: 7, count: 100_000)
        #expect(env.verify(response: long, problem: p).status == .missingEndToken)
        #expect(env.verify(response: long + [StringFunctionsTokenizer.end], problem: p).reward == 0)
        #expect(env.classify(response: long + [StringFunctionsTokenizer.end], problem: p) == .atomicError)
        let parens = [Int32](repeating: StringFunctionsTokenizer.open, count: 50_000) + [StringFunctionsTokenizer.answerMarker]
        let report = env.analyze(response: parens, problem: p, style: .rewrite)
        #expect(!report.trace.wellFormed && report.verdict.status == .missingEndToken)
        #expect(!env.analyze(response: parens, problem: p, style: .steps).trace.wellFormed)
        #expect(StringFunctionsFormat.parseExpression(parens.dropLast()) == nil)
        // Unknown function ids and auxiliary ids inside a main-family trace.
        let foreign = tokens("g3 ( a b c ) = c b a ; > c b a <end>")
        let f = env.analyze(response: foreign, problem: p, style: .steps)
        #expect(f.trace.structure == .otherCalls && f.trace.wellFormed && f.trace.firstDeviation == 0)
        #expect(!env.analyze(response: [43, 2, 7, 3, 4, 7, 5, 6, 7, 1], problem: p, style: .steps).trace.wellFormed)
        #expect(env.problem(fromPrompt: [43, 2, 7, 3, 4]) == nil)
        #expect(env.problem(fromPrompt: [Int32](repeating: 20, count: 10_000) + [4]) == nil)
    }

    @Test func tokenizerFuzz() {
        var rng = RandomStream(seed: 64)
        let pieces = StringFunctionsTokenizer.spellings + ["<unk>", "f16", "g10", "x", "(a", "", "ab", "f", "1 2", "\u{00e9}", "=="]
        for _ in 0..<3000 {
            let text = (0..<rng.int(12)).map { _ in pieces[rng.int(pieces.count)] }.joined(separator: rng.bernoulli(0.8) ? " " : "  ")
            if let ids = StringFunctionsTokenizer.encode(text) {
                #expect(ids.allSatisfy { $0 >= 0 && Int($0) < StringFunctionsTokenizer.vocabularySize })
                #expect(StringFunctionsTokenizer.encode(StringFunctionsTokenizer.decode(ids)) == ids)
            }
        }
        #expect(StringFunctionsTokenizer.encode("<unk>") == nil)
        #expect(StringFunctionsTokenizer.symbol(Int32.min) == nil && StringFunctionsTokenizer.functionId(Int32.max) == nil)
        #expect(StringFunctionsTokenizer.symbol(-1) == nil && StringFunctionsTokenizer.functionId(16) == nil)
    }
}
