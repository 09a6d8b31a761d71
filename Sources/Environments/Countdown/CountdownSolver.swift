import Engine

/// One step of an answer: `left op right = result` (values exact).
public struct CountdownStep: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var left: CountdownRational
    public var operation: CountdownOperation
    public var right: CountdownRational
    public var result: CountdownRational

    public init(left: CountdownRational, operation: CountdownOperation, right: CountdownRational, result: CountdownRational) {
        self.left = left
        self.operation = operation
        self.right = right
        self.result = result
    }

    /// The step in the answer format, e.g. `"3*7=21"` (fractions as `7|3`).
    public var description: String { CountdownTokenizer.stepText(self) }
}

/// A solution found by the solver: its identity and one canonical way of writing it.
public struct CountdownSolution: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// Its identity (`CountdownSolutionKey` defines when two solutions are the same).
    public var key: CountdownSolutionKey
    /// Its algebraic identity (coarser: `CountdownExpressionKey`).
    public var expressionKey: CountdownExpressionKey
    /// Canonical steps (post-order of the expression tree; + and × write the larger operand first). Chosen so that
    /// `CountdownVerifier` reads them back as this same key whenever any ordering of the steps allows it
    /// (`isFaithful`).
    public var steps: [CountdownStep]
    /// False in the rare case where no ordering of the steps makes the verifier read this key back (two equal
    /// values in the pool make the text ambiguous; the verifier then attributes the text to another solution).
    public var isFaithful: Bool

    /// The answer text, e.g. `"3*7=21;21+9=30."` (end token included).
    public var description: String { CountdownTokenizer.answerText(steps) }
}

/// What the solver reports for one (numbers, target) pair.
public struct CountdownSolveResult: Equatable, Sendable {
    /// At least one solution exists.
    public var isReachable: Bool { solutionCount > 0 }
    /// Number of distinct solutions (`CountdownSolutionKey`).
    public var solutionCount: Int
    /// Number of distinct expressions among them (`CountdownExpressionKey`; ≤ solutionCount).
    public var expressionCount: Int
    /// The solutions in key order when enumeration was requested (at most `limit`), else empty.
    public var solutions: [CountdownSolution]
}

/// The exhaustive Countdown solver.
///
/// It enumerates every way of combining ALL the numbers, each exactly once: every binary expression tree over the
/// numbers with an allowed operation at each node, evaluated in exact rationals (`CountdownRational`; division by
/// zero and unrepresentable results are excluded), keeping only trees whose every intermediate value satisfies the
/// rules (non-negative integers by default). A step sequence `a op b = c` (consume two pool numbers, add the result)
/// is exactly a post-order walk of such a tree, so this covers every valid answer.
///
/// Method: dynamic programming over subsets of the numbers' positions (Countdown's classic solver). For each subset
/// S (by increasing size) it forms, for every split S = A ∪ B with A holding S's lowest position, every
/// `x op y` (and `y op x` for − and ÷) with x ∈ F(A), y ∈ F(B), and keeps one entry per distinct tree
/// (`CountdownSolutionKey`) in F(S), with its value and its normal form (`CountdownExpressionKey`). The distinct
/// solutions for target t are the members of F(all) with value t. Cost: ~3,000 combinations for four numbers
/// (~0.1 ms).
public enum CountdownSolver {
    /// Solution count (and optionally the solutions) for reaching `target` with `numbers` (2…4 numbers, 1…99).
    public static func solve(numbers: [Int], target: Int, rules: CountdownRules = CountdownRules(),
                             enumerate: Bool = false, limit: Int = Int.max) -> CountdownSolveResult {
        var search = CountdownSearch(rules: rules)
        search.run(numbers)
        let goal = CountdownRational(target)
        var entries: [Int] = []
        var forms = Set<UInt64>()
        for e in search.range(search.fullMask) where search.values[e] == goal {
            entries.append(e)
            forms.insert(search.forms[e])
        }
        var result = CountdownSolveResult(solutionCount: entries.count, expressionCount: forms.count, solutions: [])
        if enumerate {
            entries.sort { search.keys[$0] < search.keys[$1] }
            result.solutions = entries.prefix(Swift.max(0, limit)).map { search.solution(entry: $0, numbers: numbers) }
        }
        return result
    }

