import Foundation
import Testing
@testable import Harness
import Engine

// Unit tests of Harness/Statistics.swift. Every reference number below was computed outside this package, by hand
// (exact arithmetic shown in the comment) or with python3 (numpy 2.4.6, scipy 1.17.1, mpmath, fractions), and the
// python expression is given next to the numbers. Several tests also assert that a plausible WRONG formula
// (population std, df = n, tau-a, the no-ties Spearman shortcut, another quantile type, …) gives a value outside
// the tolerance, so that they would catch that mistake.

/// |a − b| ≤ abs + rel·|b|.
private func close(_ a: Double, _ b: Double, abs: Double = 1e-12, rel: Double = 0) -> Bool {
    Swift.abs(a - b) <= abs + rel * Swift.abs(b)
}

@Suite struct DescriptiveStatisticsTests {
    // Classic example: x = [2, 4, 4, 4, 5, 5, 7, 9], Σx = 40, mean 5, Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32.
    // Sample std = √(32/7) = 2.138089935299395; population std = √(32/8) = 2; se = √(32/7)/√8 = √(4/7).
    static let x: [Double] = [2, 4, 4, 4, 5, 5, 7, 9]

    @Test func meanStdSeByHand() {
        #expect(Statistics.mean(Self.x) == 5)
        #expect(close(Statistics.standardDeviation(Self.x), (32.0 / 7).squareRoot(), abs: 1e-15))
        #expect(close(Statistics.standardDeviation(Self.x), 2.138089935299395, abs: 1e-15))
        #expect(close(Statistics.standardError(Self.x), (4.0 / 7).squareRoot(), abs: 1e-15))
        #expect(close(Statistics.standardError(Self.x), 0.7559289460184544, abs: 1e-15))
        // Would fail with the population (÷n) formula, which gives exactly 2 here.
        #expect(Swift.abs(Statistics.standardDeviation(Self.x) - 2) > 0.1)
    }

    @Test func meanStdSeVsNumpy() {
        // numpy: np.mean(x), np.std(x, ddof=1), scipy.stats.sem(x); np.std(x) (ddof=0) = 1.931189319435047.
        let x: [Double] = [1.5, -2.25, 3.0, 0.125]
        #expect(close(Statistics.mean(x), 0.59375, abs: 1e-15))  // exact: 2.375 / 4
        #expect(close(Statistics.standardDeviation(x), 2.229945346863909, abs: 1e-14))
        #expect(close(Statistics.standardError(x), 1.1149726734319545, abs: 1e-14))
        #expect(Swift.abs(Statistics.standardDeviation(x) - 1.931189319435047) > 0.1)
    }

    @Test func edgeCases() {
        #expect(Statistics.mean([]).isNaN)
        #expect(Statistics.standardDeviation([]).isNaN)
        #expect(Statistics.standardError([]).isNaN)
        #expect(Statistics.mean([3.25]) == 3.25)
        #expect(Statistics.standardDeviation([3.25]) == 0)
        #expect(Statistics.standardError([3.25]) == 0)
        // Constant data: exactly zero spread.
        #expect(Statistics.standardDeviation([7, 7, 7]) == 0)
    }
}

@Suite struct StudentTTests {
    /// scipy.stats.t.ppf(p, df) for the grid the brief asks for (df ∈ {1, 2, 4, 30}, p ∈ {0.975, 0.95, 0.5, 0.025}).
    static let required: [(p: Double, df: Int, q: Double)] = [
        (0.975, 1, 12.706204736174694), (0.95, 1, 6.313751514675037), (0.5, 1, 0.0), (0.025, 1, -12.706204736174705),
        (0.975, 2, 4.302652729749462), (0.95, 2, 2.9199855803537242), (0.5, 2, 0.0), (0.025, 2, -4.302652729749464),
        (0.975, 4, 2.7764451051977934), (0.95, 4, 2.1318467863266495), (0.5, 4, 0.0), (0.025, 4, -2.7764451051977943),
        (0.975, 30, 2.0422724563012378), (0.95, 30, 1.697260886593957), (0.5, 30, 0.0), (0.025, 30, -2.042272456301238),
    ]

    @Test func requiredGridVsScipy() {
        for (p, df, q) in Self.required {
            let got = Statistics.tQuantile(p, degreesOfFreedom: df)
            #expect(close(got, q, abs: 1e-5), "t.ppf(\(p), \(df)): got \(got), scipy \(q)")
            // The implementation is in fact far more accurate than the required 1e-5.
            #expect(close(got, q, abs: 1e-11, rel: 1e-11), "t.ppf(\(p), \(df)): got \(got), scipy \(q)")
        }
    }

