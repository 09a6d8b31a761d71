import Foundation

// Configuration, label settings, evaluators and errors of the PreferenceBandit environment.

/// How the responses that may appear in preference pairs are chosen in each context (the "support" of the data).
public enum PreferenceBanditSupportRule: String, Codable, Equatable, Sendable {
    /// A uniformly random subset of `supportSize` responses per context (fixed by seed).
    case random
    /// The `supportSize` responses that π_ref makes most likely (ties: lower index first) — what a finite sample
    /// from π_ref mostly covers.
    case referenceMostLikely
}

/// Everything that defines one PreferenceBandit instance. With the same config and seed the instance is identical on
/// every machine. Defaults give 160 contexts × 32 responses × 10 features, split 96 / 32 / 32 (train / validation /
/// test).
public struct PreferenceBanditConfig: Codable, Equatable, Sendable {
    // Sizes and splits
    /// Contexts x (prompts); the spec asks for a few dozen to a few hundred. At least 3.
    public var contextCount = 160
    /// Candidate responses per context, K (the spec: 16–100). At least 2.
    public var responseCount = 32
    /// Features per response, d ≥ 2. Feature 0 is the normalised length (see `minTokens`); 1…d−1 are Gaussian.
    public var featureCount = 10
    /// Contexts in the fixed test split (held out for reporting).
    public var testContextCount = 32
    /// Contexts in the fixed validation split (for choosing hyperparameters); the rest are training contexts.
    public var validationContextCount = 32

    // Features
    /// Std of the per-context shift μ_x added to every response's non-length features, so features depend on the
    /// context: φ_j(x, y) = μ_{x,j} + ε_{x,y,j}, ε ~ N(0, 1).
    public var contextSpread = 0.5

    // Gold reward r*(φ) = w·φ + Σ_m a_m tanh(v_m·φ + b_m)
    /// ‖w‖ over the non-length features (w drawn at random, then rescaled to this norm).
    public var goldLinearNorm = 1.0
    /// Weight of the length feature in the linear part (a mild preference for longer responses).
    public var goldLengthWeight = 0.3
    /// Number of random tanh terms (directions v_m ~ N(0, I/d), offsets b_m ~ N(0, 0.5²)).
    public var goldNonlinearTerms = 4
    /// Std of each random tanh term's weight a_m (the non-linearity is bounded by Σ|a_m|).
    public var goldNonlinearScale = 0.4
    /// Depth P of the length-overshoot term −(P/2)·tanh(s·(φ₀ − τ)): responses longer than τ lose up to P (0 = off).
    public var goldLengthPenalty = 3.0
    /// Threshold τ of the length-overshoot term, in length-feature units (φ₀ ∈ [−1, 1]).
    public var goldLengthThreshold = 0.5
    /// Sharpness s of the length-overshoot term.
    public var goldLengthSharpness = 6.0

    // Reference (SFT) policy π_ref(y|x) ∝ exp(ℓ_ref(x, y))
    /// Pearson correlation, within every context, between the main part of π_ref's logits and the gold rewards
    /// (negative = misaligned: π_ref prefers worse responses). Exact by construction before the length term and the
    /// cap below. In [−1, 1].
    public var referenceAlignment = -0.3
    /// Std of π_ref's logits within a context (its sharpness). ≥ 0.
    public var referenceScale = 1.5
    /// How strongly π_ref avoids long responses (an SFT model rarely writes the longest answers): −a·φ₀ is added to
    /// its logits after the correlated part, a = this value (0 = none). Very long responses are then rare under π_ref
    /// and in offline data, which is where a length-biased proxy reward model is over-optimised.
    public var referenceLengthAversion = 3.0
    /// How many of the gold-best responses per context have their π_ref mass capped (0 = no cap).
    public var referenceTopCount = 3
    /// Cap on the π_ref mass of each of those top responses, as a fraction of uniform (mass ≤ cap / K, so their
    /// total is ≤ cap · topCount / K). Must be positive; 0.5 means at most half of uniform.
    public var referenceTopMassCap = 0.5

    // Support of the preference data
    /// Responses per context that may appear in preference pairs (0 = all K; otherwise 2…K).
    public var supportSize = 0
    /// How the support is chosen.
    public var supportRule = PreferenceBanditSupportRule.referenceMostLikely

    // Sequence variant
    /// Fewest content tokens in a response (≥ 1). The length feature is φ₀ = (L − mid) / half with
    /// mid = (min + max)/2, half = max(1, (max − min)/2), so φ₀ ∈ [−1, 1] for the default 2…8.
    public var minTokens = 2
    /// Most content tokens in a response (≤ 12; the end token comes after them).
    public var maxTokens = 8
    /// Content tokens in the vocabulary (2…26; written "a", "b", …). contentVocabularySize^minTokens must be ≥ K so
    /// every context can have K distinct token strings.
    public var contentVocabularySize = 16
    /// How strongly a response's tokens reflect its features: token v is drawn with logit coupling · (E_v · φ),
    /// E_v ~ N(0, I/d) fixed per token (0 = tokens carry no feature information).
    public var tokenFeatureCoupling = 1.0

