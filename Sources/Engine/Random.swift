/// The package's one source of randomness: SplitMix64 (Steele, Lea & Flood 2014), with deterministically derived
/// child streams.
///
/// A run holds one root stream made from its seed; every consumer derives its own child by name or index
/// (`root.child("data").child(seed)`), so adding a new consumer never shifts the numbers another one sees, and the
/// same seed gives the same numbers on every machine and at every thread count. Conforms to
/// `RandomNumberGenerator`, so `Int.random(in:using:)` and `shuffled(using:)` work, but prefer the methods below:
/// their results are specified here, not by the standard library.
public struct RandomStream: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    /// The seed this stream was derived from (its identity; never advanced).
    public let key: UInt64

    public init(seed: UInt64) { key = seed; state = seed }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return RandomStream.mix(state)
    }

    /// A child stream, a pure function of this stream's key and `index` (independent of how far this one has run).
    public func child(_ index: Int) -> RandomStream {
        RandomStream(seed: RandomStream.mix(key ^ RandomStream.mix(UInt64(bitPattern: Int64(index)) &+ 0x632B_E59B_D9B4_E019)))
    }

    /// A child stream named by a string (FNV-1a of its UTF-8 bytes, then `child(_:)`).
    public func child(_ name: String) -> RandomStream {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return child(Int(bitPattern: UInt(h)))
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Uniform integer in 0..<n (Lemire's multiply-shift with rejection; unbiased).
    public mutating func int(_ n: Int) -> Int {
        require(n > 0, "RandomStream.int: n must be positive")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let t = (0 &- bound) % bound
            while m.low < t { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal (Box–Muller, one value per call; computed in Double).
    public mutating func normal() -> Float {
        Float(gaussian())
    }

    public mutating func normal(mean: Float, std: Float) -> Float { mean + std * normal() }

    /// Standard normal in full Double precision (Box–Muller, one value per call).
    public mutating func gaussian() -> Double {
        let u1 = Swift.max(uniformDouble(), 1e-300), u2 = uniformDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Bernoulli(p).
    public mutating func bernoulli(_ p: Double) -> Bool { uniformDouble() < p }

    /// Index drawn from unnormalised non-negative weights (inverse CDF in Double). Returns the last positive index
    /// when rounding leaves the draw past the end.
    public mutating func categorical(_ weights: UnsafeBufferPointer<Float>) -> Int {
        var total = 0.0
        for w in weights { total += Double(w) }
        require(total > 0, "RandomStream.categorical: weights sum to zero")
        let u = uniformDouble() * total
        var acc = 0.0, lastPositive = 0
        for (i, w) in weights.enumerated() where w > 0 {
            acc += Double(w); lastPositive = i
            if u < acc { return i }
        }
        return lastPositive
    }

    public mutating func categorical(_ weights: [Float]) -> Int {
        weights.withUnsafeBufferPointer { categorical($0) }
    }

    /// Fisher–Yates shuffle, specified here so that it never changes with the standard library.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(i + 1)) }
    }

    /// A random permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] { var p = Array(0..<n); shuffle(&p); return p }
}

import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
