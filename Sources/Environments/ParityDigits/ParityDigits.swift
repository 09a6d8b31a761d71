import Foundation
import Engine

// ParityDigits (the toy ParityMNIST of RL's Razor, Shenfeld et al. 2025): the label rules.
//
// New task ("parity"): the image shows a digit d ∈ 0…9 and every label y ∈ 0…9 with y ≡ d (mod 2) is correct, so each
// image has exactly five correct answers. Prior task ("prior"): the image shows one of ten texture classes and only
// that class is correct. This file holds the rules as pure functions on integers and probability vectors; they are
// total: an out-of-range digit, class or label never traps (it has no correct label and scores 0).

/// Which task an input row belongs to; its indicator is the input's last coordinate.
public enum ParityDigitsTask: String, Codable, CaseIterable, Sendable {
    /// The new task: any label with the digit's parity is correct (indicator +1).
    case parity
    /// The prior task: the texture's class is the one correct label (indicator −1; stands in for FashionMNIST).
    case prior

    /// The task-indicator input: +1 for parity, −1 for prior.
    public var indicator: Float { self == .parity ? 1 : -1 }
}

/// The label rules of both tasks, and exact divergences between per-input label distributions.
public enum ParityDigits {
    /// Labels per task (the model's output width).
    public static let classCount = 10
    /// Correct labels per parity image (every label of the digit's parity).
    public static let correctLabelsPerDigit = 5

    /// True when `value` is a valid digit, class or label (0…9).
    @inline(__always)
    public static func isClass(_ value: Int) -> Bool { value >= 0 && value < classCount }

    /// 0 for an even digit, 1 for an odd one; −1 when `digit` is outside 0…9.
    @inline(__always)
    public static func parity(of digit: Int) -> Int { isClass(digit) ? digit & 1 : -1 }

    // MARK: Parity task

    /// Whether `label` is a correct answer for an image of `digit`: both in 0…9 and of the same parity.
    /// False for any out-of-range label or digit.
    @inline(__always)
    public static func isCorrect(label: Int, digit: Int) -> Bool {
        isClass(label) && isClass(digit) && (label & 1) == (digit & 1)
    }

    /// The binary RL reward of answering `label` for `digit`: 1 when correct, 0 otherwise (also 0 when out of range).
    @inline(__always)
    public static func reward(label: Int, digit: Int) -> Float { isCorrect(label: label, digit: digit) ? 1 : 0 }

    /// The correct labels of `digit` in increasing order: [0, 2, 4, 6, 8] or [1, 3, 5, 7, 9]; [] out of range.
    public static func correctLabels(digit: Int) -> [Int] {
        guard isClass(digit) else { return [] }
        return Array(stride(from: digit & 1, to: classCount, by: 2))
    }

    /// The 10-entry correctness mask of `digit`: 1 on each correct label, 0 elsewhere (exactly five ones);
    /// all zeros out of range.
    public static func correctMask(digit: Int) -> [Float] {
        (0..<classCount).map { isCorrect(label: $0, digit: digit) ? 1 : 0 }
    }

    /// The parity pretraining target: uniform over the five correct labels (0.2 each), 0 elsewhere. This spread is
    /// what makes the KL-minimal correct policy differ from SFT's collapsed targets. All zeros out of range.
    public static func uniformTarget(digit: Int) -> [Float] {
        (0..<classCount).map { isCorrect(label: $0, digit: digit) ? 0.2 : 0 }
    }

    /// One correct label drawn uniformly (for pretraining on sampled labels): digit parity + 2·U{0…4}.
    /// Returns −1 (the engine's "ignore this row" target) when `digit` is out of range, without consuming randomness.
    public static func sampleCorrectLabel(digit: Int, rng: inout RandomStream) -> Int {
        guard isClass(digit) else { return -1 }
        return (digit & 1) + 2 * rng.int(correctLabelsPerDigit)
    }

    /// The probability mass a label distribution puts on correct labels: Σ_y p(y)·1[y correct]. This is the parity
    /// accuracy of a stochastic policy (its expected binary reward). Reads the first 10 entries of `probabilities`
    /// (missing entries count as 0); non-finite entries count as 0; 0 when `digit` is out of range.
    public static func correctMass(probabilities: [Float], digit: Int) -> Float {
        guard isClass(digit) else { return 0 }
        var s: Float = 0
        var y = digit & 1
        while y < min(classCount, probabilities.count) {
            let p = probabilities[y]
            if p.isFinite { s += p }
            y += 2
        }
        return s
    }

    /// The KL-minimal correct distribution ("Oracle SFT" target): q*(y) ∝ π₀(y)·1[y correct], i.e. the base policy
    /// `base` renormalised on the correct labels. Falls back to the uniform target when the base puts no finite
    /// positive mass there; all zeros when `digit` is out of range. Negative or non-finite base entries count as 0.
    public static func oracleTarget(digit: Int, base: [Float]) -> [Float] {
        guard isClass(digit) else { return [Float](repeating: 0, count: classCount) }
        var q = [Float](repeating: 0, count: classCount)
        var total: Double = 0
        for y in 0..<min(classCount, base.count) where isCorrect(label: y, digit: digit) {
            let p = base[y]
            if p.isFinite && p > 0 { q[y] = p; total += Double(p) }
        }
        guard total > 0 && total.isFinite else { return uniformTarget(digit: digit) }
        for y in 0..<classCount { q[y] = Float(Double(q[y]) / total) }
        return q
    }

