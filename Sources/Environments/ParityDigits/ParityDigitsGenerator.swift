import Foundation
import Engine

/// Samples noisy ParityDigits images: a random pose (translation, scale, slant, stroke width, corner wobble, ink) for
/// a digit glyph or a texture, rendered noise-free, then Gaussian pixel noise added and each value clamped to [0, 1].
///
/// Determinism: every function consumes `rng` in a fixed order (pose fields in the order of the sampling code, then
/// the noise normals in pairs, row-major; none when `pixelNoise` is 0), so the same stream state gives the same image
/// on every machine. Cost: about 10 µs per 12 × 12 image on one core (≈ 10⁵ images per second; ≈ 4 µs rendering,
/// the rest noise), no allocation per image when rendering into a buffer.
public struct ParityDigitsGenerator: Sendable {
    public let config: ParityDigitsConfig

    /// Validates `config` (traps with a message naming a bad field).
    public init(config: ParityDigitsConfig = .standard) {
        config.validate()
        self.config = config
    }

    /// Image side in pixels.
    public var side: Int { config.imageSide }
    /// Pixels per image (side²).
    public var pixelCount: Int { config.pixelCount }
    /// Input row width: pixels + 1 task indicator.
    public var inputWidth: Int { config.inputWidth }

    // MARK: Poses

    /// A random glyph pose: centre = side/2 + U[−maxShift, maxShift] (each axis), height = glyphHeight ·
    /// U[1 ± scaleJitter], width = glyphAspect · height, slant U[−maxSlant, maxSlant], stroke width
    /// U[strokeWidthMin, strokeWidthMax], ink U[inkMin, 1], each corner offset N(0, cornerJitter²) per axis; lengths
    /// times `pixelScale`.
    public func sampleGlyphPose(rng: inout RandomStream) -> ParityDigitsGlyphPose {
        let c = config, s = c.pixelScale, mid = Float(c.imageSide) / 2
        let centerX = mid + rng.uniform(-c.maxShift, c.maxShift) * s
        let centerY = mid + rng.uniform(-c.maxShift, c.maxShift) * s
        let height = c.glyphHeight * s * rng.uniform(1 - c.scaleJitter, 1 + c.scaleJitter)
        let slant = rng.uniform(-c.maxSlant, c.maxSlant)
        let stroke = rng.uniform(c.strokeWidthMin, c.strokeWidthMax) * s
        let ink = rng.uniform(c.inkMin, 1)
        var offsets = SIMD16<Float>.zero
        if c.cornerJitter > 0 { for k in 0..<12 { offsets[k] = c.cornerJitter * s * rng.normal() } }
        return ParityDigitsGlyphPose(centerX: centerX, centerY: centerY, height: height, width: c.glyphAspect * height,
                                     slant: slant, strokeWidth: stroke, ink: ink, cornerOffsets: offsets)
    }

    /// A random texture pose for `textureClass`: angle = the class's base angle + N(0, textureAngleJitter²) (blobs: a
    /// uniform orientation), period U[texturePeriodMin, texturePeriodMax], phases U[0, 2π), centre = side/2 +
    /// U[−textureMaxShift, textureMaxShift], size = the class's nominal size (blobRadius, frameHalfSide, dotRadius)
    /// · U[1 ± textureSizeJitter], stroke width U[strokeWidthMin, strokeWidthMax], ink U[inkMin, 1]; lengths times
    /// `pixelScale`. Every class draws the same fields in the same order; an out-of-range class gets angle jitter
    /// around 0 (its image is blank anyway).
    public func sampleTexturePose(textureClass: Int, rng: inout RandomStream) -> ParityDigitsTexturePose {
        let c = config, s = c.pixelScale, mid = Float(c.imageSide) / 2
        let base = ParityDigits.isClass(textureClass) ? ParityDigitsTextures.baseAngles[textureClass] : 0
        let jitter = c.textureAngleJitter * rng.normal()
        let turn = rng.uniform(0, .pi)
        let angle = textureClass == 6 ? turn : base + jitter
        let period = rng.uniform(c.texturePeriodMin, c.texturePeriodMax) * s
        let phase = rng.uniform(0, 2 * .pi), phase2 = rng.uniform(0, 2 * .pi)
        let centerX = mid + rng.uniform(-c.textureMaxShift, c.textureMaxShift) * s
        let centerY = mid + rng.uniform(-c.textureMaxShift, c.textureMaxShift) * s
        let nominal: Float = textureClass == 6 ? c.blobRadius : textureClass == 8 ? c.dotRadius : c.frameHalfSide
        let size = nominal * s * rng.uniform(1 - c.textureSizeJitter, 1 + c.textureSizeJitter)
        let stroke = rng.uniform(c.strokeWidthMin, c.strokeWidthMax) * s
        let ink = rng.uniform(c.inkMin, 1)
        return ParityDigitsTexturePose(angle: angle, period: period, phase: phase, phase2: phase2, centerX: centerX,
                                       centerY: centerY, size: size, strokeWidth: stroke, ink: ink)
    }

