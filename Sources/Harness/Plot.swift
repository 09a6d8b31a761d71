import Foundation

// A small, dependency-free SVG plotting library for redrawing papers' figures from our numbers.
//
// Output is plain static SVG 1.1 (no scripts, no external fonts or CSS, all text in <text> elements with
// font-family="sans-serif"), so it renders the same in a browser and on GitHub. Output is byte-deterministic:
// every number goes through one fixed formatter (`PlotText.number`), nothing iterates a dictionary, and ids are
// fixed strings, so the same input always gives the same bytes.
//
// Types: `AxisScale`, `Palette`, `Series`, `PlotLegendPosition` (this file), `LinePlot`, `ScatterPlot`,
// `PanelGrid` (Plot+LinePlot.swift), `BarChart` (Plot+BarChart.swift). Internal helpers are prefixed `Plot`.

/// How an axis maps data values to positions.
public enum AxisScale: Equatable, Sendable {
    /// Evenly spaced values; ticks at 1, 2 or 5 × 10^k steps.
    case linear
    /// Base-10 logarithmic; ticks at decades (plus 2× and 5× when the range spans few decades).
    /// Non-positive values cannot be drawn on a log axis and are skipped.
    case log10
}

/// Where a plot's legend box goes.
public enum PlotLegendPosition: Equatable, Sendable {
    /// The corner of the plot area whose box covers the fewest drawn data points (ties go, in order, to top-right,
    /// top-left, bottom-right, bottom-left); if every corner would cover data, `.outsideRight` (line and scatter
    /// plots) or extra headroom above the bars (bar charts).
    case auto
    /// Inside the plot area, in that corner.
    case topRight, topLeft, bottomRight, bottomLeft
    /// To the right of the plot area (the plot area narrows to make room; the image keeps its size).
    case outsideRight
    /// No legend at all.
    case none
}

/// The Tableau-10 colour cycle (matplotlib's "tab10"), used for series that do not set their own colour.
public struct Palette {
    /// The ten colours as lowercase `#rrggbb` hex strings, in cycle order.
    public static let colors: [String] = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// The `i`-th colour of the cycle (wraps around every 10; negative `i` wraps too).
    public static func color(_ i: Int) -> String {
        let n = colors.count
        return colors[((i % n) + n) % n]
    }
}

/// One named data series.
///
/// In a `LinePlot` it is drawn as a line through `points` in the order given (the caller sorts by x), broken wherever a
/// coordinate is NaN, infinite, or non-positive on a log axis; optionally with a shaded `band` (e.g. min–max or a
/// confidence interval across seeds), a cloud of individual `scatter` points (e.g. the per-seed values) drawn as
/// small semi-transparent circles, a dashed line, and markers on the line's points. In a `ScatterPlot` a series is a
/// group of points (`points`, drawn as markers, no line).
public struct Series {
    /// Legend label. A series with an empty name gets no legend entry.
    public var name: String
    /// The line's vertices, drawn in this order.
    public var points: [(x: Double, y: Double)]
    /// Shaded band: one (x, lower, upper) per x, drawn as a filled polygon in the series colour at 20% opacity.
    public var band: [(x: Double, lower: Double, upper: Double)]
    /// Individual points drawn as small circles in the series colour at 35% opacity (no line).
    public var scatter: [(x: Double, y: Double)]
    /// Draw the line dashed.
    public var dashed: Bool
    /// Draw a filled circle on each vertex of the line.
    public var markers: Bool
    /// Any SVG colour (e.g. "#1f77b4" or "black"); nil = `Palette.color(index of the series in its plot)`.
    public var color: String?

    /// A series; every argument but `name` has a default (empty data, solid line, no markers, palette colour).
    public init(name: String,
                points: [(x: Double, y: Double)] = [],
                band: [(x: Double, lower: Double, upper: Double)] = [],
                scatter: [(x: Double, y: Double)] = [],
                dashed: Bool = false,
                markers: Bool = false,
                color: String? = nil) {
        self.name = name
        self.points = points
        self.band = band
        self.scatter = scatter
        self.dashed = dashed
        self.markers = markers
        self.color = color
    }

    /// A series from parallel arrays: `points[i] = (x[i], y[i])` for i < min(x.count, y.count).
    public init(name: String, x: [Double], y: [Double],
                dashed: Bool = false, markers: Bool = false, color: String? = nil) {
        self.init(name: name, points: Array(zip(x, y)).map { (x: $0.0, y: $0.1) },
                  dashed: dashed, markers: markers, color: color)
    }
}

// MARK: - Internal helpers

/// Text helpers: the one number formatter, XML escaping, and a rough text-width estimate for layout.
enum PlotText {
    static let fontFamily = "sans-serif"

