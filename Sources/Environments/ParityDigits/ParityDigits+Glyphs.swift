import Foundation
import Engine

// Seven-segment digit glyphs, rendered as anti-aliased strokes.
//
// Image coordinates: x to the right, y downwards, in pixels; pixel (row r, column c) covers [c, c+1) × [r, r+1) and
// is sampled at its centre (c + ½, r + ½); images are stored row-major (index r·side + c).
//
// A glyph has six corners on a 2 × 3 lattice (column u ∈ {0, 1}, row v ∈ {0, 1, 2}):
//
//       TL ─a─ TR          corners: 0 TL (0,0)  1 TR (1,0)
//       f       b                   2 ML (0,1)  3 MR (1,1)
//       ML ─g─ MR                   4 BL (0,2)  5 BR (1,2)
//       e       c
//       BL ─d─ BR          segments: a TL–TR, b TR–MR, c MR–BR, d BL–BR, e ML–BL, f TL–ML, g ML–MR
//
// A corner (u, v) sits at local (x, y) = ((u − ½)·width, (v − 1)·height/2), is sheared by the slant and moved to the
// pose's centre plus its own wobble offset: X = centerX + x − slant·y + dx, Y = centerY + y + dy (positive slant leans
// the top to the right). A pixel's value is ink · clamp(strokeWidth/2 + ½ − d, 0, 1), where d is the distance from
// its centre to the nearest lit segment: a stroke of width 1 whose centre line runs through pixel centres lights
// exactly those pixels with value `ink`.

/// Where and how one digit glyph is drawn, in pixels of the actual image.
public struct ParityDigitsGlyphPose: Equatable, Sendable {
    /// Glyph centre, x (pixels from the left edge).
    public var centerX: Float
    /// Glyph centre, y (pixels from the top edge).
    public var centerY: Float
    /// Distance between the top and bottom segments' centre lines (pixels).
    public var height: Float
    /// Distance between the left and right segments' centre lines (pixels).
    public var width: Float
    /// Horizontal shear: x moves by −slant·y (y measured from the centre, downwards), so positive slant leans right.
    public var slant: Float
    /// Stroke width in pixels.
    public var strokeWidth: Float
    /// Stroke intensity in (0, 1].
    public var ink: Float
    /// Wobble of the six corners: lanes 2k and 2k+1 are corner k's (dx, dy) in pixels, corners in the order
    /// TL, TR, ML, MR, BL, BR; lanes 12–15 are unused.
    public var cornerOffsets: SIMD16<Float>

    public init(centerX: Float, centerY: Float, height: Float, width: Float, slant: Float = 0, strokeWidth: Float = 1,
                ink: Float = 1, cornerOffsets: SIMD16<Float> = .zero) {
        self.centerX = centerX; self.centerY = centerY; self.height = height; self.width = width
        self.slant = slant; self.strokeWidth = strokeWidth; self.ink = ink; self.cornerOffsets = cornerOffsets
    }

    /// The jitter-free pose of `config`: centred, nominal size, no slant, no wobble, the mean stroke width, full ink.
    public static func neutral(_ config: ParityDigitsConfig) -> ParityDigitsGlyphPose {
        let s = config.pixelScale, h = config.glyphHeight * s
        return ParityDigitsGlyphPose(centerX: Float(config.imageSide) / 2, centerY: Float(config.imageSide) / 2,
                                     height: h, width: config.glyphAspect * h, slant: 0,
                                     strokeWidth: 0.5 * (config.strokeWidthMin + config.strokeWidthMax) * s, ink: 1)
    }

    /// The six transformed corners, (x, y) in lanes (2k, 2k+1), in the order TL, TR, ML, MR, BL, BR.
    @inline(__always)
    func corners() -> SIMD16<Float> {
        var out = SIMD16<Float>.zero
        for k in 0..<6 {
            let u = Float(k & 1), v = Float(k >> 1)
            let x = (u - 0.5) * width, y = (v - 1) * 0.5 * height
            out[2 * k] = centerX + x - slant * y + cornerOffsets[2 * k]
            out[2 * k + 1] = centerY + y + cornerOffsets[2 * k + 1]
        }
        return out
    }
}

/// The seven-segment templates of the digits and their renderer.
public enum ParityDigitsGlyphs {
    /// Segment names in bit order: bit 0 = a (top), b (upper right), c (lower right), d (bottom), e (lower left),
    /// f (upper left), bit 6 = g (middle).
    public static let segmentNames: [Character] = ["a", "b", "c", "d", "e", "f", "g"]

    /// The two corners (indices into TL, TR, ML, MR, BL, BR) that each segment a…g joins.
    public static let segmentCorners: [(Int, Int)] = [(0, 1), (1, 3), (3, 5), (4, 5), (2, 4), (0, 2), (2, 3)]

