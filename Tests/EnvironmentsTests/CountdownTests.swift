import Testing
@testable import Environments
import Engine
import Foundation

// MARK: - Independent reference implementations (naive twins)

/// A tiny exact fraction on Int, independent of CountdownRational (small inputs only).
private struct NaiveFraction: Hashable {
    var n: Int, d: Int
    init(_ n: Int, _ d: Int = 1) {
        var n = n, d = d
        if d < 0 { n = -n; d = -d }
        var a = abs(n), b = d
        while b != 0 { (a, b) = (b, a % b) }
        let g = Swift.max(a, 1)
        self.n = n / g; self.d = d / g
    }
    static func apply(_ op: Character, _ x: NaiveFraction, _ y: NaiveFraction) -> NaiveFraction? {
        switch op {
        case "+": return NaiveFraction(x.n * y.d + y.n * x.d, x.d * y.d)
        case "-": return NaiveFraction(x.n * y.d - y.n * x.d, x.d * y.d)
        case "*": return NaiveFraction(x.n * y.n, x.d * y.d)
        default: return y.n == 0 ? nil : NaiveFraction(x.n * y.d, x.d * y.n)
        }
    }
}

/// A normal form built independently from the spec of CountdownExpressionKey (arrays, recursion): `code` is the
/// documented prefix serialisation (a number is its value; a sum with p added and n subtracted terms is
/// 0xC0 + 5p + n, a product 0xE0 + 5p + n; children sorted), compared lexicographically.
private indirect enum NaiveForm {
    case leaf(Int)
    case group(product: Bool, plus: [NaiveForm], minus: [NaiveForm])

    static func less(_ a: [Int], _ b: [Int]) -> Bool { a.lexicographicallyPrecedes(b) }

    var code: [Int] {
        switch self {
        case .leaf(let v): return [v]
        case .group(let product, let plus, let minus):
            return [(product ? 0xE0 : 0xC0) + 5 * plus.count + minus.count]
                + plus.map(\.code).sorted(by: NaiveForm.less).flatMap { $0 }
                + minus.map(\.code).sorted(by: NaiveForm.less).flatMap { $0 }
        }
    }

    static func combine(_ x: NaiveForm, _ op: Character, _ y: NaiveForm) -> NaiveForm {
        let product = op == "*" || op == "/"
        func parts(_ f: NaiveForm) -> ([NaiveForm], [NaiveForm]) {
            if case .group(let p, let plus, let minus) = f, p == product { return (plus, minus) }
            return ([f], [])
        }
        let (xp, xm) = parts(x), (yp, ym) = parts(y)
        if op == "+" || op == "*" { return .group(product: product, plus: xp + yp, minus: xm + ym) }
        return .group(product: product, plus: xp + ym, minus: xm + yp)
    }
}

/// Naive exhaustive search: repeatedly pick an ordered pair from the pool, replace it by its result. Returns, per
/// final integer value, the set of canonical tree strings and the set of normal-form strings.
private func naiveSolutions(_ numbers: [Int], integerOnly: Bool, operations: String = "+-*/")
    -> [Int: (trees: Set<String>, forms: Set<[Int]>)] {
    typealias Item = (value: NaiveFraction, tree: String, form: NaiveForm)
    var result: [Int: (trees: Set<String>, forms: Set<[Int]>)] = [:]
    func recurse(_ pool: [Item]) {
        if pool.count == 1 {
            let item = pool[0]
            if item.value.d == 1 {
                result[item.value.n, default: ([], [])].trees.insert(item.tree)
                result[item.value.n, default: ([], [])].forms.insert(item.form.code)
            }
            return
        }
        for i in pool.indices {
            for j in pool.indices where j != i {
                var rest = pool
                rest.remove(at: Swift.max(i, j)); rest.remove(at: Swift.min(i, j))
                let x = pool[i], y = pool[j]
                for op in operations {
                    guard let v = NaiveFraction.apply(op, x.value, y.value) else { continue }
                    if integerOnly && (v.d != 1 || v.n < 0) { continue }
                    let unordered = op == "+" || op == "*" || x.value == y.value
                    let (a, b) = unordered && x.tree > y.tree ? (y.tree, x.tree) : (x.tree, y.tree)
                    var form = NaiveForm.combine(x.form, op, y.form)
                    if x.value == y.value && (op == "-" || op == "/") {
                        let other = NaiveForm.combine(y.form, op, x.form)
                        if NaiveForm.less(other.code, form.code) { form = other }
                    }
                    recurse(rest + [(v, "(\(a)\(op)\(b))", form)])
                }
            }
        }
    }
    recurse(numbers.map { (NaiveFraction($0), "\($0)", NaiveForm.leaf($0)) })
    return result
}

