/// Countdown's vocabulary: 22 tokens, one character each.
///
/// | id | char | meaning |
/// |---|---|---|
/// | 0 | `_` | pad (never part of a prompt or an answer) |
/// | 1 | `.` | end of answer |
/// | 2…11 | `0`…`9` | digits: every number is written in decimal, ONE TOKEN PER DIGIT, most significant first |
/// | 12…15 | `+ - * /` | operations; `-` is also the sign of a negative number (rational rules only) |
/// | 16 | `=` | step result |
/// | 17 | `;` | step separator |
/// | 18 | `,` | separates the numbers of the prompt |
/// | 19 | `>` | "target:" in the prompt |
/// | 20 | `:` | end of prompt (the answer follows) |
/// | 21 | `\|` | fraction bar inside a number, `7\|3` = 7/3 (rational rules only) |
///
/// Prompt: the numbers in order, `,`-separated, then `>`, the target, `:` — e.g. `3,7,9>42:` (9 tokens).
/// Answer: steps `a op b = c` separated by `;`, ended by `.`; the last result is the answer —
/// e.g. `9-3=6;6*7=42.`. Text and tokens correspond one to one, so `decode(encode(s)!) == s` for every string over
/// the 22 characters; no whitespace.
///
/// Context sizes (prompt ≤ `maximumPromptLength`; the longest canonical solver answer, end token included, is
/// `CountdownTargetTable.longestSolutionLength`; `maximumAnswerLength` is a safe bound for `maxNewTokens`):
/// probe setting (3 numbers 1–9, targets 1–100, integer steps): prompt ≤ 10, answers ≤ 16 (bound 30);
/// 4 numbers 1–9: ≤ 12 + 26 (bound 54); 4 numbers 1–20: ≤ 16 + 34 (bound 63); 4 numbers 1–9 with rational steps:
/// ≤ 12 + 30 (bound 117).
public enum CountdownTokenizer {
    public static let vocabularySize = 22
    public static let padToken: Int32 = 0
    public static let endToken: Int32 = 1
    /// Id of digit d is `digitBase + d`.
    public static let digitBase: Int32 = 2
    public static let plusToken: Int32 = 12
    public static let minusToken: Int32 = 13
    public static let timesToken: Int32 = 14
    public static let divideToken: Int32 = 15
    public static let equalsToken: Int32 = 16
    public static let stepSeparatorToken: Int32 = 17
    public static let numberSeparatorToken: Int32 = 18
    public static let targetToken: Int32 = 19
    public static let promptEndToken: Int32 = 20
    public static let fractionBarToken: Int32 = 21

    /// The character of each id.
    public static let characters: [Character] = ["_", ".", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                                 "+", "-", "*", "/", "=", ";", ",", ">", ":", "|"]

    /// Id of each ASCII byte (-1: not in the vocabulary).
    static let idOfByte: [Int32] = {
        var table = [Int32](repeating: -1, count: 256)
        for (id, c) in characters.enumerated() { table[Int(c.asciiValue!)] = Int32(id) }
        return table
    }()

    /// Token id of an operation.
    @inline(__always)
    public static func token(_ op: CountdownOperation) -> Int32 {
        switch op { case .add: return plusToken; case .subtract: return minusToken; case .multiply: return timesToken; case .divide: return divideToken }
    }

    /// Token ids of `text`, or nil when it contains a character outside the vocabulary (spaces included).
    public static func encode(_ text: String) -> [Int32]? {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            let id = idOfByte[Int(b)]
            if id < 0 { return nil }
            ids.append(id)
        }
        return ids
    }

    /// The text of `ids`; total: an id outside 0..<22 (negative included) is shown as `?`.
    public static func decode<C: Collection>(_ ids: C) -> String where C.Element == Int32 {
        var text = ""
        text.reserveCapacity(ids.count)
        for id in ids { text.append(id >= 0 && Int(id) < vocabularySize ? characters[Int(id)] : "?") }
        return text
    }

    // MARK: problems and solutions as text / tokens

    /// A number in the answer format: `42`, `-5`, `7|3`, `-7|3`.
    public static func numberText(_ value: CountdownRational) -> String {
        value.denominator == 1 ? "\(value.numerator)" : "\(value.numerator)|\(value.denominator)"
    }

    /// One step, e.g. `3*7=21`.
    public static func stepText(_ step: CountdownStep) -> String {
        numberText(step.left) + step.operation.rawValue + numberText(step.right) + "=" + numberText(step.result)
    }

    /// A whole answer: steps joined by `;`, then the end token `.`.
    public static func answerText(_ steps: [CountdownStep]) -> String {
        steps.map(stepText).joined(separator: ";") + "."
    }

    /// The prompt text of a problem, e.g. `3,7,9>42:`.
    public static func promptText(_ problem: CountdownProblem) -> String {
        problem.numbers.map(String.init).joined(separator: ",") + ">" + String(problem.target) + ":"
    }

    /// Prompt token ids of a problem.
    public static func promptTokens(_ problem: CountdownProblem) -> [Int32] { encode(promptText(problem))! }

    /// Answer token ids of a list of steps (end token included): the SFT target for a solver solution.
    public static func answerTokens(_ steps: [CountdownStep]) -> [Int32] { encode(answerText(steps))! }

    /// Answer token ids of a solver solution (end token included).
    public static func answerTokens(_ solution: CountdownSolution) -> [Int32] { answerTokens(solution.steps) }

    // MARK: context sizes

    static func digitCount(_ x: Int) -> Int { String(x.magnitude).count + (x < 0 ? 1 : 0) }

    /// Longest prompt of the configuration.
    public static func maximumPromptLength(_ config: CountdownConfig) -> Int {
        // k numbers with k − 1 commas, '>', the target, ':'
        config.numberCount * (digitCount(config.highestNumber) + 1)
            + Swift.max(digitCount(config.lowestTarget), digitCount(config.highestTarget)) + 1
    }

    /// An upper bound on the length of any solver solution's answer (end token included), so that experiments can
    /// size the context and `maxNewTokens`. Integer rules: every intermediate is ≤ Π(xᵢ + 1) ≤ (M + 1)^k, so each
    /// step has at most 3 numbers of that many digits plus 3 tokens. Rational rules: numerators and denominators are
    /// ≤ 2^(k−1)·(M + 1)^k, each number may add a sign and a fraction bar.
    public static func maximumAnswerLength(_ config: CountdownConfig) -> Int {
        let k = config.numberCount
        var bound = 1.0
        for _ in 0..<k { bound *= Double(config.highestNumber + 1) }
        let steps = k - 1
        if config.integerIntermediates {
            let digits = String(Int(bound)).count
            return steps * (3 * digits + 3)
        }
        bound *= Double(1 << (k - 1))
        let digits = String(Int(bound)).count
        return steps * (3 * (2 * digits + 2) + 3)
    }
}