    /// scipy.stats.t.ppf(p, df) on a wider grid: far tails, moderate and huge df (both sides of the df = 10⁶
    /// switch to the Cornish–Fisher expansion). mpmath (50–60 digits, root of ½·betainc(df/2, ½, 0, df/(df+t²)) = tail)
    /// agrees with scipy to all printed digits at df = 10⁵, 10⁶, 10⁸ for p = 0.975 and at (1e-100, 100),
    /// (1e-12, 10⁶), (1e-12, 1).
    static let wide: [(p: Double, df: Int, q: Double)] = [
        (0.995, 1, 63.656741162871526), (0.6, 1, 0.32491969623290634), (1e-06, 1, -318309.8861827435),
        (1e-12, 1, -318309886183.7907), (0.995, 2, 9.924843200918287), (1e-12, 2, -707106.7811854869),
        (0.975, 3, 3.1824463052837078), (0.9, 3, 1.637744353696209), (1e-06, 3, -103.29946778041935),
        (0.995, 5, 4.032142983555228), (0.1, 5, -1.4758840488244813), (1e-12, 5, -393.95695957760375),
        (0.975, 10, 2.228138851986274), (0.6, 10, 0.2601848294920803), (1e-06, 10, -9.751995490940581),
        (0.995, 30, 2.7499956535672254), (1e-12, 30, -11.397217523311413), (0.975, 100, 1.9839715185235518),
        (1e-100, 100, -96.31474307783093), (0.975, 1000, 1.9623390808264083), (1e-12, 1000, -7.124228925314409),
        (0.975, 100_000, 1.9599877075346095), (0.9, 100_000, 1.2815600314493614), (1e-12, 100_000, -7.035371742393576),
        (0.975, 999_999, 1.9599663568164791), (0.975, 1_000_000, 1.959966356814107),
        (1e-12, 1_000_000, -7.034572608411255), (1e-100, 1_000_000, -21.27586598549062),
        (0.975, 100_000_000, 1.9599640082627663),
        (1e-100, 1_000_000_000_000, -21.27345356337752),
    ]

    @Test func wideGridVsScipy() {
        for (p, df, q) in Self.wide {
            let got = Statistics.tQuantile(p, degreesOfFreedom: df)
            #expect(close(got, q, abs: 1e-11, rel: 1e-10), "t.ppf(\(p), \(df)): got \(got), scipy \(q)")
        }
    }

    @Test func cornishFisherExpansionTerms() {
        // The large-df branch's expansion, checked where all four terms matter: (p, scipy.stats.norm.ppf(p),
        // scipy.stats.t.ppf(p, df)). Its truncation error there is ≤ 9e-10 (python), while dropping g₄ moves the
        // df = 100 values by 1.6e-8 / 1.2e-7 and dropping g₃ by 2.6e-6 / 1.2e-5.
        let cases: [(df: Double, z: Double, t: Double)] = [
            (100, 1.2815515655446004, 1.290074761346516), (100, 1.959963984540054, 1.9839715185235518),
            (100, 2.5758293035489004, 2.6258905214380173), (300, 1.959963984540054, 1.9679030112610865),
            (300, 2.5758293035489004, 2.5923164108477925), (1000, 2.5758293035489004, 2.580754698065951),
        ]
        for (df, z, t) in cases {
            #expect(close(Statistics.cornishFisherT(z: z, df: df), t, abs: 2e-9), "df \(df), z \(z)")
        }
    }

    @Test func closedFormsForOneAndTwoDegreesOfFreedom() {
        // By hand: df = 1 is Cauchy, F(t) = ½ + atan(t)/π ⇒ q = tan(π(p − ½)).
        // df = 2: F(t) = ½ + t / (2√(2 + t²)) ⇒ q = (2p − 1) / √(2p(1 − p)).
        for p in [0.001, 0.05, 0.2, 0.45, 0.55, 0.8, 0.95, 0.999] {
            #expect(close(Statistics.tQuantile(p, degreesOfFreedom: 1), Foundation.tan(Double.pi * (p - 0.5)), abs: 1e-11, rel: 1e-11))
            #expect(close(Statistics.tQuantile(p, degreesOfFreedom: 2), (2 * p - 1) / (2 * p * (1 - p)).squareRoot(), abs: 1e-12, rel: 1e-12))
        }
    }

    @Test func symmetryMonotonicityAndEnds() {
        for df in [1, 3, 7, 50] {
            var previous = -Double.infinity
            for i in 1..<100 {
                let p = Double(i) / 100
                let q = Statistics.tQuantile(p, degreesOfFreedom: df)
                #expect(q > previous)
                previous = q
                #expect(close(q, -Statistics.tQuantile(1 - p, degreesOfFreedom: df), abs: 1e-12, rel: 1e-12))
            }
        }
        #expect(Statistics.tQuantile(0.5, degreesOfFreedom: 9) == 0)
        #expect(Statistics.tQuantile(0, degreesOfFreedom: 3) == -.infinity)
        #expect(Statistics.tQuantile(1, degreesOfFreedom: 3) == .infinity)
    }

