import Foundation

/// A labelled tick: its data value and the text drawn beside it.
struct PlotTick: Equatable {
    var value: Double
    var label: String
}

/// A resolved axis: scale, data range (lower < upper, both > 0 on a log axis), and ticks.
struct PlotAxis {
    var scale: AxisScale
    var lower: Double
    var upper: Double
    /// Labelled ticks (also where grid lines go).
    var major: [PlotTick] = []
    /// Unlabelled small ticks (log axes: 2…9 × 10^k).
    var minor: [Double] = []

    init(scale: AxisScale, lower: Double, upper: Double) {
        self.scale = scale
        self.lower = lower
        self.upper = upper
    }

    /// The value in axis space (log10 on a log axis); nil when it cannot be drawn (NaN, ±inf, ≤ 0 on a log axis).
    func transformed(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        switch scale {
        case .linear: return v
        case .log10: return v > 0 ? Foundation.log10(v) : nil
        }
    }

    /// Position along the axis: 0 at `lower`, 1 at `upper` (clamped to [-1000, 1001] so far-away points stay
    /// finite for the renderer; the plot clips them). Nil when the value cannot be drawn.
    func fraction(_ v: Double) -> Double? {
        guard let t = transformed(v), let lo = transformed(lower), let hi = transformed(upper), hi > lo else { return nil }
        return min(max((t - lo) / (hi - lo), -1000), 1001)
    }

    /// Resolves an axis range: `explicit` if it is usable (finite, lower < upper, lower > 0 on a log axis),
    /// else the extent of the drawable `values` padded by `pad` of the span on each side (in log space on a log
    /// axis). No data → 0…1 (linear) or 1…10 (log); all-equal data → a small range around the value.
    /// `anchorZero` (bar charts): the range always contains 0 and is not padded past it.
    static func resolveRange(_ values: [Double], scale: AxisScale, explicit: ClosedRange<Double>?,
                             pad: Double = 0.05, anchorZero: Bool = false) -> (lower: Double, upper: Double) {
        if let r = explicit, r.lowerBound.isFinite, r.upperBound.isFinite, r.lowerBound < r.upperBound {
            let (lo, hi) = (r.lowerBound, r.upperBound)
            switch scale {
            case .linear:
                if abs(lo) <= 1e300, abs(hi) <= 1e300, hi - lo >= 1e-290, hi - lo > max(abs(lo), abs(hi)) * 1e-12 {
                    return (lo, hi)
                }
            case .log10:
                if lo >= 1e-290, hi <= 1e290, hi > lo * (1 + 1e-9) { return (lo, hi) }
            }
        }
        var mn = Double.infinity, mx = -Double.infinity
        for v in values where v.isFinite {
            let t: Double
            switch scale {
            case .linear: t = abs(v) < 1e-290 ? 0 : min(max(v, -1e300), 1e300)
            case .log10:
                guard v > 0 else { continue }
                t = min(max(Foundation.log10(v), -290), 290)
            }
            mn = min(mn, t)
            mx = max(mx, t)
        }
        if anchorZero && scale == .linear {
            mn = min(mn, 0)
            mx = max(mx, 0)
        }
        if mn > mx {  // no drawable data
            return scale == .linear ? (0, 1) : (1, 10)
        }
        var lo: Double, hi: Double
        let magnitude = max(abs(mn), abs(mx))
        if mx - mn <= magnitude * 1e-9 || mx - mn < 1e-280 {  // all equal (to ~9 digits)
            switch scale {
            case .linear:
                let d = magnitude > 1e-270 ? magnitude * 0.1 : 1
                lo = mn - d
                hi = mx + d
            case .log10:
                lo = mn - 0.5
                hi = mx + 0.5
            }
        } else {
            let p = (mx - mn) * pad
            lo = mn - p
            hi = mx + p
            if anchorZero && scale == .linear {
                if mn >= 0 { lo = 0 }
                if mx <= 0 { hi = 0 }
            }
        }
        switch scale {
        case .linear: return (lo, hi)
        case .log10:
            lo = min(max(lo, -295), 294)
            hi = min(max(hi, lo + 1e-6), 295)
            return (pow(10, lo), pow(10, hi))
        }
    }
}

