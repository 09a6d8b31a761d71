// The atomic string maps of the StringFunctions environment, modelled on the f(g(x)) paper's list
// ("From f(x) and g(x) to f(g(x))", PRIME-RL 2025, func_0 … func_24), on a small closed symbol set.

/// The symbol set strings are made of: 8 letters `a`…`h` (symbols 0–7; the vowels are `a` and `e`) and the digits
/// `1`, `2` (symbols 8, 9), which only `vowelToDigit` / `appendDigitIfNone` create. Prompt inputs use letters only.
///
/// Order (used by `sortSymbols`): a < b < … < h < 1 < 2 (letters before digits).
public enum StringFunctionsAlphabet {
    /// Number of symbols (letters and digits).
    public static let symbolCount = 10
    /// Number of letters (symbols 0..<letterCount).
    public static let letterCount = 8
    /// The symbols' spellings, by symbol index.
    public static let spellings: [Character] = ["a", "b", "c", "d", "e", "f", "g", "h", "1", "2"]
    /// Symbol of `a`, `e`, `1`, `2`.
    public static let a: UInt8 = 0, e: UInt8 = 4, one: UInt8 = 8, two: UInt8 = 9
    /// Longest string any function returns: lengthening functions keep only the first `maxStringLength` symbols
    /// of their result, so every value inside every composition has length ≤ 8.
    public static let maxStringLength = 8

    @inline(__always) public static func isVowel(_ s: UInt8) -> Bool { s == a || s == e }
    @inline(__always) public static func isDigit(_ s: UInt8) -> Bool { s == one || s == two }

    /// The symbols of a compact string such as `"ab1h"`; nil if any character is not a symbol.
    public static func symbols(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for c in text {
            guard let i = spellings.firstIndex(of: c) else { return nil }
            out.append(UInt8(i))
        }
        return out
    }

    /// The compact spelling of symbols (`[0, 1, 8]` → `"ab1"`); symbols out of range spell as `?`.
    public static func text(_ symbols: [UInt8]) -> String {
        String(symbols.map { Int($0) < spellings.count ? spellings[Int($0)] : "?" })
    }
}

/// One atomic string function. The first 16 cases form the main family (the experiment's functions, ids `f0`…`f15`
/// assigned by seed); the last 10 form the auxiliary family (ids `g0`…`g9`) used only to pretrain a general chaining
/// ability. Every function is total on every symbol string (including the empty one, which generators never let
/// occur) and returns at most `StringFunctionsAlphabet.maxStringLength` = 8 symbols.
///
/// Notation: s = s₀s₁…s_{L−1} the input, L = |s|. Lengthening functions cap their result at 8 symbols, keeping the
/// end that holds what they add — first8(t) keeps the first 8 symbols of t, last8(t) the last 8 — so that no
/// function is the identity on long strings. "Letters only" maps leave the digits unchanged. The paper's name of
/// each function is in brackets.
public enum StringFunctionsKind: Int, CaseIterable, Codable, Sendable {
    // Main family (16).
    /// [deterministic_shuffle] out_i = s_{(i·m) mod L}, m the smallest odd number ≥ 3 coprime to L
    /// (L ≤ 2: identity; L=3: s₀s₂s₁; L=4: s₀s₃s₂s₁; L=5: s₀s₃s₁s₄s₂; L=6: s₀s₅s₄s₃s₂s₁; L=7, 8: m = 3).
    case deterministicShuffle
    /// [sort_chars] ascending symbol order, letters before digits.
    case sortSymbols
    /// [recursive_reverse] s_{L−1}…s₀.
    case reverse
    /// [rotate_str, n = 2] s_k…s_{L−1}s₀…s_{k−1} with k = 2 mod L.
    case rotateLeftTwo
    /// [while_rotate, one step the other way] s_{L−1}s₀…s_{L−2}.
    case rotateRightOne
    /// Swaps s₀s₁, s₂s₃, …; an odd last symbol stays (in the spirit of alternate_case: acts on position pairs).
    case swapAdjacentPairs
    /// [shift_chars, shift 3] letters only: x ↦ (x + 3) mod 8 (a→d, b→e, c→f, d→g, e→h, f→a, g→b, h→c).
    case caesarShiftThree
    /// [vowel_to_number] a → 1, e → 2.
    case vowelToDigit
    /// [remove_vowels] deletes every a and e.
    case removeVowels
    /// [compress_repeats] collapses each run of equal adjacent symbols to one symbol.
    case compressRepeats
    /// [verify_even_length] drops the last symbol when L is odd.
    case dropLastIfOddLength
    /// [duplicate_every_char] first8(s₀s₀s₁s₁…).
    case duplicateSymbols
    /// [add_suffix] last8(s + "gh").
    case addSuffix
    /// [add_prefix] first8("hb" + s).
    case addPrefix
    /// [mirror_str] last8(s + reverse(s)) (so a string of length 8 becomes its reverse).
    case mirror
    /// [backchain_add_digit] s if s contains a digit, else last8(s + "1").
    case appendDigitIfNone

