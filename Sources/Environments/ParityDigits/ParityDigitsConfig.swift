import Engine

// ParityDigits configuration: every rendering, jitter, noise and dataset-size parameter in one value type.
//
// Lengths are in pixels of the 12 × 12 reference grid and scale with the image: on a side-S image each length is
// multiplied by S / 12 (`pixelScale`), so a config keeps its difficulty when only `imageSide` changes.
// Pixel noise and ink are intensities (image values live in [0, 1]) and do not scale.

/// Every parameter of the ParityDigits environment. Defaults reproduce the difficulty of the rl-razor feasibility
/// probe (12 × 12 seven-segment digits, 10 noisy texture classes; probe base: parity 0.83, prior 0.89). Measured with
/// this package's engine: an MLP 145→512→256→10 (Adam 1e-3, batch 64, soft parity targets) pretrained 400 epochs on
/// 500 + 500 images scores 0.81–0.84 held-out parity accuracy (argmax) and 0.88–0.90 prior-task accuracy over seeds
/// 0–2 (train accuracy 1.0); nearest-centroid on raw pixels gets ≈ 0.49 on digit classes and ≈ 0.59 on textures.
public struct ParityDigitsConfig: Codable, Equatable, Sendable {
    /// Side of the square image in pixels (images are imageSide × imageSide; 12 in the probe, 14 or 16 also work).
    public var imageSide: Int = 12

    // Digit glyphs (seven-segment strokes).
    /// Glyph height (top to bottom segment centre line) in reference pixels before scale jitter.
    public var glyphHeight: Float = 7.0
    /// Glyph width as a fraction of its height (seven-segment digits are about half as wide as tall).
    public var glyphAspect: Float = 0.55
    /// Scale jitter: the glyph's size is multiplied by a factor uniform in [1 − scaleJitter, 1 + scaleJitter].
    public var scaleJitter: Float = 0.15
    /// Translation jitter: the glyph's centre moves by uniform [−maxShift, maxShift] reference pixels on each axis.
    public var maxShift: Float = 1.2
    /// Slant jitter: horizontal shear (pixels of x per pixel of height, top leaning right when positive), uniform in
    /// [−maxSlant, maxSlant].
    public var maxSlant: Float = 0.3
    /// Smallest stroke width in reference pixels (the width is uniform in [strokeWidthMin, strokeWidthMax]).
    public var strokeWidthMin: Float = 0.8
    /// Largest stroke width in reference pixels.
    public var strokeWidthMax: Float = 1.6
    /// Standard deviation (reference pixels) of an independent Gaussian offset of each of the six segment corners,
    /// so that strokes wobble like handwriting.
    public var cornerJitter: Float = 0.35

    // Prior-task textures.
    /// Standard deviation (radians) of the rotation jitter of the oriented textures (stripes, checks, cross, frame).
    public var textureAngleJitter: Float = 0.1
    /// Smallest period (reference pixels) of periodic textures (stripes, checks, rings, dots); uniform up to the max.
    public var texturePeriodMin: Float = 3.5
    /// Largest period (reference pixels) of periodic textures.
    public var texturePeriodMax: Float = 5.0
    /// Translation jitter (reference pixels, each axis, uniform) of centred shapes (rings, blob, cross, frame, dots).
    public var textureMaxShift: Float = 1.5
    /// Contrast gain of the wave textures (stripes, checks, rings): the profile ½ + ½·g·wave is clamped to [0, 1], so
    /// g = 1 is a pure sinusoid and larger g approaches a square wave.
    public var textureSharpness: Float = 2
    /// Nominal radius (reference pixels) of the blob class's filled ellipse (its minor axis is 0.7 of it).
    public var blobRadius: Float = 2.6
    /// Nominal half side (reference pixels) of the frame class's hollow square.
    public var frameHalfSide: Float = 3.2
    /// Nominal radius (reference pixels) of each dot of the dots class.
    public var dotRadius: Float = 0.8
    /// Size jitter of blob, frame and dots: their nominal size is multiplied by uniform [1 − j, 1 + j].
    public var textureSizeJitter: Float = 0.2

