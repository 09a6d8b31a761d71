import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// The RL methods the two Countdown experiments compare. Every policy-gradient method uses the same clipped surrogate
/// (PPO-clip, ε = 0.2), token-mean aggregation (Dr.GRPO: token sum over a constant) and update schedule; they differ in
/// the advantage and in which samples they train on, as in the papers' verl implementations.
public enum CountdownMethod: Hashable, Sendable {
    /// A = r, r ∈ {0, 1}: only correct samples are pushed up (Zhu et al.).
    case psr
    /// A = r − 1: only wrong samples are pushed down.
    case nsr
    /// W-REINFORCE: A = λ if correct, −1 if wrong (λ = 0 is NSR; λ = 1 is REINFORCE with ±1 rewards).
    case wReinforce(Float)
    /// A = (r − mean_g) / (std_g + ε), all groups kept.
    case grpo
    /// A_i = r_i − mean_g, token sum over a constant (the batch's maximum token count).
    case drGRPO
    /// Clipped surrogate with a learned value head (initialised from the base) and GAE (γ = 1, λ = 0.95), whitened.
    case ppo
    /// Supervised on the correct samples only: −log π, no importance ratio (Dong et al. 2023).
    case raft
    /// RAFT with the clipped importance ratio (Xiong et al.).
    case raftPlusPlus
    /// RAFT with the importance ratio and no clip (the paper's ablation).
    case raftImportance
    /// REINFORCE with r ∈ {−1, +1}, every sample kept.
    case reinforce
    /// Reinforce-Rej: A = r, groups whose samples are all wrong or all right dropped.
    case reinforceRej
    /// Ablation: only all-wrong groups dropped.
    case rejectAllWrong
    /// Ablation: only all-correct groups dropped.
    case rejectAllCorrect

    public var name: String {
        switch self {
        case .psr: return "PSR"
        case .nsr: return "NSR"
        case let .wReinforce(l): return "W-REINFORCE λ=\(CountdownMethod.format(l))"
        case .grpo: return "GRPO"
        case .drGRPO: return "Dr.GRPO"
        case .ppo: return "PPO"
        case .raft: return "RAFT"
        case .raftPlusPlus: return "RAFT++"
        case .raftImportance: return "RAFT+IS (no clip)"
        case .reinforce: return "REINFORCE ±1"
        case .reinforceRej: return "Reinforce-Rej"
        case .rejectAllWrong: return "drop all-wrong only"
        case .rejectAllCorrect: return "drop all-correct only"
        }
    }

    /// File-friendly name (CSV `method` column).
    public var slug: String {
        switch self {
        case let .wReinforce(l): return "w_reinforce_\(CountdownMethod.format(l))"
        case .raftImportance: return "raft_is"
        case .raftPlusPlus: return "raft_pp"
        case .drGRPO: return "dr_grpo"
        case .reinforceRej: return "reinforce_rej"
        case .rejectAllWrong: return "reject_all_wrong"
        case .rejectAllCorrect: return "reject_all_correct"
        default: return name.lowercased()
        }
    }

