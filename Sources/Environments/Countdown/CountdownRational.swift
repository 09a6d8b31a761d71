/// An exact rational number `numerator / denominator` with 64-bit parts, always normalised:
/// `denominator > 0`, `gcd(|numerator|, denominator) = 1`, zero is `0/1`, and `numerator != Int64.min` (so negation
/// never overflows). Every operation is total: it returns `nil` on division by zero or when the exact, reduced
/// result does not fit these bounds ("overflow is invalid"); it never traps and never rounds.
///
/// Intermediate products are formed in 128 bits, so an operation fails only when its true result is not
/// representable, never because of an intermediate overflow.
public struct CountdownRational: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    /// Trusted constructor: the caller guarantees normal form.
    @inline(__always)
    init(uncheckedNumerator numerator: Int64, denominator: Int64) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// The integer `value` (`Int64.min` is clamped to `-Int64.max`, the only unrepresentable Int64).
    public init(_ value: Int64) { self.init(uncheckedNumerator: Swift.max(value, -Int64.max), denominator: 1) }

    /// The integer `value` (clamped into ±Int64.max).
    public init(_ value: Int) { self.init(Int64(clamping: value)) }

    /// `numerator / denominator` reduced to normal form; `nil` when `denominator == 0` or the reduced value does
    /// not fit (only possible with `Int64.min` parts).
    public init?(numerator: Int64, denominator: Int64) {
        guard let r = CountdownRational.reduce(Int128(numerator), Int128(denominator)) else { return nil }
        self = r
    }

    public static let zero = CountdownRational(uncheckedNumerator: 0, denominator: 1)
    public static let one = CountdownRational(uncheckedNumerator: 1, denominator: 1)

    /// True when the value is an integer.
    @inline(__always) public var isInteger: Bool { denominator == 1 }

    /// True when the value is an integer ≥ 0 (the default rule for Countdown intermediates).
    @inline(__always) public var isNonNegativeInteger: Bool { denominator == 1 && numerator >= 0 }

    /// The value as an `Int` when it is an integer, else `nil`.
    public var integerValue: Int? { denominator == 1 ? Int(numerator) : nil }

    /// `"n"` for integers, `"n/d"` otherwise (`"-7/3"`); the answer format writes fractions with `|` instead.
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    public static func < (a: CountdownRational, b: CountdownRational) -> Bool {
        if a.denominator == 1 && b.denominator == 1 { return a.numerator < b.numerator }
        return Int128(a.numerator) * Int128(b.denominator) < Int128(b.numerator) * Int128(a.denominator)
    }

    // MARK: exact arithmetic (nil = division by zero or not representable)

    /// a + b.
    @inline(__always)
    public static func adding(_ a: CountdownRational, _ b: CountdownRational) -> CountdownRational? {
        if a.denominator == 1 && b.denominator == 1 {
            let (s, o) = a.numerator.addingReportingOverflow(b.numerator)
            return o || s == Int64.min ? nil : CountdownRational(uncheckedNumerator: s, denominator: 1)
        }
        // |n·d'| < 2^126, so the sum of two such products fits in Int128.
        let n = Int128(a.numerator) * Int128(b.denominator) + Int128(b.numerator) * Int128(a.denominator)
        let d = Int128(a.denominator) * Int128(b.denominator)
        return reduce(n, d)
    }

    /// a − b.
    @inline(__always)
    public static func subtracting(_ a: CountdownRational, _ b: CountdownRational) -> CountdownRational? {
        // b.numerator is never Int64.min, so the negation is safe.
        adding(a, CountdownRational(uncheckedNumerator: -b.numerator, denominator: b.denominator))
    }

    /// a × b.
    @inline(__always)
    public static func multiplying(_ a: CountdownRational, _ b: CountdownRational) -> CountdownRational? {
        if a.denominator == 1 && b.denominator == 1 {
            let (p, o) = a.numerator.multipliedReportingOverflow(by: b.numerator)
            return o || p == Int64.min ? nil : CountdownRational(uncheckedNumerator: p, denominator: 1)
        }
        return reduce(Int128(a.numerator) * Int128(b.numerator), Int128(a.denominator) * Int128(b.denominator))
    }

    /// a ÷ b; `nil` when b = 0.
    @inline(__always)
    public static func dividing(_ a: CountdownRational, _ b: CountdownRational) -> CountdownRational? {
        if b.numerator == 0 { return nil }
        if a.denominator == 1 && b.denominator == 1 {
            let (q, r) = a.numerator.quotientAndRemainder(dividingBy: b.numerator)  // safe: no Int64.min / −1
            if r == 0 { return CountdownRational(uncheckedNumerator: q, denominator: 1) }
        }
        return reduce(Int128(a.numerator) * Int128(b.denominator), Int128(a.denominator) * Int128(b.numerator))
    }

    /// `a op b` for one of the four operations.
    @inline(__always)
    public static func apply(_ op: CountdownOperation, _ a: CountdownRational, _ b: CountdownRational) -> CountdownRational? {
        switch op {
        case .add: return adding(a, b)
        case .subtract: return subtracting(a, b)
        case .multiply: return multiplying(a, b)
        case .divide: return dividing(a, b)
        }
    }

    /// n/d in normal form, or nil when d = 0 or the reduced parts do not fit (|n| ≤ Int64.max, d ≤ Int64.max).
    static func reduce(_ n: Int128, _ d: Int128) -> CountdownRational? {
        if d == 0 { return nil }
        var n = n, d = d
        if d < 0 { n = -n; d = -d }  // |n|, |d| < 2^127 here, so negation is safe
        let g = gcd(n.magnitude, d.magnitude)
        if g > 1 { n /= Int128(g); d /= Int128(g) }
        let limit = Int128(Int64.max)
        guard n <= limit, n >= -limit, d <= limit else { return nil }
        return CountdownRational(uncheckedNumerator: Int64(n), denominator: Int64(d))
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var a = a, b = b
        // Euclid in 64 bits as soon as both fit: 128-bit division is slow.
        while b != 0 {
            if a <= UInt128(UInt64.max) && b <= UInt128(UInt64.max) {
                return UInt128(gcd64(UInt64(a), UInt64(b)))
            }
            (a, b) = (b, a % b)
        }
        return a
    }

    @inline(__always)
    static func gcd64(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