    /// A coordinate with at most two decimals, trailing zeros trimmed ("12", "12.5", "-0.25"); never "-0";
    /// non-finite values become "0". Deterministic and locale-independent (integer arithmetic only).
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        return fixed(v, decimals: 2, trim: true, minus: "-")
    }

    /// `v` with exactly `decimals` decimals (or trimmed of trailing zeros when `trim`), using `minus` as the sign.
    static func fixed(_ v: Double, decimals: Int, trim: Bool = false, minus: String = "\u{2212}") -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "inf" : minus + "inf") }
        let d = max(0, min(decimals, 12))
        var p = 1.0
        for _ in 0..<d { p *= 10 }
        let scaled = (abs(v) * p).rounded()
        if scaled >= 9.0e15 {
            // Too large for exact integer arithmetic: fall back to the C formatter (fixed "%.Nf", locale-free).
            let s = String(format: "%.\(d)f", abs(v))
            return (v < 0 ? minus : "") + s
        }
        let n = UInt64(scaled)
        let pi = UInt64(p)
        let whole = n / pi
        var frac = ""
        if d > 0 {
            let f = String(n % pi)
            frac = String(repeating: "0", count: d - f.count) + f
            if trim { while frac.hasSuffix("0") { frac.removeLast() } }
        }
        let body = frac.isEmpty ? String(whole) : "\(whole).\(frac)"
        return (v < 0 && n != 0 ? minus : "") + body
    }

    /// Escapes &, <, >, ", ' and drops characters that XML 1.0 forbids (most ASCII control characters).
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(" ")
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Rough rendered width of `s` at `size` px in a generic sans-serif font (errs wide, as DejaVu Sans is).
    static func width(_ s: String, size: Double) -> Double {
        var w = 0.0
        for u in s.unicodeScalars {
            switch u {
            case "i", "j", "l", "I", "!", "|", ".", ",", ":", ";", "'", "`": w += 0.30
            case "f", "t", "r", "(", ")", "[", "]", "{", "}", " ", "-", "/": w += 0.38
            case "m", "w", "M", "W", "@", "%", "\u{00D7}": w += 0.88
            case "A"..."Z": w += 0.70
            case "0"..."9": w += 0.64
            case "\u{2070}"..."\u{209F}", "\u{00B9}", "\u{00B2}", "\u{00B3}": w += 0.42
            default: w += 0.60
            }
        }
        return w * size
    }

    static let superscriptDigits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]

    /// An integer in Unicode superscript digits ("⁻³").
    static func superscript(_ n: Int) -> String {
        var s = n < 0 ? "⁻" : ""
        for c in String(abs(n)) { s.append(superscriptDigits[Int(String(c))!]) }
        return s
    }
}

/// Accumulates SVG markup line by line.
struct PlotSVGWriter {
    var out = ""

    mutating func raw(_ s: String) {
        out += s
        out += "\n"
    }

    /// Root element + white background. Width/height are used as given (rounded to 2 decimals).
    mutating func open(width: Double, height: Double) {
        let w = PlotText.number(width), h = PlotText.number(height)
        raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        raw("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(w)\" height=\"\(h)\" "
            + "viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\">")
        raw("<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>")
    }

    mutating func close() { raw("</svg>") }

    /// A <text> element; `anchor` is start|middle|end; `rotate` (degrees) turns it about (x, y).
    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String = "start",
                       bold: Bool = false, fill: String = "#222222", rotate: Double? = nil) {
        let n = PlotText.number
        var attrs: String
        if let r = rotate {
            attrs = "x=\"0\" y=\"0\" transform=\"translate(\(n(x)),\(n(y))) rotate(\(n(r)))\""
        } else {
            attrs = "x=\"\(n(x))\" y=\"\(n(y))\""
        }
        attrs += " font-family=\"sans-serif\" font-size=\"\(n(size))\""
        if anchor != "start" { attrs += " text-anchor=\"\(anchor)\"" }
        if bold { attrs += " font-weight=\"bold\"" }
        attrs += " fill=\"\(PlotText.escape(fill))\""
        raw("<text \(attrs)>\(PlotText.escape(s))</text>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double,
                       dash: String? = nil) {
        let n = PlotText.number
        var s = "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(PlotText.escape(stroke))\" "
            + "stroke-width=\"\(n(width))\""
        if let d = dash { s += " stroke-dasharray=\"\(d)\"" }
        raw(s + "/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, fillOpacity: Double? = nil,
                       stroke: String? = nil, strokeWidth: Double = 1) {
        let n = PlotText.number
        var s = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, w)))\" height=\"\(n(max(0, h)))\" "
            + "fill=\"\(PlotText.escape(fill))\""
        if let o = fillOpacity { s += " fill-opacity=\"\(n(o))\"" }
        if let st = stroke { s += " stroke=\"\(PlotText.escape(st))\" stroke-width=\"\(n(strokeWidth))\"" }
        raw(s + "/>")
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, fillOpacity: Double? = nil,
                         stroke: String? = nil, strokeWidth: Double = 1) {
        let n = PlotText.number
        var s = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(PlotText.escape(fill))\""
        if let o = fillOpacity { s += " fill-opacity=\"\(n(o))\"" }
        if let st = stroke { s += " stroke=\"\(PlotText.escape(st))\" stroke-width=\"\(n(strokeWidth))\"" }
        raw(s + "/>")
    }
}