/// Naive verifier on the decoded text (String operations), following the documented grammar and outcome order.
private func naiveVerify(_ text: String, numbers: [Int], target: Int, rules: CountdownRules) -> (CountdownOutcome, Int?) {
    guard let dot = text.firstIndex(of: ".") else {
        return (text.allSatisfy { $0 == "_" } ? .empty : .unterminated, nil)
    }
    let body = text[..<dot]
    if body.isEmpty { return (.empty, nil) }
    func number(_ s: Substring) -> (CountdownRational?, Substring) {
        var rest = s
        var negative = false
        if rest.first == "-" { negative = true; rest = rest.dropFirst() }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if digits.isEmpty || digits.count > 18 { return (nil, rest) }
        rest = rest.dropFirst(digits.count)
        var n = Int64(digits)!
        if negative { n = -n }
        var d: Int64 = 1
        if rest.first == "|" {
            rest = rest.dropFirst()
            let den = rest.prefix { $0.isASCII && $0.isNumber }
            if den.isEmpty || den.count > 18 || Int64(den)! == 0 { return (nil, rest) }
            d = Int64(den)!
            rest = rest.dropFirst(den.count)
        }
        return (CountdownRational(numerator: n, denominator: d), rest)
    }
    var steps: [(CountdownRational, Character, CountdownRational, CountdownRational)] = []
    for part in body.split(separator: ";", omittingEmptySubsequences: false) {
        let (a, r1) = number(part)
        guard let a, let op = r1.first, "+-*/".contains(op) else { return (.malformed, nil) }
        let (b, r2) = number(r1.dropFirst())
        guard let b, r2.first == "=" else { return (.malformed, nil) }
        let (c, r3) = number(r2.dropFirst())
        guard let c, r3.isEmpty else { return (.malformed, nil) }
        steps.append((a, op, b, c))
    }
    var pool = numbers.map { CountdownRational($0) }
    for (s, (a, op, b, c)) in steps.enumerated() {
        guard let ia = pool.lastIndex(of: a) else { return (.numberUnavailable, s) }
        pool.remove(at: ia)
        guard let ib = pool.lastIndex(of: b) else { return (.numberUnavailable, s) }
        pool.remove(at: ib)
        if !rules.operations.contains(op) { return (.ruleViolation, s) }
        let exact: CountdownRational?
        switch op {
        case "+": exact = CountdownRational.adding(a, b)
        case "-": exact = CountdownRational.subtracting(a, b)
        case "*": exact = CountdownRational.multiplying(a, b)
        default: exact = CountdownRational.dividing(a, b)
        }
        if exact != c { return (.arithmeticError, s) }
        if rules.integerIntermediates && !(c.denominator == 1 && c.numerator >= 0) { return (.ruleViolation, s) }
        pool.append(c)
    }
    if pool.count != 1 { return (.numberUnused, nil) }
    return (pool[0] == CountdownRational(target) ? .correct : .wrongValue, nil)
}

private let integerRules = CountdownRules()
private let rationalRules = CountdownRules(integerIntermediates: false)

private func problem(_ numbers: [Int], _ target: Int) -> CountdownProblem { CountdownProblem(numbers: numbers, target: target) }

// MARK: - Rational

@Suite("Countdown rational")
struct CountdownRationalTests {
    @Test func normalisation() {
        let r = CountdownRational(numerator: 6, denominator: -4)!
        #expect(r.numerator == -3 && r.denominator == 2)
        #expect(CountdownRational(numerator: 0, denominator: -7)! == CountdownRational.zero)
        #expect(CountdownRational(numerator: 5, denominator: 0) == nil)
        #expect(CountdownRational(numerator: Int64.min, denominator: 1) == nil)
        #expect(CountdownRational(numerator: Int64.min, denominator: 2)! == CountdownRational(numerator: -(Int64(1) << 62), denominator: 1)!)
        #expect(CountdownRational(numerator: 7, denominator: 3)!.description == "7/3")
    }

    @Test func arithmeticByHand() {
        let a = CountdownRational(numerator: 1, denominator: 2)!, b = CountdownRational(numerator: 1, denominator: 3)!
        #expect(CountdownRational.adding(a, b)! == CountdownRational(numerator: 5, denominator: 6)!)
        #expect(CountdownRational.subtracting(b, a)! == CountdownRational(numerator: -1, denominator: 6)!)
        #expect(CountdownRational.multiplying(a, b)! == CountdownRational(numerator: 1, denominator: 6)!)
        #expect(CountdownRational.dividing(a, b)! == CountdownRational(numerator: 3, denominator: 2)!)
        #expect(CountdownRational.dividing(CountdownRational(8), CountdownRational(4))! == CountdownRational(2))
        #expect(CountdownRational.dividing(CountdownRational(7), CountdownRational(2))! == CountdownRational(numerator: 7, denominator: 2)!)
        #expect(CountdownRational.dividing(a, .zero) == nil)
        #expect(CountdownRational(numerator: 2, denominator: 3)! < CountdownRational(numerator: 3, denominator: 4)!)
    }