    /// Solution count and solutions of a problem under `rules`.
    public static func solve(_ problem: CountdownProblem, rules: CountdownRules = CountdownRules(),
                             enumerate: Bool = false, limit: Int = Int.max) -> CountdownSolveResult {
        solve(numbers: problem.numbers, target: problem.target, rules: rules, enumerate: enumerate, limit: limit)
    }

    /// Every integer value reachable with `numbers` (all used once) and its number of distinct solutions, sorted by
    /// value (includes 0 and, with rational rules, negative integers).
    public static func reachableTargets(numbers: [Int], rules: CountdownRules = CountdownRules()) -> [(target: Int, solutionCount: Int)] {
        var search = CountdownSearch(rules: rules)
        search.run(numbers)
        return search.integerTargetCounts(lowest: Int.min, highest: Int.max)
    }
}

/// The subset dynamic programme behind `CountdownSolver` and `CountdownTargetTable` (internal, reusable buffers).
struct CountdownSearch {
    let integerOnly: Bool
    let opMask: UInt8
    // Entries, grouped by subset mask: tree key, normal form, value, and the tree (operand entries and operation;
    // leaves: -1 and 255).
    var keys: [UInt64] = []
    var forms: [UInt64] = []
    var values: [CountdownRational] = []
    var firsts: [Int32] = []
    var seconds: [Int32] = []
    var operations: [UInt8] = []
    var starts = [Int](repeating: 0, count: 16)
    var ends = [Int](repeating: 0, count: 16)
    var fullMask = 0
    // Open-addressing set of keys for the subset being built; a slot is live when its stamp is current.
    var slotKeys = [UInt64](repeating: 0, count: 1 << 13)
    var slotStamps = [UInt32](repeating: 0, count: 1 << 13)
    var stamp: UInt32 = 0

    static let operationCodes: [CountdownOperation] = [.add, .subtract, .multiply, .divide]

    init(rules: CountdownRules) {
        integerOnly = rules.integerIntermediates
        opMask = rules.operationMask
        keys.reserveCapacity(4096); forms.reserveCapacity(4096); values.reserveCapacity(4096)
        firsts.reserveCapacity(4096); seconds.reserveCapacity(4096); operations.reserveCapacity(4096)
    }

    @inline(__always) func range(_ mask: Int) -> Range<Int> { starts[mask]..<ends[mask] }

