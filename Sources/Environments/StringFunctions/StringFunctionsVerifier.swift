import Engine

// Verifier, error classes and trace analysis of the StringFunctions environment. Everything here is total: any
// token ids (empty, truncated, garbage, negative or out-of-vocabulary ids, unbalanced parentheses) get a defined
// result.

/// Whether the answer could be read from a response.
public enum StringFunctionsParseStatus: String, Codable, Equatable, Sendable, CaseIterable {
    /// `>` then ≥ 1 symbols then `<end>`.
    case parsed
    /// No `>` token.
    case missingAnswerMarker
    /// The response ends (truncated) before `<end>` follows the answer.
    case missingEndToken
    /// `>` is directly followed by `<end>`.
    case emptyAnswer
    /// A token between `>` and `<end>` is not a symbol (including unknown ids).
    case invalidAnswerToken
}

/// The verifier's judgement of one response.
public struct StringFunctionsVerdict: Equatable, Sendable {
    public var status: StringFunctionsParseStatus
    /// The parsed answer equals the gold answer exactly.
    public var isCorrect: Bool
    /// 1 correct, 0 parsed but wrong, −1 unparseable (the paper's reward).
    public var reward: Float
}

/// How a Level ≥ 2 answer relates to the problem, decided from the answer alone. With calls c₁ … c_n (application
/// order), input x and gold answer y, a parsed answer a ≠ y is, checked in this order:
/// - `ignoresComposition`: a = the result of a proper subsequence of the calls in their given order applied to x
///   (from none — a copy of x — to n − 1 of them, e.g. only the outermost call applied to x);
/// - `wrongOrder`: a = the result of all n calls in another order (a different sequence of the same multiset);
/// - `atomicError`: any other parseable answer (the structure may be right but some step is wrong).
/// At Level 1 every wrong parseable answer is an `atomicError`. `unparseable`: no answer (reward −1).
public enum StringFunctionsErrorClass: String, Codable, Equatable, Sendable, CaseIterable {
    case correct
    case ignoresComposition
    case wrongOrder
    case atomicError
    case unparseable
}

/// How the calls a trace applies relate to the problem's calls.
public enum StringFunctionsTraceStructure: String, Codable, Equatable, Sendable, CaseIterable {
    /// Exactly the problem's calls, innermost first.
    case sameCalls
    /// A proper subsequence of them in order (calls skipped; also an empty trace).
    case fewerCalls
    /// All of them, in another order.
    case reorderedCalls
    /// Anything else (extra or foreign calls).
    case otherCalls
    /// The first step does not parse.
    case unparseable
}

/// What a response's trace (the tokens before the answer marker) shows.
///
/// Steps are normalised to (function, input, output): in `.steps` traces they are written out; in `.rewrite`
/// traces step k reduces expression e_k to e_{k+1} (e₀ is the prompt's expression), its function is e_k's innermost
/// call, its input e_k's string and its output e_{k+1}'s string.
public struct StringFunctionsTraceReport: Equatable, Sendable {
    /// Every token before the answer marker belongs to a parsed step.
    public var wellFormed: Bool
    /// Number of parsed steps (parsing stops at the first malformed step).
    public var stepCount: Int
    /// The functions the parsed steps apply, in order.
    public var appliedCalls: [Int]
    /// How `appliedCalls` relates to the problem's calls.
    public var structure: StringFunctionsTraceStructure
    /// First step (0-based) that differs from the gold trace's step, or that is missing, extra or malformed; nil
    /// when the trace equals the gold trace.
    public var firstDeviation: Int?
    /// First step that is wrong on its own terms: its output is not its function applied to its input, its input
    /// is not the previous output (steps), or it miscopies the remaining calls (rewrite); nil if none.
    public var firstSlip: Int?
    /// The parsed answer equals the last step's output.
    public var answerMatchesTrace: Bool
}

/// The full analysis of one response.
public struct StringFunctionsAnalysis: Equatable, Sendable {
    public var verdict: StringFunctionsVerdict
    /// From the answer alone (see `StringFunctionsErrorClass`).
    public var errorClass: StringFunctionsErrorClass
    /// What the trace shows: where the first slip is and whether calls were skipped or reordered.
    public var trace: StringFunctionsTraceReport
}