    @Test func overflowIsInvalidNotATrap() {
        let big = CountdownRational(Int64.max)
        #expect(CountdownRational.adding(big, .one) == nil)
        #expect(CountdownRational.subtracting(CountdownRational(-Int64.max), .one) == nil)
        #expect(CountdownRational.multiplying(big, CountdownRational(2)) == nil)
        #expect(CountdownRational.subtracting(big, big)! == .zero)
        // intermediate products exceed 64 bits but the result fits: exact
        let x = CountdownRational(numerator: Int64.max, denominator: Int64.max - 1)!
        #expect(CountdownRational.multiplying(x, CountdownRational(numerator: Int64.max - 1, denominator: Int64.max)!)! == .one)
        #expect(CountdownRational.dividing(big, CountdownRational(numerator: 1, denominator: 3)!) == nil)
        #expect(CountdownRational(Int64.min).numerator == -Int64.max)
    }
}

// MARK: - Solver

@Suite("Countdown solver")
struct CountdownSolverTests {
    @Test func tinyCasesCountedByHand() {
        func count(_ n: [Int], _ t: Int, _ rules: CountdownRules = integerRules) -> Int {
            CountdownSolver.solve(numbers: n, target: t, rules: rules).solutionCount
        }
        #expect(count([1, 1], 2) == 1)   // 1+1
        #expect(count([1, 1], 1) == 2)   // 1*1, 1/1
        #expect(count([1, 1], 0) == 1)   // 1-1 (≡ the other 1-1)
        #expect(count([2, 4], 2) == 2)   // 4-2, 4/2
        #expect(count([2, 4], 8) == 1)
        #expect(count([2, 3], 7) == 0)
        #expect(count([5, 5], 1) == 1)   // 5/5
        // {1,2,3} → 6: (1+2)+3, (1+3)+2, (2+3)+1, (1*2)*3, (1*3)*2, (2*3)*1, (2*3)/1, (2/1)*3, (3/1)*2;
        // rational rules add 3/(1/2) and 2/(1/3).
        #expect(count([1, 2, 3], 6) == 9)
        #expect(count([1, 2, 3], 6, rationalRules) == 11)
        #expect(CountdownSolver.solve(numbers: [1, 2, 3], target: 6).expressionCount == 3)  // 1+2+3, 1*2*3, 2*3/1
        #expect(CountdownSolver.solve(numbers: [3, 2, 1], target: 6, rules: rationalRules).expressionCount == 3)
        // {2,3,4} → 24: the three association orders of 2*3*4.
        #expect(count([2, 3, 4], 24) == 3)
        #expect(CountdownSolver.solve(numbers: [2, 3, 4], target: 24).expressionCount == 1)
        // {1,2,4} → 3: (1+4)-2, (4-2)+1, 4-(2-1), (4/2)+1; expressions 1+4-2 and 4/2+1.
        #expect(count([1, 2, 4], 3) == 4)
        #expect(CountdownSolver.solve(numbers: [1, 2, 4], target: 3).expressionCount == 2)
        // The classic 8/(3-8/3): only with rational intermediates.
        #expect(count([3, 3, 8, 8], 24) == 0)
        let classic = CountdownSolver.solve(numbers: [3, 3, 8, 8], target: 24, rules: rationalRules, enumerate: true)
        #expect(classic.solutionCount == 1)
        #expect(classic.solutions.first?.key.description == "8/(3-8/3)")
        #expect(classic.solutions.first?.expressionKey.description == "8/(3-8/3)")
        #expect(CountdownSolver.solve(numbers: [1, 2, 3], target: 6).isReachable)
        #expect(!CountdownSolver.solve(numbers: [1, 1, 1], target: 100).isReachable)
    }

    @Test func restrictedOperations() {
        let onlyAdd = CountdownRules(integerIntermediates: true, operations: "+")
        #expect(CountdownSolver.solve(numbers: [1, 2, 3], target: 6, rules: onlyAdd).solutionCount == 3)
        #expect(CountdownSolver.solve(numbers: [2, 3, 4], target: 24, rules: onlyAdd).solutionCount == 0)
        #expect(onlyAdd.operationMask == 1 && integerRules.operationMask == 15)
    }

    @Test func agreesWithNaiveBruteForce() {
        var rng = RandomStream(seed: 11)
        for trial in 0..<40 {
            let count = trial < 16 ? 3 : 4
            let numbers = (0..<count).map { _ in 1 + rng.int(trial % 2 == 0 ? 9 : 13) }
            for rules in [integerRules, rationalRules] {
                let naive = naiveSolutions(numbers, integerOnly: rules.integerIntermediates)
                let reachable = CountdownSolver.reachableTargets(numbers: numbers, rules: rules)
                #expect(reachable.count == naive.count, "targets of \(numbers)")
                for (target, solutions) in reachable {
                    #expect(naive[target]?.trees.count == solutions, "\(numbers) → \(target)")
                }
                // expression counts on a few targets (including unreachable ones)
                for target in [0, 1, 10, 24, reachable.last?.target ?? 0] {
                    let r = CountdownSolver.solve(numbers: numbers, target: target, rules: rules)
                    #expect(r.solutionCount == naive[target]?.trees.count ?? 0)
                    #expect(r.expressionCount == naive[target]?.forms.count ?? 0, "forms \(numbers) → \(target)")
                }
            }
        }
    }

