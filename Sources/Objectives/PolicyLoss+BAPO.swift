import Foundation
import Engine

/// BAPO's knobs (Xi et al. 2025, "BAPO: Stabilizing Off-Policy RL for LLMs via Balanced Policy Optimization with
/// Adaptive Clipping"). Bounds are explicit ratio bounds c_low < 1 < c_high, not epsilons.
public struct BAPOConfig: Codable, Equatable, Sendable {
    /// ρ₀: the least share of the loss that positive-advantage tokens must carry (the catalogue's 0.4; the paper's
    /// released recipe uses 0.5).
    public var targetPositiveShare: Double
    /// a⁻ and b⁻: c_low starts at `lowerBoundStart` and may rise to `lowerBoundMax` ([0.6, 0.9]).
    public var lowerBoundStart: Float, lowerBoundMax: Float
    /// a⁺ and b⁺: c_high starts at `upperBoundStart` and may rise to `upperBoundMax` ([1.2, 3.0]).
    public var upperBoundStart: Float, upperBoundMax: Float
    /// δ⁻, δ⁺: how far one search step moves c_low and c_high (0.02 and 0.05).
    public var lowerBoundStep: Float, upperBoundStep: Float
    /// Dual-clip constant c for negative advantages (verl's BAPO recipe keeps verl's c = 3); nil disables it.
    public var dualClip: Float?

    public init(targetPositiveShare: Double = 0.4, lowerBoundStart: Float = 0.6, lowerBoundMax: Float = 0.9,
                upperBoundStart: Float = 1.2, upperBoundMax: Float = 3.0, lowerBoundStep: Float = 0.02,
                upperBoundStep: Float = 0.05, dualClip: Float? = 3) {
        self.targetPositiveShare = targetPositiveShare
        self.lowerBoundStart = lowerBoundStart; self.lowerBoundMax = lowerBoundMax
        self.upperBoundStart = upperBoundStart; self.upperBoundMax = upperBoundMax
        self.lowerBoundStep = lowerBoundStep; self.upperBoundStep = upperBoundStep
        self.dualClip = dualClip
    }
}

/// The bounds BAPO chose for one batch.
public struct BAPOBounds: Equatable, Sendable {
    /// c_low and c_high: the surrogate clips ρ to [low, high].
    public var low: Float, high: Float
    /// The positive-advantage share of the loss at these bounds.
    public var positiveShare: Double
    /// Search steps taken (0 when the starting bounds already satisfied ρ₀).
    public var steps: Int

    public init(low: Float, high: Float, positiveShare: Double, steps: Int) {
        self.low = low; self.high = high; self.positiveShare = positiveShare; self.steps = steps
    }
}

