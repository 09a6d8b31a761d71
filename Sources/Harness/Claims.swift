import Foundation
import Engine

/// What a claim says about its statistic.
public enum ClaimDirection: Sendable, Equatable {
    /// statistic < threshold
    case below(Double)
    /// statistic > threshold
    case above(Double)
    /// statistic ≥ threshold
    case atLeast(Double)
    /// statistic ≤ threshold
    case atMost(Double)
    /// |statistic| ≤ margin (an equivalence claim)
    case within(Double)

    public var threshold: Double {
        switch self {
        case let .below(t), let .above(t), let .atLeast(t), let .atMost(t), let .within(t): return t
        }
    }

    public var symbol: String {
        switch self {
        case .below: return "<"
        case .above: return ">"
        case .atLeast: return "≥"
        case .atMost: return "≤"
        case .within: return "|·| ≤"
        }
    }

    public func holds(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        switch self {
        case let .below(t): return x < t
        case let .above(t): return x > t
        case let .atLeast(t): return x >= t
        case let .atMost(t): return x <= t
        case let .within(m): return Swift.abs(x) <= m
        }
    }
}

/// Per-seed: computed on each seed; holds in ≥ 80% of seeds (4 of 5) when there are at least 5, else in every
/// seed. Pooled: computed across seeds from one paired value per seed; holds when the one-sided 95% Student-t bound
/// of their mean lies on the claimed side. For `.within` (equivalence) it is TOST, two one-sided t-tests at 5%:
/// holds when the two-sided 90% t-interval lies inside ±margin. A t-interval over 3–5 seeds is wider than a
/// percentile bootstrap of the same values, which is too optimistic at that size; runs within a seed are never
/// resampled as if independent.
public enum ClaimKind: String, Sendable { case perSeed = "per-seed", pooled }

/// A claim, declared in code before any run.
public struct ClaimSpec: Sendable {
    public var id: String
    /// The claim in the words of the finding.
    public var description: String
    /// The statistic, e.g. "Drop(reverse KL) − Drop(forward KL) at Gain 0.9".
    public var statistic: String
    public var direction: ClaimDirection
    public var kind: ClaimKind
    /// What must be true for the claim to be testable at all.
    public var precondition: String
    /// Set when the finding did not reproduce after honest effort: the reason and what was tried. The claim's test
    /// then expects it to fail, and `--check` ignores it.
    public var notReproduced: String?

    public init(id: String, description: String, statistic: String, direction: ClaimDirection, kind: ClaimKind,
                precondition: String = "none", notReproduced: String? = nil) {
        self.id = id; self.description = description; self.statistic = statistic; self.direction = direction
        self.kind = kind; self.precondition = precondition; self.notReproduced = notReproduced
    }
}

/// An experiment's measurements for one claim.
public enum ClaimEvidence: Sendable {
    /// One value per seed (seed order); nil where the run diverged or the seed's precondition failed
    /// (`preconditionFailed[i]` then says why).
    case perSeed(values: [Double?], preconditionFailed: [String?])
    /// One (paired) value per seed, in seed order, whose mean the t-bound tests; `precondition` is nil when met, else
    /// the reason.
    case pooled(values: [Double], precondition: String?)
    /// The claim cannot be judged in this run (e.g. a method it compares is not among the run's methods): inconclusive.
    case unavailable(reason: String)

    /// Per-seed evidence over `seeds` (one result each, in seed order): `precondition` says why a seed cannot be
    /// tested (nil when it can), `value` measures the others.
    public static func perSeed<T>(_ seeds: [T], value: (T) -> Double?, precondition: (T) -> String? = { _ in nil }) -> ClaimEvidence {
        var values: [Double?] = [], failed: [String?] = []
        for r in seeds {
            if let why = precondition(r) { values.append(nil); failed.append(why) } else { values.append(value(r)); failed.append(nil) }
        }
        return .perSeed(values: values, preconditionFailed: failed)
    }

    /// Evidence for a claim that compares the named methods: `measure()` when the run has every one of them, else
    /// `.unavailable` naming the missing ones.
    public static func comparing(_ names: [String], in available: [String], _ measure: () -> ClaimEvidence) -> ClaimEvidence {
        let missing = names.filter { !available.contains($0) }
        guard missing.isEmpty else {
            return .unavailable(reason: "method\(missing.count > 1 ? "s" : "") \(missing.map { "'\($0)'" }.joined(separator: ", ")) not in this run's methods (\(available.joined(separator: ", ")))")
        }
        return measure()
    }
}

public enum Verdict: String, Sendable { case holds, fails, inconclusive }

/// One row of claims.csv.
public struct ClaimResult: Sendable {
    public var spec: ClaimSpec
    public var value: Double
    /// The bound or interval actually compared (pooled), or the threshold (per-seed).
    public var bound: String
    public var seedsHolding: Int, seedsTotal: Int
    public var verdict: Verdict
    public var note: String
}

public enum ClaimEvaluator {
    /// Seeds that must hold for a per-seed claim: 80% (rounded up) from 5 seeds on, else all.
    public static func required(seeds n: Int) -> Int { n >= 5 ? Int((0.8 * Double(n)).rounded(.up)) : n }