    /// The lit segments of digits 0…9 as bit masks (the standard seven-segment codes 0x3F, 0x06, 0x5B, 0x4F, 0x66,
    /// 0x6D, 0x7D, 0x07, 0x7F, 0x6F).
    public static let segmentMasks: [UInt8] = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F]

    /// The segment mask of `digit`; 0 (nothing lit) when `digit` is outside 0…9.
    @inline(__always)
    public static func segments(of digit: Int) -> UInt8 {
        ParityDigits.isClass(digit) ? segmentMasks[digit] : 0
    }

    /// How many segments `digit` lights (8 → 7, 1 → 2); 0 out of range.
    public static func litSegmentCount(of digit: Int) -> Int { segments(of: digit).nonzeroBitCount }

    /// Renders `digit` at `pose`, noise-free, into `output[0 ..< side·side]` (overwriting it, row-major). An
    /// out-of-range digit lights no segment and gives an all-zero image. Values lie in [0, pose.ink].
    ///
    /// Fast path: the (at most seven) lit segments sit in the lanes of SIMD8 vectors and each pixel's distance to all
    /// of them is one vector computation; unused lanes hold a segment far outside the image. `renderNaive` is the
    /// scalar twin (one segment at a time); the tests check that both agree.
    public static func render(digit: Int, pose: ParityDigitsGlyphPose, side: Int,
                              into output: UnsafeMutablePointer<Float>) {
        let mask = segments(of: digit)
        guard mask != 0 else { output.initialize(repeating: 0, count: side * side); return }
        let c = pose.corners()
        // lane s: segment a + t·e, t ∈ [0, 1], with invLength2 = 1/|e|² (0 for a degenerate segment)
        var ax = SIMD8<Float>(repeating: 1e6), ay = SIMD8<Float>(repeating: 1e6)
        var ex = SIMD8<Float>.zero, ey = SIMD8<Float>.zero, invLength2 = SIMD8<Float>.zero
        for s in 0..<7 where mask & (1 << s) != 0 {
            let (i, j) = segmentCorners[s]
            ax[s] = c[2 * i]; ay[s] = c[2 * i + 1]
            ex[s] = c[2 * j] - ax[s]; ey[s] = c[2 * j + 1] - ay[s]
            let length2 = ex[s] * ex[s] + ey[s] * ey[s]
            invLength2[s] = length2 > 0 ? 1 / length2 : 0
        }
        let reach = 0.5 * pose.strokeWidth + 0.5, ink = pose.ink
        let zero = SIMD8<Float>.zero, one = SIMD8<Float>(repeating: 1)
        for r in 0..<side {
            let qy = Float(r) + 0.5 - ay
            for col in 0..<side {
                let qx = Float(col) + 0.5 - ax
                var t = (qx * ex + qy * ey) * invLength2
                t.replace(with: zero, where: t .< zero)
                t.replace(with: one, where: t .> one)
                let dx = qx - t * ex, dy = qy - t * ey
                let d2 = dx * dx + dy * dy
                var half = d2.lowHalf
                half.replace(with: d2.highHalf, where: d2.highHalf .< half)
                var distance2 = half[0]
                for lane in 1..<4 { distance2 = Swift.min(distance2, half[lane]) }
                let distance = distance2.squareRoot()
                output[r * side + col] = ink * Swift.min(Swift.max(reach - distance, 0), 1)
            }
        }
    }

    /// The scalar reference for `render`: the same image, one segment at a time.
    static func renderNaive(digit: Int, pose: ParityDigitsGlyphPose, side: Int,
                            into output: UnsafeMutablePointer<Float>) {
        let mask = segments(of: digit)
        let c = pose.corners()
        for r in 0..<side {
            for col in 0..<side {
                let px = Float(col) + 0.5, py = Float(r) + 0.5
                var best = Float.infinity
                for s in 0..<7 where mask & (1 << s) != 0 {
                    let (i, j) = segmentCorners[s]
                    let ax = c[2 * i], ay = c[2 * i + 1], ex = c[2 * j] - ax, ey = c[2 * j + 1] - ay
                    let length2 = ex * ex + ey * ey
                    let t = length2 > 0 ? Swift.min(Swift.max(((px - ax) * ex + (py - ay) * ey) / length2, 0), 1) : 0
                    let dx = px - ax - t * ex, dy = py - ay - t * ey
                    best = Swift.min(best, dx * dx + dy * dy)
                }
                let coverage = Swift.min(Swift.max(0.5 * pose.strokeWidth + 0.5 - best.squareRoot(), 0), 1)
                output[r * side + col] = mask == 0 ? 0 : pose.ink * coverage
            }
        }
    }
}