    // MARK: Images

    /// Adds N(0, pixelNoise²) to each of `count` values and clamps to [0, 1] (no randomness used when pixelNoise = 0,
    /// but values are still clamped). Normals come in pairs from Marsaglia's polar method (in Double, from
    /// `rng.uniformDouble()`): draw (a, b) uniform in [−1, 1)² until 0 < s = a² + b² < 1, then a·m and b·m with
    /// m = √(−2 ln s / s) are two independent standard normals; about twice as fast as one Box–Muller value per pixel.
    public func addNoise(_ pixels: UnsafeMutablePointer<Float>, count: Int, rng: inout RandomStream) {
        let sigma = Double(config.pixelNoise)
        guard sigma > 0 else {
            for i in 0..<count { pixels[i] = Swift.min(Swift.max(pixels[i], 0), 1) }
            return
        }
        var i = 0
        while i < count {
            var a = 0.0, b = 0.0, s = 0.0
            repeat {
                a = 2 * rng.uniformDouble() - 1; b = 2 * rng.uniformDouble() - 1
                s = a * a + b * b
            } while s >= 1 || s == 0
            let m = sigma * (-2 * Foundation.log(s) / s).squareRoot()
            pixels[i] = Swift.min(Swift.max(pixels[i] + Float(a * m), 0), 1)
            if i + 1 < count { pixels[i + 1] = Swift.min(Swift.max(pixels[i + 1] + Float(b * m), 0), 1) }
            i += 2
        }
    }

    /// Samples one noisy image of `task` and class `label` (digit or texture class) into `output[0 ..< pixelCount]`.
    /// An out-of-range label renders a blank (noise-only) image.
    public func renderImage(task: ParityDigitsTask, label: Int, rng: inout RandomStream,
                            into output: UnsafeMutablePointer<Float>) {
        switch task {
        case .parity:
            let pose = sampleGlyphPose(rng: &rng)
            ParityDigitsGlyphs.render(digit: label, pose: pose, side: side, into: output)
        case .prior:
            let pose = sampleTexturePose(textureClass: label, rng: &rng)
            ParityDigitsTextures.render(textureClass: label, pose: pose, side: side, sharpness: config.textureSharpness,
                                         into: output)
        }
        addNoise(output, count: pixelCount, rng: &rng)
    }

    /// One noisy image (pixelCount values in [0, 1], row-major), as `renderImage`.
    public func image(task: ParityDigitsTask, label: Int, rng: inout RandomStream) -> [Float] {
        var out = [Float](repeating: 0, count: pixelCount)
        out.withUnsafeMutableBufferPointer { renderImage(task: task, label: label, rng: &rng, into: $0.baseAddress!) }
        return out
    }

    // MARK: Batches

    /// A batch of `task` images with the given classes (each in 0…9), rendered in order from `rng`.
    public func batch(task: ParityDigitsTask, classes: [Int], rng: inout RandomStream) -> ParityDigitsBatch {
        require(classes.allSatisfy(ParityDigits.isClass), "ParityDigitsGenerator.batch: classes must be in 0…9")
        let width = inputWidth, pixels = pixelCount
        var x = [Float](repeating: 0, count: classes.count * width)
        x.withUnsafeMutableBufferPointer { buffer in
            for (i, label) in classes.enumerated() {
                let row = buffer.baseAddress! + i * width
                renderImage(task: task, label: label, rng: &rng, into: row)
                row[pixels] = task.indicator
            }
        }
        return ParityDigitsBatch(inputWidth: width, inputs: x, tasks: Array(repeating: task, count: classes.count),
                                 classes: classes)
    }

    /// A batch of `count` images of `task`. Balanced: every class ⌊count/10⌋ times plus count mod 10 distinct random
    /// classes, shuffled; otherwise each class uniform i.i.d. The classes are drawn from `rng` before the images.
    public func batch(task: ParityDigitsTask, count: Int, balanced: Bool,
                      rng: inout RandomStream) -> ParityDigitsBatch {
        require(count >= 0, "ParityDigitsGenerator.batch: count must be ≥ 0")
        let classes = balanced ? Self.balancedClasses(count: count, rng: &rng)
                               : (0..<count).map { _ in rng.int(ParityDigits.classCount) }
        return batch(task: task, classes: classes, rng: &rng)
    }

