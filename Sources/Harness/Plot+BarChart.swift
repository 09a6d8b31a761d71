import Foundation

/// A grouped bar chart: `categories` along x; within each category one bar per group, side by side, in group order;
/// optional error bars. The y axis is linear and always contains 0 (bars grow from 0, downwards for negative values).
///
///     BarChart(title: "Win rate", yLabel: "win rate", categories: ["7B", "13B"], groups: [
///         BarChart.Group(name: "SFT", values: [0.41, 0.47]),
///         BarChart.Group(name: "DPO", values: [0.55, 0.61], errorLow: [0.52, 0.58], errorHigh: [0.58, 0.64]),
///     ]).svg()
public struct BarChart {
    /// One group (one bar per category, same colour).
    public struct Group {
        /// Legend label; empty = no legend entry.
        public var name: String
        /// `values[i]` is the bar height in category i. Missing (short array) or NaN/infinite values draw no bar.
        public var values: [Double]
        /// Error bar bottoms as ABSOLUTE y values (not offsets from the value): the whisker runs from
        /// `errorLow[i]` to `errorHigh[i]`. nil = no lower whisker. If only one side is given the whisker runs from
        /// the value to it. NaN entries are skipped.
        public var errorLow: [Double]?
        /// Error bar tops as ABSOLUTE y values; nil = no upper whisker.
        public var errorHigh: [Double]?
        /// Any SVG colour; nil = `Palette.color(index of the group)`.
        public var color: String?

        public init(name: String, values: [Double], errorLow: [Double]? = nil, errorHigh: [Double]? = nil,
                    color: String? = nil) {
            self.name = name
            self.values = values
            self.errorLow = errorLow
            self.errorHigh = errorHigh
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Category labels along x, in order (rotated when they do not fit side by side).
    public var categories: [String]
    public var groups: [Group]
    /// Explicit y range; nil (or unusable) = 0 and the data (including error bars) plus 5% padding, with extra
    /// headroom when the legend would otherwise cover bars.
    public var yRange: ClosedRange<Double>?
    public var width: Double
    public var height: Double
    /// Legend placement; `.auto` = a top corner, with headroom added above the bars if both would cover them.
    public var legendPosition: PlotLegendPosition

    public init(title: String = "", xLabel: String = "", yLabel: String = "", categories: [String],
                groups: [Group], yRange: ClosedRange<Double>? = nil, width: Double = 640, height: Double = 420,
                legendPosition: PlotLegendPosition = .auto) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.groups = groups
        self.yRange = yRange
        self.width = width
        self.height = height
        self.legendPosition = legendPosition
    }

    private var colors: [String] { groups.enumerated().map { $1.color ?? Palette.color($0) } }

    private var legendEntries: [PlotLegendEntry] {
        let cs = colors
        return groups.enumerated().compactMap { i, g in
            g.name.isEmpty ? nil : PlotLegendEntry(name: g.name, color: cs[i], kind: .box)
        }
    }

    /// A bar's pixel rectangle and whiskers.
    private struct Bar {
        var x: Double, w: Double, y0: Double, y1: Double
        var color: String
        var whisker: (low: Double, high: Double)?
    }

    private func frame(headroom: Double) -> PlotFrame {
        var ys: [Double] = []
        for g in groups {
            ys += g.values
            ys += g.errorLow ?? []
            ys += g.errorHigh ?? []
        }
        var r = PlotAxis.resolveRange(ys, scale: .linear, explicit: yRange, anchorZero: true)
        if headroom > 0 { r.upper = r.lower + (r.upper - r.lower) / (1 - headroom) }
        let n = Double(max(1, categories.count))
        return PlotFrame.make(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                              x: PlotAxis(scale: .linear, lower: 0, upper: n),
                              y: PlotAxis(scale: .linear, lower: r.lower, upper: r.upper),
                              categories: categories)
    }

