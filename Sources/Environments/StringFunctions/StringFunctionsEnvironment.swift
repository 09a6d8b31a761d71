import Engine

// The StringFunctions environment (composition finding): opaque function ids assigned by seed, the train /
// held-out split, problem generators for Levels 1–6, the fixed test sets, and the Stage-1 pretraining mixture.

/// Configuration of a `StringFunctionsEnvironment`.
public struct StringFunctionsConfig: Codable, Equatable, Sendable {
    /// Seed of the id ↔ function assignment, the train / held-out split, the test reservation and the test sets.
    public var seed: UInt64
    /// Shortest prompt input, in letters (≥ 1).
    public var minInputLength: Int
    /// Longest prompt input, in letters (≤ 8; the paper-like default 6 keeps Level-6 prompts at ≤ 25 tokens).
    public var maxInputLength: Int
    /// Trace style of gold responses and of trace analysis when no style is passed explicitly.
    public var traceStyle: StringFunctionsTraceStyle
    /// One problem in this many (by a seeded hash of its calls and input) is reserved for the fixed test sets;
    /// training generators never return a reserved problem (≥ 2).
    public var testReservationPeriod: Int
    /// Problems per level in each fixed test set (1,024: at 256 the sampling noise of an accuracy, ±3 points, is as large as the effects).
    public var testSetSize: Int
    /// Redraw a problem whose answer equals the result of a proper subsequence of its calls in their order (the
    /// input itself included): then every call changes the outcome, no call is a no-op on its value, and a correct
    /// answer can never come from ignoring part of the composition. Applies to every level and every generator.
    /// Cost: functions that are often no-ops (dropLastIfOddLength, vowelToDigit, sortSymbols, …) or idempotent
    /// become rarer at depth (Level 6 over all 16: about 3–9% of calls each instead of 6.25%; Levels 2–3 stay
    /// near uniform). Without it, an "apply only the outermost call" policy already solves ~17% of Level 2 and
    /// ~7% of Level 3.
    public var requireEveryCallMatters: Bool

    public init(seed: UInt64 = 0, minInputLength: Int = 3, maxInputLength: Int = 6,
                traceStyle: StringFunctionsTraceStyle = .rewrite, testReservationPeriod: Int = 8,
                testSetSize: Int = 1024, requireEveryCallMatters: Bool = true) {
        self.seed = seed; self.minInputLength = minInputLength; self.maxInputLength = maxInputLength
        self.traceStyle = traceStyle; self.testReservationPeriod = testReservationPeriod; self.testSetSize = testSetSize
        self.requireEveryCallMatters = requireEveryCallMatters
    }
}

/// A set of function ids a generator draws its calls from.
public enum StringFunctionsSubset: String, Codable, Equatable, Sendable, CaseIterable {
    /// The main family's Stage-2 training functions (half of `f0`…`f15`, by seed).
    case train
    /// The main family's held-out functions (the other half).
    case heldOut
    /// All 16 main-family functions.
    case main
    /// The auxiliary family `g0`…`g9` (Stage-1 chaining prior only).
    case auxiliary
}

/// Where a problem's input string comes from.
public enum StringFunctionsInputDistribution: Codable, Equatable, Sendable {
    /// Prompt inputs: length uniform in minInputLength…maxInputLength, letters uniform over `a`…`h`.
    case letters
    /// Length uniform in 1…8, symbols uniform over all 10 (letters and digits).
    case anySymbols
    /// A `letters` string passed through d random calls of `subset` (d uniform in 0…maxDepth, redrawn if a value
    /// becomes empty); the calls are hidden, only the resulting string is the input. These are the values that
    /// occur inside compositions, so Level-1 training on them teaches each function on the inputs it will meet at
    /// depth without showing any composition.
    case intermediates(subset: StringFunctionsSubset, maxDepth: Int)
}

/// One task: nested unary calls on an input string.
public struct StringFunctionsProblem: Hashable, Codable, Sendable {
    /// Function ids (0..<26) in application order: `calls[0]` is the innermost call, applied first.
    public var calls: [Int]
    /// The input string (symbols; see `StringFunctionsAlphabet`).
    public var input: [UInt8]
    /// The gold final value calls[n−1](…calls[0](input)…).
    public var answer: [UInt8]

    /// Level n = number of nested calls.
    public var level: Int { calls.count }