    // MARK: Prior task

    /// Whether `label` is the correct answer for a prior-task image of `textureClass` (false out of range).
    @inline(__always)
    public static func isCorrect(label: Int, textureClass: Int) -> Bool { isClass(label) && label == textureClass }

    /// The prior task's target: one-hot on `textureClass`; all zeros out of range.
    public static func oneHot(_ textureClass: Int) -> [Float] {
        (0..<classCount).map { $0 == textureClass ? 1 : 0 }
    }

    // MARK: Exact divergences between label distributions

    /// KL(p ‖ q) = Σ_y p(y)·log(p(y)/q(y)) in nats, computed in Double. Terms with p(y) ≤ 0 contribute 0; q(y) is
    /// floored at 1e-30 so the result stays finite when q underflows. Reads min(p.count, q.count) entries.
    /// The forward KL of RL's Razor is `kl(base, policy)` (KL(π₀ ‖ π)); the reverse KL is `kl(policy, base)`.
    public static func kl(_ p: ArraySlice<Float>, _ q: ArraySlice<Float>) -> Double {
        var s = 0.0
        for (a, b) in zip(p, q) where a > 0 {
            s += Double(a) * (log(Double(a)) - log(Swift.max(Double(b), 1e-30)))
        }
        return s
    }

    /// Total variation ½·Σ_y |p(y) − q(y)| over min(p.count, q.count) entries.
    public static func totalVariation(_ p: ArraySlice<Float>, _ q: ArraySlice<Float>) -> Double {
        var s = 0.0
        for (a, b) in zip(p, q) { s += Swift.abs(Double(a) - Double(b)) }
        return 0.5 * s
    }

    /// Mean over rows of KL(p_row ‖ q_row) for two row-major [rows, 10] probability matrices (e.g. the base and
    /// fine-tuned policies' softmax on the same inputs). `p` and `q` must have the same size, a multiple of 10.
    public static func meanKL(_ p: [Float], _ q: [Float]) -> Double {
        rowMean(p, q) { kl($0, $1) }
    }

    /// Mean over rows of the total variation between two row-major [rows, 10] probability matrices.
    public static func meanTotalVariation(_ p: [Float], _ q: [Float]) -> Double {
        rowMean(p, q) { totalVariation($0, $1) }
    }

    static func rowMean(_ p: [Float], _ q: [Float], _ f: (ArraySlice<Float>, ArraySlice<Float>) -> Double) -> Double {
        require(p.count == q.count && p.count % classCount == 0,
                "ParityDigits: distributions must both be [rows, \(classCount)], got \(p.count) and \(q.count) values")
        let rows = p.count / classCount
        guard rows > 0 else { return 0 }
        var s = 0.0
        for r in 0..<rows {
            let range = (r * classCount)..<((r + 1) * classCount)
            s += f(p[range], q[range])
        }
        return s / Double(rows)
    }
}

/// The supervised label conventions of the rl-razor SFT baselines (from the public ParityMNIST replication).
/// Both put all their mass on a small subset of the correct labels, far from the base's spread distribution.
public enum ParityDigitsSFTVariant: String, Codable, CaseIterable, Sendable {
    /// SFT-1: even digit → label 0, odd digit → label 1 (one deterministic label).
    case sft1
    /// SFT-2: even digit → 0 or 4, odd digit → 1 or 5, each with probability ½ (drawn per example).
    case sft2

    /// The labels this variant may emit for `digit`: SFT-1 [0] / [1], SFT-2 [0, 4] / [1, 5]; [] out of range.
    public func labels(digit: Int) -> [Int] {
        guard ParityDigits.isClass(digit) else { return [] }
        let p = digit & 1
        switch self {
        case .sft1: return [p]
        case .sft2: return [p, p + 4]
        }
    }

    /// One supervised label for `digit` (SFT-2 draws one bit from `rng`; SFT-1 consumes nothing).
    /// −1 (the engine's "ignore" target) when `digit` is out of range, without consuming randomness.
    public func sampleLabel(digit: Int, rng: inout RandomStream) -> Int {
        guard ParityDigits.isClass(digit) else { return -1 }
        let p = digit & 1
        switch self {
        case .sft1: return p
        case .sft2: return rng.int(2) == 0 ? p : p + 4
        }
    }

    /// The expected SFT target distribution for `digit`: SFT-1 one-hot on 0 / 1; SFT-2 ½ on each of {0, 4} / {1, 5}.
    /// All zeros out of range.
    public func target(digit: Int) -> [Float] {
        let ls = labels(digit: digit)
        var t = [Float](repeating: 0, count: ParityDigits.classCount)
        for l in ls { t[l] = 1 / Float(ls.count) }
        return t
    }
}