    @Test func tailAndLogBetaHelpers() {
        // scipy.stats.t.sf(t, df)
        let sf: [(t: Double, df: Double, v: Double)] = [
            (0.1, 1, 0.4682744825694465), (2, 3, 0.06966298427942152), (1.5, 30, 0.072032964564323),
            (10, 5, 8.547378787148181e-05), (3, 1000, 0.0013833545221190963), (0.001, 7, 0.4996150086224994),
            (50, 2, 0.00019988007994404028),
        ]
        for (t, df, v) in sf {
            #expect(close(Statistics.tTail(t, df: df), v, abs: 0, rel: 1e-12), "sf(\(t), \(df))")
        }
        // float(mpmath.log(mpmath.beta(a, b))) at 40 digits (scipy.special.betaln(5e4, .5) is off by 3.5e-11).
        let lb: [(a: Double, b: Double, v: Double)] = [
            (0.5, 0.5, 1.1447298858494002), (2.5, 0.5, 0.16390063283767395), (15, 0.5, -0.773328365452232),
            (5e4, 0.5, -4.837521699280441), (12, 30, -25.27486496841981), (3, 7, -5.529429087511423),
        ]
        for (a, b, v) in lb {
            #expect(close(Statistics.logBetaFunction(a, b), v, abs: 1e-13, rel: 1e-13), "lbeta(\(a), \(b))")
        }
    }

    // Sample [2.1, 3.4, 1.9, 5.6, 4.2]: mean 3.44, n = 5.
    // scipy.stats.t.interval(level, df=4, loc=np.mean(s), scale=scipy.stats.sem(s)).
    static let sample: [Double] = [2.1, 3.4, 1.9, 5.6, 4.2]

    @Test func tIntervalVsScipy() {
        let ci95 = Statistics.tInterval(Self.sample)
        #expect(close(ci95.lower, 1.5353505632593714, abs: 1e-10))
        #expect(close(ci95.upper, 5.344649436740628, abs: 1e-10))
        let ci90 = Statistics.tInterval(Self.sample, level: 0.9)
        #expect(close(ci90.lower, 1.977546889296372, abs: 1e-10))
        #expect(close(ci90.upper, 4.902453110703627, abs: 1e-10))
        let ci99 = Statistics.tInterval(Self.sample, level: 0.99)
        #expect(close(ci99.lower, 0.28157749526531184, abs: 1e-10))
        #expect(close(ci99.upper, 6.598422504734688, abs: 1e-10))
        // Would fail with df = n (gives 1.6765733663617297) or a normal z interval (2.095458992436953).
        #expect(Swift.abs(ci95.lower - 1.6765733663617297) > 0.1)
        #expect(Swift.abs(ci95.lower - 2.095458992436953) > 0.1)
        // Two points [0.5, 1.5]: mean 1, se 0.5, t_{0.975,1} = 12.706… ⇒ 1 ∓ 6.353102368087347 (scipy).
        let two = Statistics.tInterval([0.5, 1.5])
        #expect(close(two.lower, -5.353102368087347, abs: 1e-10))
        #expect(close(two.upper, 7.353102368087347, abs: 1e-10))
    }

    /// One-sided bounds against scipy: mean ∓ stats.t.ppf(0.95, n − 1) · stats.sem(x).
    @Test func tBoundVsScipy() {
        let x5 = [0.9, 1.1, 1.0, 0.95, 1.05]
        #expect(close(Statistics.tBound(x5, side: .lower), 0.9246278340468839, abs: 1e-12))
        #expect(close(Statistics.tBound(x5, side: .upper), 1.0753721659531161, abs: 1e-12))
        let x3 = [0.012, -0.004, 0.031]
        #expect(close(Statistics.tBound(x3, side: .lower), -0.01653855642697309, abs: 1e-12))
        #expect(close(Statistics.tBound(x3, side: .upper), 0.04253855642697309, abs: 1e-12))
        // The 0.95 one-sided bound is the 90% two-sided interval's end.
        let ci = Statistics.tInterval(x3, level: 0.9)
        #expect(close(ci.lower, Statistics.tBound(x3, side: .lower), abs: 1e-14))
        #expect(Statistics.tBound([4.5], side: .lower) == 4.5 && Statistics.tBound([], side: .upper).isNaN)
    }

    @Test func tIntervalSmallN() {
        let one = Statistics.tInterval([4.5])
        #expect(one.lower == 4.5 && one.upper == 4.5)
        let none = Statistics.tInterval([])
        #expect(none.lower.isNaN && none.upper.isNaN)
    }
}

@Suite struct BootstrapTests {
    static let x: [Double] = [0.82, 1.35, 0.47, 2.10, 1.66, 0.95, 1.21, 0.38, 1.74, 1.02,
                              0.61, 1.49, 2.31, 0.88, 1.15, 0.72, 1.93, 1.28, 0.55, 1.07]