    public static func format(_ x: Float) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%g", Double(x))
    }

    /// The advantage, the kept samples and the loss. Rewards are r ∈ {0, 1} for the sign-split family and ±1 for the
    /// rest (`signedRewards`); every estimator here is written for the scale it gets.
    public func recipe(maxTokensPerMinibatch: Int) -> PolicyGradientRecipe {
        let clip: (PolicyInputs, Aggregation, Int, Int) -> PolicyLossResult = {
            PolicyLoss.ppoClip($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3)
        }
        let correctOnly: (([Float], Int) -> [Bool]) = { r, _ in r.map { $0 > 0 } }
        switch self {
        case .psr: return PolicyGradientRecipe(advantages: { r, _ in Advantages.positiveSampleReinforcement(rewards: r) }, loss: clip)
        case .nsr: return PolicyGradientRecipe(advantages: { r, _ in Advantages.negativeSampleReinforcement(rewards: r) }, loss: clip)
        case let .wReinforce(l): return PolicyGradientRecipe(advantages: { r, _ in Advantages.weightedReinforce(rewards: r, positiveWeight: l) }, loss: clip)
        case .grpo, .ppo: return PolicyGradientRecipe(advantages: { Advantages.grpo(rewards: $0, groupSize: $1) }, loss: clip)
        case .drGRPO:
            let constant = Float(maxTokensPerMinibatch)
            return PolicyGradientRecipe(advantages: { Advantages.drGRPO(rewards: $0, groupSize: $1) },
                                        loss: { i, _, t, s in PolicyLoss.ppoClip(i, aggregation: .tokenSumOverConstant(constant), globalTokenCount: t, globalSequenceCount: s) })
        case .raft:
            return PolicyGradientRecipe(advantages: { r, _ in Advantages.raft(rewards: r) }, keep: correctOnly,
                                        loss: { PolicyLoss.vanilla($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
        case .raftPlusPlus:
            return PolicyGradientRecipe(advantages: { r, _ in Advantages.raft(rewards: r) }, keep: correctOnly, loss: clip)
        case .raftImportance:
            return PolicyGradientRecipe(advantages: { r, _ in Advantages.raft(rewards: r) }, keep: correctOnly,
                                        loss: { PolicyLoss.importanceSampling($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
        case .reinforce: return PolicyGradientRecipe(advantages: { r, _ in r }, loss: clip)
        case .reinforceRej, .rejectAllWrong, .rejectAllCorrect:
            let dropCorrect = self != .rejectAllWrong, dropWrong = self != .rejectAllCorrect
            return PolicyGradientRecipe(advantages: { r, _ in r },
                                        keep: { Advantages.reinforceRejKept(rewards: $0, groupSize: $1, dropAllCorrect: dropCorrect, dropAllWrong: dropWrong) },
                                        loss: clip)
        }
    }

    /// Whether the method is fed ±1 rewards (else {0, 1}).
    public var signedRewards: Bool {
        switch self {
        case .psr, .nsr, .wReinforce: return false
        default: return true
        }
    }
}

/// One RL run's schedule.
public struct CountdownRLConfig: Codable, Equatable, Sendable {
    public var steps = 100
    /// Problems per step (drawn uniformly, with replacement, from the RL pool).
    public var promptsPerStep = 16
    /// Samples per problem (the group).
    public var groupSize = 8
    /// Adam (no weight decay), gradient norm clipped at 1.
    public var learningRate: Float = 5e-5
    /// Optimizer steps per batch of rollouts (each on an equal share): > 1 makes later minibatches off-policy, so the
    /// importance ratio and its clip act.
    public var minibatches = 2
    /// PPO's critic learning rate.
    public var criticLearningRate: Float = 5e-4
    public init() {}
}

/// One RL step's measurements.
public struct CountdownRLStep: Sendable {
    /// Share of the step's samples that are correct.
    public var accuracy: Double
    /// Mean per-token entropy of the samples under the policy before the update.
    public var entropy: Double
    /// Mean k3 estimate of KL(π ‖ π_base) on the samples' tokens (NaN without a reference).
    public var kl: Double
    /// Share of samples trained on.
    public var kept: Double
}

public enum CountdownRL {
    /// Runs `method` from `model` in place on RL-pool problems; with `reference` (the frozen base) also measures the KL to
    /// it. `report(step, measurements)` after every step.
    public static func run(_ model: Transformer, reference: Transformer? = nil, task: CountdownTask, method: CountdownMethod,
                           config: CountdownRLConfig, seed: UInt64, report: (Int, CountdownRLStep) -> Void = { _, _ in }) throws -> [CountdownRLStep] {
        var rng = RandomStream(seed: seed)
        let rows = config.promptsPerStep * config.groupSize
        let update = UpdateConfig(minibatches: config.minibatches, learningRate: config.learningRate)
        let trainer = SequencePolicyTrainer(policy: model, reference: reference, optimizer: AdamW(weightDecay: 0),
                                            config: SequenceRLConfig(groupSize: config.groupSize, sampling: task.sampling(), update: update))
        if method == .ppo {
            var criticRng = rng.child("critic-init")
            let critic = SequenceCritic(config: model.config, rng: &criticRng, learningRate: config.criticLearningRate)
            // the trunk from the base (its parameters come first in the store), the value head from zero
            let base = model.parameters.flatValues
            critic.trunk.parameters.setValues(base + critic.trunk.parameters.flatValues.dropFirst(base.count))
            trainer.critic = critic
        }
        let recipe = method.recipe(maxTokensPerMinibatch: (rows / Swift.max(1, config.minibatches)) * task.maxResponseLength)
        var prompts = rng.child("prompts")
        var trace: [CountdownRLStep] = []
        for step in 0..<config.steps {
            let problems = (0..<config.promptsPerStep).map { _ in task.rlPool[prompts.int(task.rlPool.count)] }
            var correct = 0
            let stats = try trainer.step(prompts: problems.map(CountdownTokenizer.promptTokens), recipe: recipe, rng: &rng) { i, response in
                let outcome = task.verify(response, problems[i]).outcome
                if outcome == .correct { correct += 1 }
                return method.signedRewards ? outcome.signedReward : outcome.binaryReward
            }
            let measured = CountdownRLStep(accuracy: Double(correct) / Double(rows), entropy: stats.entropy, kl: stats.referenceKL,
                                           kept: stats.keptFraction)
            trace.append(measured)
            report(step + 1, measured)
        }
        return trace
    }
}
