import Engine

// The token vocabulary of the StringFunctions environment, the prompt / trace / answer format, and the context
// length each level needs.

/// How the model writes its work before the answer.
public enum StringFunctionsTraceStyle: String, Codable, Equatable, Sendable, CaseIterable {
    /// One step per call, innermost first: `fK ( input ) = output ;` for each call, then the answer.
    case steps
    /// Rewrites: each step reduces the innermost call and copies the rest, `expr₁ = expr₂ = … = value`, then the
    /// answer. Suits relative positions (every step is a local edit of the previous expression).
    case rewrite
}

/// The vocabulary (43 tokens) and its text form. Every token is one id:
///
/// | id | spelling | meaning |
/// |---|---|---|
/// | 0 | `<pad>` | padding (left of prompts, after a finished response) |
/// | 1 | `<end>` | end of answer: sampling stops here |
/// | 2, 3 | `(` `)` | call parentheses |
/// | 4 | `=` | ends the prompt; separates a step's call from its result / rewrites from each other |
/// | 5 | `;` | ends a step (step traces) |
/// | 6 | `>` | answer marker: the final answer follows, up to `<end>` |
/// | 7–16 | `a`…`h` `1` `2` | the 10 symbols (symbol s is token 7 + s) |
/// | 17–32 | `f0`…`f15` | main-family function ids (function id k is token 17 + k) |
/// | 33–42 | `g0`…`g9` | auxiliary-family function ids (function ids 16…25) |
///
/// Text form: token spellings separated by single spaces (`f3 ( f7 ( a b c d ) ) =`); `decode(encode(t)) == t`
/// for every such text. `encode` accepts any whitespace between tokens; ids outside 0..<43 decode as `<unk>`.
public enum StringFunctionsTokenizer {
    public static let pad: Int32 = 0
    public static let end: Int32 = 1
    public static let open: Int32 = 2
    public static let close: Int32 = 3
    public static let equals: Int32 = 4
    public static let stepSeparator: Int32 = 5
    public static let answerMarker: Int32 = 6
    /// Token of symbol 0 (`a`).
    public static let symbolBase: Int32 = 7
    /// Token of function id 0 (`f0`).
    public static let functionBase: Int32 = 17
    /// Number of main-family function ids (`f0`…`f15`, ids 0..<16).
    public static let mainFunctionCount = 16
    /// Number of auxiliary-family function ids (`g0`…`g9`, ids 16..<26).
    public static let auxiliaryFunctionCount = 10
    /// All function ids: 0..<26.
    public static let functionCount = mainFunctionCount + auxiliaryFunctionCount
    public static let vocabularySize = Int(functionBase) + functionCount

    /// Spelling of every token id, in id order.
    public static let spellings: [String] = {
        var s = ["<pad>", "<end>", "(", ")", "=", ";", ">"]
        s += StringFunctionsAlphabet.spellings.map { String($0) }
        s += (0..<functionCount).map(functionName)
        return s
    }()

    static let idOfSpelling: [String: Int32] = {
        var d: [String: Int32] = [:]
        for (i, s) in spellings.enumerated() { d[s] = Int32(i) }
        return d
    }()

    /// The name of function id `id`: `f0`…`f15` for the main family (0..<16), `g0`…`g9` for the auxiliary one.
    public static func functionName(_ id: Int) -> String {
        id < mainFunctionCount ? "f\(id)" : "g\(id - mainFunctionCount)"
    }

    /// Whether function id `id` (0..<26) belongs to the main family.
    @inline(__always) public static func isMainFunction(_ id: Int) -> Bool { id >= 0 && id < mainFunctionCount }

    @inline(__always) public static func symbolToken(_ symbol: UInt8) -> Int32 { symbolBase + Int32(symbol) }
    @inline(__always) public static func functionToken(_ id: Int) -> Int32 { functionBase + Int32(id) }

    /// The symbol of a token, nil if it is not a symbol token.
    @inline(__always) public static func symbol(_ token: Int32) -> UInt8? {
        let s = token &- symbolBase
        return s >= 0 && s < Int32(StringFunctionsAlphabet.symbolCount) ? UInt8(s) : nil
    }

    /// The function id of a token, nil if it is not a function-id token.
    @inline(__always) public static func functionId(_ token: Int32) -> Int? {
        let f = token &- functionBase
        return f >= 0 && f < Int32(functionCount) ? Int(f) : nil
    }

    /// The spelling of one token; `<unk>` for ids outside the vocabulary.
    public static func spelling(_ token: Int32) -> String {
        token >= 0 && Int(token) < vocabularySize ? spellings[Int(token)] : "<unk>"
    }

    /// Token ids of a whitespace-separated text; nil if any piece is not a token spelling (`<unk>` included).
    public static func encode(_ text: String) -> [Int32]? {
        var out: [Int32] = []
        for piece in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            guard let id = idOfSpelling[String(piece)] else { return nil }
            out.append(id)
        }
        return out
    }

    /// The text of any token ids (space-separated spellings). Never traps; unknown ids spell `<unk>`.
    public static func decode<C: Sequence>(_ tokens: C) -> String where C.Element == Int32 {
        tokens.map(spelling).joined(separator: " ")
    }
}

