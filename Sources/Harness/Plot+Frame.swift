import Foundation

/// One legend row: a swatch (line, point or filled box) in `color`, then `name`.
struct PlotLegendEntry {
    enum Kind { case line(dashed: Bool, marker: Bool), point, box }
    var name: String
    var color: String
    var kind: Kind
}

/// A series resolved for drawing: its colour, and whether it is a line (LinePlot, fitted curves) or a group of
/// points (ScatterPlot groups).
struct PlotLayer {
    var series: Series
    var color: String
    var asLine: Bool

    var legendEntry: PlotLegendEntry? {
        guard !series.name.isEmpty else { return nil }
        return PlotLegendEntry(name: series.name, color: color,
                               kind: asLine ? .line(dashed: series.dashed, marker: series.markers) : .point)
    }
}

/// The layout of one plot: outer size, margins, axes with their chosen ticks, and the drawing of everything
/// around the data (grid, frame, ticks, labels, title, legend and annotation boxes).
struct PlotFrame {
    static let tickFont = 11.0
    static let labelFont = 13.0
    static let titleFont = 15.0
    static let tickLength = 5.0

    var width: Double
    var height: Double
    var left: Double
    var right: Double
    var top: Double
    var bottom: Double
    var x: PlotAxis
    var y: PlotAxis
    var title: String
    var xLabel: String
    var yLabel: String
    /// Categorical x axis (bar charts): labels centred at x = i + 0.5 on an axis spanning 0…count.
    var categories: [String]? = nil
    var rotateCategories = false

    var plotW: Double { width - left - right }
    var plotH: Double { height - top - bottom }

    /// Pixel x of a data value (nil if not drawable on the axis).
    func px(_ v: Double) -> Double? { x.fraction(v).map { left + $0 * plotW } }
    /// Pixel y of a data value (nil if not drawable on the axis).
    func py(_ v: Double) -> Double? { y.fraction(v).map { top + (1 - $0) * plotH } }

    /// Lays out a plot of the given outer size. `x` and `y` carry scale and range; ticks are chosen here, the densest
    /// nice set whose labels do not collide at this size.
    static func make(width: Double, height: Double, title: String, xLabel: String, yLabel: String,
                     x: PlotAxis, y: PlotAxis, categories: [String]? = nil, reserveRight: Double = 0) -> PlotFrame {
        let W = width.isFinite ? min(max(width, 160), 100_000) : 640
        let H = height.isFinite ? min(max(height, 120), 100_000) : 420
        var f = PlotFrame(width: W, height: H, left: 0, right: 20 + max(0, reserveRight), top: title.isEmpty ? 14 : 38, bottom: 0,
                          x: x, y: y, title: title, xLabel: xLabel, yLabel: yLabel, categories: categories)
        let xLabelSpace = xLabel.isEmpty ? 0.0 : 8 + labelFont
        let plainBottom = tickLength + 4 + tickFont + 8 + xLabelSpace
        f.bottom = plainBottom
        for pass in 0..<2 {
            // y ticks, given the plot height.
            let plotH = max(20, f.plotH)
            let yCands = y.scale == .log10
                ? PlotTicks.logCandidates(y.lower, y.upper)
                : PlotTicks.linearCandidates(y.lower, y.upper, maxTarget: max(4, min(10, Int((plotH / 50).rounded()))))
            let yChoice = choose(yCands) { ticks in
                let pos = ticks.compactMap { y.fraction($0.value) }.map { $0 * plotH }
                return zip(pos, pos.dropFirst()).allSatisfy { abs($1 - $0) >= tickFont + 4 }
            }
            f.y.major = yChoice.0
            f.y.minor = yChoice.1
            let yTickW = f.y.major.map { PlotText.width($0.label, size: tickFont) }.max() ?? 0
            f.left = 10 + (yLabel.isEmpty ? 0 : labelFont + 8) + yTickW + tickLength + 4
            let plotW = max(20, f.plotW)
            if let cats = categories {
                let slot = plotW / Double(max(1, cats.count))
                let widest = cats.map { PlotText.width($0, size: tickFont) }.max() ?? 0
                f.rotateCategories = f.rotateCategories || widest > slot * 0.92
                f.x.major = cats.enumerated().map { PlotTick(value: Double($0.offset) + 0.5, label: $0.element) }
                f.x.minor = []
                if f.rotateCategories && pass == 0 {
                    let extent = widest * sin(35 * Double.pi / 180) + tickFont * cos(35 * Double.pi / 180)
                    f.bottom = min(H * 0.45, 8 + extent + 6 + xLabelSpace)
                    continue
                }
                break
            }
            let xCands = x.scale == .log10
                ? PlotTicks.logCandidates(x.lower, x.upper)
                : PlotTicks.linearCandidates(x.lower, x.upper, maxTarget: max(3, min(12, Int((plotW / 70).rounded()))))
            let xChoice = choose(xCands) { ticks in
                let pos = ticks.compactMap { t in x.fraction(t.value).map { ($0 * plotW, PlotText.width(t.label, size: tickFont)) } }
                return zip(pos, pos.dropFirst()).allSatisfy { abs($1.0 - $0.0) >= ($0.1 + $1.1) / 2 + 10 }
            }
            f.x.major = xChoice.0
            f.x.minor = xChoice.1
            break
        }
        return f
    }