/// Tick generation: "nice" linear ticks (1, 2, 5 × 10^k) and log ticks (decades, plus 2× and 5× when few decades).
enum PlotTicks {
    /// The nice step (m × 10^e with m ∈ {1, 2, 5}) nearest to `raw`, returned as (m, e).
    static func niceStep(_ raw: Double) -> (m: Double, e: Int) {
        guard raw.isFinite, raw > 0 else { return (1, 0) }
        var e = Int(Foundation.log10(raw).rounded(.down))
        let n = raw / pow(10, Double(e))
        let m: Double
        if n < 1.5 { m = 1 } else if n < 3 { m = 2 } else if n < 7 { m = 5 } else { m = 1; e += 1 }
        return (m, e)
    }

    /// k·m·10^e computed so that decimal values come out as the closest double (0.6, not 0.6000000000000001).
    static func value(_ k: Double, m: Double, e: Int) -> Double {
        e >= 0 ? k * m * pow(10, Double(e)) : (k * m) / pow(10, Double(-e))
    }

    /// Linear tick values in [lower, upper] with about `target` intervals, at multiples of a nice step.
    /// E.g. 0…1 with target 5 → 0, 0.2, 0.4, 0.6, 0.8, 1.
    static func linear(_ lower: Double, _ upper: Double, target: Int) -> [Double] {
        linearWithStep(lower, upper, target: target).values
    }

    static func linearWithStep(_ lower: Double, _ upper: Double, target: Int)
        -> (values: [Double], m: Double, e: Int) {
        guard lower.isFinite, upper.isFinite, upper > lower else { return ([], 1, 0) }
        let (m, e) = niceStep((upper - lower) / Double(max(target, 1)))
        let step = value(1, m: m, e: e)
        let k0 = (lower / step - 1e-9).rounded(.up)
        let k1 = (upper / step + 1e-9).rounded(.down)
        guard k1 >= k0, k1 - k0 <= 200 else { return ([lower, upper], m, e) }
        var out: [Double] = []
        var k = k0
        while k <= k1 {
            var v = value(k, m: m, e: e)
            if v == 0 { v = 0 }  // no -0
            if out.last != v { out.append(v) }
            k += 1
        }
        return (out, m, e)
    }

    /// Labels for linear ticks with step m·10^e: fixed decimals from the step ("0.0, 0.2, … 1.0", "2.0001"), or
    /// compact scientific notation ("2.5e6", "3e−5") when values reach 10^6 or all are below 10^-3.
    static func linearLabels(_ values: [Double], m: Double, e: Int) -> [String] {
        let maxAbs = values.map(abs).max() ?? 0
        let decimals = max(0, -e)
        if maxAbs < 1e6 && (maxAbs >= 1e-3 || maxAbs == 0) {
            return values.map { PlotText.fixed($0, decimals: min(decimals, 12)) }
        }
        return values.map { v in
            if v == 0 { return "0" }
            let ev = Int((Foundation.log10(abs(v)) + 1e-9).rounded(.down))
            let mant = v / pow(10, Double(ev))
            // Fewest mantissa decimals that still show the value exactly at the step's resolution.
            var d = 0
            while d < min(max(0, ev - e), 6) {
                let scaled = mant * pow(10, Double(d))
                if abs(scaled - scaled.rounded()) < 1e-6 { break }
                d += 1
            }
            return PlotText.fixed(mant, decimals: d) + "e" + (ev < 0 ? "\u{2212}" : "") + String(abs(ev))
        }
    }

    /// Label for a single log tick (see `logLabels`).
    static func logLabel(_ v: Double) -> String { logLabels([v])[0] }

    /// Labels for log ticks m × 10^e (m a small integer). If every value lies in 10^-3 … 10^4 they are plain
    /// decimals ("0.002", "1", "500"); otherwise all are powers of ten ("10⁰", "10⁵", "2×10⁻⁴"), so one axis never
    /// mixes the two styles.
    static func logLabels(_ vs: [Double]) -> [String] {
        func exponent(_ v: Double) -> Int { Int((Foundation.log10(v) + 1e-9).rounded(.down)) }
        let plain = vs.allSatisfy { v in v > 0 && v.isFinite && (-3...4).contains(exponent(v)) }
        return vs.map { v in
            guard v > 0, v.isFinite else { return "" }
            let e = exponent(v)
            if plain { return PlotText.fixed(v, decimals: max(0, -e)) }
            let m = (v / pow(10, Double(e))).rounded()
            let mant = m == 1 ? "" : PlotText.fixed(m, decimals: 0) + "\u{00D7}"
            return mant + "10" + PlotText.superscript(e)
        }
    }