    @Test func deterministicAndSorted() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42), c = RandomStream(seed: 43)
        let ra = Statistics.bootstrap(Self.x, resamples: 500, rng: &a)
        let rb = Statistics.bootstrap(Self.x, resamples: 500, rng: &b)
        let rc = Statistics.bootstrap(Self.x, resamples: 500, rng: &c)
        #expect(ra.count == 500)
        #expect(ra == rb)
        #expect(ra != rc)
        #expect(zip(ra, ra.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(a.state == b.state)
    }

    @Test func drawsIndicesInTheDocumentedOrder() {
        // Replicate b draws n indices with rng.int(n), in order, replicates in order; rng advances by exactly that.
        var rng = RandomStream(seed: 7)
        var manualRng = rng
        // An order-sensitive statistic (Σ (i+1)·sᵢ), so that filling the resample in another order would show.
        let weighted: ([Double]) -> Double = { s in s.indices.reduce(0.0) { $0 + Double($1 + 1) * s[$1] } }
        let reps = Statistics.bootstrap(Self.x, resamples: 64, rng: &rng, statistic: weighted)
        var manual: [Double] = []
        for _ in 0..<64 {
            var s: [Double] = []
            for _ in 0..<Self.x.count { s.append(Self.x[manualRng.int(Self.x.count)]) }
            manual.append(weighted(s))
        }
        manual.sort()
        #expect(reps == manual)
        #expect(rng.state == manualRng.state)
    }

    @Test func matchesIndependentPythonPort() {
        // Reference: an independent python port of RandomStream and of the documented draw order:
        //   M = 2**64 - 1; state = 2024
        //   def next(): state = (state + 0x9E3779B97F4A7C15) & M; z = state
        //       z = ((z ^ z >> 30) * 0xBF58476D1CE4E5B9) & M; z = ((z ^ z >> 27) * 0x94D049BB133111EB) & M
        //       return z ^ z >> 31
        //   def int_(n): m = next() * n                      # Lemire: high word, reject low < (2**64 - n) % n
        //       while (m & M) < n and (m & M) < (2**64 - n) % n: m = next() * n
        //       return m >> 64
        //   reps = sorted(sum(x[int_(20)] for _ in range(20)) / 20 for _ in range(2000))   # sequential sums
        // then numpy.quantile(reps, q) (type 7) and np.mean(reps). The port itself is checked first:
        // RandomStream(seed: 2024).next() = 11487996472437173461, .int(20) draws 12, 1, 5, 2, 16, 11, 2, 11.
        var check = RandomStream(seed: 2024)
        #expect(check.next() == 11_487_996_472_437_173_461)
        check = RandomStream(seed: 2024)
        #expect((0..<8).map { _ in check.int(20) } == [12, 1, 5, 2, 16, 11, 2, 11])

        var rng = RandomStream(seed: 2024)
        let reps = Statistics.bootstrap(Self.x, resamples: 2000, rng: &rng)
        #expect(close(reps.first!, 0.7630000000000001, abs: 1e-12))
        #expect(close(reps.last!, 1.733, abs: 1e-12))
        #expect(close(Statistics.quantile(sorted: reps, 0.5), 1.182, abs: 1e-12))
        #expect(close(Statistics.mean(reps), 1.18515975, abs: 1e-12))

        var r1 = RandomStream(seed: 2024)
        let ci = Statistics.bootstrapInterval(Self.x, resamples: 2000, rng: &r1)
        #expect(close(ci.lower, 0.9519875, abs: 1e-12))
        #expect(close(ci.upper, 1.4235249999999997, abs: 1e-12))
        var r2 = RandomStream(seed: 2024), r3 = RandomStream(seed: 2024)
        let lower = Statistics.bootstrapBound(Self.x, side: .lower, resamples: 2000, rng: &r2)
        let upper = Statistics.bootstrapBound(Self.x, side: .upper, resamples: 2000, rng: &r3)
        // numpy.quantile(reps, 0.05) and numpy.quantile(reps, 0.95)
        #expect(close(lower, 0.9904750000000002, abs: 1e-12))
        #expect(close(upper, 1.3825499999999997, abs: 1e-12))
        // A lower bound taken at the `level` quantile (wrong side) would be ≈ 1.38 instead.
        #expect(lower < Statistics.mean(Self.x) && Statistics.mean(Self.x) < upper)
    }

    @Test func replicatesCentreOnTheSampleMean() {
        // E[mean of replicates] = sample mean (1.1845); sd of the replicate mean over B = 10 000 resamples is
        // ≈ se·√((n−1)/n)/√B ≈ 0.0012, so 0.006 is a 5-sigma tolerance.
        var rng = RandomStream(seed: 1)
        let reps = Statistics.bootstrap(Self.x, rng: &rng)
        #expect(reps.count == 10_000)
        #expect(close(Statistics.mean(Self.x), 1.1845, abs: 1e-12))
        #expect(Swift.abs(Statistics.mean(reps) - Statistics.mean(Self.x)) < 0.006)
        // Their spread estimates the standard error (0.1230521391417818 from numpy), shrunk by √(19/20).
        let expectedSpread = 0.1230521391417818 * (19.0 / 20).squareRoot()
        #expect(Swift.abs(Statistics.standardDeviation(reps) / expectedSpread - 1) < 0.05)
    }

    @Test func intervalsAndBoundsAreConsistent() {
        let m = Statistics.mean(Self.x)
        for seed in 0..<5 {
            var r1 = RandomStream(seed: UInt64(seed)), r2 = r1, r3 = r1, r4 = r1
            let ci = Statistics.bootstrapInterval(Self.x, resamples: 4000, rng: &r1)
            #expect(ci.lower < m && m < ci.upper)
            let lower = Statistics.bootstrapBound(Self.x, side: .lower, resamples: 4000, rng: &r2)
            let upper = Statistics.bootstrapBound(Self.x, side: .upper, resamples: 4000, rng: &r3)
            #expect(lower <= upper)
            // One-sided 95% bounds sit inside the two-sided 95% interval (same replicates: same seed).
            #expect(ci.lower <= lower && upper <= ci.upper)
            // And they are the 5% / 95% (2.5% / 97.5%) type-7 quantiles of the replicates (up to the rounding of
            // 1 − 0.95 = 0.050000000000000044 in Double).
            let reps = Statistics.bootstrap(Self.x, resamples: 4000, rng: &r4)
            #expect(close(lower, Statistics.quantile(sorted: reps, 0.05), abs: 1e-12))
            #expect(close(upper, Statistics.quantile(sorted: reps, 0.95), abs: 1e-12))
            #expect(close(ci.lower, Statistics.quantile(sorted: reps, 0.025), abs: 1e-12))
            #expect(close(ci.upper, Statistics.quantile(sorted: reps, 0.975), abs: 1e-12))
        }
        // The percentile interval for a mean is close to the t interval (from
        // scipy.stats.t.interval(0.95, 19, 1.1845, 0.12305213914178176) = (0.9269489128298527, 1.4420510871701475));
        // loose sanity check only.
        var rng = RandomStream(seed: 99)
        let ci = Statistics.bootstrapInterval(Self.x, rng: &rng)
        let t = Statistics.tInterval(Self.x)
        #expect(close(t.lower, 0.9269489128298527, abs: 1e-10))
        #expect(close(t.upper, 1.4420510871701475, abs: 1e-10))
        #expect(Swift.abs(ci.lower - t.lower) < 0.05 && Swift.abs(ci.upper - t.upper) < 0.05)
    }

    @Test func constantDataAndCustomStatistic() {
        var rng = RandomStream(seed: 5)
        let reps = Statistics.bootstrap([2.5, 2.5, 2.5], resamples: 100, rng: &rng)
        #expect(reps.allSatisfy { $0 == 2.5 })
        var rng2 = RandomStream(seed: 5)
        let ci = Statistics.bootstrapInterval([2.5, 2.5, 2.5], resamples: 100, rng: &rng2)
        #expect(ci.lower == 2.5 && ci.upper == 2.5)
        // A median statistic only ever returns midpoints of sample values.
        var rng3 = RandomStream(seed: 6)
        let medians = Statistics.bootstrap([1, 2, 3, 4], resamples: 200, rng: &rng3) {
            Statistics.quantile(sorted: $0.sorted(), 0.5)
        }
        #expect(medians.allSatisfy { [1, 1.5, 2, 2.5, 3, 3.5, 4].contains($0) })
        #expect(medians.first! >= 1 && medians.last! <= 4)
    }
}

