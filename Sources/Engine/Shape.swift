/// The shape of a contiguous row-major tensor: up to four dimensions, stored inline so that shapes never allocate.
///
/// Rank 0 is a scalar (count 1). The last dimension varies fastest.
public struct Shape: Hashable, CustomStringConvertible, Sendable {
    public static let maxRank = 4
    public private(set) var rank: Int
    private var d0 = 1, d1 = 1, d2 = 1, d3 = 1

    public init(_ dims: Int...) { self.init(dims) }

    public init(_ dims: [Int]) {
        require(dims.count <= Shape.maxRank, "Shape: rank \(dims.count) > \(Shape.maxRank)")
        require(dims.allSatisfy { $0 >= 0 }, "Shape: negative dimension in \(dims)")
        rank = dims.count
        for (i, d) in dims.enumerated() { self[i] = d }
    }

    public subscript(axis: Int) -> Int {
        get {
            switch axis {
            case 0: return d0
            case 1: return d1
            case 2: return d2
            case 3: return d3
            default: fatalError("Shape: axis \(axis) out of range")
            }
        }
        set {
            switch axis {
            case 0: d0 = newValue
            case 1: d1 = newValue
            case 2: d2 = newValue
            case 3: d3 = newValue
            default: fatalError("Shape: axis \(axis) out of range")
            }
        }
    }

    /// Number of elements.
    public var count: Int { d0 * d1 * d2 * d3 }
    public var dims: [Int] { (0..<rank).map { self[$0] } }
    /// The last dimension (1 for a scalar).
    public var last: Int { rank == 0 ? 1 : self[rank - 1] }
    /// Product of all dimensions but the last: the number of rows when the tensor is read as a matrix.
    public var rows: Int { rank == 0 ? 1 : count / Swift.max(last, 1) }
    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    /// Resolves a possibly negative axis (−1 = last).
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        require(r >= 0 && r < rank, "axis \(a) out of range for shape \(self)")
        return r
    }

    /// The shape with `axis` removed (or set to 1 when `keepingAxis`).
    public func removing(axis: Int, keepingAxis: Bool = false) -> Shape {
        var ds = dims
        if keepingAxis { ds[axis] = 1 } else { ds.remove(at: axis) }
        return Shape(ds)
    }

    /// Splits the shape around `axis` into (outer, size, inner) element counts.
    public func split(at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        var outer = 1, inner = 1
        for i in 0..<axis { outer *= self[i] }
        for i in (axis + 1)..<Swift.max(rank, axis + 1) { inner *= self[i] }
        return (outer, self[axis], inner)
    }

    /// Row-major strides, for broadcasting loops.
    var strides: (Int, Int, Int, Int) {
        // right-align to 4 dims
        let p = padded4
        return (p.1 * p.2 * p.3, p.2 * p.3, p.3, 1)
    }

    /// The dimensions right-aligned into four slots, padded with leading 1s.
    var padded4: (Int, Int, Int, Int) {
        var a = [1, 1, 1, 1]
        for i in 0..<rank { a[4 - rank + i] = self[i] }
        return (a[0], a[1], a[2], a[3])
    }

    /// NumPy broadcasting of two shapes, or nil when they are incompatible.
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let r = Swift.max(a.rank, b.rank)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.rank ? 1 : a[i - (r - a.rank)]
            let db = i < r - b.rank ? 1 : b[i - (r - b.rank)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return Shape(out)
    }
}
