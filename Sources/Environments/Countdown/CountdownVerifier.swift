/// How an answer fared. Rewards per outcome (TinyZero's countdown reward: 1 correct, 0.1 "format score" for an
/// answer that can be read but is not a correct solution, 0 when no answer can be read):
///
/// | outcome | meaning | tinyZero | binary | signed |
/// |---|---|---|---|---|
/// | `correct` | every step valid, every number used once, last result = target | 1 | 1 | +1 |
/// | `wrongValue` | every step valid, every number used once, last result ≠ target | 0.1 | 0 | −1 |
/// | `numberUnavailable` | a step uses a number not in the pool (never given, or already used) | 0.1 | 0 | −1 |
/// | `numberUnused` | all steps valid but some numbers were never used | 0.1 | 0 | −1 |
/// | `arithmeticError` | a step's claimed result is wrong (incl. division by zero, 64-bit overflow) | 0.1 | 0 | −1 |
/// | `ruleViolation` | a step uses a disallowed operation, or its result is negative / fractional under integer rules | 0.1 | 0 | −1 |
/// | `malformed` | not of the form `step (; step)* .` (garbage, pad or prompt tokens, unknown ids, a trailing `;`, > 18 digits, `x\|0`) | 0 | 0 | −1 |
/// | `unterminated` | no end token (e.g. cut off by the length limit) | 0 | 0 | −1 |
/// | `empty` | nothing before the end token, or no tokens at all (pads only) | 0 | 0 | −1 |
///
/// The first failing step decides between the middle five outcomes (within a step: numbers, then operation,
/// then arithmetic, then rules).
public enum CountdownOutcome: String, CaseIterable, Codable, Sendable {
    case correct, wrongValue, numberUnavailable, numberUnused, arithmeticError, ruleViolation, malformed, unterminated, empty

    /// The answer parses as steps and an end token (every outcome but `malformed`, `unterminated`, `empty`).
    public var isWellFormed: Bool { self != .malformed && self != .unterminated && self != .empty }

    /// 1 correct, 0.1 well-formed but not correct, 0 otherwise (TinyZero).
    public var tinyZeroReward: Float { self == .correct ? 1 : (isWellFormed ? 0.1 : 0) }

    /// 1 correct, 0 otherwise.
    public var binaryReward: Float { self == .correct ? 1 : 0 }

    /// +1 correct, −1 otherwise (the ±1 rewards of "A Minimalist Approach").
    public var signedReward: Float { self == .correct ? 1 : -1 }
}

/// Which reward an experiment uses.
public enum CountdownRewardScheme: String, CaseIterable, Codable, Sendable {
    case tinyZero, binary, signed
}

/// The verifier's judgement of one answer.
public struct CountdownVerdict: Equatable, Sendable {
    public var outcome: CountdownOutcome
    /// Steps in a well-formed answer (0 otherwise).
    public var stepCount: Int
    /// Index of the step that failed (for `numberUnavailable`, `arithmeticError`, `ruleViolation`), else nil.
    public var failedStep: Int?
    /// The last step's result when every step was valid (`correct`, `wrongValue`, `numberUnused`), else nil.
    public var finalValue: CountdownRational?
    /// The solution's identity for `correct` answers (count distinct keys for solution diversity), else nil.
    public var solutionKey: CountdownSolutionKey?
    /// The solution's algebraic identity for `correct` answers (coarser), else nil.
    public var expressionKey: CountdownExpressionKey?

    public var isCorrect: Bool { outcome == .correct }

    public func reward(_ scheme: CountdownRewardScheme) -> Float {
        switch scheme {
        case .tinyZero: return outcome.tinyZeroReward
        case .binary: return outcome.binaryReward
        case .signed: return outcome.signedReward
        }
    }

    init(_ outcome: CountdownOutcome, steps: Int = 0, failedStep: Int? = nil, finalValue: CountdownRational? = nil,
         key: UInt64 = 0, form: UInt64 = 0) {
        self.outcome = outcome
        self.stepCount = steps
        self.failedStep = failedStep
        self.finalValue = finalValue
        self.solutionKey = key == 0 ? nil : CountdownSolutionKey(rawValue: key)
        self.expressionKey = form == 0 ? nil : CountdownExpressionKey(rawValue: form)
    }
}

/// The exact, total verifier of Countdown answers (format: `CountdownTokenizer`).
///
/// Reads the response up to its first end token (anything after it is ignored), checks the grammar
/// `answer := step (";" step)* "."`, `step := number op number "=" number`, `number := ["-"] digits ["|" digits]`
/// (at most 18 digits per part), then replays the steps on a pool that starts as the problem's numbers: each step
/// removes its two operands from the pool (an operand refers to the most recently added pool entry of that value —
/// the latest intermediate result before an original number; this only matters for the keys), checks the
/// operation is allowed, that `left op right` equals the claimed result exactly (rationals; division by zero is an
/// arithmetic error), and that the result obeys the rules; then adds the result. The answer is correct when one
/// value remains and it equals the target. Never traps, never loops: cost is linear in the response length.
public enum CountdownVerifier {
    /// Verdict on a tokenised response (the sampled tokens after the prompt).
    public static func verify(_ response: [Int32], problem: CountdownProblem, rules: CountdownRules) -> CountdownVerdict {
        response.withUnsafeBufferPointer { verify($0, problem: problem, rules: rules) }
    }

