import Foundation

/// A line plot: one line per `Series`, each optionally with a shaded band, a cloud of individual points, dashes and
/// markers; linear or log axes; a legend of the named series; optional annotation lines in a corner.
///
///     var p = LinePlot(title: "Reward vs. KL", xLabel: "KL", yLabel: "reward", series: [
///         Series(name: "PPO", points: [(0, 0.1), (1, 0.5)], band: [(0, 0.05, 0.15), (1, 0.4, 0.6)]),
///     ])
///     p.xScale = .log10
///     let text = p.svg()
public struct LinePlot {
    /// Drawn bold above the plot; empty = no title (and no space for it).
    public var title: String
    /// Centred under the x axis; empty = none.
    public var xLabel: String
    /// Centred beside the y axis, rotated; empty = none.
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    /// Explicit x range; nil (or unusable: empty, non-finite, ≤ 0 on a log axis) = data extent plus 5% padding.
    public var xRange: ClosedRange<Double>?
    /// Explicit y range; nil (or unusable) = data extent plus 5% padding. Data outside the range is clipped.
    public var yRange: ClosedRange<Double>?
    /// The series, drawn in order (later ones on top); colours default to `Palette.color(index)`.
    public var series: [Series]
    /// Outer size in px (clamped to 160…100000 × 120…100000; non-finite → 640 × 420).
    public var width: Double
    public var height: Double
    /// Extra text lines drawn in a boxed corner of the plot area (e.g. "R² = 0.93"); empty lines are skipped.
    public var annotations: [String]
    /// Legend placement; `.auto` = least-covered corner, or outside on the right if every corner covers data.
    /// Series with empty names get no entry.
    public var legendPosition: PlotLegendPosition

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                series: [Series] = [], width: Double = 640, height: Double = 420,
                annotations: [String] = [], legendPosition: PlotLegendPosition = .auto) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xRange = xRange
        self.yRange = yRange
        self.series = series
        self.width = width
        self.height = height
        self.annotations = annotations
        self.legendPosition = legendPosition
    }

    /// The complete SVG document.
    public func svg() -> String {
        var w = PlotSVGWriter()
        let frame = layout()
        w.open(width: frame.width, height: frame.height)
        render(&w, frame: frame, idPrefix: "plot")
        w.close()
        return w.out
    }

    /// The frame (size, margins, axes with ticks) this plot is drawn in.
    func layout() -> PlotFrame {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for p in s.points { xs.append(p.x); ys.append(p.y) }
            for b in s.band { xs.append(b.x); ys.append(b.lower); ys.append(b.upper) }
            for p in s.scatter { xs.append(p.x); ys.append(p.y) }
        }
        let xr = PlotAxis.resolveRange(xs, scale: xScale, explicit: xRange)
        let yr = PlotAxis.resolveRange(ys, scale: yScale, explicit: yRange)
        return PlotFrame.make(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                              x: PlotAxis(scale: xScale, lower: xr.lower, upper: xr.upper),
                              y: PlotAxis(scale: yScale, lower: yr.lower, upper: yr.upper))
    }

    /// Draws everything but the root element and background into `w` (ids are prefixed with `idPrefix`).
    func render(_ w: inout PlotSVGWriter, frame: PlotFrame, idPrefix: String) {
        let layers = series.enumerated().map { PlotLayer(series: $1, color: $1.color ?? Palette.color($0), asLine: true) }
        PlotRender.draw(&w, frame: frame, layers: layers, annotations: annotations, legend: legendPosition,
                        idPrefix: idPrefix)
    }
}

/// Shared drawing sequence of line and scatter plots.
enum PlotRender {
    static func draw(_ w: inout PlotSVGWriter, frame: PlotFrame, layers: [PlotLayer], annotations: [String],
                     legend: PlotLegendPosition, idPrefix: String) {
        let entries = layers.compactMap { $0.legendEntry }
        var frame = frame
        var position = legend
        if !entries.isEmpty && legend == .auto {
            // Move the legend outside when every corner would cover more than a few drawn points.
            var scratch = PlotSVGWriter()
            let samples = frame.drawLayers(layers, &scratch, clipID: "")
            let size = PlotFrame.legendSize(entries)
            let best = PlotFrame.Corner.allCases.map { PlotFrame.coverage(frame.rect(at: $0, size: size), samples) }.min() ?? 0
            if best > 3 { position = .outsideRight }
        }
        if position == .outsideRight && !entries.isEmpty {
            frame = frame.reserving(right: PlotFrame.legendSize(entries).w + 10)
        }
        let clipID = idPrefix + "-clip"
        frame.clipDef(&w, id: clipID)
        frame.drawGrid(&w)
        let samples = frame.drawLayers(layers, &w, clipID: clipID)
        frame.drawAxes(&w)
        frame.drawLegendAndAnnotations(&w, entries: entries, position: position, annotations: annotations,
                                       samples: samples)
    }
}

/// A scatter plot: groups of points (each a `Series`; its `points` are drawn as dots, no line; its `scatter`, if
/// any, as fainter small dots) plus optional curves (functions, e.g. fitted power laws) sampled at 200 x values
/// evenly spaced over the x range (log-spaced on a log x axis).
///
/// Axis ranges, when not given, come from the groups' data only (curves are clipped to it); if there are no group
/// points, from the curves.
public struct ScatterPlot {
    /// A function drawn as a line over the plot's x range. Values that are NaN/infinite (or ≤ 0 on a log y axis)
    /// break the line.
    public struct Curve {
        /// Legend label; empty = no legend entry.
        public var name: String
        /// nil = the same colour as the group with the same index (`Palette.color(index)`), so curve i reads as
        /// the fit of group i.
        public var color: String?
        /// Dashed by default, so that fits read as fits.
        public var dashed: Bool
        public var f: (Double) -> Double