    /// The same plot laid out again with `extra` px more right margin (for a legend outside the plot area).
    func reserving(right extra: Double) -> PlotFrame {
        PlotFrame.make(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y,
                       categories: categories, reserveRight: extra)
    }

    /// The first candidate that `fits`, else the last (sparsest) one.
    private static func choose(_ cands: [([PlotTick], [Double])], fits: ([PlotTick]) -> Bool) -> ([PlotTick], [Double]) {
        for c in cands where fits(c.0) { return c }
        return cands.last ?? ([], [])
    }

    // MARK: Drawing

    /// Grid lines at the major ticks (and faint ones at log minor ticks), drawn under the data.
    func drawGrid(_ w: inout PlotSVGWriter) {
        let r = left + plotW, b = top + plotH
        if categories == nil {
            for v in x.minor { if let X = px(v), X > left + 0.5, X < r - 0.5 { w.line(X, top, X, b, stroke: "#f3f3f3", width: 0.8) } }
            for t in x.major { if let X = px(t.value), X > left + 0.5, X < r - 0.5 { w.line(X, top, X, b, stroke: "#e3e3e3", width: 1) } }
        }
        for v in y.minor { if let Y = py(v), Y > top + 0.5, Y < b - 0.5 { w.line(left, Y, r, Y, stroke: "#f3f3f3", width: 0.8) } }
        for t in y.major { if let Y = py(t.value), Y > top + 0.5, Y < b - 0.5 { w.line(left, Y, r, Y, stroke: "#e3e3e3", width: 1) } }
    }

    /// The <clipPath> that confines data to the plot area; use with `clip-path="url(#id)"`.
    func clipDef(_ w: inout PlotSVGWriter, id: String) {
        let n = PlotText.number
        w.raw("<defs><clipPath id=\"\(PlotText.escape(id))\"><rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotW))\" "
            + "height=\"\(n(plotH))\"/></clipPath></defs>")
    }