    /// The problem as code, e.g. `f3(f7(abcd))` for calls [7, 3] on `abcd`.
    public var code: String {
        var s = ""
        for c in calls.reversed() { s += StringFunctionsTokenizer.functionName(c) + "(" }
        s += StringFunctionsAlphabet.text(input)
        s += String(repeating: ")", count: calls.count)
        return s
    }
}

/// The Stage-1 ("base model") data mixture: the main family gets Level-1 problems only, plus a general chaining
/// prior from the auxiliary family composed at every depth. No composition involving a held-out function is ever
/// drawn (`trainChainShare` composes train functions only).
public struct StringFunctionsPretrainingMix: Codable, Equatable, Sendable {
    /// Share of problems that are auxiliary-family compositions, level uniform in 1…auxiliaryMaxLevel.
    public var auxiliaryShare: Double
    /// Deepest auxiliary composition (≤ 6).
    public var auxiliaryMaxLevel: Int
    /// Share of problems that are Level-2 compositions of train functions (a direct chain prior, guidance (c):
    /// keep it small or 0 so Stage-2 train Level-2 reward starts well below saturation).
    public var trainChainShare: Double
    /// Inputs of the main family's Level-1 problems (the remaining 1 − auxiliaryShare − trainChainShare).
    public var mainInputs: StringFunctionsInputDistribution

    public init(auxiliaryShare: Double = 0.5, auxiliaryMaxLevel: Int = 6, trainChainShare: Double = 0,
                mainInputs: StringFunctionsInputDistribution = .intermediates(subset: .main, maxDepth: 5)) {
        self.auxiliaryShare = auxiliaryShare; self.auxiliaryMaxLevel = auxiliaryMaxLevel
        self.trainChainShare = trainChainShare; self.mainInputs = mainInputs
    }
}

/// The environment: which function each opaque id names, the split, generators, test sets, and the token format.
///
/// Function ids: 0..<16 are the main family `f0`…`f15` (each a `StringFunctionsKind.main` function, assigned by a
/// seeded permutation, so an id says nothing about its function); 16..<26 are the auxiliary family `g0`…`g9`
/// (likewise permuted). The main family is split by seed into 8 train and 8 held-out functions.
///
/// Generators never produce a problem with an empty value anywhere in its chain (redrawn; the shrinking functions
/// can empty a string, e.g. removeVowels("ae")), and every value has at most 8 symbols (the lengthening functions
/// cap their result), so `contextLength(level:style:)` bounds every task. With `requireEveryCallMatters` (default)
/// they also redraw problems that fewer calls would solve (see the config field).
///
/// Train / test separation: a seeded hash of (calls, input) reserves one problem in `testReservationPeriod` for
/// testing. `testSet` draws only reserved problems, `sampleProblem` / `sampleStageOne` never return one, so no test
/// problem (of any level, subset or input distribution) is ever a training problem.
public struct StringFunctionsEnvironment: Sendable {
    public let config: StringFunctionsConfig
    /// Deepest level the environment generates.
    public static let maxLevel = 6
    /// `kinds[id]` is the function named by id `id` (0..<26).
    public let kinds: [StringFunctionsKind]
    /// Main-family ids used for Stage-2 training (8, ascending).
    public let trainFunctions: [Int]
    /// Main-family ids held out from Stage 2 (8, ascending).
    public let heldOutFunctions: [Int]
    /// All main-family ids 0..<16.
    public let mainFunctions: [Int]
    /// All auxiliary-family ids 16..<26.
    public let auxiliaryFunctions: [Int]

    public init(config: StringFunctionsConfig = StringFunctionsConfig()) {
        require(config.minInputLength >= 1 && config.minInputLength <= config.maxInputLength
                && config.maxInputLength <= StringFunctionsAlphabet.maxStringLength,
                "StringFunctionsConfig: need 1 ≤ minInputLength ≤ maxInputLength ≤ 8")
        require(config.testReservationPeriod >= 2, "StringFunctionsConfig: testReservationPeriod must be ≥ 2")
        require(config.testSetSize >= 1, "StringFunctionsConfig: testSetSize must be ≥ 1")
        self.config = config
        let root = RandomStream(seed: config.seed)
        var assignment = root.child("assignment")
        let mainOrder = assignment.permutation(StringFunctionsKind.main.count)
        let auxiliaryOrder = assignment.permutation(StringFunctionsKind.auxiliary.count)
        kinds = mainOrder.map { StringFunctionsKind.main[$0] } + auxiliaryOrder.map { StringFunctionsKind.auxiliary[$0] }
        var split = root.child("split")
        let order = split.permutation(StringFunctionsTokenizer.mainFunctionCount)
        let half = StringFunctionsTokenizer.mainFunctionCount / 2
        trainFunctions = order.prefix(half).sorted()
        heldOutFunctions = order.dropFirst(half).sorted()
        mainFunctions = Array(0..<StringFunctionsTokenizer.mainFunctionCount)
        auxiliaryFunctions = Array(StringFunctionsTokenizer.mainFunctionCount..<StringFunctionsTokenizer.functionCount)
    }