/// Reading answers from token ids. Works directly on ids, allocation-free in `verify`.
public enum StringFunctionsVerifier {
    /// Verdict of `response` (generated token ids; a prompt before them is harmless, prompts contain no `>`)
    /// against the gold `answer`. The answer is the symbols between the FIRST `>` and the next `<end>`; tokens
    /// after `<end>` are ignored. Reward 1 exact match, 0 parsed but wrong, −1 unparseable.
    public static func verify<C: Collection>(response: C, answer: [UInt8]) -> StringFunctionsVerdict
    where C.Element == Int32 {
        guard var i = response.firstIndex(of: StringFunctionsTokenizer.answerMarker) else {
            return StringFunctionsVerdict(status: .missingAnswerMarker, isCorrect: false, reward: -1)
        }
        i = response.index(after: i)
        var length = 0, matches = true
        while i != response.endIndex {
            let token = response[i]
            if token == StringFunctionsTokenizer.end {
                if length == 0 { return StringFunctionsVerdict(status: .emptyAnswer, isCorrect: false, reward: -1) }
                let correct = matches && length == answer.count
                return StringFunctionsVerdict(status: .parsed, isCorrect: correct, reward: correct ? 1 : 0)
            }
            guard let s = StringFunctionsTokenizer.symbol(token) else {
                return StringFunctionsVerdict(status: .invalidAnswerToken, isCorrect: false, reward: -1)
            }
            if length < answer.count { matches = matches && answer[length] == s } else { matches = false }
            length += 1
            i = response.index(after: i)
        }
        return StringFunctionsVerdict(status: .missingEndToken, isCorrect: false, reward: -1)
    }

    /// The parse status and the answer's symbols (empty unless `.parsed`), by the same rule as `verify`.
    public static func parseAnswer<C: Collection>(response: C) -> (status: StringFunctionsParseStatus, answer: [UInt8])
    where C.Element == Int32 {
        guard var i = response.firstIndex(of: StringFunctionsTokenizer.answerMarker) else { return (.missingAnswerMarker, []) }
        i = response.index(after: i)
        var out: [UInt8] = []
        while i != response.endIndex {
            let token = response[i]
            if token == StringFunctionsTokenizer.end { return out.isEmpty ? (.emptyAnswer, []) : (.parsed, out) }
            guard let s = StringFunctionsTokenizer.symbol(token) else { return (.invalidAnswerToken, []) }
            out.append(s)
            i = response.index(after: i)
        }
        return (.missingEndToken, [])
    }

    /// The reward alone (1 / 0 / −1).
    public static func reward<C: Collection>(response: C, answer: [UInt8]) -> Float where C.Element == Int32 {
        verify(response: response, answer: answer).reward
    }
}

extension StringFunctionsEnvironment {
    /// Verdict of `response` for `problem` (see `StringFunctionsVerifier.verify`).
    public func verify<C: Collection>(response: C, problem: StringFunctionsProblem) -> StringFunctionsVerdict
    where C.Element == Int32 {
        StringFunctionsVerifier.verify(response: response, answer: problem.answer)
    }

    /// Error class of a parsed `answer` (nil = unparseable) to `problem`; see `StringFunctionsErrorClass`.
    /// Cost: at most 2ⁿ − 1 subsequences and n! orders (n ≤ 6: 63 and 720 chains, orders sharing prefixes).
    public func classify(answer: [UInt8]?, problem: StringFunctionsProblem) -> StringFunctionsErrorClass {
        guard let answer else { return .unparseable }
        if answer == problem.answer { return .correct }
        let n = problem.calls.count
        require(problem.calls.allSatisfy { $0 >= 0 && $0 < kinds.count }, "StringFunctions.classify: unknown function id")
        // Every value of every chain has ≤ 8 symbols < 10, so a longer or foreign answer matches no chain.
        if n < 2 || answer.count > StringFunctionsAlphabet.maxStringLength
            || answer.contains(where: { $0 >= StringFunctionsAlphabet.symbolCount })
            || problem.input.count > StringFunctionsAlphabet.maxStringLength
            || problem.input.contains(where: { $0 >= StringFunctionsAlphabet.symbolCount }) { return .atomicError }
        let input = StringFunctionsPacked(problem.input), target = StringFunctionsPacked(answer)
        if reachesByFewerCalls(calls: problem.calls, from: 0, value: input, skipped: false, target: target) {
            return .ignoresComposition
        }
        var remaining = problem.calls, order: [Int] = []
        if reachesByOtherOrder(target: target, calls: problem.calls, value: input, remaining: &remaining, order: &order) {
            return .wrongOrder
        }
        return .atomicError
    }

    /// Error class of a response, from its answer alone.
    public func classify(response: [Int32], problem: StringFunctionsProblem) -> StringFunctionsErrorClass {
        let parsed = StringFunctionsVerifier.parseAnswer(response: response)
        return classify(answer: parsed.status == .parsed ? parsed.answer : nil, problem: problem)
    }

    /// Depth-first search over the distinct orders of the remaining calls (equal ids tried once per position).
    private func reachesByOtherOrder(target: StringFunctionsPacked, calls: [Int], value: StringFunctionsPacked,
                                     remaining: inout [Int], order: inout [Int]) -> Bool {
        if remaining.isEmpty { return order != calls && value == target }
        var tried: UInt64 = 0
        for j in 0..<remaining.count {
            let c = remaining[j]
            if tried & (1 << UInt64(c)) != 0 { continue }
            tried |= 1 << UInt64(c)
            remaining.remove(at: j); order.append(c)
            let found = reachesByOtherOrder(target: target, calls: calls, value: kinds[c].apply(packed: value),
                                            remaining: &remaining, order: &order)
            order.removeLast(); remaining.insert(c, at: j)
            if found { return true }
        }
        return false
    }

