import Foundation
import Engine

// The prior task's ten texture / shape classes (standing in for FashionMNIST), rendered in the same coordinates as
// the digits (see ParityDigits+Glyphs.swift): pixel (r, c) is sampled at (c + ½, r + ½).
//
// Each pixel's offset from the texture centre, (dx, dy), is rotated by the pose's angle θ:
//     u = cos θ·dx + sin θ·dy,   v = −sin θ·dx + cos θ·dy
// and the class's profile gives a value in [0, 1], multiplied by the ink:
//   0 horizontal stripes  ½ + ½·sin(2π·v/period + phase), θ ≈ 0
//   1 vertical stripes    same profile, θ ≈ π/2
//   2 diagonal stripes ╲  same profile, θ ≈ π/4 (lines run down-right: y grows with x)
//   3 diagonal stripes ╱  same profile, θ ≈ 3π/4 (lines run up-right)
//   4 checks              clamp(½ + 2·sin(2π·u/period + phase)·sin(2π·v/period + phase2), 0, 1)
//   5 rings               ½ + ½·cos(2π·√(dx² + dy²)/period + phase)
//   6 blob                clamp(size·(1 − ρ) + ½, 0, 1) with ρ = √((u/size)² + (v/(0.7·size))²): a filled ellipse
//   7 cross (plus)        stroke of width w along u = 0 and v = 0 through the centre
//   8 dots                disks of radius `size` on a square lattice of spacing `period`, offset by the phases
//   9 frame               hollow square: stroke of width w along max(|u|, |v|) = size
// Strokes and disks use the digits' anti-aliasing: clamp(w/2 + ½ − distance, 0, 1).

/// Where and how one texture is drawn, in pixels of the actual image. Fields a class does not use are ignored.
public struct ParityDigitsTexturePose: Equatable, Sendable {
    /// Rotation θ in radians.
    public var angle: Float
    /// Period of stripes, checks, rings and the dot lattice (pixels).
    public var period: Float
    /// First phase (radians): stripes, checks (along u), rings, dots (lattice offset along u).
    public var phase: Float
    /// Second phase (radians): checks (along v), dots (lattice offset along v).
    public var phase2: Float
    /// Centre x (pixels from the left edge).
    public var centerX: Float
    /// Centre y (pixels from the top edge).
    public var centerY: Float
    /// Class-specific size (pixels): blob radius, frame half side, dot radius.
    public var size: Float
    /// Stroke width of the cross and the frame (pixels).
    public var strokeWidth: Float
    /// Intensity multiplier in (0, 1].
    public var ink: Float

    public init(angle: Float = 0, period: Float = 4, phase: Float = 0, phase2: Float = 0, centerX: Float,
                centerY: Float, size: Float = 2, strokeWidth: Float = 1, ink: Float = 1) {
        self.angle = angle; self.period = period; self.phase = phase; self.phase2 = phase2
        self.centerX = centerX; self.centerY = centerY; self.size = size; self.strokeWidth = strokeWidth; self.ink = ink
    }
}

/// The ten prior-task classes and their renderer.
public enum ParityDigitsTextures {
    /// Class names, by class index.
    public static let classNames = ["horizontal stripes", "vertical stripes", "diagonal stripes ╲",
                                    "diagonal stripes ╱", "checks", "rings", "blob", "cross", "dots", "frame"]

    /// Each class's nominal rotation θ (radians) before jitter.
    public static let baseAngles: [Float] = [0, .pi / 2, .pi / 4, 3 * .pi / 4, 0, 0, 0, 0, 0, 0]

    /// Renders `textureClass` at `pose`, noise-free, into `output[0 ..< side·side]` (overwriting it, row-major).
    /// Values lie in [0, pose.ink]. An out-of-range class gives an all-zero image.
    public static func render(textureClass: Int, pose: ParityDigitsTexturePose, side: Int, sharpness: Float = 1,
                              into output: UnsafeMutablePointer<Float>) {
        guard ParityDigits.isClass(textureClass) else {
            output.initialize(repeating: 0, count: side * side)
            return
        }
        let gain = 0.5 * sharpness
        let cosA = Foundation.cos(pose.angle), sinA = Foundation.sin(pose.angle)
        let omega = 2 * Float.pi / pose.period
        let halfStroke = 0.5 * pose.strokeWidth + 0.5, ink = pose.ink, size = pose.size
        let latticeU = pose.phase / (2 * .pi) * pose.period, latticeV = pose.phase2 / (2 * .pi) * pose.period
        @inline(__always) func ramp(_ x: Float) -> Float { Swift.min(Swift.max(x, 0), 1) }
        for r in 0..<side {
            let dy = Float(r) + 0.5 - pose.centerY
            for c in 0..<side {
                let dx = Float(c) + 0.5 - pose.centerX
                let u = cosA * dx + sinA * dy, v = -sinA * dx + cosA * dy
                let value: Float
                switch textureClass {
                case 0, 1, 2, 3:
                    value = ramp(0.5 + gain * Foundation.sin(omega * v + pose.phase))
                case 4:
                    let wave = Foundation.sin(omega * u + pose.phase) * Foundation.sin(omega * v + pose.phase2)
                    value = ramp(0.5 + 2 * gain * wave)
                case 5:
                    value = ramp(0.5 + gain * Foundation.cos(omega * (dx * dx + dy * dy).squareRoot() + pose.phase))
                case 6:
                    let a = u / size, b = v / (0.7 * size)
                    value = ramp(size * (1 - (a * a + b * b).squareRoot()) + 0.5)
                case 7:
                    value = ramp(halfStroke - Swift.min(Swift.abs(u), Swift.abs(v)))
                case 8:
                    let pu = u - latticeU, pv = v - latticeV
                    let du = pu - pose.period * (pu / pose.period).rounded()
                    let dv = pv - pose.period * (pv / pose.period).rounded()
                    value = ramp(size + 0.5 - (du * du + dv * dv).squareRoot())
                default:
                    value = ramp(halfStroke - Swift.abs(Swift.max(Swift.abs(u), Swift.abs(v)) - size))
                }
                output[r * side + c] = ink * value
            }
        }
    }
}
