#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Vectorised elementary functions for the elementwise kernels, 16 lanes at a time, each with a scalar twin (the
/// same formula on one lane) and tests against Foundation's libm.
///
/// exp: Cephes' expf (range reduction by ln 2 in two parts, degree-6 polynomial; relative error ≈ 2 ulp); results
/// that would be subnormal (x < −87.3) are 0.
/// erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below Float32 resolution near 1).
public enum VectorMath {
    public typealias V = SIMD16<Float>

    /// √x per lane, correctly rounded (IEEE sqrt). `SIMD16.squareRoot()` is compiled on Linux to 16 scalar libm
    /// calls (errno semantics); SSE's sqrtps on the four quarters is merged by LLVM into one AVX-512 vsqrtps.
    @_transparent
    public static func sqrt(_ x: V) -> V {
        #if arch(x86_64)
        let a = _mm_sqrt_ps(x.lowHalf.lowHalf), b = _mm_sqrt_ps(x.lowHalf.highHalf)
        let c = _mm_sqrt_ps(x.highHalf.lowHalf), d = _mm_sqrt_ps(x.highHalf.highHalf)
        return V(lowHalf: SIMD8(lowHalf: a, highHalf: b), highHalf: SIMD8(lowHalf: c, highHalf: d))
        #else
        return x.squareRoot()
        #endif
    }

    @_transparent   // always inlined (see `map`)
    public static func exp(_ x: V) -> V {
        // Only lane-wise arithmetic, compares, selects and bit casts: the generic SIMD `clamped`, `rounded` and
        // Float→Int32 conversions are not specialised by the compiler and cost more than the whole polynomial.
        var clamped = x.replacing(with: -87.3, where: x .< -87.3)
        clamped.replace(with: 88.7, where: clamped .> 88.7)
        // round to nearest even by the 1.5·2²³ shifter: t's low mantissa bits hold n (|n| ≤ 128 ≪ 2²²)
        let t = clamped * 1.44269504088896341 + 12582912
        let n = t - 12582912
        var r = clamped - n * 0.693359375          // ln 2, high part
        r = r - n * -2.12194440e-4                  // ln 2, low part
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        let bits = (unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23  // 2^n
        // below −87.3 the result would be subnormal: flush to 0 (so exp(−∞), a masked logit, is exactly 0)
        return (y * unsafeBitCast(bits, to: V.self)).replacing(with: 0, where: x .< -87.3)
    }

    @_transparent   // always inlined (see `map`)
    public static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)                      // |x|
        return erf(x, gaussian: exp(-a * a))
    }

    /// erf(x) given e = exp(−x²) (for callers that need that exponential themselves).
    @_transparent
    public static func erf(_ x: V, gaussian e: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)                      // |x|
        let t = 1 / (1 + 0.3275911 * a)
        var poly = V(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * e
        return y.replacing(with: -y, where: x .< 0)
    }

    /// GELU (erf form) and its derivative Φ(x) + x·φ(x).
    @_transparent   // always inlined (see `map`)
    public static func gelu(_ x: V) -> V { 0.5 * x * (1 + erf(x * 0.70710678118654752)) }

    @_transparent   // always inlined (see `map`)
    public static func geluDerivative(_ x: V) -> V {
        let e = exp(-0.5 * x * x)                      // one exponential: φ(x)·√(2π), and exp(−(x/√2)²) inside erf
        return 0.5 * (1 + erf(x * 0.70710678118654752, gaussian: e)) + x * e * 0.39894228040143268
    }

    /// Applies a 16-lane function to n floats: full vectors, then the tail padded through one vector, so every
    /// element goes through the same arithmetic (results do not depend on where a chunk starts). The function is a
    /// type, not a closure, so that it is specialised and inlined into the loop: called through a function value,
    /// a SIMD16 function is compiled to 128-bit pieces and runs several times slower.
    @inline(__always)
    public static func map<F: LaneFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n {
            store(y + i, F.apply(load(x + i)))
            i += 16
        }
        if i < n { storePartial(y + i, F.apply(loadPartial(x + i, n - i)), n - i) }
    }

    /// Closure form of `map` (for tests and cold paths; see `map(_:_:_:_:)` for why hot loops avoid it).
    public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 16 <= n {
            store(y + i, f(load(x + i)))
            i += 16
        }
        if i < n { storePartial(y + i, f(loadPartial(x + i, n - i)), n - i) }
    }

    @inline(__always) public static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) public static func load(_ p: UnsafeMutablePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) public static func store(_ p: UnsafeMutablePointer<Float>, _ v: V) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
    /// The first `count` (< 16) floats at p, zero-padded to 16 lanes.
    @inline(__always) public static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> V {
        var v = V()
        withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
        return v
    }
    @inline(__always) public static func loadPartial(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> V { loadPartial(UnsafePointer(p), count) }
    /// Stores the first `count` (< 16) lanes of v at p.
    @inline(__always) public static func storePartial(_ p: UnsafeMutablePointer<Float>, _ v: V, _ count: Int) {
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
    }

    /// The lanes of v added in a fixed tree order (halves, then halves again).
    @inline(__always) public static func laneSum(_ v: V) -> Float {
        let h8 = v.lowHalf + v.highHalf, h4 = h8.lowHalf + h8.highHalf, h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    /// Runs `body(range)` over 0..<n in chunks of 4,096 (a multiple of 16), in parallel when n is large.
    @inline(__always)
    public static func chunked(_ n: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forRange(n, grain: 4096, minWork: 1 << 15, body)
    }
}

/// A 16-lane elementwise function, as a type so that generic kernels specialise and inline it.
public protocol LaneFunction { static func apply(_ x: VectorMath.V) -> VectorMath.V }

extension VectorMath {
    public enum Exp: LaneFunction { @inline(__always) public static func apply(_ x: V) -> V { VectorMath.exp(x) } }
    public enum Gelu: LaneFunction { @inline(__always) public static func apply(_ x: V) -> V { VectorMath.gelu(x) } }
}