    // MARK: Functions

    /// The function named by id `id` (0..<26).
    public func kind(of id: Int) -> StringFunctionsKind {
        require(id >= 0 && id < kinds.count, "StringFunctionsEnvironment.kind: unknown function id \(id)")
        return kinds[id]
    }

    /// The id naming `kind`.
    public func functionId(of kind: StringFunctionsKind) -> Int { kinds.firstIndex(of: kind)! }

    /// The ids in `subset`, ascending.
    public func functions(in subset: StringFunctionsSubset) -> [Int] {
        switch subset {
        case .train: return trainFunctions
        case .heldOut: return heldOutFunctions
        case .main: return mainFunctions
        case .auxiliary: return auxiliaryFunctions
        }
    }

    /// Function `id` applied to `value`.
    @inline(__always) public func apply(_ id: Int, to value: [UInt8]) -> [UInt8] { kind(of: id).apply(value) }

    /// The chain of values v₀ = input, v_k = calls[k−1](v_{k−1}) (count calls.count + 1).
    public func values(calls: [Int], input: [UInt8]) -> [[UInt8]] {
        var out = [input]
        out.reserveCapacity(calls.count + 1)
        for c in calls { out.append(apply(c, to: out[out.count - 1])) }
        return out
    }

    /// The final value of `calls` (application order) on `input`.
    public func evaluate(calls: [Int], input: [UInt8]) -> [UInt8] {
        var v = input
        for c in calls { v = apply(c, to: v) }
        return v
    }

    /// The problem with these calls and input (its answer computed).
    public func makeProblem(calls: [Int], input: [UInt8]) -> StringFunctionsProblem {
        StringFunctionsProblem(calls: calls, input: input, answer: evaluate(calls: calls, input: input))
    }

    // MARK: Generators

    /// An input string from `distribution`.
    public func sampleInput(_ distribution: StringFunctionsInputDistribution, rng: inout RandomStream) -> [UInt8] {
        switch distribution {
        case .letters:
            let length = config.minInputLength + rng.int(config.maxInputLength - config.minInputLength + 1)
            return (0..<length).map { _ in UInt8(rng.int(StringFunctionsAlphabet.letterCount)) }
        case .anySymbols:
            let length = 1 + rng.int(StringFunctionsAlphabet.maxStringLength)
            return (0..<length).map { _ in UInt8(rng.int(StringFunctionsAlphabet.symbolCount)) }
        case .intermediates(let subset, let maxDepth):
            require(maxDepth >= 0, "StringFunctionsInputDistribution.intermediates: maxDepth must be ≥ 0")
            let pool = functions(in: subset)
            for _ in 0..<100_000 {
                var v = sampleInput(.letters, rng: &rng)
                for _ in 0..<rng.int(maxDepth + 1) where !v.isEmpty { v = apply(pool[rng.int(pool.count)], to: v) }
                if !v.isEmpty { return v }
            }
            require(false, "StringFunctions.sampleInput: no non-empty intermediate found")
            return []
        }
    }

    /// A training problem: `level` calls drawn uniformly (with repetition) from `subset`, the input from `inputs`,
    /// redrawn until no value in the chain is empty, every call matters (`requireEveryCallMatters`) and the problem
    /// is not reserved for the test sets (see `candidate`).
    public func sampleProblem(level: Int, subset: StringFunctionsSubset,
                              inputs: StringFunctionsInputDistribution = .letters,
                              rng: inout RandomStream) -> StringFunctionsProblem {
        draw(level: level, pool: functions(in: subset), fixedCall: nil, inputs: inputs, reserved: false, rng: &rng)
    }

