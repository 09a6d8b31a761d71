import Foundation
import Testing
@testable import Harness
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Fixtures and checks for the SVG plotting tests.
private enum PlotFixture {
    static var curve: [(x: Double, y: Double)] { (0...20).map { i in (x: Double(i) / 20, y: sin(Double(i) / 3)) } }

    static var linePlot: LinePlot {
        LinePlot(title: "Loss & reward <test>", xLabel: "step", yLabel: "value", series: [
            Series(name: "PPO", points: curve,
                   band: curve.map { (x: $0.x, lower: $0.y - 0.1, upper: $0.y + 0.1) },
                   scatter: curve.map { (x: $0.x, y: $0.y + 0.05) }, markers: true),
            Series(name: "DPO \"β=0.1\"", points: curve.map { (x: $0.x, y: $0.y * 0.5) }, dashed: true),
        ], annotations: ["R² = 0.93"])
    }

    static var scatterPlot: ScatterPlot {
        ScatterPlot(title: "Scaling", xLabel: "params", yLabel: "loss", xScale: .log10, yScale: .log10,
                    groups: [Series(name: "runs", points: [(1e3, 5), (1e4, 3), (1e5, 2), (1e6, 1.4)])],
                    curves: [ScatterPlot.Curve(name: "fit", f: { 20 * pow($0, -0.2) })],
                    annotations: ["α = 0.20"])
    }

    static var barChart: BarChart {
        BarChart(title: "Win rate", xLabel: "model", yLabel: "win rate", categories: ["small", "medium", "large"],
                 groups: [BarChart.Group(name: "SFT", values: [0.4, 0.5, 0.55]),
                          BarChart.Group(name: "DPO", values: [0.5, 0.6, 0.7], errorLow: [0.45, 0.55, 0.66],
                                         errorHigh: [0.55, 0.65, 0.74])])
    }

    static var panelGrid: PanelGrid {
        PanelGrid(title: "Stages", columns: 2, panels: [linePlot, linePlot, linePlot])
    }

    /// Parses the SVG as XML (FoundationXML when available, else a balanced-tag check); returns the root name.
    static func rootName(_ svg: String) throws -> String? {
        #if canImport(FoundationXML)
        let doc = try XMLDocument(xmlString: svg, options: [])
        return doc.rootElement()?.name
        #else
        return balancedTags(svg) ? "svg" : nil
        #endif
    }

    /// A simple well-formedness check: every opened tag is closed in order.
    static func balancedTags(_ s: String) -> Bool {
        var stack: [String] = []
        var rest = Substring(s)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("?") || tag.hasPrefix("!") { continue }
            if tag.hasPrefix("/") {
                guard stack.popLast() == String(tag.dropFirst()) else { return false }
            } else if !tag.hasSuffix("/") {
                stack.append(String(tag.prefix { $0 != " " }))
            }
        }
        return stack.isEmpty
    }

    static func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }
}

@Suite("Plot")
struct PlotTests {
    @Test("Every figure type renders byte-identically twice")
    func determinism() {
        #expect(PlotFixture.linePlot.svg() == PlotFixture.linePlot.svg())
        #expect(PlotFixture.scatterPlot.svg() == PlotFixture.scatterPlot.svg())
        #expect(PlotFixture.barChart.svg() == PlotFixture.barChart.svg())
        #expect(PlotFixture.panelGrid.svg() == PlotFixture.panelGrid.svg())
    }

    @Test("Output is well-formed SVG 1.1 with a viewBox and no scripts")
    func wellFormed() throws {
        for svg in [PlotFixture.linePlot.svg(), PlotFixture.scatterPlot.svg(), PlotFixture.barChart.svg(),
                    PlotFixture.panelGrid.svg()] {
            #expect(try PlotFixture.rootName(svg) == "svg")
            #expect(PlotFixture.balancedTags(svg))
            #expect(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.contains("viewBox=\"0 0 "))
            #expect(!svg.contains("<script"))
            #expect(!svg.contains("NaN") && !svg.contains("inf"))
            #expect(PlotFixture.count("<text ", in: svg) == PlotFixture.count("font-family=\"sans-serif\"", in: svg) - 1)
        }
    }

