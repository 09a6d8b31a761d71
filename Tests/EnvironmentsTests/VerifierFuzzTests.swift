import Testing
import Foundation
@testable import Environments
import Engine

// MARK: - StringFunctions: the verifier and the answer-only classifier against a text-level twin

/// An independent twin of `StringFunctionsVerifier.verify` and `classify(answer:problem:)`: it reads the decoded
/// text word by word (the environment walks token ids), and it classifies a wrong answer by enumerating every proper
/// subsequence and every other ordering of the calls on plain [UInt8] strings (the environment searches packed
/// strings depth-first with pruning).
struct NaiveStringFunctionsVerifier {
    let env: StringFunctionsEnvironment

    func verify(_ tokens: [Int32], answer: [UInt8]) -> (status: StringFunctionsParseStatus, parsed: [UInt8]?) {
        let words = StringFunctionsTokenizer.decode(tokens).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let marker = words.firstIndex(of: ">") else { return (.missingAnswerMarker, nil) }
        var symbols: [UInt8] = []
        for word in words[(marker + 1)...] {
            if word == "<end>" { return symbols.isEmpty ? (.emptyAnswer, nil) : (.parsed, symbols) }
            guard word.count == 1, let s = StringFunctionsAlphabet.spellings.firstIndex(of: word.first!) else {
                return (.invalidAnswerToken, nil)
            }
            symbols.append(UInt8(s))
        }
        return (.missingEndToken, nil)
    }

    func classify(_ answer: [UInt8]?, problem: StringFunctionsProblem) -> StringFunctionsErrorClass {
        guard let answer else { return .unparseable }
        let calls = problem.calls, n = calls.count
        func run(_ chain: [Int]) -> [UInt8] { chain.reduce(problem.input) { env.kind(of: $1).apply($0) } }
        if run(calls) == answer { return .correct }
        if n < 2 { return .atomicError }
        for mask in 0..<((1 << n) - 1) where run((0..<n).filter { mask & (1 << $0) != 0 }.map { calls[$0] }) == answer {
            return .ignoresComposition
        }
        var found = false
        func permute(_ prefix: [Int], _ rest: [Int]) {
            if found { return }
            if rest.isEmpty { found = prefix != calls && run(prefix) == answer; return }
            for j in rest.indices { var r = rest; let c = r.remove(at: j); permute(prefix + [c], r) }
        }
        permute([], calls)
        return found ? .wrongOrder : .atomicError
    }
}

