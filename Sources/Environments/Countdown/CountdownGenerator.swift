import Foundation
import Engine

/// Reachable targets of every multiset of numbers of a configuration, with their distinct-solution counts
/// (`CountdownSolver`), for fast generation and lookup. Built once, immutable, shareable across threads.
///
/// Multisets are indexed by the combinatorial number system: sorted offsets x₀ ≤ … ≤ x_{k−1} (xᵢ = numberᵢ −
/// lowestNumber) map to the k-combination bᵢ = xᵢ + i, whose rank is Σ C(bᵢ, i + 1). Build cost: one solver run per
/// multiset (probe: 165 multisets, ~10 ms; 4 numbers 1–20: 8855 multisets, a second or two).
public struct CountdownTargetTable: Sendable {
    public let config: CountdownConfig
    /// Entries of multiset r: `offsets[r]..<offsets[r + 1]` in `targets` / `counts` (targets ascending).
    let offsets: [Int32]
    let targets: [Int32]
    let counts: [Int32]
    /// Longest answer (tokens, end token included) among the canonical solutions of every problem in the table.
    public let longestSolutionLength: Int
    /// Number of (multiset, target) pairs with at least one solution.
    public var reachableProblemCount: Int { targets.count }
    /// Number of multisets (C(R + k − 1, k)).
    public var multisetCount: Int { offsets.count - 1 }

    public init(config: CountdownConfig) {
        if let error = config.validationError { require(false, "CountdownTargetTable: \(error)") }
        self.config = config
        let k = config.numberCount, r = config.numberRangeSize
        var perRank = [[(Int32, Int32)]](repeating: [], count: config.multisetCount)
        var search = CountdownSearch(rules: config.rules)
        var offsetsOfTuple = [Int](repeating: 0, count: k)
        var longest = 0
        // Walk every non-decreasing tuple of offsets (each multiset once).
        outer: while true {
            let numbers = offsetsOfTuple.map { $0 + config.lowestNumber }
            search.run(numbers)
            let rank = CountdownTargetTable.rank(sortedOffsets: offsetsOfTuple)
            perRank[rank] = search.integerTargetCounts(lowest: config.lowestTarget, highest: config.highestTarget)
                .map { (Int32($0.target), Int32($0.solutionCount)) }
            for e in search.range(search.fullMask) {
                let v = search.values[e]
                if v.denominator == 1 && v.numerator >= config.lowestTarget && v.numerator <= config.highestTarget {
                    longest = Swift.max(longest, search.answerLength(entry: e))
                }
            }
            // next non-decreasing tuple
            var i = k - 1
            while i >= 0 && offsetsOfTuple[i] == r - 1 { i -= 1 }
            if i < 0 { break outer }
            offsetsOfTuple[i] += 1
            for j in (i + 1)..<k { offsetsOfTuple[j] = offsetsOfTuple[i] }
        }
        var offsets: [Int32] = [0], targets: [Int32] = [], counts: [Int32] = []
        for entries in perRank {
            for (t, c) in entries { targets.append(t); counts.append(c) }
            offsets.append(Int32(targets.count))
        }
        self.offsets = offsets
        self.targets = targets
        self.counts = counts
        self.longestSolutionLength = longest
    }

    /// Rank of a multiset given as sorted offsets from `lowestNumber`.
    static func rank(sortedOffsets x: [Int]) -> Int {
        var rank = 0
        for i in 0..<x.count { rank += CountdownConfig.binomial(x[i] + i, i + 1) }
        return rank
    }

    /// Rank of `numbers` (any order), or nil when they do not fit the configuration.
    func rank(numbers: [Int]) -> Int? {
        guard numbers.count == config.numberCount,
              numbers.allSatisfy({ $0 >= config.lowestNumber && $0 <= config.highestNumber }) else { return nil }
        return CountdownTargetTable.rank(sortedOffsets: numbers.sorted().map { $0 - config.lowestNumber })
    }