    /// `count` classes with every class ⌊count/10⌋ times plus count mod 10 distinct random ones, shuffled.
    public static func balancedClasses(count: Int, rng: inout RandomStream) -> [Int] {
        let k = ParityDigits.classCount
        var classes = (0..<(count / k * k)).map { $0 % k }
        classes += rng.permutation(k).prefix(count % k)
        rng.shuffle(&classes)
        return classes
    }
}

/// The datasets of one rl-razor run, all derived from one stream by name so that they are fixed by seed and
/// disjoint (separate child streams; with continuous pose and noise draws two images coincide with probability 0,
/// and the tests check that no row repeats across sets):
///
/// | set | stream | content |
/// |---|---|---|
/// | `pretraining` | `child("pretraining").child("parity" / "prior")` | rows 0..<n parity, n..<2n prior, balanced |
/// | `pretrainingLabels` | `child("pretraining").child("labels")` | one sampled correct label per row |
/// | `evaluationParity` | `child("evaluation").child("parity")` | held-out parity images, balanced |
/// | `evaluationPrior` | `child("evaluation").child("prior")` | held-out prior images, balanced |
/// | `fineTuningBatch(index:count:)` | `child("fine-tuning").child(index)` | fresh parity images, i.i.d. digits |
///
/// n = `config.pretrainingPerTask`; evaluation sets hold `config.evaluationPerTask` rows each. Fine-tuning batches are
/// random access by index: batch i is the same for every method and learning rate of a sweep on the same seed, and
/// never a pretraining or evaluation image.
public struct ParityDigitsDatasets: Sendable {
    public let generator: ParityDigitsGenerator
    /// The joint pretraining set: `config.pretrainingPerTask` parity rows, then as many prior rows.
    public let pretraining: ParityDigitsBatch
    /// A fixed hard label per pretraining row: parity rows a correct label drawn uniformly, prior rows the class
    /// (the public replication's "parity targets drawn uniformly"; `pretraining.targetDistributions()` gives the
    /// soft uniform targets, `pretraining.sampledLabels(rng:)` fresh draws per epoch).
    public let pretrainingLabels: [Int]
    /// Held-out parity images (new-task accuracy).
    public let evaluationParity: ParityDigitsBatch
    /// Held-out prior-task images (forgetting).
    public let evaluationPrior: ParityDigitsBatch
    /// The root of the fine-tuning batches.
    public let fineTuningStream: RandomStream

    /// Builds every fixed set from `stream` (only child streams are used; `stream` itself is not advanced).
    public init(config: ParityDigitsConfig = .standard, stream: RandomStream) {
        let g = ParityDigitsGenerator(config: config)
        generator = g
        let pre = stream.child("pretraining"), eval = stream.child("evaluation")
        var parityRng = pre.child("parity"), priorRng = pre.child("prior"), labelRng = pre.child("labels")
        pretraining = ParityDigitsBatch.concatenation([
            g.batch(task: .parity, count: config.pretrainingPerTask, balanced: true, rng: &parityRng),
            g.batch(task: .prior, count: config.pretrainingPerTask, balanced: true, rng: &priorRng),
        ])
        pretrainingLabels = pretraining.sampledLabels(rng: &labelRng)
        var evalParityRng = eval.child("parity"), evalPriorRng = eval.child("prior")
        evaluationParity = g.batch(task: .parity, count: config.evaluationPerTask, balanced: true, rng: &evalParityRng)
        evaluationPrior = g.batch(task: .prior, count: config.evaluationPerTask, balanced: true, rng: &evalPriorRng)
        fineTuningStream = stream.child("fine-tuning")
    }

    public var config: ParityDigitsConfig { generator.config }

    /// Fine-tuning batch number `index` (≥ 0): `count` fresh parity images with i.i.d. uniform digits, a pure
    /// function of the seed, `index` and `count`.
    public func fineTuningBatch(index: Int, count: Int) -> ParityDigitsBatch {
        require(index >= 0 && count >= 0, "ParityDigitsDatasets.fineTuningBatch: index and count must be ≥ 0")
        var rng = fineTuningStream.child(index)
        return generator.batch(task: .parity, count: count, balanced: false, rng: &rng)
    }
}
