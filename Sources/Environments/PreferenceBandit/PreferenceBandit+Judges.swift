import Foundation
import Engine

// LLM-judge stand-ins for tournaments (ArenaRL): samples carry a latent gold quality q (e.g. r*(x, y) of a sampled
// response); judges see q through Gaussian perception noise. Every call takes an explicit RandomStream. Every
// function is total: NaN or infinite inputs give defined results (documented per function).

/// A noisy pairwise judge with position bias. In one call it perceives q₁ + σε₁ + b for the sample shown first and
/// q₂ + σε₂ for the second and picks the larger, so
///
///     P(first wins) = Φ((q₁ − q₂ + b) / (σ√2))
///
/// With σ = 0 the verdict is deterministic (a tie after the bias is a fair coin). One call = one judge query; a
/// bidirectional comparison (both orders) costs two.
public struct PreferenceBanditPairwiseJudge: Codable, Equatable, Sendable {
    /// σ: std of the Gaussian perception noise on each sample's quality, per call (0 = noiseless).
    public var noise: Double
    /// b: bonus added to the perceived quality of the sample shown first (position bias; 0 = none).
    public var positionBias: Double

    public init(noise: Double = 0.5, positionBias: Double = 0) {
        self.noise = noise; self.positionBias = positionBias
    }

    /// The first problem with these settings (noise must be finite and ≥ 0, the bias finite), or nil.
    public func problem() -> String? {
        if !noise.isFinite || noise < 0 { return "judge noise must be finite and ≥ 0" }
        if !positionBias.isFinite { return "positionBias must be finite" }
        return nil
    }

    /// P(the sample shown first wins). ½ whenever the inputs make it undefined (NaN quality or settings, ∞ − ∞).
    public func probabilityFirstWins(first: Double, second: Double) -> Double {
        let margin = first - second + positionBias
        if margin.isNaN || noise.isNaN { return 0.5 }
        if noise <= 0 { return margin > 0 ? 1 : (margin < 0 ? 0 : 0.5) }
        let z = margin / (noise * 2.0.squareRoot())
        if z.isNaN { return 0.5 }
        return PreferenceBanditPairwiseJudge.normalCDF(z)
    }

    /// One judge call: true when the sample shown first wins.
    public func firstWins(first: Double, second: Double, rng: inout RandomStream) -> Bool {
        rng.bernoulli(probabilityFirstWins(first: first, second: second))
    }

    /// Two calls, one in each order: the share of the two verdicts won by the sample of quality `a` (0, ½ or 1).
    /// Its expectation is ½(P(a first wins) + 1 − P(b first wins)), which has no position bias.
    public func bidirectionalScore(_ a: Double, _ b: Double, rng: inout RandomStream) -> Double {
        let aFirst = firstWins(first: a, second: b, rng: &rng) ? 1.0 : 0.0
        let bFirst = firstWins(first: b, second: a, rng: &rng) ? 0.0 : 1.0
        return (aFirst + bFirst) / 2
    }

    /// Φ(z), the standard normal CDF.
    static func normalCDF(_ z: Double) -> Double { 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) }
}

/// A noisy pointwise judge on a coarse 1–10 scale. It perceives q + σε and squashes it:
///
///     score = 1 + round(9 · σ_logistic(slope · (q + σε − center)))  ∈ {1, …, 10}
///
/// (round half up). Samples whose qualities differ by much less than a score bucket get the same score, so
/// within-group score differences collapse while the noise does not (ArenaRL's argument for ranking).
public struct PreferenceBanditPointwiseJudge: Codable, Equatable, Sendable {
    /// σ: std of the Gaussian perception noise on the quality, per call (0 = noiseless).
    public var noise: Double
    /// The quality that lands mid-scale (score 5 or 6).
    public var center: Double
    /// Steepness of the squash per unit quality (> 0).
    public var slope: Double

    public static let lowestScore = 1
    public static let highestScore = 10

    public init(noise: Double = 0.5, center: Double = 0, slope: Double = 1) {
        self.noise = noise; self.center = center; self.slope = slope
    }

    /// The first problem with these settings (noise finite ≥ 0, center finite, slope finite > 0), or nil.
    public func problem() -> String? {
        if !noise.isFinite || noise < 0 { return "judge noise must be finite and ≥ 0" }
        if !center.isFinite { return "center must be finite" }
        if !slope.isFinite || slope <= 0 { return "slope must be finite and positive" }
        return nil
    }

    /// The score of a perceived quality, always in 1…10: +∞ → 10, −∞ → 1, NaN → 1.
    public func score(perceivedQuality p: Double) -> Int {
        let u = 9 * PreferenceBandit.sigmoid(slope * (p - center))
        if u.isNaN || p.isNaN { return Self.lowestScore }
        let s = 1 + Int((u + 0.5).rounded(.down))
        return Swift.min(Self.highestScore, Swift.max(Self.lowestScore, s))
    }

    /// The score without noise.
    public func noiselessScore(quality: Double) -> Int { score(perceivedQuality: quality) }

    /// One judge call: the score of q + σε. Always in 1…10.
    public func score(quality: Double, rng: inout RandomStream) -> Int {
        let eps = rng.gaussian()
        let perceived = noise > 0 && noise.isFinite ? quality + noise * eps : quality
        return score(perceivedQuality: perceived)
    }

    /// The exact distribution of `score(quality:rng:)`: 10 probabilities for scores 1…10. Score s is given when the
    /// perceived quality lies between the thresholds t_{s−1} ≤ p < t_s, t_s = center + logit((s − 0.5)/9) / slope.
    /// With σ = 0, invalid settings or a non-finite quality it is a point mass at the noiseless score.
    public func scoreDistribution(quality: Double) -> [Double] {
        var out = [Double](repeating: 0, count: Self.highestScore)
        guard problem() == nil, noise > 0, quality.isFinite else {
            out[noiselessScore(quality: quality) - 1] = 1
            return out
        }
        var below = 0.0
        for s in 1...Self.highestScore {
            let upTo: Double
            if s == Self.highestScore { upTo = 1 } else {
                let t = (Double(s) - 0.5) / 9
                let threshold = center + Foundation.log(t / (1 - t)) / slope
                upTo = PreferenceBanditPairwiseJudge.normalCDF((threshold - quality) / noise)
            }
            out[s - 1] = Swift.max(0, upTo - below)
            below = Swift.max(below, upTo)
        }
        return out
    }
}