@Suite struct QuantileTests {
    // numpy.quantile(d, q) (default method "linear"). Other methods differ, e.g. at q = 0.1:
    // "lower" 1.0, "weibull" 1.0, "hazen" 1.1; at q = 0.9: "lower" 11, "weibull" 16, "hazen" 15.5.
    static let d: [Double] = [1, 2, 4, 7, 11, 16]
    static let expected: [(q: Double, v: Double)] = [
        (0, 1.0), (0.1, 1.5), (0.25, 2.5), (0.33, 3.3000000000000003), (0.5, 5.5), (0.9, 13.5), (0.975, 15.375), (1, 16.0),
    ]

    @Test func vsNumpy() {
        for (q, v) in Self.expected {
            #expect(close(Statistics.quantile(sorted: Self.d, q), v, abs: 1e-12), "q = \(q)")
        }
        // By hand: q = 0.9 ⇒ h = 5·0.9 = 4.5 ⇒ x₍₄₎ + 0.5·(x₍₅₎ − x₍₄₎) = 11 + 2.5 = 13.5 (hazen would give 15.5).
        #expect(Swift.abs(Statistics.quantile(sorted: Self.d, 0.9) - 15.5) > 1)
        // numpy.quantile([-3.5, -1, 0, 0.25, 2, 2, 9.5], q) with ties and negatives.
        let d2: [Double] = [-3.5, -1.0, 0.0, 0.25, 2.0, 2.0, 9.5]
        #expect(close(Statistics.quantile(sorted: d2, 0.05), -2.75, abs: 1e-12))
        #expect(close(Statistics.quantile(sorted: d2, 0.5), 0.25, abs: 1e-12))
        #expect(close(Statistics.quantile(sorted: d2, 0.95), 7.249999999999995, abs: 1e-12))
    }

    @Test func edgeCases() {
        #expect(Statistics.quantile(sorted: [], 0.5).isNaN)
        #expect(Statistics.quantile(sorted: [4.25], 0) == 4.25)
        #expect(Statistics.quantile(sorted: [4.25], 0.7) == 4.25)
        #expect(Statistics.quantile(sorted: [4.25], 1) == 4.25)
        #expect(Statistics.quantile(sorted: [1, 3], 0.25) == 1.5)
    }
}