    @Test("Linear ticks are nice: 1, 2, 5 × 10^k")
    func linearTicks() {
        let t = PlotTicks.linear(0, 1, target: 5)
        #expect(t == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(PlotTicks.linear(0, 100, target: 5) == [0, 20, 40, 60, 80, 100])
        #expect(PlotTicks.linear(-0.05, 1.05, target: 10) == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
        #expect(PlotTicks.linear(3, 27, target: 5) == [5, 10, 15, 20, 25])
        #expect(PlotTicks.linear(-1, 1, target: 4) == [-1, -0.5, 0, 0.5, 1])
        #expect(PlotTicks.linear(1, 1, target: 5).isEmpty)
        let labels = PlotTicks.linearCandidates(0, 1, maxTarget: 5)[0].0.map(\.label)
        #expect(labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(PlotTicks.linearCandidates(0, 3e6, maxTarget: 3)[0].0.map(\.label) == ["0", "1e6", "2e6", "3e6"])
        #expect(PlotTicks.linearCandidates(-2, 2, maxTarget: 2)[0].0.map(\.label) == ["\u{2212}2", "0", "2"])
    }

    @Test("Log ticks are decades, with 2× and 5× when few decades")
    func logTicks() {
        #expect(PlotTicks.logDecades(1, 1000) == [1, 10, 100, 1000])
        let first = PlotTicks.logCandidates(1, 1000)[0]
        #expect(first.0.map(\.value) == [1, 10, 100, 1000])
        #expect(first.0.map(\.label) == ["1", "10", "100", "1000"])
        #expect(first.1.contains(2) && first.1.contains(500))
        let few = PlotTicks.logCandidates(1, 100)[0].0.map(\.value)
        #expect(few == [1, 2, 5, 10, 20, 50, 100])
        let wide = PlotTicks.logCandidates(1e-6, 1e6)
        #expect(wide[0].0.count == 13)
        #expect(wide.last!.0.count <= 3)
        #expect(PlotTicks.logLabel(1e6) == "10⁶" && PlotTicks.logLabel(2e-5) == "2×10⁻⁵" && PlotTicks.logLabel(0.01) == "0.01")
        // Less than a decade: falls back to 1-2-5 or linear ticks, still labelled.
        #expect(!PlotTicks.logCandidates(3, 8)[0].0.isEmpty)
    }

    @Test("Ranges: padding, explicit ranges, empty and all-equal data")
    func ranges() {
        let r = PlotAxis.resolveRange([0, 1], scale: .linear, explicit: nil)
        #expect(abs(r.lower + 0.05) < 1e-12 && abs(r.upper - 1.05) < 1e-12)
        #expect(PlotAxis.resolveRange([5, 6], scale: .linear, explicit: 0...10) == (0, 10))
        #expect(PlotAxis.resolveRange([], scale: .linear, explicit: nil) == (0, 1))
        #expect(PlotAxis.resolveRange([], scale: .log10, explicit: nil) == (1, 10))
        let eq = PlotAxis.resolveRange([3, 3, 3], scale: .linear, explicit: nil)
        #expect(eq.lower < 3 && eq.upper > 3)
        let zero = PlotAxis.resolveRange([0, 0], scale: .linear, explicit: nil)
        #expect(zero.lower < 0 && zero.upper > 0)
        let log = PlotAxis.resolveRange([-1, 0, 10, 1000, .nan], scale: .log10, explicit: -5...10)
        #expect(log.lower > 1 && log.lower < 10 && log.upper > 1000)
        let bars = PlotAxis.resolveRange([2, 4], scale: .linear, explicit: nil, anchorZero: true)
        #expect(bars.lower == 0 && bars.upper > 4)
    }