    /// One Stage-1 problem from `mix` (see `StringFunctionsPretrainingMix`); never a reserved test problem and
    /// never a composition involving a held-out function.
    public func sampleStageOne(mix: StringFunctionsPretrainingMix, rng: inout RandomStream) -> StringFunctionsProblem {
        require(mix.auxiliaryShare >= 0 && mix.trainChainShare >= 0 && mix.auxiliaryShare + mix.trainChainShare <= 1,
                "StringFunctionsPretrainingMix: shares must be ≥ 0 and sum to ≤ 1")
        require(mix.auxiliaryMaxLevel >= 1 && mix.auxiliaryMaxLevel <= Self.maxLevel,
                "StringFunctionsPretrainingMix: auxiliaryMaxLevel must be in 1…6")
        let u = rng.uniformDouble()
        if u < mix.auxiliaryShare {
            return sampleProblem(level: 1 + rng.int(mix.auxiliaryMaxLevel), subset: .auxiliary, rng: &rng)
        }
        if u < mix.auxiliaryShare + mix.trainChainShare {
            return sampleProblem(level: 2, subset: .train, rng: &rng)
        }
        return sampleProblem(level: 1, subset: .main, inputs: mix.mainInputs, rng: &rng)
    }

    /// Whether `problem` is reserved for the test sets: seeded hash of (calls, input) ≡ 0 mod testReservationPeriod.
    public func isReservedForTest(_ problem: StringFunctionsProblem) -> Bool {
        isReserved(calls: problem.calls, input: problem.input)
    }

    /// The fixed test set of `level` over `subset` (`size` distinct reserved problems, `.letters` inputs, default
    /// `config.testSetSize`). Level 1 is balanced: problem i calls subset function i mod |subset|. The same config
    /// gives the same set on every machine, and a smaller size gives a prefix of a larger one. Pure, so sets can be
    /// built concurrently; cost grows with the level (Level 6, 1,024 problems: a few seconds).
    public func testSet(level: Int, subset: StringFunctionsSubset, size: Int? = nil) -> [StringFunctionsProblem] {
        let count = size ?? config.testSetSize
        require(count >= 0, "StringFunctionsEnvironment.testSet: size must be ≥ 0")
        var rng = RandomStream(seed: config.seed).child("test-set").child(subset.rawValue).child(level)
        let pool = functions(in: subset)
        var seen = Set<StringFunctionsProblem>(), out: [StringFunctionsProblem] = []
        out.reserveCapacity(count)
        var attempts = 0
        while out.count < count {
            attempts += 1
            require(attempts <= 1000 * (count + 10), "StringFunctionsEnvironment.testSet: too few distinct reserved problems for size \(count)")
            let fixed: Int? = level == 1 ? pool[out.count % pool.count] : nil
            let p = draw(level: level, pool: pool, fixedCall: fixed, inputs: .letters, reserved: true, rng: &rng)
            if seen.insert(p).inserted { out.append(p) }
        }
        return out
    }

    /// The generator behind `sampleProblem` and `testSet`: a candidate from `candidate`, kept only when its
    /// reservation status is `reserved`. Both sides therefore follow the same distribution (the reservation hash
    /// is independent of how a candidate was drawn).
    func draw(level: Int, pool: [Int], fixedCall: Int?, inputs: StringFunctionsInputDistribution, reserved: Bool,
              rng: inout RandomStream) -> StringFunctionsProblem {
        require(level >= 1 && level <= Self.maxLevel, "StringFunctions: level must be in 1…6, got \(level)")
        require(!pool.isEmpty, "StringFunctions: empty function subset")
        for _ in 0..<1_000_000 {
            let p = candidate(level: level, pool: pool, fixedCall: fixedCall, inputs: inputs, rng: &rng)
            if isReserved(calls: p.calls, input: p.input) == reserved { return p }
        }
        require(false, "StringFunctions: no problem with the wanted reservation in 10⁶ candidates")
        return StringFunctionsProblem(calls: [], input: [], answer: [])
    }

