// The fast twin of `StringFunctionsKind.apply`: the same maps on strings packed into one UInt64, without
// allocation. Generators and the error classifier evaluate thousands of chains per problem through it; a test checks
// it against the array version on every length and many random strings.

/// A string of at most 8 symbols packed into a UInt64: symbol i in bits 4i..<4i+4 (i < 8), the length in bits
/// 32..<36. Only symbols 0..<16 fit; generators only make symbols 0..<10.
struct StringFunctionsPacked: Equatable, Hashable {
    var bits: UInt64

    static let empty = StringFunctionsPacked(bits: 0)

    init(bits: UInt64) { self.bits = bits }

    /// Packs `symbols` (at most 8, each < 16).
    init(_ symbols: [UInt8]) {
        var b: UInt64 = 0
        for (i, s) in symbols.prefix(8).enumerated() { b |= UInt64(s & 15) << UInt64(4 * i) }
        bits = b | UInt64(min(symbols.count, 8)) << 32
    }

    @inline(__always) var count: Int { Int((bits >> 32) & 15) }
    @inline(__always) subscript(i: Int) -> UInt64 { (bits >> UInt64(4 * i)) & 15 }

    var symbols: [UInt8] { (0..<count).map { UInt8(self[$0]) } }
}

/// Appends symbols, dropping the first `skip` of them and everything past the 8th kept one.
struct StringFunctionsPackedBuilder {
    var bits: UInt64 = 0
    var count = 0
    var skip = 0

    init(skip: Int = 0) { self.skip = skip }

    @inline(__always) mutating func push(_ s: UInt64) {
        if skip > 0 { skip -= 1; return }
        if count < 8 { bits |= s << UInt64(4 * count); count += 1 }
    }

    @inline(__always) var value: StringFunctionsPacked { StringFunctionsPacked(bits: bits | UInt64(count) << 32) }
}

extension StringFunctionsKind {
    /// `apply` on a packed string (same map; see the case documentation).
    func apply(packed s: StringFunctionsPacked) -> StringFunctionsPacked {
        let n = s.count
        let a = UInt64(StringFunctionsAlphabet.a), e = UInt64(StringFunctionsAlphabet.e)
        let one = UInt64(StringFunctionsAlphabet.one), two = UInt64(StringFunctionsAlphabet.two)
        @inline(__always) func isVowel(_ x: UInt64) -> Bool { x == a || x == e }
        @inline(__always) func isDigit(_ x: UInt64) -> Bool { x == one || x == two }
        var out = StringFunctionsPackedBuilder()
        switch self {
        case .deterministicShuffle:
            guard n > 2 else { return s }
            var m = 3
            while StringFunctionsKind.gcd(m, n) != 1 { m += 2 }
            for i in 0..<n { out.push(s[(i * m) % n]) }
        case .sortSymbols:
            var counts: UInt64 = 0                                  // 4-bit count per symbol (≤ 8 each)
            for i in 0..<n { counts &+= 1 << (4 * s[i]) }
            for x in 0..<UInt64(16) { for _ in 0..<Int((counts >> (4 * x)) & 15) { out.push(x) } }
        case .reverse:
            for i in stride(from: n - 1, through: 0, by: -1) { out.push(s[i]) }
        case .rotateLeftTwo:
            guard n > 0 else { return s }
            for i in 0..<n { out.push(s[(i + 2) % n]) }
        case .rotateRightOne:
            guard n > 0 else { return s }
            for i in 0..<n { out.push(s[(i + n - 1) % n]) }
        case .swapAdjacentPairs:
            for i in 0..<n { out.push(s[i % 2 == 0 ? (i + 1 < n ? i + 1 : i) : i - 1]) }
        case .caesarShiftThree:
            for i in 0..<n { let x = s[i]; out.push(x < 8 ? (x + 3) % 8 : x) }
        case .vowelToDigit:
            for i in 0..<n { let x = s[i]; out.push(x == a ? one : x == e ? two : x) }
        case .removeVowels:
            for i in 0..<n where !isVowel(s[i]) { out.push(s[i]) }
        case .compressRepeats:
            for i in 0..<n where i == 0 || s[i] != s[i - 1] { out.push(s[i]) }
        case .dropLastIfOddLength:
            for i in 0..<(n % 2 == 1 ? n - 1 : n) { out.push(s[i]) }
        case .duplicateSymbols:
            for i in 0..<n { out.push(s[i]); out.push(s[i]) }
        case .addSuffix:
            out = StringFunctionsPackedBuilder(skip: max(0, n + 2 - 8))
            for i in 0..<n { out.push(s[i]) }
            out.push(6); out.push(7)
        case .addPrefix:
            out.push(7); out.push(1)
            for i in 0..<n { out.push(s[i]) }
        case .mirror:
            out = StringFunctionsPackedBuilder(skip: max(0, 2 * n - 8))
            for i in 0..<n { out.push(s[i]) }
            for i in stride(from: n - 1, through: 0, by: -1) { out.push(s[i]) }
        case .appendDigitIfNone:
            for i in 0..<n where isDigit(s[i]) { return s }
            out = StringFunctionsPackedBuilder(skip: max(0, n + 1 - 8))
            for i in 0..<n { out.push(s[i]) }
            out.push(one)
        case .atbash:
            for i in 0..<n { let x = s[i]; out.push(x < 8 ? 7 - x : x) }
        case .swapLetterPairs:
            for i in 0..<n { let x = s[i]; out.push(x < 8 ? x ^ 1 : x) }
        case .swapVowels:
            for i in 0..<n { let x = s[i]; out.push(x == a ? e : x == e ? a : x) }
        case .swapHalves:
            for i in 0..<n { out.push(s[(i + n / 2) % n]) }
        case .outsideIn:
            var low = 0, high = n - 1
            while low <= high {
                out.push(s[low])
                if low != high { out.push(s[high]) }
                low += 1; high -= 1
            }
        case .removeDuplicates:
            var seen: UInt64 = 0
            for i in 0..<n where seen & (1 << s[i]) == 0 { seen |= 1 << s[i]; out.push(s[i]) }
        case .keepEvenPositions:
            for i in stride(from: 0, to: n, by: 2) { out.push(s[i]) }
        case .repeatString:
            for i in 0..<(2 * n) { out.push(s[i % n]) }
        case .duplicateFirst:
            guard n > 0 else { return s }
            out.push(s[0])
            for i in 0..<n { out.push(s[i]) }
        case .vowelsToEnd:
            for i in 0..<n where !isVowel(s[i]) { out.push(s[i]) }
            for i in 0..<n where isVowel(s[i]) { out.push(s[i]) }
        }
        return out.value
    }
}