    @Test("NaN, infinities, empty series and non-positive values on log axes do not crash")
    func degenerateInputs() throws {
        let nan = Double.nan, inf = Double.infinity
        var p = LinePlot(series: [
            Series(name: "gappy", points: [(0, 1), (1, nan), (2, 3), (3, 4), (inf, 5), (5, -inf)]),
            Series(name: "empty"),
            Series(name: "neg", points: [(-1, -2), (0, 0), (1, 10), (2, 100)],
                   band: [(0, -1, 1), (1, 5, 20), (2, 50, 200)], scatter: [(1, -3), (2, 7)]),
            Series(name: "flat", points: [(1, 7), (2, 7)]),
            Series(name: "huge", points: [(1, 1e300), (2, -1e300)]),
        ])
        for xs in [AxisScale.linear, .log10] {
            for ys in [AxisScale.linear, .log10] {
                p.xScale = xs
                p.yScale = ys
                let svg = p.svg()
                #expect(try PlotFixture.rootName(svg) == "svg")
                #expect(!svg.contains("NaN") && !svg.contains("inf"))
            }
        }
        // The NaN breaks the first line into two <path>s (0–… and 2–3).
        let gappy = LinePlot(series: [Series(name: "g", points: [(0, 1), (1, 2), (2, nan), (3, 4), (4, 5)])]).svg()
        #expect(PlotFixture.count("stroke-linejoin", in: gappy) == 2)
        // Entirely empty figures.
        for svg in [LinePlot().svg(), LinePlot(series: [Series(name: "x")]).svg(),
                    LinePlot(xScale: .log10, yScale: .log10, series: [Series(name: "n", points: [(-1, -1)])]).svg(),
                    ScatterPlot().svg(), ScatterPlot(curves: [.init(name: "f", f: { 1 / $0 })]).svg(),
                    ScatterPlot(xScale: .log10, curves: [.init(name: "f", f: { log($0) })]).svg(),
                    BarChart(categories: [], groups: []).svg(),
                    BarChart(categories: ["a", "b"], groups: [.init(name: "g", values: [nan, -inf])]).svg(),
                    BarChart(categories: ["a"], groups: [.init(name: "", values: [0, 1, 2], errorLow: [], errorHigh: [nan])]).svg(),
                    PanelGrid(columns: 0, panels: []).svg(), PanelGrid(title: "t", columns: 5, panels: [LinePlot()]).svg(),
                    LinePlot(width: 0, height: -3).svg(), LinePlot(xRange: 5...5, yRange: -1...(-1)).svg(),
                    LinePlot(xScale: .log10, xRange: 5e-324...3, series: [Series(name: "s", points: [(5e-324, 1e308), (1, 1e-320)])],
                             width: 1e308, height: .nan).svg(),
                    LinePlot(xRange: -1e-320...5e-324, series: [Series(name: "s", band: [(1e-320, 5e-324, 1e308)])]).svg()] {
            #expect(try PlotFixture.rootName(svg) == "svg")
            #expect(!svg.contains("NaN") && !svg.contains("inf"))
        }
    }

    @Test("XML special characters are escaped in all text")
    func escaping() throws {
        #expect(PlotText.escape("a & b < c > d \" e ' f") == "a &amp; b &lt; c &gt; d &quot; e &apos; f")
        #expect(PlotText.escape("bell\u{07}tab\t") == "belltab ")
        let nasty = "<&'\">"
        let svgs = [
            LinePlot(title: nasty, xLabel: nasty, yLabel: nasty, series: [Series(name: nasty, points: [(0, 0), (1, 1)])],
                     annotations: [nasty]).svg(),
            BarChart(title: nasty, categories: [nasty], groups: [.init(name: nasty, values: [1], color: "#fff\"")]).svg(),
            PanelGrid(title: nasty, columns: 1, panels: [LinePlot(title: nasty)]).svg(),
        ]
        for svg in svgs {
            #expect(!svg.contains(nasty))
            #expect(svg.contains("&lt;&amp;&apos;&quot;&gt;"))
            #expect(try PlotFixture.rootName(svg) == "svg")
        }
    }