    /// Verdict on a tokenised response.
    public static func verify(_ response: ArraySlice<Int32>, problem: CountdownProblem, rules: CountdownRules) -> CountdownVerdict {
        response.withUnsafeBufferPointer { verify($0, problem: problem, rules: rules) }
    }

    /// Verdict on an answer text such as `"9-3=6;6*7=42."`; a character outside the vocabulary makes it `malformed`
    /// (the empty string is `empty`).
    public static func verify(text: String, problem: CountdownProblem, rules: CountdownRules) -> CountdownVerdict {
        guard let ids = CountdownTokenizer.encode(text) else { return CountdownVerdict(.malformed) }
        return verify(ids, problem: problem, rules: rules)
    }

    /// Verdict on a tokenised response.
    public static func verify(_ response: UnsafeBufferPointer<Int32>, problem: CountdownProblem, rules: CountdownRules) -> CountdownVerdict {
        verify(response, numbers: problem.numbers, target: problem.target,
               integerOnly: rules.integerIntermediates, operationMask: rules.operationMask)
    }

    /// The core: `numbers` may be anything (even empty); `operationMask` bits: + 1, − 2, × 4, ÷ 8.
    public static func verify(_ t: UnsafeBufferPointer<Int32>, numbers: [Int], target: Int, integerOnly: Bool,
                              operationMask: UInt8) -> CountdownVerdict {
        // 1. Locate the end token.
        var end = -1
        var sawContent = false
        for i in 0..<t.count {
            let id = t[i]
            if id == CountdownTokenizer.endToken { end = i; break }
            if id != CountdownTokenizer.padToken { sawContent = true }
        }
        if end < 0 { return CountdownVerdict(sawContent ? .unterminated : .empty) }
        if end == 0 { return CountdownVerdict(.empty) }
        // 2. Grammar (no storage): count the steps.
        var i = 0, steps = 0
        while true {
            guard parseStep(t, &i, end) != nil else { return CountdownVerdict(.malformed) }
            steps += 1
            if i == end { break }
            guard t[i] == CountdownTokenizer.stepSeparatorToken else { return CountdownVerdict(.malformed) }
            i += 1
        }
        // 3. Replay on the pool.
        return withUnsafeTemporaryAllocation(of: CountdownRational.self, capacity: Swift.max(1, numbers.count)) { values in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Swift.max(1, numbers.count)) { keys in
                var pool = CountdownPool(values: values.baseAddress!, keys: keys.baseAddress!, numbers: numbers)
                var j = 0
                for s in 0..<steps {
                    let step = parseStep(t, &j, end)!
                    if let failure = pool.apply(step, integerOnly: integerOnly, operationMask: operationMask) {
                        return CountdownVerdict(failure, steps: steps, failedStep: s)
                    }
                    j += 1  // the separator
                }
                let last = pool.values[pool.count - 1]  // steps ≥ 1 succeeded, so the pool is not empty
                if pool.count > 1 { return CountdownVerdict(.numberUnused, steps: steps, finalValue: last) }
                let correct = last == CountdownRational(target)
                return CountdownVerdict(correct ? .correct : .wrongValue, steps: steps, finalValue: last,
                                        key: correct ? pool.keys[0] : 0, form: correct ? pool.forms[0] : 0)
            }
        }
    }

    /// The key the verifier assigns to `steps` replayed on `numbers` (0 when the steps are not a complete valid
    /// use of all numbers under rational rules; the target is not checked).
    static func solutionKey(steps: [CountdownStep], numbers: [Int]) -> UInt64 {
        withUnsafeTemporaryAllocation(of: CountdownRational.self, capacity: Swift.max(1, numbers.count)) { values in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Swift.max(1, numbers.count)) { keys in
                var pool = CountdownPool(values: values.baseAddress!, keys: keys.baseAddress!, numbers: numbers)
                for step in steps {
                    let parsed = CountdownParsedStep(left: step.left, operation: step.operation, right: step.right, result: step.result)
                    if pool.apply(parsed, integerOnly: false, operationMask: 15) != nil { return 0 }
                }
                return pool.count == 1 ? pool.keys[0] : 0
            }
        }
    }

    // MARK: parsing

    /// Parses `number op number = number` at `i` (advancing it); nil when the tokens do not match.
    @inline(__always)
    static func parseStep(_ t: UnsafeBufferPointer<Int32>, _ i: inout Int, _ end: Int) -> CountdownParsedStep? {
        guard let left = parseNumber(t, &i, end), i < end else { return nil }
        let opToken = t[i]
        guard opToken >= CountdownTokenizer.plusToken && opToken <= CountdownTokenizer.divideToken else { return nil }
        i += 1
        guard let right = parseNumber(t, &i, end), i < end, t[i] == CountdownTokenizer.equalsToken else { return nil }
        i += 1
        guard let result = parseNumber(t, &i, end) else { return nil }
        let op: CountdownOperation
        switch opToken {
        case CountdownTokenizer.plusToken: op = .add
        case CountdownTokenizer.minusToken: op = .subtract
        case CountdownTokenizer.timesToken: op = .multiply
        default: op = .divide
        }
        return CountdownParsedStep(left: left, operation: op, right: right, result: result)
    }

    /// Parses `["-"] digits ["|" digits]` (≤ 18 digits per part, denominator ≠ 0) at `i`.
    @inline(__always)
    static func parseNumber(_ t: UnsafeBufferPointer<Int32>, _ i: inout Int, _ end: Int) -> CountdownRational? {
        var negative = false
        if i < end && t[i] == CountdownTokenizer.minusToken { negative = true; i += 1 }
        guard let numerator = parseDigits(t, &i, end) else { return nil }
        var denominator: Int64 = 1
        if i < end && t[i] == CountdownTokenizer.fractionBarToken {
            i += 1
            guard let d = parseDigits(t, &i, end), d != 0 else { return nil }
            denominator = d
        }
        let n = negative ? -numerator : numerator
        if denominator == 1 { return CountdownRational(uncheckedNumerator: n, denominator: 1) }
        return CountdownRational(numerator: n, denominator: denominator)
    }

    /// 1…18 decimal digits at `i` (so the value is < 10^18 and never overflows).
    @inline(__always)
    static func parseDigits(_ t: UnsafeBufferPointer<Int32>, _ i: inout Int, _ end: Int) -> Int64? {
        var value: Int64 = 0, digits = 0
        while i < end {
            let d = t[i] &- CountdownTokenizer.digitBase
            if d < 0 || d > 9 { break }
            digits += 1
            if digits > 18 { return nil }
            value = value * 10 + Int64(d)
            i += 1
        }
        return digits == 0 ? nil : value
    }
}