    @Test func enumeratedSolutionsVerifyAndRoundTrip() {
        var rng = RandomStream(seed: 5)
        var faithful = 0, total = 0
        for trial in 0..<80 {
            let numbers = (0..<(trial % 2 == 0 ? 3 : 4)).map { _ in 1 + rng.int(9) }
            let rules = trial % 3 == 0 ? rationalRules : integerRules
            let targets = CountdownSolver.reachableTargets(numbers: numbers, rules: rules)
            let target = targets[rng.int(targets.count)].target
            let result = CountdownSolver.solve(numbers: numbers, target: target, rules: rules, enumerate: true)
            #expect(result.solutions.count == result.solutionCount)
            #expect(Set(result.solutions.map(\.key)).count == result.solutionCount)
            #expect(Set(result.solutions.map(\.expressionKey)).count == result.expressionCount)
            for s in result.solutions {
                total += 1
                let verdict = CountdownVerifier.verify(CountdownTokenizer.answerTokens(s), problem: problem(numbers, target), rules: rules)
                #expect(verdict.outcome == .correct, "\(numbers) → \(target): \(s)")
                #expect(s.steps.count == numbers.count - 1)
                if s.isFaithful {
                    faithful += 1
                    #expect(verdict.solutionKey == s.key)
                    #expect(verdict.expressionKey == s.expressionKey)
                }
            }
        }
        #expect(total > 200 && Double(faithful) >= 0.97 * Double(total))
        // An ambiguous text: 1*1=1 three times is read as one tree, so one of the two trees is not faithful.
        let ones = CountdownSolver.solve(numbers: [1, 1, 1, 1], target: 1, enumerate: true).solutions
        #expect(ones.contains { !$0.isFaithful })
        #expect(CountdownSolver.solve(numbers: [1, 2, 3], target: 6, limit: 2).solutions.isEmpty)
        #expect(CountdownSolver.solve(numbers: [1, 2, 3], target: 6, enumerate: true, limit: 2).solutions.count == 2)
    }

    @Test func solutionKeysIdentifyWhatTheyShould() {
        func key(_ text: String, _ numbers: [Int], _ target: Int) -> CountdownVerdict {
            CountdownVerifier.verify(text: text, problem: problem(numbers, target), rules: integerRules)
        }
        // commutative operands and the order of independent steps do not matter
        let a = key("3+4=7;2*5=10;10+7=17.", [2, 3, 4, 5], 17)
        let b = key("5*2=10;4+3=7;7+10=17.", [2, 3, 4, 5], 17)
        #expect(a.outcome == .correct && a.solutionKey == b.solutionKey && a.expressionKey == b.expressionKey)
        #expect(a.solutionKey?.description == "2*5+(3+4)" || a.solutionKey?.description == "3+4+2*5")
        // associativity: different solutions, same expression
        let c = key("1+2=3;3+3=6.", [1, 2, 3], 6), d = key("2+3=5;5+1=6.", [1, 2, 3], 6)
        #expect(c.solutionKey != d.solutionKey && c.expressionKey == d.expressionKey)
        #expect(c.expressionKey?.description == "1+2+3")
        // (a+b)-c and a-(c-b): one expression
        let e = key("4+1=5;5-2=3.", [1, 2, 4], 3), f = key("2-1=1;4-1=3.", [1, 2, 4], 3)
        #expect(e.solutionKey != f.solutionKey && e.expressionKey == f.expressionKey)
        #expect(e.expressionKey?.description == "1+4-2")
        #expect(CountdownSolutionKey(rawValue: 0).description == "?")
    }
}

// MARK: - Target table, generator, dataset

@Suite("Countdown generation")
struct CountdownGenerationTests {
    @Test func tableAgreesWithSolver() {
        let config = CountdownConfig.probe
        let table = CountdownTargetTable(config: config)
        #expect(table.multisetCount == 165)  // C(11, 3)
        var rng = RandomStream(seed: 3)
        for _ in 0..<40 {
            let numbers = (0..<3).map { _ in 1 + rng.int(9) }
            let expected = CountdownSolver.reachableTargets(numbers: numbers).filter { (1...100).contains($0.target) }
            let got = table.reachableTargets(numbers: numbers)
            #expect(got.map(\.target) == expected.map(\.target) && got.map(\.solutionCount) == expected.map(\.solutionCount))
            #expect(table.solutionCount(numbers: numbers.reversed(), target: expected[0].target) == expected[0].solutionCount)
        }
        #expect(table.solutionCount(numbers: [1, 2, 3], target: 6) == 9)
        #expect(table.solutionCount(numbers: [1, 2, 3], target: 101) == 0)  // outside the target range
        #expect(table.solutionCount(numbers: [1, 2, 30], target: 6) == 0)   // outside the number range
        #expect(table.solutionCount(numbers: [1, 2], target: 3) == 0)
        #expect(table.longestSolutionLength <= CountdownTokenizer.maximumAnswerLength(config))
        // combinatorial ranks are a bijection onto 0..<C(R+k-1, k)
        var ranks = Set<Int>()
        for a in 0..<9 { for b in a..<9 { for c in b..<9 { ranks.insert(CountdownTargetTable.rank(sortedOffsets: [a, b, c])) } } }
        #expect(ranks == Set(0..<165))
    }

