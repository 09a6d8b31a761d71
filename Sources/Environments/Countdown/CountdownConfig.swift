import Engine

// Countdown (TinyZero's task at toy scale): combine every given number exactly once with + − × ÷ to reach a target.
// The Countdown game of TinyZero (Pan et al. 2025), as used by Zhu et al. 2025 and Xiong et al. 2025.

/// One of the four arithmetic operations; the raw value is its symbol in the answer format.
public enum CountdownOperation: String, Codable, CaseIterable, Sendable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"

    /// Bit of this operation in `CountdownRules.operationMask`.
    @inline(__always) var bit: UInt8 {
        switch self { case .add: return 1; case .subtract: return 2; case .multiply: return 4; case .divide: return 8 }
    }
}

/// The rules a solution must follow (shared by the solver, the generator and the verifier).
public struct CountdownRules: Codable, Equatable, Hashable, Sendable {
    /// true: every intermediate result (and the answer) must be a non-negative integer (the feasibility probe's
    /// rule; `7 / 2` and `3 − 5` are not allowed); false: any exact rational (negative values and fractions allowed).
    public var integerIntermediates: Bool
    /// Allowed operations, as a string of their symbols (any subset of `"+-*/"`; unknown characters are ignored).
    public var operations: String

    public init(integerIntermediates: Bool = true, operations: String = "+-*/") {
        self.integerIntermediates = integerIntermediates
        self.operations = operations
    }

    /// Allowed operations as bits (`+` 1, `−` 2, `×` 4, `÷` 8).
    public var operationMask: UInt8 {
        var mask: UInt8 = 0
        for b in operations.utf8 {
            switch b {
            case UInt8(ascii: "+"): mask |= 1
            case UInt8(ascii: "-"): mask |= 2
            case UInt8(ascii: "*"): mask |= 4
            case UInt8(ascii: "/"): mask |= 8
            default: break
            }
        }
        return mask
    }
}

/// The task distribution: how problems are drawn and which solutions count.
public struct CountdownConfig: Codable, Equatable, Sendable {
    /// How many numbers a problem gives (2…4; the findings use 3, or 4 for harder problems).
    public var numberCount: Int = 3
    /// Smallest number that can be drawn (≥ 1).
    public var lowestNumber: Int = 1
    /// Largest number that can be drawn (≤ 99; 9 in the probe, up to 20 intended). Numbers are drawn uniformly and
    /// independently, so repeats such as 5 5 3 occur.
    public var highestNumber: Int = 9
    /// Smallest target (integer).
    public var lowestTarget: Int = 1
    /// Largest target (100 in the probe).
    public var highestTarget: Int = 100
    /// Intermediates must be non-negative integers (the probe's rule); false allows any exact rational.
    public var integerIntermediates: Bool = true
    /// Allowed operations as symbols, any subset of "+-*/".
    public var operations: String = "+-*/"
    /// Hard-problem filter: only (numbers, target) pairs with at most this many distinct solutions are generated
    /// (`CountdownSolutionKey` defines "distinct"). The default never binds.
    public var maxSolutions: Int = 1_000_000
    /// Hard-problem bias: among the admissible targets of a draw of numbers, target t is chosen with probability
    /// ∝ solutionCount(t)^(−hardTargetBias). 0 = uniform over reachable targets; 1 = inversely to the count.
    public var hardTargetBias: Double = 0

    /// Every field, with the defaults above (`CountdownConfig()` is the probe's setting).
    public init(numberCount: Int = 3, lowestNumber: Int = 1, highestNumber: Int = 9, lowestTarget: Int = 1,
                highestTarget: Int = 100, integerIntermediates: Bool = true, operations: String = "+-*/",
                maxSolutions: Int = 1_000_000, hardTargetBias: Double = 0) {
        self.numberCount = numberCount
        self.lowestNumber = lowestNumber
        self.highestNumber = highestNumber
        self.lowestTarget = lowestTarget
        self.highestTarget = highestTarget
        self.integerIntermediates = integerIntermediates
        self.operations = operations
        self.maxSolutions = maxSolutions
        self.hardTargetBias = hardTargetBias
    }