    // Simulated annotators (AlpacaFarm-style pool)
    /// Annotators in the pool (AlpacaFarm used 13 simulated annotators; "about a dozen").
    public var annotatorCount = 12
    /// Mean of each annotator's bias weight on the length feature (their preference for long answers).
    public var annotatorLengthBiasMean = 2.0
    /// Std of that length bias across annotators.
    public var annotatorLengthBiasStd = 0.5
    /// Std of each annotator's random bias weights on the other features.
    public var annotatorFeatureBiasStd = 0.15
    /// Smallest annotator noise scale (logistic temperature of its Bradley–Terry preference). ≥ 0.
    public var annotatorNoiseMin = 0.3
    /// Largest annotator noise scale (each annotator's is uniform in [min, max]).
    public var annotatorNoiseMax = 1.0
    /// Scale of the pool's biases in the evaluation annotator: it votes with r* + λ·bias_a·φ (λ = this value). 1 is
    /// the pool as it is (AlpacaFarm: the evaluator shares the annotators' length bias); 0 leaves a noisy,
    /// unbiased majority of gold. ≥ 0.
    public var evaluationBiasScale = 1.0

    public init() {}

    /// The defaults: 160 × 32 × 10, 12 annotators.
    public static let standard = PreferenceBanditConfig()

    /// A small instance for unit tests and quick runs: 24 contexts × 16 responses × 6 features, split 12 / 6 / 6.
    public static let small: PreferenceBanditConfig = {
        var c = PreferenceBanditConfig()
        c.contextCount = 24; c.responseCount = 16; c.featureCount = 6
        c.testContextCount = 6; c.validationContextCount = 6
        return c
    }()

    /// The first problem with this configuration, or nil when it is valid. Valid: the ranges in the fields' comments;
    /// every real-valued field finite with |x| ≤ 1000 (no field has a use beyond that, and larger values overflow
    /// the exponentials of the policies and annotators).
    public func problem() -> String? {
        func bad(_ x: Double) -> Bool { !(x.isFinite && Swift.abs(x) <= 1000) }
        if contextCount < 3 || contextCount > 5000 { return "contextCount must be in 3…5000 (got \(contextCount))" }
        if responseCount < 2 || responseCount > 512 { return "responseCount must be in 2…512 (got \(responseCount))" }
        if contextCount * responseCount * responseCount > 10_000_000 {
            return "contextCount × responseCount² must be ≤ 10^7 (the evaluation annotator's table)"
        }
        if featureCount < 2 || featureCount > 256 { return "featureCount must be in 2…256 (got \(featureCount))" }
        if testContextCount < 0 || validationContextCount < 0 || testContextCount >= contextCount || validationContextCount >= contextCount
            || testContextCount + validationContextCount >= contextCount {
            return "testContextCount and validationContextCount must be ≥ 0 and leave at least one training context"
        }
        let doubles = [contextSpread, goldLinearNorm, goldLengthWeight, goldNonlinearScale, goldLengthPenalty,
                       goldLengthThreshold, goldLengthSharpness, referenceAlignment, referenceScale, referenceTopMassCap,
                       referenceLengthAversion, evaluationBiasScale,
                       tokenFeatureCoupling, annotatorLengthBiasMean, annotatorLengthBiasStd, annotatorFeatureBiasStd,
                       annotatorNoiseMin, annotatorNoiseMax]
        if doubles.contains(where: bad) { return "every real-valued field must be finite with |x| ≤ 1000" }
        if contextSpread < 0 || goldLinearNorm < 0 || goldNonlinearScale < 0 || goldLengthSharpness < 0 {
            return "contextSpread, goldLinearNorm, goldNonlinearScale and goldLengthSharpness must be ≥ 0"
        }
        if goldNonlinearTerms < 0 || goldNonlinearTerms > 1000 { return "goldNonlinearTerms must be in 0…1000" }
        if referenceAlignment < -1 || referenceAlignment > 1 { return "referenceAlignment must be in [−1, 1]" }
        if referenceScale < 0 || referenceScale > 100 { return "referenceScale must be in [0, 100]" }
        if referenceTopCount < 0 || referenceTopCount > responseCount { return "referenceTopCount must be in 0…responseCount" }
        if referenceTopMassCap <= 0 { return "referenceTopMassCap must be positive" }
        if supportSize != 0 && (supportSize < 2 || supportSize > responseCount) { return "supportSize must be 0 (all) or in 2…responseCount" }
        if minTokens < 1 || maxTokens > 12 || minTokens > maxTokens { return "need 1 ≤ minTokens ≤ maxTokens ≤ 12" }
        if contentVocabularySize < 2 || contentVocabularySize > 26 { return "contentVocabularySize must be in 2…26" }
        if Foundation.pow(Double(contentVocabularySize), Double(minTokens)) < Double(responseCount) {
            return "contentVocabularySize^minTokens must be ≥ responseCount so token strings can be distinct"
        }
        if annotatorCount < 1 || annotatorCount > 1000 { return "annotatorCount must be in 1…1000" }
        if annotatorLengthBiasStd < 0 || annotatorFeatureBiasStd < 0 { return "annotator bias stds must be ≥ 0" }
        if annotatorNoiseMin < 0 || annotatorNoiseMax < annotatorNoiseMin { return "need 0 ≤ annotatorNoiseMin ≤ annotatorNoiseMax" }
        if evaluationBiasScale < 0 { return "evaluationBiasScale must be ≥ 0" }
        return nil
    }
}