/// The prompt / response format and the lengths it needs.
///
/// For a Level-n problem with calls c₁ … c_n in application order (c₁ innermost) and values v₀ = input,
/// v_k = c_k(v_{k−1}):
/// - prompt: the nested expression, outermost call first, then `=`:
///   `c_n ( … c₁ ( v₀ ) … ) =` (3n + |v₀| + 1 tokens).
/// - `.steps` response: `c₁ ( v₀ ) = v₁ ;  c₂ ( v₁ ) = v₂ ;  …  c_n ( v_{n−1} ) = v_n ;  > v_n <end>`.
/// - `.rewrite` response: `e₁ = e₂ = … = e_n > v_n <end>`, where e_k = `c_n ( … c_{k+1} ( v_k ) … )` is the
///   expression after k reductions (e_n = v_n is the bare string).
///
/// Both styles end by copying the final value after the answer marker, so the answer is always `> v_n <end>`.
public enum StringFunctionsFormat {
    /// Tokens of the expression `c_n ( … c₁ ( value ) … )` for `calls` in application order.
    public static func expression(calls: ArraySlice<Int>, value: [UInt8], into out: inout [Int32]) {
        for c in calls.reversed() { out.append(StringFunctionsTokenizer.functionToken(c)); out.append(StringFunctionsTokenizer.open) }
        for s in value { out.append(StringFunctionsTokenizer.symbolToken(s)) }
        for _ in calls { out.append(StringFunctionsTokenizer.close) }
    }

    /// Prompt tokens: the nested expression of `calls` (application order) on `input`, then `=`.
    public static func prompt(calls: [Int], input: [UInt8]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(3 * calls.count + input.count + 1)
        expression(calls: calls[...], value: input, into: &out)
        out.append(StringFunctionsTokenizer.equals)
        return out
    }

    /// Gold response tokens (trace, answer marker, answer, end) for `calls` and their `values` (v₀ … v_n).
    public static func response(calls: [Int], values: [[UInt8]], style: StringFunctionsTraceStyle) -> [Int32] {
        require(values.count == calls.count + 1, "StringFunctionsFormat.response: need one value per call plus the input")
        let n = calls.count
        var out: [Int32] = []
        out.reserveCapacity(maxResponseLength(level: n, style: style))
        switch style {
        case .steps:
            for k in 0..<n {
                out.append(StringFunctionsTokenizer.functionToken(calls[k]))
                out.append(StringFunctionsTokenizer.open)
                for s in values[k] { out.append(StringFunctionsTokenizer.symbolToken(s)) }
                out.append(StringFunctionsTokenizer.close)
                out.append(StringFunctionsTokenizer.equals)
                for s in values[k + 1] { out.append(StringFunctionsTokenizer.symbolToken(s)) }
                out.append(StringFunctionsTokenizer.stepSeparator)
            }
        case .rewrite:
            for k in stride(from: 1, through: n, by: 1) {
                if k > 1 { out.append(StringFunctionsTokenizer.equals) }
                expression(calls: calls[k...], value: values[k], into: &out)
            }
        }
        out.append(StringFunctionsTokenizer.answerMarker)
        for s in values[n] { out.append(StringFunctionsTokenizer.symbolToken(s)) }
        out.append(StringFunctionsTokenizer.end)
        return out
    }

    /// Most prompt tokens at `level` for inputs of at most `inputLength` symbols: 3·level + inputLength + 1.
    public static func maxPromptLength(level: Int, inputLength: Int = StringFunctionsAlphabet.maxStringLength) -> Int {
        3 * level + inputLength + 1
    }

    /// Most response tokens (trace + `>` + answer + `<end>`) at `level`, with every value at most M = 8 symbols and
    /// the input at most `inputLength`:
    /// - steps: Σ_k (5 + |v_{k−1}| + |v_k|) + 2 + |v_n| ≤ 5n + inputLength + 2nM + 2;
    /// - rewrite: Σ_k (3(n−k) + |v_k|) + (n−1) + 2 + |v_n| ≤ 3n(n−1)/2 + nM + n + 1 + M.
    public static func maxResponseLength(level n: Int, style: StringFunctionsTraceStyle,
                                         inputLength: Int = StringFunctionsAlphabet.maxStringLength) -> Int {
        let m = StringFunctionsAlphabet.maxStringLength
        switch style {
        case .steps: return 5 * n + inputLength + 2 * n * m + 2
        case .rewrite: return 3 * n * (n - 1) / 2 + n * m + n + 1 + m
        }
    }

    /// Context length (prompt + trace + answer + end) a Level-`level` task can need: the sum of the two bounds above.
    /// Level 6 with prompt inputs of ≤ 6 symbols: steps 159, rewrite 133; with any input of ≤ 8 symbols (the
    /// default, covering every input distribution): steps 163, rewrite 135.
    public static func contextLength(level: Int, style: StringFunctionsTraceStyle,
                                     inputLength: Int = StringFunctionsAlphabet.maxStringLength) -> Int {
        maxPromptLength(level: level, inputLength: inputLength)
            + maxResponseLength(level: level, style: style, inputLength: inputLength)
    }

    /// Parses an expression `F ( F ( … s … ) )` (any number ≥ 0 of calls, then ≥ 0 symbols, then as many `)` as
    /// calls, nothing else). Returns the calls in application order (innermost first) and the string; nil for
    /// anything else (unbalanced parentheses, unknown or misplaced tokens). Total and linear in the slice length.
    public static func parseExpression(_ tokens: ArraySlice<Int32>) -> (calls: [Int], value: [UInt8])? {
        var i = tokens.startIndex
        var outerFirst: [Int] = []
        while i + 1 < tokens.endIndex, let f = StringFunctionsTokenizer.functionId(tokens[i]),
              tokens[i + 1] == StringFunctionsTokenizer.open {
            outerFirst.append(f)
            i += 2
        }
        var value: [UInt8] = []
        while i < tokens.endIndex, let s = StringFunctionsTokenizer.symbol(tokens[i]) { value.append(s); i += 1 }
        var closes = 0
        while i < tokens.endIndex, tokens[i] == StringFunctionsTokenizer.close { closes += 1; i += 1 }
        guard i == tokens.endIndex, closes == outerFirst.count else { return nil }
        return (outerFirst.reversed(), value)
    }
}
