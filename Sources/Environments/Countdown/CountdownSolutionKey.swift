/// The identity of a solution, for counting DISTINCT solutions: the solver's counts (`solutionCount`, the
/// generator's `maxSolutions`) and the diversity of sampled answers (`CountdownVerdict.solutionKey`) use this one
/// definition.
///
/// Definition. A solution is the expression tree its steps build (each step's result is the node `a op b`, its
/// operands the children). Two solutions are the same when their trees are equal up to
/// - the order of the operands of + and × (`3+4` ≡ `4+3`), and
/// - the order of the operands of − and ÷ when their values are equal (`x−y` ≡ `y−x` when both are 0, `x÷y` ≡ `y÷x`
///   when both are 1: the steps are written identically);
/// the order in which independent steps are written never matters (the tree is the same). So two answers are the
/// same solution exactly when they compute the same intermediate results from the same operands; `(1+2)+3` and
/// `(1+3)+2` are different solutions (different intermediate results), and `{1,2,3} → 6` has 9 solutions with
/// integer intermediates: three orders of 1+2+3, three of 1×2×3, and (2×3)÷1, (2÷1)×3, (3÷1)×2 (rational rules add
/// 3÷(1÷2) and 2÷(1÷3)). `CountdownExpressionKey` is the coarser, algebraic identity (associativity too).
///
/// Written answers name operands by value, so when two pool entries share a value the text can fit two trees; the
/// verifier then reads the most recent entry. Every solution with 3 numbers 1–9 can be written unambiguously; with
/// 4 numbers 1–9, 0.5% cannot (e.g. `1*1=1;1*1=1;1*1=1`), flagged by `CountdownSolution.isFaithful`.
///
/// Encoding. The tree is serialised in prefix order, one byte per node, left-aligned in a UInt64 (a tree over at
/// most four numbers has at most 7 nodes): a number 1…191 is its own byte, an operation node is `0xC0 + op`
/// (+ 0, − 1, × 2, ÷ 3) followed by its two children, the smaller encoding first where the order does not matter.
/// `rawValue == 0` means "no key" (a number outside 1…191, or more than 4 numbers).
public struct CountdownSolutionKey: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (a: CountdownSolutionKey, b: CountdownSolutionKey) -> Bool { a.rawValue < b.rawValue }

    /// The tree as an infix expression with the parentheses it needs, e.g. `"(1+2)*4-3"`; `"?"` for no key.
    public var description: String {
        guard rawValue != 0 else { return "?" }
        var offset = 0
        return CountdownExpressionCode.renderTree(rawValue, &offset).text
    }
}

/// The algebraic identity of a solution, coarser than `CountdownSolutionKey`: two solutions have the same
/// expression key when their trees have the same normal form:
/// - chains of + and − are flattened into a multiset of added terms and a multiset of subtracted terms
///   (`(a+b)−c`, `a−(c−b)`, `b+(a−c)` are all {a, b} − {c});
/// - chains of × and ÷ are flattened into a multiset of numerator factors and a multiset of denominator factors
///   (`a×b÷c`, `a÷(c÷b)` are all {a, b} / {c});
/// - at a − or ÷ whose operands have equal values (result 0 or 1) the two operand orders are one solution (as
///   for `CountdownSolutionKey`), and the order giving the smaller encoding (below) is the one flattened.
/// Nothing else is identified: no cancellation (`a+b−b` ≠ `a`), no distribution, and `x×1` ≠ `x÷1`.
/// So `{1,2,3} → 6` has three expressions: 1+2+3, 1×2×3 and 2×3÷1.
///
/// Encoding: prefix order, one byte per node, left-aligned in a UInt64: a number is its own byte; a sum with p added
/// and n subtracted terms is `0xC0 + 5p + n`, a product with p numerator and n denominator factors is
/// `0xE0 + 5p + n`, followed by its children, each group sorted by their encodings. 0 means "no key".
public struct CountdownExpressionKey: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (a: CountdownExpressionKey, b: CountdownExpressionKey) -> Bool { a.rawValue < b.rawValue }

    /// The normal form as an infix expression: added terms then subtracted ones, numerator factors then
    /// denominator ones, each group in key order, e.g. `"4*(1+2)-3"`, `"8/(3-8/3)"`; `"?"` for no key.
    public var description: String {
        guard rawValue != 0 else { return "?" }
        var offset = 0
        return CountdownExpressionCode.renderNormalForm(rawValue, &offset, parentIsProduct: false)
    }
}