    /// Fills F(S) for every subset S of the positions of `numbers` (2…4 numbers, each 1…99).
    mutating func run(_ numbers: [Int]) {
        require((1...4).contains(numbers.count), "CountdownSolver: 1…4 numbers supported (got \(numbers.count))")
        require(numbers.allSatisfy { (1...99).contains($0) }, "CountdownSolver: numbers must be 1…99")
        keys.removeAll(keepingCapacity: true); forms.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true)
        firsts.removeAll(keepingCapacity: true); seconds.removeAll(keepingCapacity: true)
        operations.removeAll(keepingCapacity: true)
        let n = numbers.count
        fullMask = (1 << n) - 1
        for i in 0..<n {
            starts[1 << i] = keys.count
            let leaf = CountdownExpressionCode.leaf(numbers[i])
            append(leaf, leaf, CountdownRational(numbers[i]), -1, -1, 255)
            ends[1 << i] = keys.count
        }
        for size in 2...Swift.max(2, n) where size <= n {
            for mask in 1...fullMask where mask.nonzeroBitCount == size {
                build(mask)
            }
        }
    }

    @inline(__always)
    mutating func append(_ key: UInt64, _ form: UInt64, _ value: CountdownRational, _ first: Int32, _ second: Int32, _ op: UInt8) {
        keys.append(key); forms.append(form); values.append(value); firsts.append(first); seconds.append(second); operations.append(op)
    }

    /// Adds `first op second` to the subset being built unless its tree is already there.
    @inline(__always)
    mutating func offer(_ first: Int, _ op: CountdownOperation, _ opCode: UInt8, _ second: Int, _ value: CountdownRational?) {
        guard let value, !integerOnly || value.isNonNegativeInteger else { return }
        let equalValues = values[first] == values[second]
        let key = CountdownExpressionCode.combineTree(keys[first], op, keys[second], equalValues: equalValues)
        if key == 0 { return }
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 51)
        while slotStamps[slot] == stamp {
            if slotKeys[slot] == key { return }
            slot = (slot + 1) & (slotKeys.count - 1)
        }
        slotStamps[slot] = stamp
        slotKeys[slot] = key
        let form = CountdownExpressionCode.combineNormalForm(forms[first], op, forms[second], equalValues: equalValues)
        append(key, form, value, Int32(first), Int32(second), opCode)
    }

    mutating func build(_ mask: Int) {
        stamp &+= 1
        if stamp == 0 {  // wrapped: clear stale stamps
            for i in slotStamps.indices { slotStamps[i] = 0 }
            stamp = 1
        }
        starts[mask] = keys.count
        let low = mask & -mask
        var sub = (mask - 1) & mask
        while sub > 0 {
            if sub & low != 0 {
                let other = mask ^ sub
                let ra = range(sub), rb = range(other)
                for x in ra {
                    for y in rb {
                        let vx = values[x], vy = values[y]
                        if opMask & 1 != 0 { offer(x, .add, 0, y, CountdownRational.adding(vx, vy)) }
                        if opMask & 4 != 0 { offer(x, .multiply, 2, y, CountdownRational.multiplying(vx, vy)) }
                        if opMask & 2 != 0 {
                            offer(x, .subtract, 1, y, CountdownRational.subtracting(vx, vy))
                            offer(y, .subtract, 1, x, CountdownRational.subtracting(vy, vx))
                        }
                        if opMask & 8 != 0 {
                            offer(x, .divide, 3, y, CountdownRational.dividing(vx, vy))
                            offer(y, .divide, 3, x, CountdownRational.dividing(vy, vx))
                        }
                    }
                }
            }
            sub = (sub - 1) & mask
        }
        ends[mask] = keys.count
    }

    /// (target, number of distinct solutions) for every integer value of F(all) within [lowest, highest].
    func integerTargetCounts(lowest: Int, highest: Int) -> [(target: Int, solutionCount: Int)] {
        var targets: [Int] = []
        for e in range(fullMask) {
            let v = values[e]
            if v.denominator == 1 && v.numerator >= lowest && v.numerator <= highest { targets.append(Int(v.numerator)) }
        }
        targets.sort()
        var result: [(target: Int, solutionCount: Int)] = []
        var i = 0
        while i < targets.count {
            var j = i
            while j < targets.count && targets[j] == targets[i] { j += 1 }
            result.append((targets[i], j - i))
            i = j
        }
        return result
    }

    // MARK: rendering solutions as steps

    /// Post-order steps of the witness tree of `entry`; bit b of `order` renders internal node b's second operand
    /// subtree first (nodes numbered in pre-order).
    func steps(entry: Int, order: Int) -> [CountdownStep] {
        var steps: [CountdownStep] = []
        var node = 0
        appendSteps(entry, order, &node, &steps)
        return steps
    }

    private func appendSteps(_ e: Int, _ order: Int, _ node: inout Int, _ steps: inout [CountdownStep]) {
        guard operations[e] != 255 else { return }
        let me = node
        node += 1
        let a = Int(firsts[e]), b = Int(seconds[e])
        if order >> me & 1 == 0 {
            appendSteps(a, order, &node, &steps); appendSteps(b, order, &node, &steps)
        } else {
            appendSteps(b, order, &node, &steps); appendSteps(a, order, &node, &steps)
        }
        let op = CountdownSearch.operationCodes[Int(operations[e])]
        var left = values[a], right = values[b]
        if (op == .add || op == .multiply) && left < right { swap(&left, &right) }
        steps.append(CountdownStep(left: left, operation: op, right: right, result: values[e]))
    }

    /// The solution of `entry`, written in the first step order that the verifier reads back as the same key.
    func solution(entry: Int, numbers: [Int]) -> CountdownSolution {
        let key = keys[entry]
        let internalNodes = numbers.count - 1
        var first: [CountdownStep]? = nil
        for order in 0..<(1 << internalNodes) {
            let candidate = steps(entry: entry, order: order)
            if first == nil { first = candidate }
            if CountdownVerifier.solutionKey(steps: candidate, numbers: numbers) == key {
                return CountdownSolution(key: CountdownSolutionKey(rawValue: key), expressionKey: CountdownExpressionKey(rawValue: forms[entry]),
                                         steps: candidate, isFaithful: true)
            }
        }
        return CountdownSolution(key: CountdownSolutionKey(rawValue: key), expressionKey: CountdownExpressionKey(rawValue: forms[entry]),
                                 steps: first ?? [], isFaithful: false)
    }
}