extension PolicyLoss {
    /// BAPO: PPO's surrogate with asymmetric ratio bounds [c_low, c_high] chosen per batch so that positive-advantage
    /// tokens carry at least ρ₀ of the loss:
    ///   ℓ_t = max(−ρ_t·A_t, −clip(ρ_t, c_low, c_high)·A_t)   (+ dual clip for A < 0),
    /// with (c_low, c_high) from `bapoBounds` (see there for the search) unless `bounds` is given.
    ///
    /// Pass `bounds` computed once on the whole batch when the loss is evaluated in minibatches or micro-batches:
    /// otherwise each call searches on its own rows. Returns the bounds used.
    public static func bapo(_ inputs: PolicyInputs, aggregation: Aggregation = .tokenMean,
                            globalTokenCount: Int? = nil, globalSequenceCount: Int? = nil,
                            config: BAPOConfig = BAPOConfig(), bounds: BAPOBounds? = nil) -> (result: PolicyLossResult, bounds: BAPOBounds) {
        let chosen = bounds ?? bapoBounds(logProbs: inputs.logProbs.scalars, oldLogProbs: inputs.oldLogProbs.scalars,
                                          advantages: inputs.advantages.scalars, mask: inputs.mask.scalars, config: config)
        let ratio = (inputs.logProbs - inputs.oldLogProbs).exp()
        let (perToken, clipped) = clippedSurrogate(ratio: ratio, advantages: inputs.advantages,
                                                   lower: chosen.low, upper: chosen.high, dualClip: config.dualClip)
        let loss = aggregate(perToken, mask: inputs.mask, mode: aggregation,
                             globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        return (PolicyLossResult(loss: loss, diagnostics: diagnostics(inputs, clipped: clipped)), chosen)
    }

    /// BAPO's bound search on one batch (per-token arrays, any layout, masked by `mask`).
    ///
    /// Contribution of a token: |ρ_t·A_t| if it still passes gradient at bounds (c_low, c_high) — A > 0 with
    /// ρ ≤ c_high, or A < 0 with c_low ≤ ρ (≤ c under dual clip) — else 0. Positive share = Σ_{A>0} / Σ_all (1 when
    /// nothing contributes). Search (the paper's Algorithm 1 as we read it): start at (a⁻, a⁺); while the share is
    /// below ρ₀, raise c_high by δ⁺ if that keeps it ≤ b⁺ and raise c_low by δ⁻ if that keeps it ≤ b⁻ (raising
    /// c_high admits more positive tokens, raising c_low clips more negative ones); stop when the share reaches ρ₀
    /// or neither bound can move. verl's BAPO recipe differs slightly: it raises c_low to its maximum first, then
    /// c_high, and compares a positive/negative ratio rather than a share.
    public static func bapoBounds(logProbs: [Float], oldLogProbs: [Float], advantages: [Float], mask: [Float],
                                  config: BAPOConfig = BAPOConfig()) -> BAPOBounds {
        require(logProbs.count == oldLogProbs.count && logProbs.count == advantages.count && logProbs.count == mask.count,
                "bapoBounds: \(logProbs.count), \(oldLogProbs.count), \(advantages.count), \(mask.count) values differ")
        require(config.lowerBoundStart <= config.lowerBoundMax && config.lowerBoundMax <= 1
                && 1 <= config.upperBoundStart && config.upperBoundStart <= config.upperBoundMax,
                "bapoBounds: need a⁻ ≤ b⁻ ≤ 1 ≤ a⁺ ≤ b⁺")
        let ratios = zip(logProbs, oldLogProbs).map { Foundation.exp(Double($0) - Double($1)) }
        func positiveShare(low: Double, high: Double) -> Double {
            var positive = 0.0, total = 0.0
            for i in ratios.indices where mask[i] != 0 {
                let ratio = ratios[i], advantage = Double(advantages[i])
                let passesGradient = advantage > 0 ? ratio <= high
                    : advantage < 0 && ratio >= low && (config.dualClip.map { ratio <= Double($0) } ?? true)
                guard passesGradient else { continue }
                let contribution = Swift.abs(ratio * advantage)
                total += contribution
                if advantage > 0 { positive += contribution }
            }
            return total > 0 ? positive / total : 1
        }
        let tolerance = 1e-6                   // Float bounds and steps seen in Double: 0.6 + 15·0.02 lands a hair above 0.9
        var lowSteps = 0, highSteps = 0, steps = 0
        var low: Double { Double(config.lowerBoundStart) + Double(lowSteps) * Double(config.lowerBoundStep) }
        var high: Double { Double(config.upperBoundStart) + Double(highSteps) * Double(config.upperBoundStep) }
        var share = positiveShare(low: low, high: high)
        while share < config.targetPositiveShare {
            var moved = false
            if config.upperBoundStep > 0 && high + Double(config.upperBoundStep) <= Double(config.upperBoundMax) + tolerance {
                highSteps += 1; moved = true
            }
            if config.lowerBoundStep > 0 && low + Double(config.lowerBoundStep) <= Double(config.lowerBoundMax) + tolerance {
                lowSteps += 1; moved = true
            }
            guard moved else { break }
            steps += 1
            share = positiveShare(low: low, high: high)
        }
        return BAPOBounds(low: Float(low), high: Float(high), positiveShare: share, steps: steps)
    }
}