    /// Decade tick values 10^e within [lower, upper] (both > 0). E.g. 1…1000 → 1, 10, 100, 1000.
    static func logDecades(_ lower: Double, _ upper: Double) -> [Double] {
        guard lower > 0, upper > lower, lower.isFinite, upper.isFinite else { return [] }
        let e0 = Int((Foundation.log10(lower) - 1e-9).rounded(.up))
        let e1 = Int((Foundation.log10(upper) + 1e-9).rounded(.down))
        guard e1 >= e0 else { return [] }
        return (e0...e1).map { pow(10, Double($0)) }
    }

    /// Candidate tick sets for a log axis, densest first; the layout takes the first whose labels fit.
    /// Each is (labelled ticks, unlabelled minor tick values).
    static func logCandidates(_ lower: Double, _ upper: Double) -> [([PlotTick], [Double])] {
        guard lower > 0, upper > lower, lower.isFinite, upper.isFinite else { return [] }
        let a = Foundation.log10(lower), b = Foundation.log10(upper)
        let e0 = Int((a - 1e-9).rounded(.up)), e1 = Int((b + 1e-9).rounded(.down))
        let inRange = { (v: Double) -> Bool in
            let t = Foundation.log10(v)
            return t >= a - 1e-9 && t <= b + 1e-9
        }
        func multiples(_ ms: [Double]) -> [Double] {
            var out: [Double] = []
            guard e1 - e0 <= 40 else { return out }
            for e in (e0 - 1)...(e1) {
                for m in ms {
                    let v = m * pow(10, Double(e))
                    if inRange(v) { out.append(v) }
                }
            }
            return out
        }
        let decades = (e1 >= e0) ? (e0...e1).map { pow(10, Double($0)) } : []
        let allMinor = multiples([2, 3, 4, 5, 6, 7, 8, 9])
        var candidates: [([PlotTick], [Double])] = []
        let ticks = { (vs: [Double]) in zip(vs, logLabels(vs)).map { PlotTick(value: $0, label: $1) } }

        if decades.count >= 2 {
            if b - a < 2.5 {
                let labelled = multiples([1, 2, 5])
                let minor = allMinor.filter { !labelled.contains($0) }
                candidates.append((ticks(labelled), minor))
            }
            let minor = (e1 - e0 <= 8) ? allMinor : []
            // Every decade, then every 2nd, 3rd, … decade (aligned to multiples of the stride).
            var stride = 1
            while stride <= max(1, decades.count) {
                let labelled = (e0...e1).filter { (($0 % stride) + stride) % stride == 0 }.map { pow(10, Double($0)) }
                if labelled.count >= 2 || stride == 1 {
                    let extra = stride == 1 ? minor : decades.filter { !labelled.contains($0) }
                    candidates.append((ticks(labelled), extra))
                }
                if labelled.count <= 2 { break }
                stride += 1
            }
            return candidates
        }
        // Less than two decades inside the range.
        let minor1 = multiples([1, 2, 3, 4, 5, 6, 7, 8, 9])
        let onetwofive = multiples([1, 2, 5])
        if onetwofive.count >= 3 {
            candidates.append((ticks(onetwofive), minor1.filter { !onetwofive.contains($0) }))
        }
        for target in stride(from: 6, through: 2, by: -1) {
            let (vals, m, e) = linearWithStep(lower, upper, target: target)
            let pos = vals.filter { $0 > 0 }
            guard !pos.isEmpty else { continue }
            let labels = linearLabels(pos, m: m, e: e)
            candidates.append((zip(pos, labels).map { PlotTick(value: $0, label: $1) },
                               minor1.filter { !pos.contains($0) }))
        }
        if candidates.isEmpty {
            candidates.append(([PlotTick(value: lower, label: logLabel(lower))], []))
        }
        return candidates
    }

    /// Candidate tick sets for a linear axis, from about `maxTarget` intervals down to 2.
    static func linearCandidates(_ lower: Double, _ upper: Double, maxTarget: Int) -> [([PlotTick], [Double])] {
        var out: [([PlotTick], [Double])] = []
        var seen: [[Double]] = []
        for target in stride(from: max(2, maxTarget), through: 2, by: -1) {
            let (vals, m, e) = linearWithStep(lower, upper, target: target)
            if seen.contains(vals) { continue }
            seen.append(vals)
            let labels = linearLabels(vals, m: m, e: e)
            out.append((zip(vals, labels).map { PlotTick(value: $0, label: $1) }, []))
        }
        return out
    }
}