@Suite struct PolynomialFitTests {
    @Test func linearExact() {
        // y = 2 + 3x exactly ⇒ coefficients [2, 3], R² = 1.
        let x: [Double] = [-2, -1, 0, 1, 2.5, 4]
        let fit = Statistics.linearFit(x: x, y: x.map { 2 + 3 * $0 })
        #expect(fit.coefficients.count == 2)
        #expect(close(fit.coefficients[0], 2, abs: 1e-13))
        #expect(close(fit.coefficients[1], 3, abs: 1e-13))
        #expect(close(fit.rSquared, 1, abs: 1e-14))
        #expect(close(fit.predict(10), 32, abs: 1e-12))
        // Far from the origin (needs the centring): x = 1000…1011.
        let xb = (1000...1011).map(Double.init)
        let fb = Statistics.linearFit(x: xb, y: xb.map { 2 + 3 * $0 })
        #expect(close(fb.coefficients[0], 2, abs: 1e-9))
        #expect(close(fb.coefficients[1], 3, abs: 1e-12))
        #expect(close(fb.rSquared, 1, abs: 1e-14))
    }

    @Test func linearNoisy() {
        // x = 1…10, y below. Exact least squares in rationals (python fractions.Fraction, normal equations
        // solved exactly): c = [0.96, 2.02], R² = 0.9989080151097475; numpy.polyfit(x, y, 1) = [2.02, 0.96] agrees.
        // By hand: x̄ = 5.5, ȳ = 12.07, Sxx = 82.5, Sxy = 166.65 ⇒ slope 2.02, intercept 12.07 − 2.02·5.5 = 0.96;
        // SS_tot = 337.001, SS_res = 0.368 ⇒ R² = 1 − 0.368/337.001.
        let x = (1...10).map(Double.init)
        let y: [Double] = [2.9, 5.1, 7.2, 8.8, 11.3, 12.9, 15.2, 16.8, 19.1, 21.4]
        let fit = Statistics.linearFit(x: x, y: y)
        #expect(close(fit.coefficients[0], 0.96, abs: 1e-12))
        #expect(close(fit.coefficients[1], 2.02, abs: 1e-12))
        #expect(close(fit.rSquared, 1 - 0.368 / 337.001, abs: 1e-12))
        #expect(close(fit.rSquared, 0.9989080151097475, abs: 1e-12))
        // Slope = r · s_y / s_x (a cross-check against pearson).
        let r = Statistics.pearson(x, y)
        #expect(close(fit.coefficients[1], r * Statistics.standardDeviation(y) / Statistics.standardDeviation(x), abs: 1e-12))
        #expect(close(fit.rSquared, r * r, abs: 1e-12))
        #expect(fit == Statistics.polynomialFit(x: x, y: y, degree: 1))
    }

    @Test func linearOffsetNoisy() {
        // x = 1000…1011. Exact rationals: c = [−639.2888111888112, 0.641958041958042], R² = 0.9453280117380214
        // (numpy.polyfit gives −639.2888111887928, 0.6419580419580239: itself only good to ~3e-14 relative).
        let x = (1000...1011).map(Double.init)
        let y: [Double] = [3.1, 2.7, 4.0, 4.4, 5.9, 5.1, 6.8, 7.7, 7.0, 8.9, 9.6, 9.2]
        let fit = Statistics.linearFit(x: x, y: y)
        #expect(close(fit.coefficients[0], -639.2888111888112, abs: 0, rel: 1e-11))
        #expect(close(fit.coefficients[1], 0.641958041958042, abs: 0, rel: 1e-11))
        #expect(close(fit.rSquared, 0.9453280117380214, abs: 1e-12))
    }

