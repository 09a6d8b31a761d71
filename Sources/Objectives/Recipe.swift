import Foundation
import Engine

// The objectives as values: each estimator and loss is a Codable value carrying its parameters, with one function
// that applies it. A training method is then data (a `Recipe`), so it can be printed, compared, overridden from the
// command line and named from what it is.

/// How per-sequence rewards become per-sequence advantages. Rows i·G … i·G+G−1 share a prompt (G = group size).
public enum AdvantageEstimator: Codable, Hashable, Sendable {
    /// A = r (REINFORCE without a baseline; Williams 1992).
    case reinforce
    /// A = r − mean_{j≠i} r_j (RLOO; Kool et al. 2019, Ahmadian et al. 2024).
    case rloo
    /// A = (r − mean_g) / (std_g + ε) (GRPO; Shao et al. 2024).
    case grpo
    /// A = r − mean_g (Dr.GRPO; Liu et al. 2025): no std normalisation.
    case drGRPO
    /// GPG (Chu et al. 2025): Dr.GRPO's advantage scaled by B / (samples with a nonzero reward).
    case gpg
    /// PSR: A = r on r ∈ {0, 1}, only correct samples pushed up (Zhu et al. 2025).
    case psr
    /// NSR: A = r − 1 on r ∈ {0, 1}, only wrong samples pushed down (Zhu et al. 2025).
    case nsr
    /// W-REINFORCE: A = λ if correct, −1 if wrong (Zhu et al. 2025; λ = 0.1 in the paper).
    case wReinforce(lambda: Float)
    /// RAFT: A = max(r, 0), supervised learning on the positive samples (Dong et al. 2023).
    case raft
    /// GAE on a learned value function (PPO; Schulman et al. 2016): the trainer owns the critic, so
    /// `advantages(rewards:groupSize:)` cannot compute it from rewards alone.
    case gae(gamma: Double, lambda: Double, whiten: Bool)

    /// Whether the estimator needs a learned value function.
    public var needsCritic: Bool { if case .gae = self { return true } else { return false } }

    /// The advantages of `rewards` (all estimators except `.gae`, which the trainer computes from its critic).
    public func advantages(rewards r: [Float], groupSize g: Int) -> [Float] {
        switch self {
        case .reinforce: return Advantages.reinforce(rewards: r)
        case .rloo: return Advantages.rloo(rewards: r, groupSize: g)
        case .grpo: return Advantages.grpo(rewards: r, groupSize: g)
        case .drGRPO: return Advantages.drGRPO(rewards: r, groupSize: g)
        case .gpg: return Advantages.gpg(rewards: r, groupSize: g)
        case .psr: return Advantages.positiveSampleReinforcement(rewards: r)
        case .nsr: return Advantages.negativeSampleReinforcement(rewards: r)
        case let .wReinforce(lambda): return Advantages.weightedReinforce(rewards: r, positiveWeight: lambda)
        case .raft: return Advantages.raft(rewards: r)
        case .gae: fatalError("AdvantageEstimator.gae: advantages come from the trainer's critic")
        }
    }
}

/// The per-token policy loss.
public enum PolicyObjective: Codable, Hashable, Sendable {
    /// −A·lp (REINFORCE surrogate; no ratio).
    case vanilla
    /// −ρ·A, no clip.
    case importanceSampling
    /// PPO's clipped surrogate with clip-higher (DAPO) and an optional dual clip (Ye et al. 2020).
    case ppoClip(low: Float, high: Float, dualClip: Float?)
    /// CISPO (MiniMax-M1, 2025): the clipped importance weight, gradient kept for every token.
    case cispo(low: Float, high: Float)
    /// GPPO (Su et al. 2025): PPO's value with a bounded gradient on the clipped side.
    case gppo(low: Float, high: Float)
    /// GSPO (Zheng et al. 2025): one importance ratio per sequence.
    case gspo(low: Float, high: Float)

    /// PPO-clip with ε = 0.2 and verl's dual clip c = 3 (PolicyLoss.ppoClip's defaults).
    public static let ppo = PolicyObjective.ppoClip(low: 0.2, high: 0.2, dualClip: 3)

    public func loss(_ inputs: PolicyInputs, aggregation: Aggregation, globalTokenCount: Int?, globalSequenceCount: Int?) -> PolicyLossResult {
        switch self {
        case .vanilla:
            return PolicyLoss.vanilla(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount)
        case .importanceSampling:
            return PolicyLoss.importanceSampling(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount,
                                                 globalSequenceCount: globalSequenceCount)
        case let .ppoClip(low, high, dual):
            return PolicyLoss.ppoClip(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount,
                                      clipEpsilonLow: low, clipEpsilonHigh: high, dualClip: dual)
        case let .cispo(low, high):
            return PolicyLoss.cispo(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount,
                                    clipEpsilonLow: low, clipEpsilonHigh: high)
        case let .gppo(low, high):
            return PolicyLoss.gppo(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount,
                                   clipEpsilonLow: low, clipEpsilonHigh: high)
        case let .gspo(low, high):
            return PolicyLoss.gspo(inputs, aggregation: aggregation, globalTokenCount: globalTokenCount, globalSequenceCount: globalSequenceCount,
                                   clipEpsilonLow: low, clipEpsilonHigh: high)
        }
    }
}