    /// Verdict, answer-only error class and trace report of `response` (generated tokens) in `style`.
    public func analyze(response: [Int32], problem: StringFunctionsProblem,
                        style: StringFunctionsTraceStyle) -> StringFunctionsAnalysis {
        let verdict = verify(response: response, problem: problem)
        let parsed = StringFunctionsVerifier.parseAnswer(response: response)
        let answer: [UInt8]? = parsed.status == .parsed ? parsed.answer : nil
        return StringFunctionsAnalysis(verdict: verdict, errorClass: classify(answer: answer, problem: problem),
                                       trace: traceReport(response: response, problem: problem, style: style, answer: answer))
    }

    /// Analysis in the configured trace style.
    public func analyze(response: [Int32], problem: StringFunctionsProblem) -> StringFunctionsAnalysis {
        analyze(response: response, problem: problem, style: config.traceStyle)
    }

    /// The trace report of `response` (the tokens before the first `>`, or before `<end>` / the end if none).
    public func traceReport(response: [Int32], problem: StringFunctionsProblem, style: StringFunctionsTraceStyle,
                            answer: [UInt8]?) -> StringFunctionsTraceReport {
        let stop = response.firstIndex { $0 == StringFunctionsTokenizer.answerMarker || $0 == StringFunctionsTokenizer.end }
            ?? response.endIndex
        let trace = response[..<stop]
        // Normalised steps: function, input, output, the calls left after it (rewrite), locally consistent.
        var steps: [(function: Int, input: [UInt8], output: [UInt8], remaining: [Int]?, consistent: Bool)] = []
        var wellFormed = true
        if !trace.isEmpty {
            switch style {
            case .steps:
                var segments = trace.split(separator: StringFunctionsTokenizer.stepSeparator, omittingEmptySubsequences: false)
                if segments.last?.isEmpty == true { segments.removeLast() }
                var previous = problem.input
                for segment in segments {
                    guard let eq = segment.firstIndex(of: StringFunctionsTokenizer.equals),
                          let call = StringFunctionsFormat.parseExpression(segment[..<eq]), call.calls.count == 1,
                          let output = Self.symbols(segment[(eq + 1)...]) else { wellFormed = false; break }
                    let f = call.calls[0]
                    steps.append((f, call.value, output, nil, call.value == previous && apply(f, to: call.value) == output))
                    previous = output
                }
            case .rewrite:
                var current = (calls: problem.calls, value: problem.input)
                for segment in trace.split(separator: StringFunctionsTokenizer.equals, omittingEmptySubsequences: false) {
                    guard let next = StringFunctionsFormat.parseExpression(segment), let f = current.calls.first else {
                        wellFormed = false; break
                    }
                    let consistent = next.calls == Array(current.calls.dropFirst()) && apply(f, to: current.value) == next.value
                    steps.append((f, current.value, next.value, next.calls, consistent))
                    current = next
                }
            }
        }

        // Compare with the gold trace: step k must apply calls[k] to v_k giving v_{k+1} (and, in rewrites, leave
        // calls[k+1...] in place).
        let gold = values(calls: problem.calls, input: problem.input)
        let n = problem.calls.count
        var firstDeviation: Int? = nil
        for (k, step) in steps.enumerated() {
            if k >= n || step.function != problem.calls[k] || step.input != gold[k] || step.output != gold[k + 1]
                || (step.remaining != nil && step.remaining! != Array(problem.calls[(k + 1)...])) {
                firstDeviation = k; break
            }
        }
        if firstDeviation == nil && (steps.count != n || !wellFormed) { firstDeviation = min(steps.count, n) }
        let firstSlip = steps.firstIndex { !$0.consistent }
        let applied = steps.map(\.function)
        let structure: StringFunctionsTraceStructure
        if !wellFormed && steps.isEmpty { structure = .unparseable }
        else if applied == problem.calls { structure = .sameCalls }
        else if Self.isSubsequence(applied, of: problem.calls) { structure = .fewerCalls }
        else if applied.sorted() == problem.calls.sorted() { structure = .reorderedCalls }
        else { structure = .otherCalls }
        let matches = answer != nil && steps.last.map { $0.output == answer! } == true
        return StringFunctionsTraceReport(wellFormed: wellFormed, stepCount: steps.count, appliedCalls: applied,
                                          structure: structure, firstDeviation: firstDeviation, firstSlip: firstSlip,
                                          answerMatchesTrace: matches)
    }

    static func symbols(_ tokens: ArraySlice<Int32>) -> [UInt8]? {
        var out: [UInt8] = []
        for t in tokens {
            guard let s = StringFunctionsTokenizer.symbol(t) else { return nil }
            out.append(s)
        }
        return out
    }

    static func isSubsequence(_ a: [Int], of b: [Int]) -> Bool {
        guard a.count < b.count else { return false }
        var j = 0
        for x in b where j < a.count && a[j] == x { j += 1 }
        return j == a.count
    }
}