    /// A small setting: 3 numbers 1–9, targets 1–100, non-negative integer steps.
    public static let probe = CountdownConfig()

    /// A harder setting: 4 numbers 1–9, targets 1–100, integer steps, at most 4 distinct solutions per problem.
    public static let hard = CountdownConfig(numberCount: 4, maxSolutions: 4)

    /// The rules implied by this configuration.
    public var rules: CountdownRules { CountdownRules(integerIntermediates: integerIntermediates, operations: operations) }

    /// Number of distinct values a number can take.
    public var numberRangeSize: Int { highestNumber - lowestNumber + 1 }

    /// Number of distinct multisets of `numberCount` numbers: C(R + k − 1, k).
    public var multisetCount: Int { CountdownConfig.binomial(numberRangeSize + numberCount - 1, numberCount) }

    /// A description of the first invalid field, or nil when the configuration is usable.
    public var validationError: String? {
        if !(2...4).contains(numberCount) { return "numberCount must be 2…4 (got \(numberCount))" }
        if lowestNumber < 1 || highestNumber > 99 || lowestNumber > highestNumber {
            return "numbers must satisfy 1 ≤ lowestNumber ≤ highestNumber ≤ 99 (got \(lowestNumber)…\(highestNumber))"
        }
        if multisetCount > 50_000 { return "too many number multisets (\(multisetCount) > 50000): narrow the number range" }
        if lowestTarget > highestTarget { return "lowestTarget must be ≤ highestTarget" }
        if !(-1_000_000_000...1_000_000_000).contains(lowestTarget) || !(-1_000_000_000...1_000_000_000).contains(highestTarget) {
            return "targets must lie within ±10^9"
        }
        if rules.operationMask == 0 { return "operations must contain at least one of + - * /" }
        if operations.contains(where: { !"+-*/".contains($0) }) { return "operations may only contain + - * /" }
        if !(1...1_000_000).contains(maxSolutions) { return "maxSolutions must be in 1…1,000,000" }
        if !(hardTargetBias >= 0 && hardTargetBias <= 100) { return "hardTargetBias must be in [0, 100]" }
        return nil
    }

    static func binomial(_ n: Int, _ k: Int) -> Int {
        if k < 0 || k > n { return 0 }
        var r = 1
        for i in 0..<k { r = r * (n - i) / (i + 1) }
        return r
    }
}

/// A problem: reach `target` using each of `numbers` exactly once.
public struct CountdownProblem: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The numbers in prompt order (2…4 of them, each 1…99).
    public var numbers: [Int]
    /// The target.
    public var target: Int
    /// Distinct solutions under the rules it was generated with (`CountdownSolver`); 0 when unknown.
    public var solutionCount: Int

    public init(numbers: [Int], target: Int, solutionCount: Int = 0) {
        require((2...4).contains(numbers.count), "CountdownProblem: 2…4 numbers required (got \(numbers.count))")
        require(numbers.allSatisfy { (1...99).contains($0) }, "CountdownProblem: numbers must be 1…99 (got \(numbers))")
        self.numbers = numbers
        self.target = target
        self.solutionCount = solutionCount
    }

    /// Identity for de-duplication and disjoint splits: the numbers as a sorted multiset, and the target (the
    /// order in which the prompt lists the numbers does not matter).
    public var identity: CountdownProblemIdentity { CountdownProblemIdentity(sortedNumbers: numbers.sorted(), target: target) }

    /// The prompt text, e.g. `"3,7,9>42:"` (see `CountdownTokenizer`).
    public var description: String { CountdownTokenizer.promptText(self) }
}

/// A problem's identity: sorted numbers and target.
public struct CountdownProblemIdentity: Hashable, Codable, Sendable {
    public var sortedNumbers: [Int]
    public var target: Int
}