    @Test func generatorIsDeterministicAndSolvable() {
        let generator = CountdownGenerator(config: .probe)
        var r1 = RandomStream(seed: 42), r2 = RandomStream(seed: 42), r3 = RandomStream(seed: 43)
        let a = generator.sample(count: 300, &r1), b = generator.sample(count: 300, &r2), c = generator.sample(count: 300, &r3)
        #expect(a == b)
        #expect(a != c)
        for p in a {
            #expect(p.numbers.count == 3 && p.numbers.allSatisfy { (1...9).contains($0) } && (1...100).contains(p.target))
            let solved = CountdownSolver.solve(p)
            #expect(solved.isReachable && solved.solutionCount == p.solutionCount)
        }
        // numbers keep their drawn order (not sorted)
        #expect(a.contains { $0.numbers != $0.numbers.sorted() })
    }

    @Test func generatorCoversTheDistribution() {
        // numbers uniform, then the target uniform over the reachable targets of those numbers
        let generator = CountdownGenerator(config: .probe)
        #expect(generator.admissibleProblemCount == generator.table.reachableProblemCount)
        var rng = RandomStream(seed: 4)
        var seen = Set<CountdownProblemIdentity>()
        var targetsOf123: [Int: Int] = [:]
        var multiset123 = 0
        for _ in 0..<40_000 {
            let p = generator.sample(&rng)
            seen.insert(p.identity)
            if p.numbers.sorted() == [1, 2, 3] { multiset123 += 1; targetsOf123[p.target, default: 0] += 1 }
        }
        #expect(Double(seen.count) > 0.75 * Double(generator.admissibleProblemCount))
        // {1,2,3} reaches 0…9 ((1+2)*3 = 9 is the largest; 0 is outside the target range): 9 targets, each ≈ 1/9
        #expect(Set(targetsOf123.keys) == Set(1...9))
        #expect(multiset123 > 200)  // P = 6/729 per draw
        for (_, n) in targetsOf123 { #expect(abs(Double(n) / Double(multiset123) - 1.0 / 9) < 0.06) }
    }

    @Test func hardProblemOptions() {
        var config = CountdownConfig()
        config.numberCount = 4
        config.maxSolutions = 2
        let generator = CountdownGenerator(config: config)
        var rng = RandomStream(seed: 1)
        for p in generator.sample(count: 300, &rng) {
            #expect((1...2).contains(p.solutionCount))
            #expect(CountdownSolver.solve(p).solutionCount == p.solutionCount)
        }
        func meanCount(_ bias: Double) -> Double {
            var c = CountdownConfig.probe
            c.hardTargetBias = bias
            var rng = RandomStream(seed: 9)
            return CountdownGenerator(config: c).sample(count: 3000, &rng).reduce(0.0) { $0 + Double($1.solutionCount) } / 3000
        }
        #expect(meanCount(2) < meanCount(0))
        #expect(CountdownConfig.hard.validationError == nil && CountdownConfig.probe.validationError == nil)
        var bad = CountdownConfig(); bad.numberCount = 5
        #expect(bad.validationError != nil)
        bad = CountdownConfig(); bad.operations = "+x"
        #expect(bad.validationError != nil)
        bad = CountdownConfig(); bad.highestNumber = 0
        #expect(bad.validationError != nil)
    }

    @Test func datasetSplitsAreDisjointFixedAndDistinct() {
        let d1 = CountdownDataset(config: .probe, trainSize: 2000, testSize: 300, stream: RandomStream(seed: 7))
        let d2 = CountdownDataset(config: .probe, trainSize: 2000, testSize: 300, stream: RandomStream(seed: 7))
        let d3 = CountdownDataset(config: .probe, trainSize: 2000, testSize: 300, stream: RandomStream(seed: 8))
        #expect(d1.train.count == 2000 && d1.test.count == 300)
        #expect(d1.train == d2.train && d1.test == d2.test)
        #expect(d1.test != d3.test)
        let testIDs = Set(d1.test.map(\.identity))
        #expect(testIDs.count == 300)
        #expect(d1.train.allSatisfy { !testIDs.contains($0.identity) })
        #expect(d1.isTestProblem(CountdownProblem(numbers: d1.test[0].numbers.reversed(), target: d1.test[0].target)))
        #expect(!d1.isTestProblem(d1.train[0]))
        #expect(CountdownProblem(numbers: [3, 1, 2], target: 6).identity == CountdownProblem(numbers: [1, 2, 3], target: 6).identity)
    }

    @Test func configIsCodable() throws {
        let config = CountdownConfig.hard
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(CountdownConfig.self, from: data) == config)
    }
}

// MARK: - Tokenizer