    /// One candidate problem: calls uniform from `pool` (or `fixedCall`), then up to 64 inputs until no value is
    /// empty and (with `requireEveryCallMatters`) no proper subsequence of the calls gives the same answer; if no
    /// input works the calls are redrawn. Drawing the calls first keeps their distribution close to uniform even
    /// though some functions often have no effect (e.g. dropLastIfOddLength on an even length).
    func candidate(level: Int, pool: [Int], fixedCall: Int?, inputs: StringFunctionsInputDistribution,
                   rng: inout RandomStream) -> StringFunctionsProblem {
        var calls = [Int](repeating: 0, count: level)
        for _ in 0..<100_000 {
            for k in 0..<level { calls[k] = fixedCall ?? pool[rng.int(pool.count)] }
            for _ in 0..<64 {
                let packedInput: StringFunctionsPacked
                if inputs == .letters {                        // the common case, without allocating
                    let length = config.minInputLength + rng.int(config.maxInputLength - config.minInputLength + 1)
                    var bits = UInt64(length) << 32
                    for i in 0..<length { bits |= UInt64(rng.int(StringFunctionsAlphabet.letterCount)) << UInt64(4 * i) }
                    packedInput = StringFunctionsPacked(bits: bits)
                } else {
                    packedInput = StringFunctionsPacked(sampleInput(inputs, rng: &rng))
                }
                // Cheap checks first: an empty value, or (when every call must matter) a call without effect.
                var v = packedInput, valid = true
                for c in calls {
                    let next = kinds[c].apply(packed: v)
                    if next.count == 0 || (config.requireEveryCallMatters && next == v) { valid = false; break }
                    v = next
                }
                if valid && !(config.requireEveryCallMatters
                              && reachesByFewerCalls(calls: calls, from: 0, value: packedInput, skipped: false, target: v)) {
                    return StringFunctionsProblem(calls: calls, input: packedInput.symbols, answer: v.symbols)
                }
            }
        }
        require(false, "StringFunctions: no valid problem for these calls in 6.4·10⁶ draws")
        return StringFunctionsProblem(calls: [], input: [], answer: [])
    }

    /// Whether some proper subsequence of `calls` (order kept, possibly empty) maps `input` to `target`.
    func reachesByFewerCalls(calls: [Int], input: [UInt8], target: [UInt8]) -> Bool {
        guard target.count <= StringFunctionsAlphabet.maxStringLength, input.count <= StringFunctionsAlphabet.maxStringLength,
              !target.contains(where: { $0 >= 16 }), !input.contains(where: { $0 >= 16 }) else {
            return reachesByFewerCallsReference(calls: calls, input: input, target: target)
        }
        return reachesByFewerCalls(calls: calls, from: 0, value: StringFunctionsPacked(input), skipped: false,
                                   target: StringFunctionsPacked(target))
    }

    /// Depth-first over skip / take decisions for calls[k...], sharing prefixes (2ⁿ − 1 applications in all).
    func reachesByFewerCalls(calls: [Int], from k: Int, value: StringFunctionsPacked, skipped: Bool,
                             target: StringFunctionsPacked) -> Bool {
        if k == calls.count { return skipped && value == target }
        if reachesByFewerCalls(calls: calls, from: k + 1, value: value, skipped: true, target: target) { return true }
        return reachesByFewerCalls(calls: calls, from: k + 1, value: kinds[calls[k]].apply(packed: value),
                                   skipped: skipped, target: target)
    }

    /// The naive twin: every proper subsequence evaluated separately on arrays.
    func reachesByFewerCallsReference(calls: [Int], input: [UInt8], target: [UInt8]) -> Bool {
        let n = calls.count
        for mask in 0..<((1 << n) - 1) {
            var v = input
            for k in 0..<n where mask & (1 << k) != 0 { v = apply(calls[k], to: v) }
            if v == target { return true }
        }
        return false
    }

    func isReserved(calls: [Int], input: [UInt8]) -> Bool {
        var h = Self.mix(config.seed ^ 0x5354_5246_554E_4353)                    // "STRFUNCS"
        for c in calls { h = Self.mix(h &+ UInt64(truncatingIfNeeded: c) &+ 1) }
        h = Self.mix(h ^ 0xA5A5_A5A5)
        for s in input { h = Self.mix(h &+ UInt64(s) &+ 1) }
        h = Self.mix(h ^ UInt64(truncatingIfNeeded: input.count))
        return h % UInt64(config.testReservationPeriod) == 0
    }

    /// SplitMix64's finaliser (Steele, Lea & Flood 2014).
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: Token format

    /// Prompt tokens of `problem`: `c_n ( … c₁ ( input ) … ) =` (see `StringFunctionsFormat`).
    public func prompt(for problem: StringFunctionsProblem) -> [Int32] {
        StringFunctionsFormat.prompt(calls: problem.calls, input: problem.input)
    }

