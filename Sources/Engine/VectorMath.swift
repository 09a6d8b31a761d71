/// Vectorised elementary functions for the elementwise kernels, 16 lanes at a time, each with a scalar twin (the
/// same formula on one lane) and tests against Foundation's libm.
///
/// exp: Cephes' expf (range reduction by ln 2 in two parts, degree-6 polynomial; relative error ≈ 2 ulp).
/// erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below Float32 resolution near 1).
public enum VectorMath {
    public typealias V = SIMD16<Float>

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let clamped = x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.7))
        let n = (clamped * 1.44269504088896341).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693359375          // ln 2, high part
        r = r - n * -2.12194440e-4                  // ln 2, low part
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        let bits = (SIMD16<Int32>(n, rounding: .towardZero) &+ 127) &<< 23  // 2^n
        return y * unsafeBitCast(bits, to: V.self)
    }

    @inline(__always)
    public static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)                      // |x|
        let t = 1 / (1 + 0.3275911 * a)
        var poly = V(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// GELU (erf form) and its derivative Φ(x) + x·φ(x).
    @inline(__always)
    public static func gelu(_ x: V) -> V { 0.5 * x * (1 + erf(x * 0.70710678118654752)) }

    @inline(__always)
    public static func geluDerivative(_ x: V) -> V {
        0.5 * (1 + erf(x * 0.70710678118654752)) + x * exp(-0.5 * x * x) * 0.39894228040143268
    }

    /// Applies a 16-lane function to n floats: full vectors, then the tail padded through one vector, so every
    /// element goes through the same arithmetic (results do not depend on where a chunk starts).
    @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 16 <= n {
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(UnsafeRawPointer(x + i).loadUnaligned(as: V.self)), as: V.self)
            i += 16
        }
        if i < n {
            var v = V()
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    /// Runs `body(range)` over 0..<n in chunks of 4,096 (a multiple of 16), in parallel when n is large.
    @inline(__always)
    public static func chunked(_ n: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forRange(n, grain: 4096, minWork: 1 << 15, body)
    }
}