/// How a recipe reduces per-token losses; `tokenSumOverMaximum` is resolved by the trainer from its batch layout.
public enum RecipeAggregation: Codable, Hashable, Sendable {
    /// The trainer's configured aggregation (token-mean unless the trainer says otherwise).
    case trainerDefault
    case tokenMean
    case sequenceMeanOfTokenMeans
    case sequenceMeanOfTokenSums
    /// Σ ℓ·m / C with C = rows per minibatch × the maximum response length (Dr.GRPO's constant).
    case tokenSumOverMaximum

    /// The concrete aggregation, given the trainer's default and C.
    public func resolved(default d: Aggregation, maximumTokensPerMinibatch: Int) -> Aggregation {
        switch self {
        case .trainerDefault: return d
        case .tokenMean: return .tokenMean
        case .sequenceMeanOfTokenMeans: return .sequenceMeanOfTokenMeans
        case .sequenceMeanOfTokenSums: return .sequenceMeanOfTokenSums
        case .tokenSumOverMaximum: return .tokenSumOverConstant(Float(maximumTokensPerMinibatch))
        }
    }
}

/// Which samples a recipe trains on.
public enum SampleFilter: Codable, Hashable, Sendable {
    case all
    /// Samples with a positive reward only (RAFT).
    case positiveReward
    /// Groups whose rewards are all equal dropped: all-correct ones, all-wrong ones, or both (Reinforce-Rej, Xiong et
    /// al. 2025; DAPO's dynamic sampling without refill).
    case dropUniformGroups(allCorrect: Bool, allWrong: Bool)

    /// Which rows are kept.
    public func kept(rewards: [Float], groupSize: Int) -> [Bool] {
        switch self {
        case .all: return [Bool](repeating: true, count: rewards.count)
        case .positiveReward: return rewards.map { $0 > 0 }
        case let .dropUniformGroups(correct, wrong):
            return Advantages.reinforceRejKept(rewards: rewards, groupSize: groupSize, dropAllCorrect: correct, dropAllWrong: wrong)
        }
    }
}

/// One policy-gradient method: an advantage estimator, a policy objective, an aggregation, an optional KL to the
/// reference and a sample filter. Two recipes are the same method exactly when they are equal.
public struct Recipe: Codable, Hashable, Sendable {
    public var advantage: AdvantageEstimator
    public var objective: PolicyObjective
    public var aggregation: RecipeAggregation
    /// KL to the reference, in the reward or in the loss (nil = none).
    public var kl: KLRegularization?
    public var filter: SampleFilter

    public init(advantage: AdvantageEstimator, objective: PolicyObjective, aggregation: RecipeAggregation = .trainerDefault,
                kl: KLRegularization? = nil, filter: SampleFilter = .all) {
        self.advantage = advantage; self.objective = objective; self.aggregation = aggregation; self.kl = kl; self.filter = filter
    }
}

extension KLRegularization: Hashable {
    public func hash(into h: inout Hasher) { h.combine(coefficient); h.combine(estimator); h.combine(placement) }
}

extension AdvantageEstimator {
    /// The first parameter out of its valid range, or nil: W-REINFORCE's λ in [0, 1000]; GAE's γ and λ in [0, 1].
    public func problem() -> String? {
        switch self {
        case let .wReinforce(lambda): return lambda >= 0 && lambda <= 1000 ? nil : "wReinforce's lambda must be in [0, 1000]"
        case let .gae(gamma, lambda, _): return (0...1).contains(gamma) && (0...1).contains(lambda) ? nil : "gae's gamma and lambda must be in [0, 1]"
        default: return nil
        }
    }
}

extension PolicyObjective {
    /// The first parameter out of its valid range, or nil: clip ε_low in [0, 1), ε_high in [0, 10], a dual clip nil or in
    /// (1, 1000].
    public func problem() -> String? {
        func clip(_ low: Float, _ high: Float) -> String? {
            low >= 0 && low < 1 && high >= 0 && high <= 10 ? nil : "clip bounds must be low in [0, 1), high in [0, 10] (got \(low), \(high))"
        }
        switch self {
        case .vanilla, .importanceSampling: return nil
        case let .ppoClip(low, high, dual):
            if let dual, !(dual > 1 && dual <= 1000) { return "dualClip must be nil or in (1, 1000] (got \(dual))" }
            return clip(low, high)
        case let .cispo(low, high), let .gppo(low, high), let .gspo(low, high): return clip(low, high)
        }
    }
}

extension Recipe {
    /// The first parameter out of its valid range, or nil (the advantage's, the objective's, the KL coefficient in
    /// [0, 1000]).
    public func problem() -> String? {
        if let p = advantage.problem() ?? objective.problem() { return p }
        if let kl, !(kl.coefficient >= 0 && kl.coefficient <= 1000) { return "kl.coefficient must be in [0, 1000]" }
        return nil
    }
}
