import Foundation
import Engine

/// Small-sample statistics for checking qualitative claims across seeds: descriptive statistics, Student-t
/// quantiles and intervals, percentile bootstrap, least-squares polynomial fits, rank correlations and pass@k.
///
/// Everything is computed in `Double`. Conventions:
/// - Empty input gives NaN wherever a value is undefined (documented per function); misuse that has no sensible
///   answer (mismatched array lengths, out-of-range arguments) stops the program with a message.
/// - Argument checks use `fatalError`, not `precondition`: the package is compiled with `-Ounchecked`, under which
///   `precondition` is not evaluated, and a silently wrong statistic is worse than a crash.
/// - NaN inputs are not supported by the rank-based functions (`ranks`, `spearmanRho`, `kendallTau`), which stop.
public enum Statistics {

    // MARK: - Descriptive statistics

    /// Arithmetic mean, x̄ = (Σ xᵢ) / n. NaN for an empty array.
    public static func mean(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        var s = 0.0
        for v in x { s += v }
        return s / Double(x.count)
    }

    /// Sample standard deviation with Bessel's correction, s = √(Σ (xᵢ − x̄)² / (n − 1)) (two-pass).
    /// 0 for n == 1; NaN for an empty array.
    public static func standardDeviation(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        var ss = 0.0
        for v in x { let d = v - m; ss += d * d }
        return (ss / Double(x.count - 1)).squareRoot()
    }

    /// Standard error of the mean, s / √n with s the sample standard deviation. 0 for n == 1; NaN for empty.
    public static func standardError(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        return standardDeviation(x) / Double(x.count).squareRoot()
    }

    /// "mean ± sd" of a sample for reports, three decimals: "—" when empty, the value alone for one number.
    public static func meanSD(_ x: [Double]) -> String {
        x.isEmpty ? "—" : x.count == 1 ? String(format: "%.3f", x[0])
            : String(format: "%.3f ± %.3f", mean(x), standardDeviation(x))
    }

    // MARK: - Student t

    /// Student-t quantile: the value q with P(T_df ≤ q) = p.
    ///
    /// Method (df < 10⁶): the tail probability P(T > t) = ½ · I_{df/(df+t²)}(df/2, ½) (regularized incomplete
    /// beta, Lentz's continued fraction) is bracketed by doubling/halving t and bisected to full double precision
    /// relative to t. For df ≥ 10⁶, where that continued fraction loses ~df·ε to rounding, the Cornish–Fisher
    /// expansion in 1/df (Abramowitz & Stegun 26.7.5, through df⁻⁴) around the normal quantile z is used, z found
    /// the same way from P(Z > z) = ½ erfc(z/√2); the omitted terms are O(z¹¹/df⁵), negligible at df ≥ 10⁶.
    /// The sign follows p: q(1 − p) = −q(p), q(½) = 0.
    /// Accurate to ~1e-11 relative (checked against scipy.stats.t.ppf) for df ≥ 1 and 0 < p < 1, including far
    /// tails (e.g. df = 1, p = 1e-12 → −3.18e11).
    ///
    /// Edge cases: p == 0 → −∞, p == 1 → +∞; stops if p ∉ [0, 1] (or NaN) or degreesOfFreedom < 1.
    public static func tQuantile(_ p: Double, degreesOfFreedom: Int) -> Double {
        require(p >= 0 && p <= 1, "Statistics.tQuantile: p must be in [0, 1], got \(p)")
        require(degreesOfFreedom >= 1, "Statistics.tQuantile: degreesOfFreedom must be ≥ 1, got \(degreesOfFreedom)")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        let df = Double(degreesOfFreedom)
        // Target one-sided tail mass, < ½. For p < ½ this is p itself (exact, no 1 − p cancellation).
        let target = p < 0.5 ? p : 1 - p
        let sign: Double = p < 0.5 ? -1 : 1
        if degreesOfFreedom >= 1_000_000 {
            let z = invertTail(target) { 0.5 * Foundation.erfc($0 * 0.707_106_781_186_547_524_40) }
            return sign * cornishFisherT(z: z, df: df)
        }
        return sign * invertTail(target) { tTail($0, df: df) }
    }