    /// Distinct solutions of (numbers, target); 0 when unreachable or outside the configuration's ranges.
    public func solutionCount(numbers: [Int], target: Int) -> Int {
        guard let r = rank(numbers: numbers) else { return 0 }
        for e in Int(offsets[r])..<Int(offsets[r + 1]) where Int(targets[e]) == target { return Int(counts[e]) }
        return 0
    }

    /// Targets within the configured range that `numbers` can reach, with their distinct-solution counts.
    public func reachableTargets(numbers: [Int]) -> [(target: Int, solutionCount: Int)] {
        guard let r = rank(numbers: numbers) else { return [] }
        return (Int(offsets[r])..<Int(offsets[r + 1])).map { (Int(targets[$0]), Int(counts[$0])) }
    }
}

extension CountdownSearch {
    /// Tokens of the canonical answer of `entry` (end token included): Σ over steps of digits + 3, minus the
    /// final separator, plus the end token.
    func answerLength(entry: Int) -> Int {
        var total = 0
        var stack = [entry]
        while let e = stack.popLast() {
            guard operations[e] != 255 else { continue }
            let a = Int(firsts[e]), b = Int(seconds[e])
            total += CountdownTokenizer.numberText(values[a]).utf8.count + CountdownTokenizer.numberText(values[b]).utf8.count
                + CountdownTokenizer.numberText(values[e]).utf8.count + 3  // op, '=', separator or end
            stack.append(a); stack.append(b)
        }
        return total
    }
}

/// Draws solvable problems of a configuration, deterministically from a `RandomStream`.
///
/// A draw: the numbers uniformly and independently from lowestNumber…highestNumber (in prompt order); the
/// admissible targets of that multiset are those within lowestTarget…highestTarget with 1…maxSolutions distinct
/// solutions; if there are none the numbers are redrawn; otherwise target t is chosen with probability
/// ∝ solutionCount(t)^(−hardTargetBias) (uniform over admissible targets by default). Every problem carries its
/// solution count. Cost per draw: a few random numbers and a table lookup.
public struct CountdownGenerator: Sendable {
    public let table: CountdownTargetTable
    public var config: CountdownConfig { table.config }
    /// Admissible entries of multiset r: `admissibleOffsets[r]..<admissibleOffsets[r + 1]`, with their cumulative
    /// weights (the running sum restarts at each multiset).
    let admissibleOffsets: [Int32]
    let admissibleTargets: [Int32]
    let admissibleCounts: [Int32]
    let cumulativeWeights: [Double]
    /// Number of distinct admissible problems (multiset, target).
    public var admissibleProblemCount: Int { admissibleTargets.count }

    public init(config: CountdownConfig) { self.init(table: CountdownTargetTable(config: config)) }

    public init(table: CountdownTargetTable) {
        self.table = table
        let config = table.config
        var offsets: [Int32] = [0], targets: [Int32] = [], counts: [Int32] = [], cumulative: [Double] = []
        for r in 0..<table.multisetCount {
            var total = 0.0
            for e in Int(table.offsets[r])..<Int(table.offsets[r + 1]) where Int(table.counts[e]) <= config.maxSolutions {
                total += config.hardTargetBias == 0 ? 1 : Foundation.pow(Double(table.counts[e]), -config.hardTargetBias)
                targets.append(table.targets[e]); counts.append(table.counts[e]); cumulative.append(total)
            }
            offsets.append(Int32(targets.count))
        }
        require(!targets.isEmpty, "CountdownGenerator: no problem satisfies the configuration (targets \(config.lowestTarget)…\(config.highestTarget), maxSolutions \(config.maxSolutions))")
        admissibleOffsets = offsets
        admissibleTargets = targets
        admissibleCounts = counts
        cumulativeWeights = cumulative
    }