    @Test func quadraticExact() {
        // y = 1 − 2x + 0.5x² ⇒ coefficients [1, −2, 0.5], R² = 1.
        let x: [Double] = [-3, -1.5, 0, 0.5, 2, 3, 4.5, 7]
        let fit = Statistics.quadraticFit(x: x, y: x.map { 1 - 2 * $0 + 0.5 * $0 * $0 })
        #expect(fit.coefficients.count == 3)
        #expect(close(fit.coefficients[0], 1, abs: 1e-12))
        #expect(close(fit.coefficients[1], -2, abs: 1e-12))
        #expect(close(fit.coefficients[2], 0.5, abs: 1e-13))
        #expect(close(fit.rSquared, 1, abs: 1e-14))
        #expect(close(fit.predict(2), -1, abs: 1e-12))  // 1 − 4 + 2
        // Exactly three points determine the parabola.
        let three = Statistics.quadraticFit(x: [0, 1, 2], y: [1, -0.5, -1])
        #expect(close(three.coefficients[0], 1, abs: 1e-13) && close(three.coefficients[1], -2, abs: 1e-13)
                && close(three.coefficients[2], 0.5, abs: 1e-13))
    }

    @Test func quadraticNoisy() {
        // x = −3…6, y below. Exact rationals (fractions.Fraction normal equations): c = [0.7759090909090909, −1.4859848484848486,
        // 0.415530303030303], R² = 0.9806356419216762; numpy.polyfit(x, y, 2)[::-1] = [0.7759090909090893,
        // −1.4859848484848477, 0.4155303030303028]. Hand R² from the numpy fit: SS_res = 1.893621212121212,
        // SS_tot = 97.789 ⇒ 1 − 1.893621212121212/97.789.
        let x = (-3...6).map(Double.init)
        let y: [Double] = [8.7, 5.2, 3.4, 1.1, -0.6, -0.9, 0.6, 0.8, 3.6, 7.2]
        let fit = Statistics.quadraticFit(x: x, y: y)
        #expect(close(fit.coefficients[0], 0.7759090909090909, abs: 1e-12))
        #expect(close(fit.coefficients[1], -1.4859848484848486, abs: 1e-12))
        #expect(close(fit.coefficients[2], 0.415530303030303, abs: 1e-12))
        #expect(close(fit.rSquared, 0.9806356419216762, abs: 1e-12))
        #expect(close(fit.rSquared, 1 - 1.893621212121212 / 97.789, abs: 1e-12))
        // Residual R² recomputed here by hand from predict(_:).
        let ym = Statistics.mean(y)
        let ssRes = zip(x, y).reduce(0.0) { $0 + ($1.1 - fit.predict($1.0)) * ($1.1 - fit.predict($1.0)) }
        let ssTot = y.reduce(0.0) { $0 + ($1 - ym) * ($1 - ym) }
        #expect(close(fit.rSquared, 1 - ssRes / ssTot, abs: 1e-12))
        // A straight line explains far less (its R² is pearsonr(x, y)² = 0.0483493061901676, scipy).
        #expect(close(Statistics.linearFit(x: x, y: y).rSquared, 0.0483493061901676, abs: 1e-12))
    }

    @Test func quadraticOffsetAndCubic() {
        // x = 1000…1011 (badly conditioned monomials). Exact rationals: c = [−2608.805044955045, 4.55949050949051,
        // −0.001948051948051948], R² = 0.9454092586912606 (numpy.polyfit is off by 3e-10 relative in c₀ here).
        let x = (1000...1011).map(Double.init)
        let y: [Double] = [3.1, 2.7, 4.0, 4.4, 5.9, 5.1, 6.8, 7.7, 7.0, 8.9, 9.6, 9.2]
        let fit = Statistics.quadraticFit(x: x, y: y)
        #expect(close(fit.coefficients[0], -2608.805044955045, abs: 0, rel: 1e-9))
        #expect(close(fit.coefficients[1], 4.55949050949051, abs: 0, rel: 1e-9))
        #expect(close(fit.coefficients[2], -0.001948051948051948, abs: 0, rel: 1e-9))
        #expect(close(fit.rSquared, 0.9454092586912606, abs: 1e-12))
        // Cubic on the noisy quadratic data above. Exact rationals: [1.0270163170163171, −1.5926379176379177,
        // 0.3547785547785548, 0.0135003885003885], R² = 0.986392590049443.
        let xq = (-3...6).map(Double.init)
        let yq: [Double] = [8.7, 5.2, 3.4, 1.1, -0.6, -0.9, 0.6, 0.8, 3.6, 7.2]
        let cubic = Statistics.polynomialFit(x: xq, y: yq, degree: 3)
        let ref = [1.0270163170163171, -1.5926379176379177, 0.3547785547785548, 0.0135003885003885]
        for i in 0..<4 { #expect(close(cubic.coefficients[i], ref[i], abs: 1e-12)) }
        #expect(close(cubic.rSquared, 0.986392590049443, abs: 1e-12))
        // Degree 0 is the mean (2.91) with R² = 0.
        let flat = Statistics.polynomialFit(x: xq, y: yq, degree: 0)
        #expect(close(flat.coefficients[0], 2.91, abs: 1e-13))
        #expect(close(flat.rSquared, 0, abs: 1e-14))
    }

    @Test func constantY() {
        // SS_tot = 0 and the fit is exact ⇒ R² = 1 by the documented convention.
        let fit = Statistics.linearFit(x: [1, 2, 3, 4], y: [0.1, 0.1, 0.1, 0.1])
        #expect(fit.coefficients == [0.1, 0])
        #expect(fit.rSquared == 1)
        #expect(Statistics.Fit(coefficients: [1, 2, 3], rSquared: 0.5).predict(2) == 17)
    }
}