    /// Frame, ticks, tick labels, axis labels and title, drawn over the data.
    func drawAxes(_ w: inout PlotSVGWriter) {
        let r = left + plotW, b = top + plotH
        let tf = PlotFrame.tickFont, tl = PlotFrame.tickLength
        w.rect(left, top, plotW, plotH, fill: "none", stroke: "#444444", strokeWidth: 1)
        // x ticks
        if categories != nil {
            for t in x.major {
                guard let X = px(t.value) else { continue }
                w.line(X, b, X, b + 3, stroke: "#444444", width: 1)
                if rotateCategories {
                    w.text(t.label, x: X + tf * 0.3, y: b + 8, size: tf, anchor: "end", rotate: -35)
                } else {
                    w.text(t.label, x: X, y: b + 4 + tf, size: tf, anchor: "middle")
                }
            }
        } else {
            for v in x.minor { if let X = px(v), X >= left - 0.01, X <= r + 0.01 { w.line(X, b, X, b + tl * 0.6, stroke: "#444444", width: 0.8) } }
            for t in x.major {
                guard let X = px(t.value), X >= left - 0.01, X <= r + 0.01 else { continue }
                w.line(X, b, X, b + tl, stroke: "#444444", width: 1)
                w.text(t.label, x: X, y: b + tl + 3 + tf * 0.8, size: tf, anchor: "middle")
            }
        }
        // y ticks
        for v in y.minor { if let Y = py(v), Y >= top - 0.01, Y <= b + 0.01 { w.line(left - tl * 0.6, Y, left, Y, stroke: "#444444", width: 0.8) } }
        for t in y.major {
            guard let Y = py(t.value), Y >= top - 0.01, Y <= b + 0.01 else { continue }
            w.line(left - tl, Y, left, Y, stroke: "#444444", width: 1)
            w.text(t.label, x: left - tl - 3, y: Y + tf * 0.35, size: tf, anchor: "end")
        }
        // axis labels and title
        if !xLabel.isEmpty {
            w.text(xLabel, x: left + plotW / 2, y: height - 9, size: PlotFrame.labelFont, anchor: "middle")
        }
        if !yLabel.isEmpty {
            w.text(yLabel, x: 10 + PlotFrame.labelFont * 0.8, y: top + plotH / 2, size: PlotFrame.labelFont,
                   anchor: "middle", rotate: -90)
        }
        if !title.isEmpty {
            let tw = PlotText.width(title, size: PlotFrame.titleFont)
            // Centred over the plot area, shifted if needed to stay inside the image.
            let cx = min(max(left + plotW / 2, tw / 2 + 4), width - tw / 2 - 4)
            w.text(title, x: tw + 8 > width ? width / 2 : cx, y: 24, size: PlotFrame.titleFont, anchor: "middle", bold: true)
        }
    }

    // MARK: Legend and annotation boxes

    enum Corner: CaseIterable { case topRight, topLeft, bottomRight, bottomLeft }

    static let legendFont = 11.0
    static let legendRow = 16.0
    static let boxPad = 6.0
    static let swatchW = 22.0

    static func legendSize(_ entries: [PlotLegendEntry]) -> (w: Double, h: Double) {
        let tw = entries.map { PlotText.width($0.name, size: legendFont) }.max() ?? 0
        return (boxPad * 2 + swatchW + 6 + tw, boxPad * 2 + Double(entries.count) * legendRow - 3)
    }

    static func annotationSize(_ lines: [String]) -> (w: Double, h: Double) {
        let tw = lines.map { PlotText.width($0, size: legendFont) }.max() ?? 0
        return (boxPad * 2 + tw, boxPad * 2 + Double(lines.count) * (legendRow - 1) - 3)
    }

    func rect(at corner: Corner, size: (w: Double, h: Double)) -> (x: Double, y: Double, w: Double, h: Double) {
        let inset = 8.0
        let xl = left + inset, xr = left + plotW - inset - size.w
        let yt = top + inset, yb = top + plotH - inset - size.h
        switch corner {
        case .topRight: return (xr, yt, size.w, size.h)
        case .topLeft: return (xl, yt, size.w, size.h)
        case .bottomRight: return (xr, yb, size.w, size.h)
        case .bottomLeft: return (xl, yb, size.w, size.h)
        }
    }

    /// How many of the data sample points (pixel coordinates) fall in the rect (grown by 3 px).
    static func coverage(_ r: (x: Double, y: Double, w: Double, h: Double), _ samples: [(Double, Double)]) -> Int {
        var n = 0
        for (sx, sy) in samples where sx >= r.x - 3 && sx <= r.x + r.w + 3 && sy >= r.y - 3 && sy <= r.y + r.h + 3 { n += 1 }
        return n
    }