    private func bars(_ f: PlotFrame) -> [Bar] {
        let slot = f.plotW / Double(max(1, categories.count))
        let g = Double(max(1, groups.count))
        let barW = slot * 0.8 / g
        let cs = colors
        var out: [Bar] = []
        guard let zero = f.py(0) else { return out }
        for (j, grp) in groups.enumerated() {
            for i in 0..<min(categories.count, grp.values.count) {
                let v = grp.values[i]
                guard let top = f.py(v) else { continue }
                let x = f.left + (Double(i) + 0.1) * slot + Double(j) * barW
                var whisker: (Double, Double)? = nil
                let lo = grp.errorLow.flatMap { i < $0.count ? f.py($0[i]) : nil }
                let hi = grp.errorHigh.flatMap { i < $0.count ? f.py($0[i]) : nil }
                if lo != nil || hi != nil { whisker = (lo ?? top, hi ?? top) }
                out.append(Bar(x: x + barW * 0.05, w: barW * 0.9, y0: min(zero, top), y1: max(zero, top),
                               color: cs[j], whisker: whisker))
            }
        }
        return out
    }

    private static func samples(_ bars: [Bar]) -> [(Double, Double)] {
        var s: [(Double, Double)] = []
        for b in bars {
            let nx = min(40, max(1, Int(b.w / 6))), ny = min(200, max(1, Int((b.y1 - b.y0) / 6)))
            for i in 0...nx {
                for j in 0...ny {
                    s.append((b.x + b.w * Double(i) / Double(nx), b.y0 + (b.y1 - b.y0) * Double(j) / Double(ny)))
                }
            }
            if let wh = b.whisker { s.append((b.x + b.w / 2, wh.low)); s.append((b.x + b.w / 2, wh.high)) }
        }
        return s
    }

    /// The complete SVG document.
    public func svg() -> String {
        var f = frame(headroom: 0)
        var bs = bars(f)
        let entries = legendEntries
        let topCorners: [PlotFrame.Corner]
        switch legendPosition {
        case .auto: topCorners = [.topRight, .topLeft]
        case .topRight: topCorners = [.topRight]
        case .topLeft: topCorners = [.topLeft]
        default: topCorners = []
        }
        if yRange == nil && !entries.isEmpty && !topCorners.isEmpty {
            // If every top corner the legend may use would cover a bar, make room above the tallest bar.
            let size = PlotFrame.legendSize(entries)
            let s = BarChart.samples(bs)
            let corners = topCorners
            let covered = corners.allSatisfy { PlotFrame.coverage(f.rect(at: $0, size: size), s) > 0 }
            if covered && f.plotH > 0 {
                let frac = min(0.6, (size.h + 14) / f.plotH)
                f = frame(headroom: frac)
                bs = bars(f)
            }
        }
        if legendPosition == .outsideRight && !entries.isEmpty {
            f = f.reserving(right: PlotFrame.legendSize(entries).w + 10)
            bs = bars(f)
        }
        var w = PlotSVGWriter()
        w.open(width: f.width, height: f.height)
        f.clipDef(&w, id: "bar-clip")
        f.drawGrid(&w)
        let n = PlotText.number
        w.raw("<g clip-path=\"url(#bar-clip)\">")
        for b in bs {
            w.rect(b.x, b.y0, b.w, b.y1 - b.y0, fill: b.color)
        }
        for b in bs {
            guard let wh = b.whisker else { continue }
            let cx = b.x + b.w / 2, cap = max(2, b.w * 0.2)
            w.line(cx, wh.low, cx, wh.high, stroke: "#222222", width: 1.2)
            w.line(cx - cap, wh.low, cx + cap, wh.low, stroke: "#222222", width: 1.2)
            w.line(cx - cap, wh.high, cx + cap, wh.high, stroke: "#222222", width: 1.2)
        }
        w.raw("</g>")
        if f.y.lower < 0, f.y.upper > 0, let z = f.py(0) {
            w.raw("<line x1=\"\(n(f.left))\" y1=\"\(n(z))\" x2=\"\(n(f.left + f.plotW))\" y2=\"\(n(z))\" "
                + "stroke=\"#444444\" stroke-width=\"1\"/>")
        }
        f.drawAxes(&w)
        f.drawLegendAndAnnotations(&w, entries: entries, position: legendPosition, annotations: [],
                                   samples: BarChart.samples(bs))
        w.close()
        return w.out
    }
}