@Suite struct CorrelationTests {
    // Data with ties in both variables.
    static let x: [Double] = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8]
    static let y: [Double] = [2, 1, 3, 3, 5, 4, 6, 6, 5, 9, 7, 7]

    @Test func ranksWithTies() {
        // By hand: 20 occupies ranks 3 and 4 ⇒ 3.5.
        #expect(Statistics.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        // scipy.stats.rankdata(x), scipy.stats.rankdata(y)
        #expect(Statistics.ranks(Self.x) == [1.0, 2.5, 2.5, 4.0, 6.0, 6.0, 6.0, 8.0, 9.0, 10.0, 11.5, 11.5])
        #expect(Statistics.ranks(Self.y) == [2.0, 1.0, 3.5, 3.5, 6.5, 5.0, 8.5, 8.5, 6.5, 12.0, 10.5, 10.5])
        #expect(Statistics.ranks([0.3, -1.2, 0.3, 2.2, 5.0, -1.2, 0.3, 7.1]) == [4.0, 1.5, 4.0, 6.0, 7.0, 1.5, 4.0, 8.0])
        #expect(Statistics.ranks([]) == [])
        #expect(Statistics.ranks([3]) == [1])
    }

    @Test func pearsonVsScipy() {
        // scipy.stats.pearsonr(x, y)[0]
        #expect(close(Statistics.pearson(Self.x, Self.y), 0.8785066715600149, abs: 1e-13))
        #expect(close(Statistics.pearson([0.3, -1.2, 0.3, 2.2, 5.0, -1.2, 0.3, 7.1], [1.0, 1.0, -0.5, 2.0, 2.0, 0.0, 3.5, -2.0]),
                      -0.3072200245164661, abs: 1e-13))
        #expect(close(Statistics.pearson([1, 2, 3], [2, 4, 6]), 1, abs: 1e-15))
        #expect(close(Statistics.pearson([1, 2, 3], [3, 2, 1]), -1, abs: 1e-15))
        #expect(Statistics.pearson([1, 1, 1], [1, 2, 3]).isNaN)
        #expect(Statistics.pearson([1], [2]).isNaN)
    }

    @Test func kendallTauBVsScipy() {
        // scipy.stats.kendalltau(x, y).statistic (tau-b) = 0.7805136005849247. By hand: S = n_c − n_d = 48,
        // n₀ = 66, ties in x n₁ = 1+3+1 = 5, ties in y n₂ = 1+1+1+1 = 4 (pairs), 48/√(61·62) = 0.78051….
        let tau = Statistics.kendallTau(Self.x, Self.y)
        #expect(close(tau, 0.7805136005849247, abs: 1e-14))
        #expect(close(tau, 48 / (61.0 * 62).squareRoot(), abs: 1e-14))
        // Would fail for tau-a (48/66 = 0.7272727272727273) or tau-c (0.7619047619047619).
        #expect(Swift.abs(tau - 48.0 / 66) > 0.01)
        #expect(Swift.abs(tau - 0.7619047619047619) > 0.01)
        // scipy gives exactly 0 here (balanced concordant/discordant pairs, with ties).
        #expect(close(Statistics.kendallTau([0.3, -1.2, 0.3, 2.2, 5.0, -1.2, 0.3, 7.1], [1.0, 1.0, -0.5, 2.0, 2.0, 0.0, 3.5, -2.0]),
                      0, abs: 1e-15))
        #expect(Statistics.kendallTau([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(Statistics.kendallTau([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        #expect(Statistics.kendallTau([1, 1, 1], [1, 2, 3]).isNaN)
    }

    @Test func spearmanVsScipy() {
        // scipy.stats.spearmanr(x, y).statistic = 0.9128171680960109.
        let rho = Statistics.spearmanRho(Self.x, Self.y)
        #expect(close(rho, 0.9128171680960109, abs: 1e-14))
        // Would fail with the no-ties shortcut 1 − 6Σd²/(n(n²−1)) (0.9143356643356644) or with ordinal ranks
        // that break ties by position (0.9440559440559438).
        #expect(Swift.abs(rho - 0.9143356643356644) > 1e-3)
        #expect(Swift.abs(rho - 0.9440559440559438) > 1e-2)
        #expect(close(Statistics.spearmanRho([0.3, -1.2, 0.3, 2.2, 5.0, -1.2, 0.3, 7.1], [1.0, 1.0, -0.5, 2.0, 2.0, 0.0, 3.5, -2.0]),
                      -0.00621225869338033, abs: 1e-14))
        // Invariant under strictly increasing transforms.
        #expect(close(Statistics.spearmanRho(Self.x.map { Foundation.exp($0) }, Self.y.map { $0 * $0 * $0 }), rho, abs: 1e-14))
        #expect(close(Statistics.spearmanRho([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]), 1, abs: 1e-15))
    }
}

@Suite struct ArgumentCheckTests {
    // The package builds with -Ounchecked, where `precondition` is skipped; these confirm the checks still stop.
    @Test func mismatchedLengthsStop() async {
        await #expect(processExitsWith: .failure) { _ = Statistics.pearson([1, 2, 3], [1, 2]) }
        await #expect(processExitsWith: .failure) { _ = Statistics.linearFit(x: [1, 2, 3], y: [1, 2]) }
        await #expect(processExitsWith: .failure) { _ = Statistics.kendallTau([1, 2], [1]) }
    }

    @Test func invalidArgumentsStop() async {
        await #expect(processExitsWith: .failure) { _ = Statistics.tQuantile(1.5, degreesOfFreedom: 3) }
        await #expect(processExitsWith: .failure) { _ = Statistics.quadraticFit(x: [1, 1, 2, 2], y: [1, 2, 3, 4]) }
    }
}