    static func intersects(_ a: (x: Double, y: Double, w: Double, h: Double), _ b: (x: Double, y: Double, w: Double, h: Double)) -> Bool {
        a.x < b.x + b.w + 4 && b.x < a.x + a.w + 4 && a.y < b.y + b.h + 4 && b.y < a.y + a.h + 4
    }

    /// Places the legend (at `position`, or the least-covered corner) and the annotation box (the least-covered
    /// corner not overlapping the legend), and draws both.
    func drawLegendAndAnnotations(_ w: inout PlotSVGWriter, entries: [PlotLegendEntry], position: PlotLegendPosition,
                                  annotations: [String], samples: [(Double, Double)]) {
        var legendRect: (x: Double, y: Double, w: Double, h: Double)? = nil
        if !entries.isEmpty && position != .none {
            let size = PlotFrame.legendSize(entries)
            let corner: Corner
            switch position {
            case .topRight: corner = .topRight
            case .topLeft: corner = .topLeft
            case .bottomRight: corner = .bottomRight
            case .bottomLeft: corner = .bottomLeft
            case .auto, .none, .outsideRight:
                corner = bestCorner(Corner.allCases, size: size, samples: samples, avoid: nil)
            }
            let r = position == .outsideRight ? (left + plotW + 10, top, size.w, size.h) : rect(at: corner, size: size)
            legendRect = r
            drawLegend(&w, entries: entries, rect: r)
        }
        let lines = annotations.filter { !$0.isEmpty }
        if !lines.isEmpty {
            let size = PlotFrame.annotationSize(lines)
            let order: [Corner] = [.topLeft, .bottomRight, .topRight, .bottomLeft]
            let corner = bestCorner(order, size: size, samples: samples, avoid: legendRect)
            let r = rect(at: corner, size: size)
            w.rect(r.x, r.y, r.w, r.h, fill: "#ffffff", fillOpacity: 0.85, stroke: "#bbbbbb", strokeWidth: 0.8)
            for (i, line) in lines.enumerated() {
                let base = r.y + PlotFrame.boxPad + Double(i) * (PlotFrame.legendRow - 1) + PlotFrame.legendFont * 0.85
                w.text(line, x: r.x + PlotFrame.boxPad, y: base, size: PlotFrame.legendFont)
            }
        }
    }

    private func bestCorner(_ order: [Corner], size: (w: Double, h: Double), samples: [(Double, Double)],
                            avoid: (x: Double, y: Double, w: Double, h: Double)?) -> Corner {
        var best = order[0], bestScore = Int.max
        for c in order {
            let r = rect(at: c, size: size)
            var score = PlotFrame.coverage(r, samples)
            if let a = avoid, PlotFrame.intersects(r, a) { score += 1_000_000_000 }
            if score < bestScore { best = c; bestScore = score }
        }
        return best
    }

    private func drawLegend(_ w: inout PlotSVGWriter, entries: [PlotLegendEntry], rect r: (x: Double, y: Double, w: Double, h: Double)) {
        w.rect(r.x, r.y, r.w, r.h, fill: "#ffffff", fillOpacity: 0.85, stroke: "#bbbbbb", strokeWidth: 0.8)
        let pad = PlotFrame.boxPad, sw = PlotFrame.swatchW
        for (i, e) in entries.enumerated() {
            let cy = r.y + pad + Double(i) * PlotFrame.legendRow + (PlotFrame.legendRow - 3) / 2
            let x0 = r.x + pad
            switch e.kind {
            case .line(let dashed, let marker):
                w.line(x0, cy, x0 + sw, cy, stroke: e.color, width: 2, dash: dashed ? "5 3" : nil)
                if marker { w.circle(x0 + sw / 2, cy, r: 3, fill: e.color, stroke: "#ffffff", strokeWidth: 0.8) }
            case .point:
                w.circle(x0 + sw / 2, cy, r: 3.5, fill: e.color, fillOpacity: 0.85, stroke: "#ffffff", strokeWidth: 0.6)
            case .box:
                w.rect(x0 + 4, cy - 5, sw - 8, 10, fill: e.color)
            }
            w.text(e.name, x: x0 + sw + 6, y: cy + PlotFrame.legendFont * 0.35, size: PlotFrame.legendFont)
        }
    }