@Suite("Countdown tokenizer")
struct CountdownTokenizerTests {
    @Test func vocabularyAndHandEncodedPrompt() {
        #expect(CountdownTokenizer.vocabularySize == 22 && CountdownTokenizer.characters.count == 22)
        #expect(CountdownTokenizer.padToken == 0 && CountdownTokenizer.endToken == 1)
        let p = CountdownProblem(numbers: [3, 7, 9], target: 42)
        #expect(CountdownTokenizer.promptText(p) == "3,7,9>42:")
        // 3 , 7 , 9 > 4 2 :
        #expect(CountdownTokenizer.promptTokens(p) == [5, 18, 9, 18, 11, 19, 6, 4, 20])
        // 9-3=6;6*7=42.
        #expect(CountdownTokenizer.encode("9-3=6;6*7=42.") == [11, 13, 5, 16, 8, 17, 8, 14, 9, 16, 6, 4, 1])
        #expect(CountdownTokenizer.encode("7|3") == [9, 21, 5])
        #expect(CountdownTokenizer.encode("3 7") == nil)
        #expect(CountdownTokenizer.encode("3×7") == nil)
        #expect(CountdownTokenizer.encode("")! == [])
        #expect(CountdownTokenizer.decode([Int32]([5, 99, -1, 0, 1])) == "3??_.")
        #expect(CountdownTokenizer.maximumPromptLength(.probe) == 10)  // 9,9,9>100:
    }

    @Test func roundTrips() {
        var rng = RandomStream(seed: 2)
        let alphabet = CountdownTokenizer.characters
        for _ in 0..<500 {
            let text = String((0..<rng.int(40)).map { _ in alphabet[rng.int(alphabet.count)] })
            #expect(CountdownTokenizer.decode(CountdownTokenizer.encode(text)!) == text)
        }
        let generator = CountdownGenerator(config: .hard)
        for p in generator.sample(count: 50, &rng) {
            #expect(CountdownTokenizer.decode(CountdownTokenizer.promptTokens(p)) == CountdownTokenizer.promptText(p))
            let s = CountdownSolver.solve(p, enumerate: true, limit: 1).solutions[0]
            #expect(CountdownTokenizer.decode(CountdownTokenizer.answerTokens(s)) == s.description)
            #expect(CountdownTokenizer.answerTokens(s).last == CountdownTokenizer.endToken)
        }
        let step = CountdownStep(left: CountdownRational(numerator: -7, denominator: 3)!, operation: .multiply,
                                 right: CountdownRational(3), result: CountdownRational(-7))
        #expect(step.description == "-7|3*3=-7")
    }
}

// MARK: - Verifier

@Suite("Countdown verifier")
struct CountdownVerifierTests {
    let p = CountdownProblem(numbers: [3, 7, 9], target: 30)

    func verdict(_ text: String, _ problem: CountdownProblem? = nil, _ rules: CountdownRules = integerRules) -> CountdownVerdict {
        CountdownVerifier.verify(text: text, problem: problem ?? p, rules: rules)
    }

    @Test func everyOutcomeByHand() {
        var v = verdict("3*7=21;21+9=30.")
        #expect(v.outcome == .correct && v.stepCount == 2 && v.finalValue == CountdownRational(30) && v.failedStep == nil)
        #expect(verdict("7*3=21;9+21=30.").solutionKey == v.solutionKey)
        v = verdict("3*7=21;21-9=12.")
        #expect(v.outcome == .wrongValue && v.finalValue == CountdownRational(12) && v.solutionKey == nil)
        v = verdict("3*3=9;9+7=16.")                       // 3 used twice
        #expect(v.outcome == .numberUnavailable && v.failedStep == 0)
        #expect(verdict("5*7=35;35-9=26.").outcome == .numberUnavailable)   // 5 never given
        #expect(verdict("-3*7=-21;-21+9=-12.", nil, rationalRules).outcome == .numberUnavailable)  // -3 never given
        v = verdict("3*7=21;21+9=30;30-1=29.")             // a step after the pool is exhausted
        #expect(v.outcome == .numberUnavailable && v.failedStep == 2)
        v = verdict("3*7=21.")                              // 9 missing
        #expect(v.outcome == .numberUnused && v.finalValue == CountdownRational(21))
        v = verdict("3*7=22;22+8=30.")
        #expect(v.outcome == .arithmeticError && v.failedStep == 0)
        v = verdict("3*7=21;21+9=31.")
        #expect(v.outcome == .arithmeticError && v.failedStep == 1)
        v = verdict("3-3=0;5/0=5.", CountdownProblem(numbers: [3, 3, 5], target: 5))   // division by zero
        #expect(v.outcome == .arithmeticError && v.failedStep == 1)
        #expect(verdict("7/3=2;2+3=5.").outcome == .arithmeticError)              // no integer division
        v = verdict("3-7=-4;9*-4=-36.")
        #expect(v.outcome == .ruleViolation && v.failedStep == 0)
        #expect(verdict("7/3=7|3;7|3*9=21.").outcome == .ruleViolation)
        #expect(verdict("3*7=21;21+9=30.", nil, CountdownRules(integerIntermediates: true, operations: "+-")).outcome == .ruleViolation)
        for text in ["3*7=21;21+9=30;.", "3*7=21;+9=30.", "3**7=21.", "30.", "3*7=.", "3*7=21;;21+9=30.", "3*7=2_1.",
                     "3*7=21;21+9=30=30.", "3|0*7=0.", "3*7=21 ;21+9=30.", "3,7>30:3*7=21.",
                     "1234567890123456789*1=1."] {
            #expect(verdict(text).outcome == .malformed, "\(text)")
        }
        #expect(verdict("3*7=21;21+9=30").outcome == .unterminated)
        #expect(verdict("").outcome == .empty)
        #expect(verdict(".").outcome == .empty)
        #expect(CountdownVerifier.verify([0, 0, 0], problem: p, rules: integerRules).outcome == .empty)
        #expect(CountdownVerifier.verify([], problem: p, rules: integerRules).outcome == .empty)
        // everything after the first end token is ignored
        var tokens = CountdownTokenizer.encode("3*7=21;21+9=30.")!
        tokens += [99, -5, 3, 1, 0]
        #expect(CountdownVerifier.verify(tokens, problem: p, rules: integerRules).outcome == .correct)
        #expect(CountdownVerifier.verify(tokens[0...], problem: p, rules: integerRules).outcome == .correct)
        // rational rules: fractions and negatives are fine
        let classic = CountdownProblem(numbers: [3, 3, 8, 8], target: 24)
        #expect(verdict("8/3=8|3;3-8|3=1|3;8/1|3=24.", classic, rationalRules).outcome == .correct)
        #expect(verdict("8/3=8|3;3-8|3=1|3;8/1|3=24.", classic, integerRules).outcome == .ruleViolation)
        #expect(verdict("3-7=-4;-4+9=5.", CountdownProblem(numbers: [3, 7, 9], target: 5), rationalRules).outcome == .correct)
        #expect(verdict("6|4*4=6.", CountdownProblem(numbers: [4, 1], target: 6), rationalRules).outcome == .numberUnavailable)
    }