/// A parsed step (values exact).
struct CountdownParsedStep {
    var left: CountdownRational
    var operation: CountdownOperation
    var right: CountdownRational
    var result: CountdownRational
}

/// The verifier's pool: values with their solution keys and normal forms, most recent last (storage owned by the
/// caller: `keys` holds 2 × capacity words, the forms after the keys).
struct CountdownPool {
    let values: UnsafeMutablePointer<CountdownRational>
    let keys: UnsafeMutablePointer<UInt64>
    let forms: UnsafeMutablePointer<UInt64>
    var count: Int

    init(values: UnsafeMutablePointer<CountdownRational>, keys: UnsafeMutablePointer<UInt64>, numbers: [Int]) {
        self.values = values
        self.keys = keys
        self.forms = keys + Swift.max(1, numbers.count)
        count = numbers.count
        for (i, n) in numbers.enumerated() {
            values[i] = CountdownRational(n)
            keys[i] = CountdownExpressionCode.leaf(n)
            forms[i] = keys[i]
        }
    }

    /// Removes the most recent entry equal to `value`; returns its key and form, or nil when there is none.
    @inline(__always)
    mutating func take(_ value: CountdownRational) -> (key: UInt64, form: UInt64)? {
        var k = count - 1
        while k >= 0 {
            if values[k] == value {
                let taken = (keys[k], forms[k])
                var m = k
                while m + 1 < count { values[m] = values[m + 1]; keys[m] = keys[m + 1]; forms[m] = forms[m + 1]; m += 1 }
                count -= 1
                return taken
            }
            k -= 1
        }
        return nil
    }

    /// Replays one step; nil when valid (the pool is updated), else the failure.
    @inline(__always)
    mutating func apply(_ step: CountdownParsedStep, integerOnly: Bool, operationMask: UInt8) -> CountdownOutcome? {
        guard let left = take(step.left), let right = take(step.right) else { return .numberUnavailable }
        if operationMask & step.operation.bit == 0 { return .ruleViolation }
        guard let exact = CountdownRational.apply(step.operation, step.left, step.right), exact == step.result else {
            return .arithmeticError
        }
        if integerOnly && !step.result.isNonNegativeInteger { return .ruleViolation }
        let equal = step.left == step.right
        values[count] = step.result
        keys[count] = CountdownExpressionCode.combineTree(left.key, step.operation, right.key, equalValues: equal)
        forms[count] = CountdownExpressionCode.combineNormalForm(left.form, step.operation, right.form, equalValues: equal)
        count += 1
        return nil
    }
}