    /// Abramowitz & Stegun 26.7.5: the t quantile from the normal quantile z at the same probability,
    /// t = z + g₁/ν + g₂/ν² + g₃/ν³ + g₄/ν⁴ with
    /// g₁ = (z³ + z)/4, g₂ = (5z⁵ + 16z³ + 3z)/96, g₃ = (3z⁷ + 19z⁵ + 17z³ − 15z)/384,
    /// g₄ = (79z⁹ + 776z⁷ + 1482z⁵ − 1920z³ − 945z)/92160.
    static func cornishFisherT(z: Double, df: Double) -> Double {
        let z2 = z * z
        let g1 = (z2 + 1) * z / 4
        let g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
        let g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
        let g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92_160
        let v = 1 / df
        return z + v * (g1 + v * (g2 + v * (g3 + v * g4)))
    }

    /// The t > 0 with tail(t) = target, for a tail function strictly decreasing on (0, ∞) with tail(0⁺) = ½ and
    /// tail(∞) = 0, and 0 < target < ½. Brackets by doubling / halving from 1, then bisects until the bracket is
    /// an ulp or two wide (relative precision ~1e-16 in t, whatever its magnitude).
    static func invertTail(_ target: Double, _ tail: (Double) -> Double) -> Double {
        var lo = 0.0, hi = 1.0
        if tail(hi) > target {
            lo = hi
            while true {
                hi *= 2
                if !hi.isFinite { return .greatestFiniteMagnitude }
                if tail(hi) <= target { break }
                lo = hi
            }
        } else {
            // Shrink towards 0 until tail(lo) > target; terminates because tail → ½ > target.
            lo = 0.5
            while tail(lo) <= target {
                hi = lo
                lo *= 0.5
                if lo == 0 { return 0 }
            }
        }
        // Invariant: tail(lo) > target ≥ tail(hi).
        for _ in 0..<2_000 {
            let mid = lo + (hi - lo) / 2
            if mid <= lo || mid >= hi { break }
            if tail(mid) > target { lo = mid } else { hi = mid }
        }
        return lo + (hi - lo) / 2
    }

    /// Upper tail P(T_df > t) for t ≥ 0, ½ · I_x(df/2, ½) with x = df/(df + t²). x and 1 − x (and their logs) are
    /// formed without cancellation in both regimes t² < df and t² ≥ df.
    static func tTail(_ t: Double, df: Double) -> Double {
        if t == 0 { return 0.5 }
        if t.isInfinite { return 0 }
        let x: Double, y: Double, logX: Double, logY: Double
        if t * t < df {
            let s = t / df.squareRoot()             // s² = t²/df < 1
            let s2 = s * s
            x = 1 / (1 + s2); y = s2 / (1 + s2)
            logX = -Foundation.log1p(s2); logY = 2 * Foundation.log(s) - Foundation.log1p(s2)
        } else {
            let r = df.squareRoot() / t             // r² = df/t² ≤ 1
            let r2 = r * r
            x = r2 / (1 + r2); y = 1 / (1 + r2)
            logX = 2 * Foundation.log(r) - Foundation.log1p(r2); logY = -Foundation.log1p(r2)
        }
        return 0.5 * regularizedIncompleteBeta(a: df / 2, b: 0.5, x: x, y: y, logX: logX, logY: logY)
    }