/// The byte-level algebra behind `CountdownSolutionKey` (trees) and `CountdownExpressionKey` (normal forms).
enum CountdownExpressionCode {
    static let sumBase: UInt8 = 0xC0
    static let productBase: UInt8 = 0xE0

    /// The key of the number `value` (0 when it cannot be encoded, i.e. outside 1…191).
    @inline(__always)
    static func leaf(_ value: Int) -> UInt64 { value >= 1 && value < Int(sumBase) ? UInt64(value) << 56 : 0 }

    @inline(__always)
    static func byte(_ key: UInt64, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: key >> UInt64(56 - 8 * i)) }

    @inline(__always)
    static func childCount(_ header: UInt8) -> Int {
        if header < sumBase { return 0 }
        let r = Int(header >= productBase ? header - productBase : header - sumBase)
        return r / 5 + r % 5
    }

    /// Bytes used by a left-aligned key (keys never contain a zero byte).
    @inline(__always)
    static func length(_ key: UInt64) -> Int { key == 0 ? 0 : 8 - key.trailingZeroBitCount / 8 }

    /// Bytes of the node starting at byte `offset`.
    @inline(__always)
    static func nodeLength(_ key: UInt64, _ offset: Int) -> Int {
        var need = 1, position = offset
        while need > 0 && position < 8 {
            let b = byte(key, position)
            position += 1
            need -= 1
            need += childCount(b)
        }
        return position - offset
    }

    /// The node of `length` bytes at `offset`, left-aligned.
    @inline(__always)
    static func extract(_ key: UInt64, _ offset: Int, _ length: Int) -> UInt64 {
        let shifted = key << UInt64(8 * offset)
        return length >= 8 ? shifted : shifted & ~(UInt64.max >> UInt64(8 * length))
    }

    /// A small sorted multiset of keys (at most 8).
    struct Terms {
        var items = SIMD8<UInt64>()
        var count = 0
        var overflow = false

        @inline(__always)
        mutating func insert(_ key: UInt64) {
            if count == 8 { overflow = true; return }
            var i = count
            while i > 0 && items[i - 1] > key { items[i] = items[i - 1]; i -= 1 }
            items[i] = key
            count += 1
        }
    }

    /// Adds the terms of `key` in a sum (or product) context: its own added/subtracted terms when it is a sum (a
    /// product), else itself as one added term. `flip` swaps the roles (the right operand of − or ÷).
    @inline(__always)
    static func gather(_ key: UInt64, product: Bool, flip: Bool, _ plus: inout Terms, _ minus: inout Terms) {
        let header = byte(key, 0)
        let base = product ? productBase : sumBase
        let isGroup = product ? header >= productBase : (header >= sumBase && header < productBase)
        if !isGroup {
            if flip { minus.insert(key) } else { plus.insert(key) }
            return
        }
        let p = Int(header - base) / 5, n = Int(header - base) % 5
        var offset = 1
        for i in 0..<(p + n) {
            let l = nodeLength(key, offset)
            let child = extract(key, offset, l)
            offset += l
            if (i < p) != flip { plus.insert(child) } else { minus.insert(child) }
        }
    }

    // MARK: trees (CountdownSolutionKey)

    /// The tree key of `x op y`. `equalValues` says value(x) == value(y), which makes `x − y` ≡ `y − x` and
    /// `x ÷ y` ≡ `y ÷ x`. Returns 0 when either key is 0 or the result does not fit 8 bytes.
    @inline(__always)
    static func combineTree(_ x: UInt64, _ op: CountdownOperation, _ y: UInt64, equalValues: Bool) -> UInt64 {
        if x == 0 || y == 0 { return 0 }
        var a = x, b = y
        if (op == .add || op == .multiply || equalValues) && a > b { swap(&a, &b) }
        let la = length(a), lb = length(b)
        if 1 + la + lb > 8 { return 0 }
        return UInt64(sumBase + opCode(op)) << 56 | a >> 8 | b >> UInt64(8 * (1 + la))
    }

    @inline(__always)
    static func opCode(_ op: CountdownOperation) -> UInt8 {
        switch op { case .add: return 0; case .subtract: return 1; case .multiply: return 2; case .divide: return 3 }
    }

    /// Infix text of the tree node at `offset` (advanced past it) and its operation code (255 for a number).
    static func renderTree(_ key: UInt64, _ offset: inout Int) -> (text: String, op: UInt8) {
        guard offset < 8 else { return ("?", 255) }
        let header = byte(key, offset)
        offset += 1
        if header < sumBase { return (header == 0 ? "?" : String(header), 255) }
        let op = header - sumBase
        guard op < 4 else { return ("?", 255) }
        var left = renderTree(key, &offset), right = renderTree(key, &offset)
        // Faithful to the tree: a sum under a product, and any operation of the same or lower precedence in a
        // right operand, get parentheses (so "a+b-c" is (a+b)−c and "a+(b-c)" keeps its own).
        let isAdditive: (UInt8) -> Bool = { $0 <= 1 }
        if op >= 2 && isAdditive(left.op) { left.text = "(" + left.text + ")" }
        if right.op != 255 && (op >= 2 || isAdditive(right.op)) { right.text = "(" + right.text + ")" }
        return (left.text + ["+", "-", "*", "/"][Int(op)] + right.text, op)
    }

    // MARK: normal forms (CountdownExpressionKey)

    /// The normal-form key of `x op y`. `equalValues` says value(x) == value(y), which makes `x − y` ≡ `y − x` and
    /// `x ÷ y` ≡ `y ÷ x`. Returns 0 when either key is 0 or the result does not fit 8 bytes.
    static func combineNormalForm(_ x: UInt64, _ op: CountdownOperation, _ y: UInt64, equalValues: Bool) -> UInt64 {
        if equalValues && (op == .subtract || op == .divide) {
            // {x − y, y − x} is one class: the smaller of its two normal forms (which are each other's negation,
            // so the choice depends on the class only).
            return Swift.min(combineNormalForm(x, op, y, equalValues: false), combineNormalForm(y, op, x, equalValues: false))
        }
        if x == 0 || y == 0 { return 0 }
        let a = x, b = y
        let product = op == .multiply || op == .divide
        let flip = op == .subtract || op == .divide
        var plus = Terms(), minus = Terms()
        gather(a, product: product, flip: false, &plus, &minus)
        gather(b, product: product, flip: flip, &plus, &minus)
        if plus.overflow || minus.overflow || plus.count > 4 || minus.count > 4 || plus.count == 0 { return 0 }
        let base = product ? productBase : sumBase
        var result = UInt64(base + UInt8(5 * plus.count + minus.count)) << 56
        var offset = 1
        for i in 0..<(plus.count + minus.count) {
            let child = i < plus.count ? plus.items[i] : minus.items[i - plus.count]
            let l = length(child)
            if offset + l > 8 { return 0 }
            result |= child >> UInt64(8 * offset)
            offset += l
        }
        return result
    }

    /// Infix text of the node at `offset` (advanced past it).
    static func renderNormalForm(_ key: UInt64, _ offset: inout Int, parentIsProduct: Bool) -> String {
        guard offset < 8 else { return "?" }
        let header = byte(key, offset)
        offset += 1
        if header < sumBase { return header == 0 ? "?" : String(header) }
        let product = header >= productBase
        let base = product ? productBase : sumBase
        let p = Int(header - base) / 5, n = Int(header - base) % 5
        var text = ""
        for i in 0..<(p + n) {
            let child = renderNormalForm(key, &offset, parentIsProduct: product)
            if i > 0 { text += product ? (i < p ? "*" : "/") : (i < p ? "+" : "-") }
            else if i >= p { text += product ? "1/" : "-" }
            text += child
        }
        // A sum inside a product needs parentheses; a product inside a sum binds tighter already (normal forms
        // never nest a sum in a sum or a product in a product).
        return !product && parentIsProduct ? "(" + text + ")" : text
    }
}