    @Test("The legend names every series; bands are filled paths; annotations appear")
    func legendBandsAnnotations() {
        let svg = PlotFixture.linePlot.svg()
        #expect(svg.contains(">PPO</text>"))
        #expect(svg.contains(">DPO &quot;β=0.1&quot;</text>"))
        #expect(svg.contains(">R² = 0.93</text>"))
        #expect(svg.contains("fill-opacity=\"0.2\" stroke=\"none\""))  // the band
        #expect(svg.contains("<path d=\"M") && svg.contains("Z\" fill=\"#1f77b4\""))
        #expect(svg.contains("stroke-dasharray=\"6 4\""))
        let scatter = PlotFixture.scatterPlot.svg()
        #expect(scatter.contains(">runs</text>") && scatter.contains(">fit</text>"))
        #expect(scatter.contains(">1000</text>") || scatter.contains(">10⁴</text>"))
        let bars = PlotFixture.barChart.svg()
        for name in ["SFT", "DPO", "small", "medium", "large", "Win rate", "win rate"] {
            #expect(bars.contains(">\(name)</text>"))
        }
        #expect(PlotFixture.count("<text", in: LinePlot(legendPosition: .none).svg()) > 0)
        let noLegend = LinePlot(series: [Series(name: "hidden", points: [(0, 0), (1, 1)])], legendPosition: .none).svg()
        #expect(!noLegend.contains(">hidden<"))
    }

    @Test("Axis labels are centred, the y label rotated; error bars and outside legends are drawn")
    func layoutDetails() {
        let svg = PlotFixture.linePlot.svg()
        #expect(svg.contains("rotate(-90)\" font-family=\"sans-serif\" font-size=\"13\" text-anchor=\"middle\""))
        #expect(svg.contains("text-anchor=\"middle\" fill=\"#222222\">step</text>"))
        #expect(svg.contains("id=\"plot-clip\"") && svg.contains("clip-path=\"url(#plot-clip)\""))
        // Three whiskers (stem + two caps each) for the DPO group only.
        #expect(PlotFixture.count("stroke=\"#222222\" stroke-width=\"1.2\"", in: PlotFixture.barChart.svg()) == 9)
        // An explicit outside legend narrows the plot area: the frame rect gets narrower.
        var p = PlotFixture.linePlot
        p.legendPosition = .outsideRight
        let outside = p.svg()
        #expect(outside.contains(">PPO</text>") && outside != svg)
        // A crowded plot moves its legend outside automatically.
        let many = (0..<8).map { k in Series(name: "s\(k)", x: (0...40).map(Double.init), y: (0...40).map { Double($0 % 7 + k) }) }
        let crowded = LinePlot(series: many)
        var inside = crowded
        inside.legendPosition = .topRight
        #expect(crowded.svg() != inside.svg())
    }

    @Test("Panels are nested groups with distinct clip ids")
    func panels() {
        let svg = PlotFixture.panelGrid.svg()
        #expect(PlotFixture.count("<g transform=\"translate(", in: svg) == 3)
        #expect(svg.contains("id=\"panel0-clip\"") && svg.contains("id=\"panel2-clip\""))
        #expect(svg.contains("width=\"1280\" height=\"874\""))
    }

    @Test("Number formatting is fixed and never prints -0")
    func numbers() {
        #expect(PlotText.number(1.005) == "1" || PlotText.number(1.005) == "1.01")
        #expect(PlotText.number(-0.001) == "0")
        #expect(PlotText.number(12.5) == "12.5")
        #expect(PlotText.number(-3.14159) == "-3.14")
        #expect(PlotText.number(.nan) == "0")
        #expect(PlotText.fixed(0.6000000000000001, decimals: 1) == "0.6")
        #expect(PlotText.fixed(-0.0, decimals: 1) == "0.0")
        #expect(PlotText.fixed(1e20, decimals: 0) == "100000000000000000000")
        #expect(Palette.color(0) == "#1f77b4" && Palette.color(10) == "#1f77b4" && Palette.color(-1) == "#17becf")
    }
}