    @Test func rewardsPerOutcome() {
        let expected: [CountdownOutcome: (Float, Float, Float)] = [
            .correct: (1, 1, 1), .wrongValue: (0.1, 0, -1), .numberUnavailable: (0.1, 0, -1), .numberUnused: (0.1, 0, -1),
            .arithmeticError: (0.1, 0, -1), .ruleViolation: (0.1, 0, -1), .malformed: (0, 0, -1),
            .unterminated: (0, 0, -1), .empty: (0, 0, -1),
        ]
        #expect(expected.count == CountdownOutcome.allCases.count)
        for (outcome, (tinyZero, binary, signed)) in expected {
            let v = CountdownVerdict(outcome)
            #expect(v.reward(.tinyZero) == tinyZero && v.reward(.binary) == binary && v.reward(.signed) == signed, "\(outcome)")
        }
        #expect(verdict("3*7=21;21+9=30.").reward(.tinyZero) == 1)
        #expect(verdict("3*7=21;21-9=12.").reward(.tinyZero) == 0.1)
        #expect(verdict("garbage").reward(.tinyZero) == 0)
    }

    @Test func adversarialInputsNeverTrap() {
        let long = String(repeating: "1+1=2;", count: 100) + "1+1=2."
        var v = verdict(long, CountdownProblem(numbers: [1, 1, 2], target: 4))
        #expect(v.outcome == .numberUnavailable && v.stepCount == 101 && v.failedStep == 1)
        v = verdict(String(repeating: "9", count: 10_000) + "+1=1.")
        #expect(v.outcome == .malformed)
        v = verdict("999999999999999999*999999999999999999=1;1+1=2.")
        #expect(v.outcome == .numberUnavailable)
        let hugeProblem = CountdownProblem(numbers: [99, 99], target: 1)
        #expect(verdict("99/99=1.", hugeProblem).outcome == .correct)
        // numbers outside the problem's range in a decoded (unchecked) problem
        let decoded = try! JSONDecoder().decode(CountdownProblem.self, from: Data(#"{"numbers":[0,-5,1000000],"target":0,"solutionCount":0}"#.utf8))
        #expect(verdict("0*-5=0;0*1000000=0.", decoded, rationalRules).outcome == .correct)
        #expect(verdict("0*-5=0;0*1000000=0.", decoded, rationalRules).solutionKey == nil)
        let none = try! JSONDecoder().decode(CountdownProblem.self, from: Data(#"{"numbers":[],"target":0,"solutionCount":0}"#.utf8))
        #expect(verdict("1+1=2.", none).outcome == .numberUnavailable)
        #expect(CountdownVerifier.verify([Int32.min, Int32.max, -1, 22, 1], problem: p, rules: integerRules).outcome == .malformed)
        #expect(CountdownVerifier.verify([Int32](repeating: 5, count: 100_000), problem: p, rules: integerRules).outcome == .unterminated)
    }

    /// `Build.fuzzInputs` inputs (10⁶ in the checked build): random token sequences, solver solutions with
    /// substitutions, insertions, deletions, truncations, duplications and long numbers, solutions of other targets,
    /// and one input in 500 of 10⁴–10⁵ tokens; each verdict compared with the naive verifier's.
    @Test func fuzzAgainstNaiveVerifier() {
        var rng = RandomStream(seed: 77)
        let generator = CountdownGenerator(config: .hard)
        // Problems with their solutions under both rule sets and a solution of another reachable target, solved once.
        let pool: [(problem: CountdownProblem, rational: [CountdownSolution], integer: [CountdownSolution], other: CountdownSolution)] =
            (0..<400).map { _ in
                let problem = generator.sample(&rng)
                let targets = generator.table.reachableTargets(numbers: problem.numbers)
                let other = targets[rng.int(targets.count)].target
                return (problem, CountdownSolver.solve(problem, rules: rationalRules, enumerate: true, limit: 8).solutions,
                        CountdownSolver.solve(problem, rules: integerRules, enumerate: true, limit: 8).solutions,
                        CountdownSolver.solve(numbers: problem.numbers, target: other, enumerate: true, limit: 1).solutions[0])
            }
        var outcomes = Set<CountdownOutcome>()
        let trials = Build.fuzzInputs(unchecked: 20_000)
        for trial in 0..<trials {
            let entry = pool[rng.int(pool.count)], problem = entry.problem
            let rules = trial % 4 == 0 ? rationalRules : integerRules
            var tokens: [Int32]
            switch trial % 5 {
            case 0:
                // random sequences over the vocabulary plus unknown ids, often ended by the end token; one in 500 of
                // 10⁴–10⁵ tokens
                let length = trial % 2500 == 0 ? 10_000 + rng.int(90_000) : rng.int(30)
                tokens = (0..<length).map { _ in Int32(rng.int(26)) - 2 }
                if rng.bernoulli(0.7) { tokens.append(CountdownTokenizer.endToken) }
            case 1, 2, 3:
                // a solver solution (rational ones break integer rules), then edits
                let solutions = trial % 5 == 1 ? entry.rational : entry.integer
                tokens = CountdownTokenizer.answerTokens(solutions.isEmpty ? entry.other : solutions[rng.int(solutions.count)])
            default:
                // a valid solution of another target
                tokens = CountdownTokenizer.answerTokens(entry.other)
            }
            if trial % 5 != 0 && rng.bernoulli(0.7) {
                for _ in 0..<(1 + rng.int(3)) {
                    let at = rng.int(tokens.count + 1)
                    switch rng.int(8) {
                    case 0: if at < tokens.count { tokens[at] = Int32(rng.int(24)) - 1 }                 // substitute
                    case 1: tokens.insert(Int32(rng.int(22)), at: at)                                       // insert
                    case 2: if at < tokens.count { tokens.remove(at: at) }                                   // delete
                    case 3: tokens = Array(tokens.prefix(at))                                                // truncate
                    case 4: tokens.insert(contentsOf: tokens.prefix(rng.int(tokens.count + 1)), at: 0)      // duplicate
                    case 5: if at < tokens.count, tokens[at] >= 2 && tokens[at] <= 11 { tokens[at] = 2 + Int32(rng.int(10)) } // change a digit
                    case 6: tokens.insert(contentsOf: [Int32](repeating: 2 + Int32(rng.int(10)), count: rng.int(25)), at: at) // long number
                    default:                                                                                  // drop the last step
                        if let cut = tokens.lastIndex(of: CountdownTokenizer.stepSeparatorToken) { tokens = Array(tokens[..<cut]) + [CountdownTokenizer.endToken] }
                    }
                }
            }
            let v = CountdownVerifier.verify(tokens, problem: problem, rules: rules)
            let (outcome, failed) = naiveVerify(CountdownTokenizer.decode(tokens), numbers: problem.numbers, target: problem.target, rules: rules)
            #expect(v.outcome == outcome, "\(problem) \(CountdownTokenizer.decode(tokens))")
            #expect(v.failedStep == failed)
            #expect([0, 0.1, 1].contains(v.reward(.tinyZero)))
            #expect((v.outcome == .correct) == (v.solutionKey != nil && v.reward(.binary) == 1))
            outcomes.insert(v.outcome)
        }
        // the mutations reached every outcome
        #expect(outcomes == Set(CountdownOutcome.allCases))
        print("fuzz: Countdown verifier: \(trials) inputs, \(Build.description) build")
    }
}

// MARK: - Benchmark entry points

@Suite("Countdown benchmark")
struct CountdownBenchmarkTests {
    @Test func entryPointsRunAndAreDeterministic() {
        var r1 = RandomStream(seed: 1), r2 = RandomStream(seed: 1)
        let a = CountdownBenchmark.generateProblems(count: 1000, rng: &r1)
        #expect(a == CountdownBenchmark.generateProblems(count: 1000, rng: &r2))
        #expect(a >= 1000)
        var r3 = RandomStream(seed: 2)
        // 5 answers per problem, one of them correct
        #expect(CountdownBenchmark.verifyAnswers(count: 3200, rng: &r3) == 640)
    }
}