    // Shared by both families.
    /// Smallest ink intensity of a stroke or texture (uniform in [inkMin, 1]); 1 is full white on black.
    public var inkMin: Float = 0.6
    /// Standard deviation of the additive Gaussian pixel noise; the noisy value is clamped to [0, 1].
    public var pixelNoise: Float = 0.22

    // Dataset sizes.
    /// Images per task in the joint pretraining set (500 in the paper's ParityMNIST setup and the probe).
    public var pretrainingPerTask: Int = 500
    /// Images per task in each held-out evaluation set.
    public var evaluationPerTask: Int = 1000

    public init() {}

    /// The default configuration (named for symmetry with experiments' `default` / `quick`).
    public static let standard = ParityDigitsConfig()

    /// Pixels per image: imageSide².
    public var pixelCount: Int { imageSide * imageSide }
    /// Width of one input row: the pixels then the task indicator (145 for 12 × 12).
    public var inputWidth: Int { pixelCount + 1 }
    /// Multiplier from reference pixels to this image's pixels: imageSide / 12.
    public var pixelScale: Float { Float(imageSide) / 12 }

    /// Checks every field's range; traps with a message naming the field (a programmer error, checked once by the
    /// generator's initialiser, never in a hot loop).
    public func validate() {
        require(imageSide >= 6 && imageSide <= 64, "ParityDigitsConfig.imageSide must be in 6...64, got \(imageSide)")
        require(glyphHeight > 0 && glyphHeight.isFinite, "ParityDigitsConfig.glyphHeight must be positive")
        require(glyphAspect > 0 && glyphAspect.isFinite, "ParityDigitsConfig.glyphAspect must be positive")
        require(scaleJitter >= 0 && scaleJitter < 1, "ParityDigitsConfig.scaleJitter must be in [0, 1)")
        require(maxShift >= 0 && maxShift.isFinite, "ParityDigitsConfig.maxShift must be ≥ 0")
        require(maxSlant >= 0 && maxSlant.isFinite, "ParityDigitsConfig.maxSlant must be ≥ 0")
        require(strokeWidthMin > 0 && strokeWidthMin <= strokeWidthMax && strokeWidthMax.isFinite,
                "ParityDigitsConfig: need 0 < strokeWidthMin ≤ strokeWidthMax")
        require(cornerJitter >= 0 && cornerJitter.isFinite, "ParityDigitsConfig.cornerJitter must be ≥ 0")
        require(textureAngleJitter >= 0 && textureAngleJitter.isFinite,
                "ParityDigitsConfig.textureAngleJitter must be ≥ 0")
        require(texturePeriodMin > 0 && texturePeriodMin <= texturePeriodMax && texturePeriodMax.isFinite,
                "ParityDigitsConfig: need 0 < texturePeriodMin ≤ texturePeriodMax")
        require(textureMaxShift >= 0 && textureMaxShift.isFinite, "ParityDigitsConfig.textureMaxShift must be ≥ 0")
        require(blobRadius > 0 && frameHalfSide > 0 && dotRadius > 0 && blobRadius.isFinite && frameHalfSide.isFinite
                && dotRadius.isFinite, "ParityDigitsConfig: blobRadius, frameHalfSide and dotRadius must be positive")
        require(textureSizeJitter >= 0 && textureSizeJitter < 1,
                "ParityDigitsConfig.textureSizeJitter must be in [0, 1)")
        require(textureSharpness > 0 && textureSharpness.isFinite,
                "ParityDigitsConfig.textureSharpness must be positive")
        require(inkMin > 0 && inkMin <= 1, "ParityDigitsConfig.inkMin must be in (0, 1]")
        require(pixelNoise >= 0 && pixelNoise.isFinite, "ParityDigitsConfig.pixelNoise must be ≥ 0")
        require(pretrainingPerTask >= 0, "ParityDigitsConfig.pretrainingPerTask must be ≥ 0")
        require(evaluationPerTask >= 0, "ParityDigitsConfig.evaluationPerTask must be ≥ 0")
    }
}