    public static func evaluate(_ spec: ClaimSpec, _ evidence: ClaimEvidence?) -> ClaimResult {
        guard let evidence else {
            return ClaimResult(spec: spec, value: .nan, bound: "", seedsHolding: 0, seedsTotal: 0, verdict: .inconclusive,
                               note: "no evidence was produced")
        }
        switch evidence {
        case let .unavailable(reason):
            return ClaimResult(spec: spec, value: .nan, bound: "", seedsHolding: 0, seedsTotal: 0, verdict: .inconclusive, note: reason)
        case let .perSeed(values, failed):
            let n = values.count
            let measured = values.compactMap { $0 }.filter { $0.isFinite }
            let holding = values.filter { $0.map(spec.direction.holds) ?? false }.count
            // seeds whose precondition held; a diverged seed (nil value, precondition met) is testable and fails
            let testable = (0..<n).filter { i in i >= failed.count || failed[i] == nil }.count
            let need = required(seeds: n)
            let verdict: Verdict = holding >= need ? .holds : (testable < need ? .inconclusive : .fails)
            let reasons = Set(failed.compactMap { $0 }).sorted()
            return ClaimResult(spec: spec, value: measured.isEmpty ? .nan : Statistics.mean(measured),
                               bound: "\(spec.direction.symbol) \(format(spec.direction.threshold)) in ≥ \(need) of \(n) seeds",
                               seedsHolding: holding, seedsTotal: n, verdict: verdict,
                               note: reasons.isEmpty ? "" : "precondition failed: " + reasons.joined(separator: "; "))
        case let .pooled(values, precondition):
            let n = values.count
            let mean = n > 0 ? Statistics.mean(values) : .nan
            let holding = values.filter(spec.direction.holds).count
            if let precondition {
                return ClaimResult(spec: spec, value: mean, bound: "", seedsHolding: holding, seedsTotal: n,
                                   verdict: .inconclusive, note: "precondition failed: \(precondition)")
            }
            guard n >= 2, values.allSatisfy({ $0.isFinite }) else {
                return ClaimResult(spec: spec, value: mean, bound: "", seedsHolding: holding, seedsTotal: n,
                                   verdict: .fails, note: "fewer than 2 finite values (diverged runs count as failing)")
            }
            let holds: Bool, bound: String
            switch spec.direction {
            case let .below(t), let .atMost(t):
                let upper = Statistics.tBound(values, side: .upper, level: 0.95)
                holds = upper < t || (upper <= t && spec.direction == .atMost(t)); bound = "95% upper t-bound \(format(upper))"
            case let .above(t), let .atLeast(t):
                let lower = Statistics.tBound(values, side: .lower, level: 0.95)
                holds = lower > t || (lower >= t && spec.direction == .atLeast(t)); bound = "95% lower t-bound \(format(lower))"
            case let .within(m):
                let ci = Statistics.tInterval(values, level: 0.90)
                holds = ci.lower >= -m && ci.upper <= m; bound = "TOST: 90% t-interval [\(format(ci.lower)), \(format(ci.upper))]"
            }
            return ClaimResult(spec: spec, value: mean, bound: bound, seedsHolding: holding, seedsTotal: n,
                               verdict: holds ? .holds : .fails, note: "")
        }
    }

    static func format(_ x: Double) -> String { x.isFinite ? String(format: "%.4g", x) : "\(x)" }
}

/// Comparisons at a matched quantity (matched accuracy, Gain or KL), the one rule every experiment uses: each
/// method's trade-off curve is interpolated piecewise-linearly in the matched quantity, methods are compared at the
/// highest level every compared method reaches, and a method that never reaches a level is reported (nil), never
/// extrapolated.
public enum Matched {
    /// y at the first point where the curve (in its given order: iterations, or a sweep sorted by x) reaches
    /// `level` in x, interpolated linearly between that point and the one before it. nil if never reached.
    public static func value(at level: Double, along curve: [(x: Double, y: Double)]) -> Double? {
        guard let i = curve.firstIndex(where: { $0.x >= level }) else { return nil }
        if i == 0 || curve[i].x == level { return curve[i].y }
        let (a, b) = (curve[i - 1], curve[i])
        let t = (level - a.x) / (b.x - a.x)
        return a.y + t * (b.y - a.y)
    }

    /// A sweep's trade-off curve: points sorted by x (ties by y), then interpolated by `value(at:along:)`.
    public static func value(at level: Double, sweep points: [(x: Double, y: Double)]) -> Double? {
        value(at: level, along: points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { ($0.x, $0.y) < ($1.x, $1.y) })
    }

    /// The highest level every curve reaches (the minimum over curves of their maximum x); nil if any is empty.
    public static func commonLevel(_ curves: [[(x: Double, y: Double)]]) -> Double? {
        var level = Double.infinity
        for c in curves {
            guard let m = c.map(\.x).filter(\.isFinite).max() else { return nil }
            level = Swift.min(level, m)
        }
        return level.isFinite ? level : nil
    }
}