    /// Regularized incomplete beta I_x(a, b) for 0 ≤ x ≤ 1, y = 1 − x supplied by the caller (with log x, log y) so
    /// that no precision is lost to 1 − x. Continued fraction (Numerical Recipes `betacf`, modified Lentz),
    /// evaluated directly when x < (a + 1)/(a + b + 2) and through I_x(a, b) = 1 − I_y(b, a) otherwise.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double, y: Double, logX: Double, logY: Double) -> Double {
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        let logBeta = logBetaFunction(a, b)
        let front = Foundation.exp(a * logX + b * logY - logBeta)
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(a: a, b: b, x: x) / a
        } else {
            return 1 - front * betaContinuedFraction(a: b, b: a, x: y) / b
        }
    }

    /// log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b) for a, b > 0. When an argument is ≥ 10 the large log Γ
    /// terms are not subtracted directly (they would cancel: at df = 10⁵ that costs ~1e-10 in the t quantile) but
    /// rearranged with Stirling's series as in R's `lbeta` (Loader/Morris): with p = min, q = max,
    /// - p, q ≥ 10: −½ log q + ½ log 2π + δ(p) + δ(q) − δ(p+q) + (p − ½) log(p/(p+q)) + q · log1p(−p/(p+q));
    /// - q ≥ 10 > p: log Γ(p) + δ(q) − δ(p+q) + p − p log(p+q) + (q − ½) log1p(−p/(p+q));
    /// where δ(x) = log Γ(x) − ((x − ½) log x − x + ½ log 2π) (`stirlingCorrection`).
    static func logBetaFunction(_ a: Double, _ b: Double) -> Double {
        let p = Swift.min(a, b), q = Swift.max(a, b)
        let halfLog2Pi = 0.918_938_533_204_672_741_78  // ½ log 2π
        if p >= 10 {
            let corr = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q)
            return -0.5 * Foundation.log(q) + halfLog2Pi + corr + (p - 0.5) * Foundation.log(p / (p + q))
                + q * Foundation.log1p(-p / (p + q))
        } else if q >= 10 {
            let corr = stirlingCorrection(q) - stirlingCorrection(p + q)
            return Foundation.lgamma(p) + corr + p - p * Foundation.log(p + q) + (q - 0.5) * Foundation.log1p(-p / (p + q))
        } else {
            return Foundation.lgamma(p) + Foundation.lgamma(q) - Foundation.lgamma(p + q)
        }
    }

    /// δ(x) = log Γ(x) − ((x − ½) log x − x + ½ log 2π) for x ≥ 10, by the Stirling series
    /// Σ_k B_{2k} / (2k(2k−1) x^{2k−1}) through k = 8 (truncation error < 1e-17 at x = 10).
    static func stirlingCorrection(_ x: Double) -> Double {
        let z = 1 / x, z2 = z * z
        // Coefficients B_{2k} / (2k(2k−1)), k = 1…8.
        let c: [Double] = [1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360_360, 1.0 / 156,
                           -3617.0 / 122_400]
        var s = 0.0
        for k in stride(from: c.count - 1, through: 0, by: -1) { s = s * z2 + c[k] }
        return s * z
    }

    /// The continued fraction of I_x(a, b) (Numerical Recipes 6.4), modified Lentz; converges in
    /// O(√max(a, b)) terms for x < (a + 1)/(a + b + 2).
    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300, eps = 1e-15
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if Swift.abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1
        while m < 1_000_000 {
            let md = Double(m), m2 = 2 * md
            var aa = md * (b - md) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if Swift.abs(del - 1) <= eps { break }
            m += 1
        }
        return h
    }

    /// Two-sided Student-t confidence interval for the mean: x̄ ± t_{(1+level)/2, n−1} · s/√n.
    /// For n < 2 returns (x̄, x̄) (NaN, NaN for empty). Stops unless 0 < level < 1.
    public static func tInterval(_ x: [Double], level: Double = 0.95) -> (lower: Double, upper: Double) {
        require(level > 0 && level < 1, "Statistics.tInterval: level must be in (0, 1), got \(level)")
        let m = mean(x)
        guard x.count >= 2 else { return (m, m) }
        let half = tQuantile((1 + level) / 2, degreesOfFreedom: x.count - 1) * standardError(x)
        return (m - half, m + half)
    }

    /// One-sided Student-t confidence bound for the mean at `level` (e.g. 0.95): x̄ − t_{level, n−1} · s/√n when
    /// `side == .lower` (the mean is ≥ it with confidence `level`), x̄ + t_{level, n−1} · s/√n when `.upper`.
    /// For n < 2 returns x̄ (NaN for empty). Stops unless 0 < level < 1.
    public static func tBound(_ x: [Double], side: Side, level: Double = 0.95) -> Double {
        require(level > 0 && level < 1, "Statistics.tBound: level must be in (0, 1), got \(level)")
        let m = mean(x)
        guard x.count >= 2 else { return m }
        let half = tQuantile(level, degreesOfFreedom: x.count - 1) * standardError(x)
        return side == .lower ? m - half : m + half
    }

    /// Which end of a one-sided bound.
    public enum Side: Sendable { case lower, upper }

    // MARK: - Bootstrap

    /// Bootstrap replicates of `statistic` (default: the mean), sorted ascending.
    ///
    /// Replicate b = 0, 1, …, resamples − 1 is `statistic([x[i₀], …, x[i_{n−1}]])` with i₀, i₁, … drawn in that
    /// order by `rng.int(x.count)` (n draws per replicate, replicates in order), so the result is a pure function
    /// of x, `resamples`, the statistic and the rng's state, and `rng` is advanced by exactly resamples · n draws
    /// of `int`. NaN replicates, if the statistic produces any, are sorted to the end.
    /// Stops if x is empty or resamples < 1.
    public static func bootstrap(_ x: [Double], resamples: Int = 10_000, rng: inout RandomStream,
                                 statistic: ([Double]) -> Double = Statistics.mean) -> [Double] {
        require(!x.isEmpty, "Statistics.bootstrap: x must not be empty")
        require(resamples >= 1, "Statistics.bootstrap: resamples must be ≥ 1, got \(resamples)")
        let n = x.count
        var sample = [Double](repeating: 0, count: n)
        var replicates = [Double]()
        replicates.reserveCapacity(resamples)
        for _ in 0..<resamples {
            for i in 0..<n { sample[i] = x[rng.int(n)] }
            replicates.append(statistic(sample))
        }
        replicates.sort { $0 < $1 || (!$0.isNaN && $1.isNaN) }
        return replicates
    }

    /// Quantile of ascending-sorted data with linear interpolation between order statistics (numpy's default
    /// `method="linear"`, Hyndman & Fan type 7): with h = (n − 1)·q, j = ⌊h⌋,
    /// Q(q) = x₍ⱼ₎ + (h − j)·(x₍ⱼ₊₁₎ − x₍ⱼ₎) (0-based order statistics; Q(0) = min, Q(1) = max).
    /// NaN for empty data. Stops unless 0 ≤ q ≤ 1. The data are assumed sorted (not checked).
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        require(q >= 0 && q <= 1, "Statistics.quantile: q must be in [0, 1], got \(q)")
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let j = Swift.min(Int(h.rounded(.down)), sorted.count - 1)
        let k = Swift.min(j + 1, sorted.count - 1)
        let frac = h - Double(j)
        let a = sorted[j], b = sorted[k]
        if frac == 0 || a == b { return a }
        return a + frac * (b - a)
    }

    /// Two-sided percentile bootstrap interval at `level`: the α/2 and 1 − α/2 quantiles (type 7, see `quantile`)
    /// of `bootstrap(x, resamples:, rng:, statistic:)`, α = 1 − level. Stops unless 0 < level < 1.
    public static func bootstrapInterval(_ x: [Double], level: Double = 0.95, resamples: Int = 10_000, rng: inout RandomStream,
                                         statistic: ([Double]) -> Double = Statistics.mean) -> (lower: Double, upper: Double) {
        require(level > 0 && level < 1, "Statistics.bootstrapInterval: level must be in (0, 1), got \(level)")
        let reps = bootstrap(x, resamples: resamples, rng: &rng, statistic: statistic)
        let alpha = 1 - level
        return (quantile(sorted: reps, alpha / 2), quantile(sorted: reps, 1 - alpha / 2))
    }

    /// One-sided percentile bootstrap bound at `level` (e.g. 0.95): the (1 − level) quantile of the replicates when
    /// `side == .lower` (the statistic is ≥ it with ~level confidence), the `level` quantile when `side == .upper`.
    /// Quantiles are type 7 (see `quantile`). Stops unless 0 < level < 1.
    public static func bootstrapBound(_ x: [Double], side: Side, level: Double = 0.95, resamples: Int = 10_000,
                                      rng: inout RandomStream, statistic: ([Double]) -> Double = Statistics.mean) -> Double {
        require(level > 0 && level < 1, "Statistics.bootstrapBound: level must be in (0, 1), got \(level)")
        let reps = bootstrap(x, resamples: resamples, rng: &rng, statistic: statistic)
        switch side {
        case .lower: return quantile(sorted: reps, 1 - level)
        case .upper: return quantile(sorted: reps, level)
        }
    }

    // MARK: - Polynomial least squares

    /// A fitted polynomial y ≈ Σᵢ coefficients[i] · xⁱ (coefficients[0] is the intercept; lowest degree first, the
    /// reverse of numpy.polyfit's order).
    ///
    /// `rSquared` is the coefficient of determination R² = 1 − SS_res / SS_tot, SS_res = Σ (yⱼ − ŷⱼ)²,
    /// SS_tot = Σ (yⱼ − ȳ)²; when SS_tot == 0 (constant y) it is 1 if SS_res == 0 else 0 (a constant y is always
    /// fitted exactly, so in practice 1).
    public struct Fit: Equatable, Sendable {
        public var coefficients: [Double]
        public var rSquared: Double

        public init(coefficients: [Double], rSquared: Double) {
            self.coefficients = coefficients
            self.rSquared = rSquared
        }

        /// Σᵢ coefficients[i] · xⁱ (Horner).
        public func predict(_ x: Double) -> Double {
            var r = 0.0
            for c in coefficients.reversed() { r = r * x + c }
            return r
        }
    }

    /// Least-squares polynomial fit of the given degree (with intercept): minimises Σⱼ (yⱼ − Σᵢ cᵢ xⱼⁱ)².
    ///
    /// Solved in Double by Householder QR on the Vandermonde matrix of the centred and scaled abscissa
    /// u = (x − x̄)/s, s = max|x − x̄|; the coefficients in u are then expanded back (binomially) to coefficients
    /// in the ORIGINAL x. R² is computed from the residuals of the u-basis fit (see `Fit`).
    ///
    /// Stops if x and y differ in length, degree < 0, or x has fewer than degree + 1 distinct values (the fit would
    /// not be unique). Constant y gives coefficients [y₀, 0, …] and R² = 1 exactly.
    public static func polynomialFit(x: [Double], y: [Double], degree: Int) -> Fit {
        require(x.count == y.count, "Statistics.polynomialFit: x and y must have the same length (\(x.count) vs \(y.count))")
        require(degree >= 0, "Statistics.polynomialFit: degree must be ≥ 0, got \(degree)")
        let n = x.count, p = degree + 1, distinct = Set(x).count
        require(distinct >= p,
              "Statistics.polynomialFit: need at least degree + 1 = \(p) distinct x values, got \(distinct) (n = \(n))")
        require(!x.contains { !$0.isFinite } && !y.contains { !$0.isFinite }, "Statistics.polynomialFit: x and y must be finite")

        if y.allSatisfy({ $0 == y[0] }) {
            var c = [Double](repeating: 0, count: p); c[0] = y[0]
            return Fit(coefficients: c, rSquared: 1)
        }

        // Centre and scale x.
        let xm = mean(x)
        var s = 0.0
        for v in x { s = Swift.max(s, Swift.abs(v - xm)) }
        if s == 0 { s = 1 }  // unreachable when degree ≥ 1 (distinct values); degree 0 ignores u anyway
        let u = x.map { ($0 - xm) / s }

        // Column-major design matrix A (n × p), A[j, i] = uⱼⁱ.
        var a = [Double](repeating: 0, count: n * p)
        for j in 0..<n {
            var pw = 1.0
            for i in 0..<p { a[i * n + j] = pw; pw *= u[j] }
        }
        var rhs = y
        // Householder QR: A = QR, then solve R b = Qᵀ y.
        for k in 0..<p {
            var norm = 0.0
            for j in k..<n { norm = hypot(norm, a[k * n + j]) }
            if norm == 0 { continue }  // cannot happen for full-rank A
            let alpha = a[k * n + k] > 0 ? -norm : norm
            // v = A[k..., k] − alpha e₁, stored in place; H = I − 2vvᵀ/(vᵀv).
            a[k * n + k] -= alpha
            var vv = 0.0
            for j in k..<n { vv += a[k * n + j] * a[k * n + j] }
            if vv > 0 {
                for col in (k + 1)..<Swift.max(k + 1, p) {
                    var dot = 0.0
                    for j in k..<n { dot += a[k * n + j] * a[col * n + j] }
                    let f = 2 * dot / vv
                    for j in k..<n { a[col * n + j] -= f * a[k * n + j] }
                }
                var dot = 0.0
                for j in k..<n { dot += a[k * n + j] * rhs[j] }
                let f = 2 * dot / vv
                for j in k..<n { rhs[j] -= f * a[k * n + j] }
            }
            a[k * n + k] = alpha  // R's diagonal; the rest of column k below the diagonal is no longer needed
        }
        // Back substitution R b = (Qᵀy)[0..<p].
        var b = [Double](repeating: 0, count: p)
        for i in stride(from: p - 1, through: 0, by: -1) {
            var acc = rhs[i]
            for col in (i + 1)..<Swift.max(i + 1, p) { acc -= a[col * n + i] * b[col] }
            b[i] = acc / a[i * n + i]
        }

        // Residuals and R² in the well-conditioned u basis.
        let ym = mean(y)
        var ssRes = 0.0, ssTot = 0.0
        for j in 0..<n {
            var pred = 0.0
            for i in stride(from: p - 1, through: 0, by: -1) { pred = pred * u[j] + b[i] }
            let r = y[j] - pred, d = y[j] - ym
            ssRes += r * r; ssTot += d * d
        }
        let r2: Double = ssTot == 0 ? (ssRes == 0 ? 1 : 0) : 1 - ssRes / ssTot

        // Expand Σⱼ bⱼ ((x − x̄)/s)ʲ = Σᵢ cᵢ xⁱ: cᵢ = Σ_{j ≥ i} bⱼ s⁻ʲ C(j, i) (−x̄)^{j−i}.
        var c = [Double](repeating: 0, count: p)
        for j in 0..<p {
            let bj = b[j] / Foundation.pow(s, Double(j))
            var binom = 1.0  // C(j, i), starting at i = j and walking down
            for i in stride(from: j, through: 0, by: -1) {
                c[i] += bj * binom * Foundation.pow(-xm, Double(j - i))
                binom = binom * Double(i) / Double(j - i + 1)
            }
        }
        return Fit(coefficients: c, rSquared: r2)
    }

    /// Least-squares line y ≈ c₀ + c₁x (`polynomialFit` with degree 1).
    public static func linearFit(x: [Double], y: [Double]) -> Fit { polynomialFit(x: x, y: y, degree: 1) }

    /// Least-squares parabola y ≈ c₀ + c₁x + c₂x² (`polynomialFit` with degree 2).
    public static func quadraticFit(x: [Double], y: [Double]) -> Fit { polynomialFit(x: x, y: y, degree: 2) }

    // MARK: - Correlation

    /// Pearson's product-moment correlation r = Σ (xᵢ − x̄)(yᵢ − ȳ) / √(Σ (xᵢ − x̄)² · Σ (yᵢ − ȳ)²), clamped to
    /// [−1, 1]. NaN when n < 2 or either variable is constant (as scipy). Stops on mismatched lengths.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        require(x.count == y.count, "Statistics.pearson: x and y must have the same length (\(x.count) vs \(y.count))")
        guard x.count >= 2 else { return .nan }
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0 && syy > 0 else { return .nan }
        let r = sxy / (sxx.squareRoot() * syy.squareRoot())
        return Swift.max(-1, Swift.min(1, r))
    }

    /// Kendall's tau-b, τ_b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)), over all pairs i < j: n_c / n_d the concordant /
    /// discordant pairs (pairs tied in x or y are neither), n₀ = n(n−1)/2, n₁ / n₂ the pairs tied in x / in y
    /// (including pairs tied in both). Equals scipy.stats.kendalltau's default. O(n²).
    /// NaN when n < 2 or either variable is constant. Stops on mismatched lengths or NaN input.
    public static func kendallTau(_ x: [Double], _ y: [Double]) -> Double {
        require(x.count == y.count, "Statistics.kendallTau: x and y must have the same length (\(x.count) vs \(y.count))")
        require(!x.contains { $0.isNaN } && !y.contains { $0.isNaN }, "Statistics.kendallTau: NaN input is not supported")
        let n = x.count
        guard n >= 2 else { return .nan }
        var s = 0, tiesX = 0, tiesY = 0
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n {
                let dx = x[i] < x[j] ? -1 : (x[i] > x[j] ? 1 : 0)
                let dy = y[i] < y[j] ? -1 : (y[i] > y[j] ? 1 : 0)
                if dx == 0 { tiesX += 1 }
                if dy == 0 { tiesY += 1 }
                s += dx * dy
            }
        }
        let n0 = n * (n - 1) / 2
        let denom = (Double(n0 - tiesX) * Double(n0 - tiesY)).squareRoot()
        guard denom > 0 else { return .nan }
        return Swift.max(-1, Swift.min(1, Double(s) / denom))
    }

    /// Spearman's rho: the Pearson correlation of the average ranks (`ranks`), which handles ties exactly (not the
    /// no-ties shortcut 1 − 6Σd²/(n(n²−1))). Equals scipy.stats.spearmanr. NaN when n < 2 or either variable is
    /// constant. Stops on mismatched lengths or NaN input.
    public static func spearmanRho(_ x: [Double], _ y: [Double]) -> Double {
        require(x.count == y.count, "Statistics.spearmanRho: x and y must have the same length (\(x.count) vs \(y.count))")
        return pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks with ties given the mean of the ranks they span (scipy.stats.rankdata's "average"):
    /// e.g. [10, 20, 20, 5] → [2, 3.5, 3.5, 1]. Stops on NaN input.
    public static func ranks(_ x: [Double]) -> [Double] {
        require(!x.contains { $0.isNaN }, "Statistics.ranks: NaN input is not supported")
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && x[order[end]] == x[order[start]] { end += 1 }
            // Positions start..<end (0-based) hold ranks start+1 ... end; their mean is (start + 1 + end) / 2.
            let avg = Double(start + 1 + end) / 2
            for k in start..<end { r[order[k]] = avg }
            start = end
        }
        return r
    }
}