        public init(name: String, color: String? = nil, dashed: Bool = true, f: @escaping (Double) -> Double) {
            self.name = name
            self.color = color
            self.dashed = dashed
            self.f = f
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    /// nil (or unusable) = extent of the groups' points plus 5% padding.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// The point groups; colours default to `Palette.color(index)`. `band`, `dashed`, `markers` are ignored.
    public var groups: [Series]
    public var curves: [Curve]
    public var width: Double
    public var height: Double
    /// Extra text lines drawn in a boxed corner (e.g. "slope = −0.31").
    public var annotations: [String]
    public var legendPosition: PlotLegendPosition

    public init(title: String = "", xLabel: String = "", yLabel: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                groups: [Series] = [], curves: [Curve] = [], width: Double = 640, height: Double = 420,
                annotations: [String] = [], legendPosition: PlotLegendPosition = .auto) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xRange = xRange
        self.yRange = yRange
        self.groups = groups
        self.curves = curves
        self.width = width
        self.height = height
        self.annotations = annotations
        self.legendPosition = legendPosition
    }

    /// The complete SVG document.
    public func svg() -> String {
        var xs: [Double] = [], ys: [Double] = []
        for g in groups {
            for p in g.points { xs.append(p.x); ys.append(p.y) }
            for p in g.scatter { xs.append(p.x); ys.append(p.y) }
        }
        let xr = PlotAxis.resolveRange(xs, scale: xScale, explicit: xRange)
        let xAxis = PlotAxis(scale: xScale, lower: xr.lower, upper: xr.upper)
        var layers = groups.enumerated().map {
            PlotLayer(series: $1, color: $1.color ?? Palette.color($0), asLine: false)
        }
        var curveYs: [Double] = []
        for (i, c) in curves.enumerated() {
            let pts = ScatterPlot.sample(c.f, axis: xAxis, count: 200)
            curveYs += pts.map { $0.y }
            layers.append(PlotLayer(series: Series(name: c.name, points: pts, dashed: c.dashed),
                                    color: c.color ?? Palette.color(i), asLine: true))
        }
        let drawableY = ys.contains { $0.isFinite && (yScale == .linear || $0 > 0) }
        let yr = PlotAxis.resolveRange(drawableY ? ys : curveYs, scale: yScale, explicit: yRange)
        let frame = PlotFrame.make(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                                   x: xAxis, y: PlotAxis(scale: yScale, lower: yr.lower, upper: yr.upper))
        var w = PlotSVGWriter()
        w.open(width: frame.width, height: frame.height)
        PlotRender.draw(&w, frame: frame, layers: layers, annotations: annotations, legend: legendPosition,
                        idPrefix: "scatter")
        w.close()
        return w.out
    }

    /// `count` points (x, f(x)) with x evenly spaced over the axis range (in log space on a log axis).
    static func sample(_ f: (Double) -> Double, axis: PlotAxis, count: Int) -> [(x: Double, y: Double)] {
        guard let lo = axis.transformed(axis.lower), let hi = axis.transformed(axis.upper), count >= 2 else { return [] }
        return (0..<count).map { i in
            let t = lo + (hi - lo) * Double(i) / Double(count - 1)
            let x = axis.scale == .log10 ? pow(10, t) : t
            return (x: x, y: f(x))
        }
    }
}

/// Several line plots side by side in one SVG, in a grid filled row by row. Each panel is drawn at its own
/// `width` × `height` (cells are as large as the largest panel) inside a `<g transform="translate(…)">`, with its own
/// axes, title and legend.
public struct PanelGrid {
    /// Drawn bold above all panels; empty = none.
    public var title: String
    /// Panels per row (values < 1 count as 1).
    public var columns: Int
    public var panels: [LinePlot]

    public init(title: String = "", columns: Int, panels: [LinePlot]) {
        self.title = title
        self.columns = columns
        self.panels = panels
    }

    /// The complete SVG document.
    public func svg() -> String {
        let frames = panels.map { $0.layout() }
        let cols = max(1, min(columns, max(1, panels.count)))
        let rows = (panels.count + cols - 1) / cols
        let cellW = frames.map(\.width).max() ?? 320
        let cellH = frames.map(\.height).max() ?? 0
        let titleH = title.isEmpty ? 0.0 : 34
        let W = cellW * Double(cols), H = max(titleH + cellH * Double(rows), 40)
        var w = PlotSVGWriter()
        w.open(width: W, height: H)
        if !title.isEmpty {
            w.text(title, x: W / 2, y: 23, size: 17, anchor: "middle", bold: true)
        }
        for (i, p) in panels.enumerated() {
            let x = Double(i % cols) * cellW, y = titleH + Double(i / cols) * cellH
            w.raw("<g transform=\"translate(\(PlotText.number(x)),\(PlotText.number(y)))\">")
            p.render(&w, frame: frames[i], idPrefix: "panel\(i)")
            w.raw("</g>")
        }
        w.close()
        return w.out
    }
}