    // MARK: Series

    /// Draws bands, scatter clouds, lines and markers of all layers (in that order, so lines sit on top of bands)
    /// inside a group clipped to the plot area. Returns pixel sample points of everything drawn, for legend placement.
    func drawLayers(_ layers: [PlotLayer], _ w: inout PlotSVGWriter, clipID: String) -> [(Double, Double)] {
        let n = PlotText.number
        var samples: [(Double, Double)] = []
        w.raw("<g clip-path=\"url(#\(PlotText.escape(clipID)))\">")
        // Bands.
        for layer in layers where !layer.series.band.isEmpty {
            var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
            func flush() {
                if upper.count >= 2 {
                    var d = ""
                    for (i, p) in upper.enumerated() { d += (i == 0 ? "M" : "L") + n(p.0) + " " + n(p.1) }
                    for p in lower.reversed() { d += "L" + n(p.0) + " " + n(p.1) }
                    w.raw("<path d=\"\(d)Z\" fill=\"\(PlotText.escape(layer.color))\" fill-opacity=\"0.2\" stroke=\"none\"/>")
                    samples += upper
                    samples += lower
                }
                upper.removeAll()
                lower.removeAll()
            }
            for b in layer.series.band {
                guard let X = px(b.x), let U = py(b.upper), let L = py(b.lower) else { flush(); continue }
                upper.append((X, U))
                lower.append((X, L))
            }
            flush()
        }
        // Scatter clouds.
        for layer in layers where !layer.series.scatter.isEmpty {
            for p in layer.series.scatter {
                guard let X = px(p.x), let Y = py(p.y) else { continue }
                w.circle(X, Y, r: 2.2, fill: layer.color, fillOpacity: 0.35)
                samples.append((X, Y))
            }
        }
        // Lines (or point groups).
        for layer in layers {
            let s = layer.series
            if !layer.asLine {
                for p in s.points {
                    guard let X = px(p.x), let Y = py(p.y) else { continue }
                    w.circle(X, Y, r: 3.2, fill: layer.color, fillOpacity: 0.8, stroke: "#ffffff", strokeWidth: 0.6)
                    samples.append((X, Y))
                }
                continue
            }
            var run: [(Double, Double)] = []
            func flush() {
                if run.count == 1 {
                    if !s.markers { w.circle(run[0].0, run[0].1, r: 1.8, fill: layer.color) }
                } else if run.count >= 2 {
                    var d = ""
                    for (i, p) in run.enumerated() { d += (i == 0 ? "M" : "L") + n(p.0) + " " + n(p.1) }
                    var attrs = "fill=\"none\" stroke=\"\(PlotText.escape(layer.color))\" stroke-width=\"1.8\" "
                        + "stroke-linejoin=\"round\" stroke-linecap=\"round\""
                    if s.dashed { attrs += " stroke-dasharray=\"6 4\"" }
                    w.raw("<path d=\"\(d)\" \(attrs)/>")
                    // Sample along segments (about every 8 px) for legend placement.
                    for (a, b) in zip(run, run.dropFirst()) {
                        let len = hypot(b.0 - a.0, b.1 - a.1)
                        let k = min(60, max(1, Int(len / 8)))
                        for j in 0..<k {
                            let t = Double(j) / Double(k)
                            samples.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
                        }
                    }
                }
                samples += run
                run.removeAll()
            }
            for p in s.points {
                guard let X = px(p.x), let Y = py(p.y) else { flush(); continue }
                run.append((X, Y))
            }
            flush()
        }
        // Markers on lines.
        for layer in layers where layer.asLine && layer.series.markers {
            for p in layer.series.points {
                guard let X = px(p.x), let Y = py(p.y) else { continue }
                w.circle(X, Y, r: 3, fill: layer.color, stroke: "#ffffff", strokeWidth: 0.8)
            }
        }
        w.raw("</g>")
        return samples
    }
}