/// How a sampled pair gets its label.
public enum PreferenceBanditLabelMode: String, Codable, Equatable, Sendable {
    /// Bradley–Terry on the gold reward: P(y₁ ≻ y₂) = σ(β · (r*(y₁) − r*(y₂))), β = `scale`.
    case bradleyTerry
    /// The response with the higher gold reward always wins (the IPO setting); ties go to the lower index.
    /// Flips are not applied in this mode.
    case deterministic
    /// A random annotator of the pool labels the pair with its own biased, noisy Bradley–Terry preference.
    case annotatorPool
}

/// Label settings for sampled preference pairs.
public struct PreferenceBanditLabelConfig: Codable, Equatable, Sendable {
    /// Who labels the pair.
    public var mode: PreferenceBanditLabelMode
    /// β of the Bradley–Terry mode (inverse temperature on the gold-reward difference). Finite, ≥ 0.
    public var scale: Double
    /// Probability that a drawn label is flipped afterwards (bradleyTerry and annotatorPool modes). In [0, 1].
    public var flipRate: Double

    public init(mode: PreferenceBanditLabelMode = .bradleyTerry, scale: Double = 1, flipRate: Double = 0) {
        self.mode = mode; self.scale = scale; self.flipRate = flipRate
    }

    /// Bradley–Terry on the gold reward, β = 1, no flips.
    public static let clean = PreferenceBanditLabelConfig()
    /// The better gold reward always wins (IPO's deterministic preferences).
    public static let deterministic = PreferenceBanditLabelConfig(mode: .deterministic)
    /// AlpacaFarm's training labels: a random pool annotator, then 25% of labels flipped.
    public static let annotatorTraining = PreferenceBanditLabelConfig(mode: .annotatorPool, flipRate: 0.25)

    /// The first problem with these settings, or nil when they are valid.
    public func problem() -> String? {
        if !scale.isFinite || scale < 0 { return "label scale must be finite and ≥ 0 (got \(scale))" }
        if !(flipRate >= 0 && flipRate <= 1) { return "flipRate must be in [0, 1] (got \(flipRate))" }
        return nil
    }
}

/// Who decides a comparison when win-rates are measured.
public enum PreferenceBanditEvaluator: String, Codable, Equatable, Sendable {
    /// The evaluation annotator: the pool's majority vote, every annotator voting with its own Bradley–Terry
    /// probability and no flips; an even split is decided by a fair coin (so it counts 1/2). It shares the pool's
    /// biases (scaled by `evaluationBiasScale`), so with the default length bias it prefers long responses.
    case annotatorMajority
    /// The gold reward, deterministically: 1 if r*(a) > r*(b), 1/2 on a tie, 0 otherwise.
    case gold
    /// The gold reward through Bradley–Terry with β = 1: σ(r*(a) − r*(b)).
    case goldBradleyTerry
}

/// A clear error for input that cannot be used (the library never traps on untrusted input).
public enum PreferenceBanditError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidConfig(String)
    case contextOutOfRange(Int)
    case responseOutOfRange(context: Int, response: Int)
    /// A policy row that is not a usable distribution over the K responses.
    case invalidPolicy(context: Int, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .invalidConfig(s): return "PreferenceBandit: invalid config: \(s)"
        case let .contextOutOfRange(c): return "PreferenceBandit: context \(c) out of range"
        case let .responseOutOfRange(c, r): return "PreferenceBandit: response \(r) out of range in context \(c)"
        case let .invalidPolicy(c, r): return "PreferenceBandit: invalid policy for context \(c): \(r)"
        case let .invalidArgument(s): return "PreferenceBandit: \(s)"
        }
    }
}