    /// One solvable problem.
    public func sample(_ rng: inout RandomStream) -> CountdownProblem {
        let k = config.numberCount, range = config.numberRangeSize, lowest = config.lowestNumber
        var numbers = [Int](repeating: 0, count: k)
        var sorted = SIMD4<Int>()
        while true {
            for i in 0..<k { numbers[i] = lowest + rng.int(range) }
            // rank of the sorted offsets (insertion sort of ≤ 4 values)
            for i in 0..<k {
                let v = numbers[i] - lowest
                var j = i
                while j > 0 && sorted[j - 1] > v { sorted[j] = sorted[j - 1]; j -= 1 }
                sorted[j] = v
            }
            var r = 0
            for i in 0..<k { r += CountdownGenerator.binomialSmall(sorted[i] + i, i + 1) }
            let start = Int(admissibleOffsets[r]), end = Int(admissibleOffsets[r + 1])
            if start == end { continue }
            // cumulative weights restart at each multiset
            let u = rng.uniformDouble() * cumulativeWeights[end - 1]
            var lo = start, hi = end - 1  // first e with cumulative[e] > u
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulativeWeights[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            return CountdownProblem(numbers: numbers, target: Int(admissibleTargets[lo]), solutionCount: Int(admissibleCounts[lo]))
        }
    }

    /// `count` problems drawn in sequence.
    public func sample(count: Int, _ rng: inout RandomStream) -> [CountdownProblem] {
        (0..<Swift.max(0, count)).map { _ in sample(&rng) }
    }

    /// C(n, k) for k ≤ 4 without loops over n.
    @inline(__always)
    static func binomialSmall(_ n: Int, _ k: Int) -> Int {
        switch k {
        case 1: return n
        case 2: return n * (n - 1) / 2
        case 3: return n * (n - 1) * (n - 2) / 6
        case 4: return n * (n - 1) * (n - 2) * (n - 3) / 24
        default: return CountdownConfig.binomial(n, k)
        }
    }
}

/// Fixed train and test problem sets of a configuration.
///
/// The test set is `testSize` DISTINCT problems (by `CountdownProblem.identity`: same multiset and target) drawn
/// from `stream.child("test")`; the train set is `trainSize` problems from `stream.child("train")`, redrawing any
/// problem whose identity is in the test set (train may repeat problems: the toy problem space is small, e.g. 2,145
/// distinct problems in the probe setting, 23,075 with 4 numbers). Same stream ⇒ same sets on every machine; the sets never share a problem.
public struct CountdownDataset: Sendable {
    public let config: CountdownConfig
    public let train: [CountdownProblem]
    public let test: [CountdownProblem]
    /// Identities of the test problems.
    public let testIdentities: Set<CountdownProblemIdentity>

    public init(config: CountdownConfig, trainSize: Int, testSize: Int, stream: RandomStream) {
        self.init(generator: CountdownGenerator(config: config), trainSize: trainSize, testSize: testSize, stream: stream)
    }

    public init(generator: CountdownGenerator, trainSize: Int, testSize: Int, stream: RandomStream) {
        require(trainSize >= 0 && testSize >= 0, "CountdownDataset: sizes must be ≥ 0")
        require(testSize < generator.admissibleProblemCount,
                "CountdownDataset: testSize \(testSize) must be below the \(generator.admissibleProblemCount) distinct problems of this configuration")
        config = generator.config
        var testRNG = stream.child("test"), trainRNG = stream.child("train")
        var seen = Set<CountdownProblemIdentity>()
        var test: [CountdownProblem] = []
        var attempts = 0
        let maxAttempts = 1_000 * (testSize + trainSize) + 100_000
        while test.count < testSize {
            attempts += 1
            require(attempts <= maxAttempts, "CountdownDataset: could not draw \(testSize) distinct test problems")
            let p = generator.sample(&testRNG)
            if seen.insert(p.identity).inserted { test.append(p) }
        }
        var train: [CountdownProblem] = []
        train.reserveCapacity(trainSize)
        attempts = 0
        while train.count < trainSize {
            attempts += 1
            require(attempts <= maxAttempts, "CountdownDataset: the test set covers almost all of the problem distribution")
            let p = generator.sample(&trainRNG)
            if !seen.contains(p.identity) { train.append(p) }
        }
        self.test = test
        self.train = train
        self.testIdentities = seen
    }

    /// Whether `problem` (in any number order) is in the test set.
    public func isTestProblem(_ problem: CountdownProblem) -> Bool { testIdentities.contains(problem.identity) }
}