    // Auxiliary family (10): other maps, none equal to a main function.
    /// Letters only: x ↦ 7 − x (a↔h, b↔g, c↔f, d↔e).
    case atbash
    /// Letters only: x ↦ x xor 1 (a↔b, c↔d, e↔f, g↔h).
    case swapLetterPairs
    /// a ↔ e.
    case swapVowels
    /// s_h…s_{L−1}s₀…s_{h−1} with h = ⌊L/2⌋.
    case swapHalves
    /// s₀ s_{L−1} s₁ s_{L−2} … (outside in).
    case outsideIn
    /// Keeps the first occurrence of each symbol.
    case removeDuplicates
    /// Keeps the symbols at even positions s₀s₂s₄….
    case keepEvenPositions
    /// first8(s + s).
    case repeatString
    /// first8(s₀ + s) (the empty string stays empty).
    case duplicateFirst
    /// Moves every vowel (a, e) to the end, keeping the order within vowels and within the rest.
    case vowelsToEnd

    /// The main family, in declaration order (16 kinds).
    public static let main: [StringFunctionsKind] = Array(allCases.prefix(16))
    /// The auxiliary family, in declaration order (10 kinds).
    public static let auxiliary: [StringFunctionsKind] = Array(allCases.dropFirst(16))

    /// Whether this kind belongs to the main family.
    public var isMain: Bool { rawValue < 16 }

    /// The function applied to `s` (symbols 0..<10). Total on any bytes (out-of-range symbols are carried along
    /// as opaque values; generators never produce them).
    public func apply(_ s: [UInt8]) -> [UInt8] {
        let cap = StringFunctionsAlphabet.maxStringLength
        let count = s.count
        switch self {
        case .deterministicShuffle:
            guard count > 2 else { return s }
            var m = 3
            while StringFunctionsKind.gcd(m, count) != 1 { m += 2 }
            return (0..<count).map { s[($0 * m) % count] }
        case .sortSymbols:
            return s.sorted()
        case .reverse:
            return s.reversed()
        case .rotateLeftTwo:
            guard count > 0 else { return s }
            let k = 2 % count
            return Array(s[k...] + s[..<k])
        case .rotateRightOne:
            guard count > 0 else { return s }
            return [s[count - 1]] + s[..<(count - 1)]
        case .swapAdjacentPairs:
            var out = s
            var i = 0
            while i + 1 < count { out.swapAt(i, i + 1); i += 2 }
            return out
        case .caesarShiftThree:
            return s.map { $0 < 8 ? ($0 + 3) % 8 : $0 }
        case .vowelToDigit:
            return s.map { $0 == StringFunctionsAlphabet.a ? StringFunctionsAlphabet.one
                         : $0 == StringFunctionsAlphabet.e ? StringFunctionsAlphabet.two : $0 }
        case .removeVowels:
            return s.filter { !StringFunctionsAlphabet.isVowel($0) }
        case .compressRepeats:
            var out: [UInt8] = []
            out.reserveCapacity(count)
            for x in s where out.last != x { out.append(x) }
            return out
        case .dropLastIfOddLength:
            return count % 2 == 1 ? Array(s.dropLast()) : s
        case .duplicateSymbols:
            var out: [UInt8] = []
            out.reserveCapacity(cap)
            for x in s.prefix(cap / 2) { out.append(x); out.append(x) }
            return out
        case .addSuffix:
            return Array((s + [6, 7]).suffix(cap))                                  // "gh"
        case .addPrefix:
            return Array(([7, 1] + s).prefix(cap))                                  // "hb"
        case .mirror:
            return Array((s + s.reversed()).suffix(cap))
        case .appendDigitIfNone:
            return s.contains(where: StringFunctionsAlphabet.isDigit) ? s
                : Array((s + [StringFunctionsAlphabet.one]).suffix(cap))
        case .atbash:
            return s.map { $0 < 8 ? 7 - $0 : $0 }
        case .swapLetterPairs:
            return s.map { $0 < 8 ? $0 ^ 1 : $0 }
        case .swapVowels:
            return s.map { $0 == StringFunctionsAlphabet.a ? StringFunctionsAlphabet.e
                         : $0 == StringFunctionsAlphabet.e ? StringFunctionsAlphabet.a : $0 }
        case .swapHalves:
            let h = count / 2
            return Array(s[h...] + s[..<h])
        case .outsideIn:
            var out: [UInt8] = []
            out.reserveCapacity(count)
            var low = 0, high = count - 1
            while low <= high {
                out.append(s[low])
                if low != high { out.append(s[high]) }
                low += 1; high -= 1
            }
            return out
        case .removeDuplicates:
            var seen: UInt64 = 0, out: [UInt8] = []
            for x in s {
                let bit: UInt64 = 1 << UInt64(x & 63)
                if seen & bit == 0 { seen |= bit; out.append(x) }
            }
            return out
        case .keepEvenPositions:
            return stride(from: 0, to: count, by: 2).map { s[$0] }
        case .repeatString:
            return Array((s + s).prefix(cap))
        case .duplicateFirst:
            guard let first = s.first else { return s }
            return Array(([first] + s).prefix(cap))
        case .vowelsToEnd:
            return s.filter { !StringFunctionsAlphabet.isVowel($0) } + s.filter(StringFunctionsAlphabet.isVowel)
        }
    }

    /// The same map on a compact string (`"abcd"`); nil if the text has a character that is not a symbol.
    public func apply(_ text: String) -> String? {
        StringFunctionsAlphabet.symbols(text).map { StringFunctionsAlphabet.text(apply($0)) }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = a, y = b
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