@Suite struct StringFunctionsVerifierFuzz {
    @Test func verifierAndClassifierAgreeWithTheirTextLevelTwin() {
        let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 21))
        let twin = NaiveStringFunctionsVerifier(env: env)
        var rng = RandomStream(seed: 0xF022)
        let subsets: [StringFunctionsSubset] = [.main, .heldOut, .auxiliary]
        let problems = (0..<300).map { env.sampleProblem(level: 1 + $0 % 6, subset: subsets[$0 % 3], rng: &rng) }
        let extremes: [Int32] = [-1, -100, 43, 44, 1000, Int32.max, Int32.min]
        let edits: [Int32] = [StringFunctionsTokenizer.open, StringFunctionsTokenizer.close, StringFunctionsTokenizer.equals,
                              StringFunctionsTokenizer.stepSeparator, StringFunctionsTokenizer.answerMarker,
                              StringFunctionsTokenizer.end, StringFunctionsTokenizer.pad, 40, -3, 77]
        func randomToken() -> Int32 {
            rng.int(20) == 0 ? extremes[rng.int(extremes.count)] : Int32(rng.int(StringFunctionsTokenizer.vocabularySize))
        }
        var memo: [Int: [[UInt8]: StringFunctionsErrorClass]] = [:]
        var statuses = Set<StringFunctionsParseStatus>(), classes = Set<StringFunctionsErrorClass>()
        let trials = Build.fuzzInputs(unchecked: 20_000)
        for trial in 0..<trials {
            let pi = rng.int(problems.count), p = problems[pi]
            var response: [Int32]
            switch trial % 4 {
            case 0:
                // random token sequences, of every length up to 300, with out-of-vocabulary ids
                response = (0..<[0, 1, 2, 5, 20, 80, 300][rng.int(7)]).map { _ in randomToken() }
            case 1:
                // the gold response in either style, then 1–3 substitutions, insertions, deletions or a truncation
                response = env.response(for: p, style: rng.bernoulli(0.5) ? .steps : .rewrite)
                for _ in 0..<(1 + rng.int(3)) {
                    let at = rng.int(response.count + 1)
                    switch rng.int(4) {
                    case 0: if at < response.count { response[at] = rng.bernoulli(0.5) ? edits[rng.int(edits.count)] : randomToken() }
                    case 1: response.insert(rng.bernoulli(0.5) ? edits[rng.int(edits.count)] : randomToken(), at: at)
                    case 2: if at < response.count { response.remove(at: at) }
                    default: response = Array(response.prefix(at))
                    }
                }
            case 2:
                // an answer some other chain of the problem's calls produces (a subsequence or a reordering), so that
                // every error class is reached, after an optional random trace
                var chain = p.calls.filter { _ in rng.bernoulli(0.7) }
                if rng.bernoulli(0.5) { chain = p.calls; for k in stride(from: chain.count - 1, to: 0, by: -1) { chain.swapAt(k, rng.int(k + 1)) } }
                let value = env.evaluate(calls: chain, input: p.input)
                let trace = (0..<rng.int(6)).map { _ in randomToken() }.filter { $0 != StringFunctionsTokenizer.answerMarker }
                response = trace + [StringFunctionsTokenizer.answerMarker] + value.map(StringFunctionsTokenizer.symbolToken)
                    + (rng.int(10) == 0 ? [] : [StringFunctionsTokenizer.end])
            default:
                // extreme lengths: one input in 500 has 10⁴–10⁵ tokens; the others a long answer of random symbols
                if trial % 2000 == 3 {
                    let fill = rng.bernoulli(0.5) ? StringFunctionsTokenizer.symbolToken(UInt8(rng.int(10))) : randomToken()
                    response = [StringFunctionsTokenizer.answerMarker] + [Int32](repeating: fill, count: 10_000 + rng.int(90_000))
                    if rng.bernoulli(0.5) { response.append(StringFunctionsTokenizer.end) }
                } else {
                    response = [StringFunctionsTokenizer.answerMarker] + (0..<rng.int(50)).map { _ in StringFunctionsTokenizer.symbolToken(UInt8(rng.int(10))) }
                    if rng.bernoulli(0.8) { response.append(StringFunctionsTokenizer.end) }
                }
            }
            let v = env.verify(response: response, problem: p)
            let naive = twin.verify(response, answer: p.answer)
            #expect(v.status == naive.status, "\(StringFunctionsTokenizer.decode(response))")
            #expect(v.isCorrect == (naive.parsed == p.answer) && v.reward == (naive.parsed == nil ? -1 : (naive.parsed == p.answer ? 1 : 0)))
            let c = env.classify(response: response, problem: p)
            let expected: StringFunctionsErrorClass
            if let answer = naive.parsed, let known = memo[pi]?[answer] { expected = known } else {
                expected = twin.classify(naive.parsed, problem: p)
                if let answer = naive.parsed { memo[pi, default: [:]][answer] = expected }
            }
            #expect(c == expected, "\(p) \(StringFunctionsTokenizer.decode(response))")
            if trial % 16 == 1 { _ = env.analyze(response: response, problem: p, style: trial % 32 == 1 ? .steps : .rewrite) }
            statuses.insert(v.status); classes.insert(c)
        }
        #expect(statuses == Set(StringFunctionsParseStatus.allCases))
        #expect(classes == Set(StringFunctionsErrorClass.allCases))
        print("fuzz: StringFunctions verifier and classifier: \(trials) inputs, \(Build.description) build")
    }

    /// The twin itself, on cases worked out by hand: it must not just repeat the environment.
    @Test func twinByHand() {
        let env = StringFunctionsEnvironment(config: StringFunctionsConfig(seed: 21))
        let twin = NaiveStringFunctionsVerifier(env: env)
        let t = { StringFunctionsTokenizer.encode($0)! }
        #expect(twin.verify(t("f0 ( a b ) = b a"), answer: [1, 0]).status == .missingAnswerMarker)
        #expect(twin.verify(t("> b a <end>"), answer: [1, 0]).parsed == [1, 0])
        #expect(twin.verify(t("> <end>"), answer: [1, 0]).status == .emptyAnswer)
        #expect(twin.verify(t("> b ( <end>"), answer: [1, 0]).status == .invalidAnswerToken)
        #expect(twin.verify(t("> b a"), answer: [1, 0]).status == .missingEndToken)
        #expect(twin.verify([6, 8, 99, 1], answer: [1]).status == .invalidAnswerToken)
        // reverse then caesarShiftThree (a→d, b→e, d→g, e→h) on "abed"
        let rev = env.kinds.firstIndex(of: .reverse)!, rmv = env.kinds.firstIndex(of: .removeVowels)!
        let sh = env.kinds.firstIndex(of: .caesarShiftThree)!
        let p = StringFunctionsProblem(calls: [rev, sh], input: [0, 1, 4, 3], answer: [6, 7, 4, 3])                 // "abed" → "deba" → "ghed"
        #expect(twin.classify([6, 7, 4, 3], problem: p) == .correct)                            // "ghed"
        #expect(twin.classify([3, 4, 1, 0], problem: p) == .ignoresComposition)                 // "deba": reverse only
        #expect(twin.classify([0, 1, 4, 3], problem: p) == .ignoresComposition)                 // "abed": no call
        #expect(twin.classify([3, 4, 7, 6], problem: p) == .ignoresComposition)                 // "dehg": shift only
        #expect(twin.classify([2, 2], problem: p) == .atomicError)
        let q = StringFunctionsProblem(calls: [rmv, sh], input: [0, 1, 4, 3], answer: [4, 6])                   // "abed" → "bd" → "eg"
        // shift then removeVowels: "abed" → "dehg" → "dhg" (e removed): the other order
        #expect(twin.classify([3, 7, 6], problem: q) == .wrongOrder)
        #expect(twin.classify(nil, problem: q) == .unparseable)
    }
}