    /// Gold response tokens (trace, `>`, answer, `<end>`) of `problem` in `style`.
    public func response(for problem: StringFunctionsProblem, style: StringFunctionsTraceStyle) -> [Int32] {
        StringFunctionsFormat.response(calls: problem.calls, values: values(calls: problem.calls, input: problem.input),
                                       style: style)
    }

    /// Gold response tokens in the configured trace style.
    public func response(for problem: StringFunctionsProblem) -> [Int32] { response(for: problem, style: config.traceStyle) }

    /// A supervised example: the prompt and the full target the model learns to write after it (trace, answer
    /// marker, answer, end token). The training sequence is prompt + target; the loss covers the target tokens.
    public func example(for problem: StringFunctionsProblem,
                        style: StringFunctionsTraceStyle) -> (prompt: [Int32], target: [Int32]) {
        (prompt(for: problem), response(for: problem, style: style))
    }

    /// A supervised example in the configured trace style.
    public func example(for problem: StringFunctionsProblem) -> (prompt: [Int32], target: [Int32]) {
        example(for: problem, style: config.traceStyle)
    }

    /// Tokens a Level-`level` task can need (prompt + trace + answer + end), for every input distribution
    /// (inputs of ≤ 8 symbols). Level 6: steps 163, rewrite 135. Size the transformer's context from it.
    public func contextLength(level: Int, style: StringFunctionsTraceStyle) -> Int {
        StringFunctionsFormat.contextLength(level: level, style: style)
    }

    /// Most response tokens at `level` (use as `SamplingOptions.maxNewTokens`).
    public func maxResponseLength(level: Int, style: StringFunctionsTraceStyle) -> Int {
        StringFunctionsFormat.maxResponseLength(level: level, style: style)
    }

    /// The problem a prompt encodes (`expression =`), or nil if the tokens are not a prompt with 1…6 calls and a
    /// non-empty input of ≤ 8 symbols. Total on any token ids.
    public func problem(fromPrompt tokens: [Int32]) -> StringFunctionsProblem? {
        guard let last = tokens.last, last == StringFunctionsTokenizer.equals,
              let parsed = StringFunctionsFormat.parseExpression(tokens.dropLast()),
              parsed.calls.count >= 1, parsed.calls.count <= Self.maxLevel,
              !parsed.value.isEmpty, parsed.value.count <= StringFunctionsAlphabet.maxStringLength else { return nil }
        return makeProblem(calls: parsed.calls, input: parsed.value)
    }
}

extension StringFunctionsConfig {
    /// The first field out of its valid range, or nil: 1 ≤ minInputLength ≤ maxInputLength ≤ 8; testReservationPeriod
    /// 2…64 (one problem in that many reserved for the test sets, so they can be filled); testSetSize 1…4,096.
    public func problem() -> String? {
        if !(1 <= minInputLength && minInputLength <= maxInputLength && maxInputLength <= StringFunctionsAlphabet.maxStringLength) {
            return "environment: need 1 ≤ minInputLength ≤ maxInputLength ≤ \(StringFunctionsAlphabet.maxStringLength) (got \(minInputLength), \(maxInputLength))"
        }
        if !(2...64).contains(testReservationPeriod) { return "environment.testReservationPeriod must be in 2…64 (got \(testReservationPeriod))" }
        if !(1...4096).contains(testSetSize) { return "environment.testSetSize must be in 1…4,096 (got \(testSetSize))" }
        return nil
    }
}

extension StringFunctionsPretrainingMix {
    /// The first field out of its valid range, or nil: the two shares in [0, 1] with a sum ≤ 1, auxiliaryMaxLevel 1…6,
    /// an intermediates depth 0…6.
    public func problem() -> String? {
        if !(auxiliaryShare >= 0 && trainChainShare >= 0 && auxiliaryShare + trainChainShare <= 1) {
            return "mix: auxiliaryShare and trainChainShare must be ≥ 0 with a sum ≤ 1 (got \(auxiliaryShare), \(trainChainShare))"
        }
        if !(1...StringFunctionsEnvironment.maxLevel).contains(auxiliaryMaxLevel) {
            return "mix.auxiliaryMaxLevel must be in 1…\(StringFunctionsEnvironment.maxLevel) (got \(auxiliaryMaxLevel))"
        }
        if case let .intermediates(_, depth) = mainInputs, !(0...StringFunctionsEnvironment.maxLevel).contains(depth) {
            return "mix.mainInputs' maxDepth must be in 0…\(StringFunctionsEnvironment.maxLevel) (got \(depth))"
        }
        return nil
    }
}
