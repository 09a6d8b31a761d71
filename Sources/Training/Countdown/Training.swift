import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// The rewards a Countdown method is fed for a correct and a wrong answer.
public enum CountdownRewards: String, Codable, Hashable, Sendable {
    /// 1 and 0 (what PSR, NSR and W-REINFORCE are written for; Zhu et al. 2025).
    case binary
    /// +1 and −1 (Xiong et al. 2025; their released code uses {0, 1}).
    case signed
}

/// One RL method of the Countdown experiments, as a value: a `Recipe`'s advantage estimator, policy objective,
/// aggregation and sample filter (no KL term: neither paper regularises towards the base), plus the rewards it is fed.
/// An advantage of `.gae` gives the trainer a learned value function (PPO). The methods of the papers are the static
/// values below; the experiments' catalogues name them.
public struct CountdownMethod: Codable, Hashable, Sendable {
    public var advantage: AdvantageEstimator
    public var objective: PolicyObjective
    public var aggregation: RecipeAggregation
    public var filter: SampleFilter
    public var rewards: CountdownRewards

    public init(advantage: AdvantageEstimator, objective: PolicyObjective = .ppo, aggregation: RecipeAggregation = .tokenMean,
                filter: SampleFilter = .all, rewards: CountdownRewards = .signed) {
        self.advantage = advantage; self.objective = objective; self.aggregation = aggregation; self.filter = filter
        self.rewards = rewards
    }

    /// The method as the loops' recipe value.
    public var recipe: Recipe { Recipe(advantage: advantage, objective: objective, aggregation: aggregation, filter: filter) }

    // Every policy-gradient method of the papers' verl implementations uses PPO's clipped surrogate (ε = 0.2, dual
    // clip 3) with token-mean aggregation and the same update schedule; they differ in the advantage, in the samples
    // they train on and in the reward scale.

    /// PSR: A = r on r ∈ {0, 1}, only correct samples pushed up (Zhu et al. 2025).
    public static let psr = CountdownMethod(advantage: .psr, rewards: .binary)
    /// NSR: A = r − 1 on r ∈ {0, 1}, only wrong samples pushed down (Zhu et al. 2025).
    public static let nsr = CountdownMethod(advantage: .nsr, rewards: .binary)
    /// W-REINFORCE: A = λ if correct, −1 if wrong (λ = 0 is NSR; λ = 1 is REINFORCE on ±1 rewards; Zhu et al. 2025).
    public static func wReinforce(_ lambda: Float) -> CountdownMethod { CountdownMethod(advantage: .wReinforce(lambda: lambda), rewards: .binary) }
    /// GRPO: A = (r − mean_g) / (std_g + ε), every group kept (Shao et al. 2024).
    public static let grpo = CountdownMethod(advantage: .grpo)
    /// Dr.GRPO: A = r − mean_g, token sum over a constant (the minibatch's maximum token count; Liu et al. 2025).
    public static let drGRPO = CountdownMethod(advantage: .drGRPO, aggregation: .tokenSumOverMaximum)
    /// PPO: a learned value head on its own copy of the base's trunk, GAE (γ = 1, λ = 0.95), whitened advantages
    /// (Schulman et al. 2017).
    public static let ppo = CountdownMethod(advantage: .gae(gamma: 1, lambda: 0.95, whiten: true))
    /// RAFT: supervised on the correct samples only, −log π, no importance ratio (Dong et al. 2023).
    public static let raft = CountdownMethod(advantage: .raft, objective: .vanilla, filter: .positiveReward)
    /// RAFT++: RAFT with the clipped importance ratio (Xiong et al. 2025).
    public static let raftPlusPlus = CountdownMethod(advantage: .raft, filter: .positiveReward)
    /// RAFT with the importance ratio and no clip (Xiong et al. 2025's ablation).
    public static let raftImportance = CountdownMethod(advantage: .raft, objective: .importanceSampling, filter: .positiveReward)
    /// REINFORCE on ±1 rewards: A = r, every sample kept.
    public static let reinforce = CountdownMethod(advantage: .reinforce)
    /// Reinforce-Rej: A = r, groups whose samples are all wrong or all correct dropped (Xiong et al. 2025).
    public static let reinforceRej = CountdownMethod(advantage: .reinforce, filter: .dropUniformGroups(allCorrect: true, allWrong: true))
    /// Ablation of Reinforce-Rej: only the all-wrong groups dropped.
    public static let rejectAllWrong = CountdownMethod(advantage: .reinforce, filter: .dropUniformGroups(allCorrect: false, allWrong: true))
    /// Ablation of Reinforce-Rej: only the all-correct groups dropped.
    public static let rejectAllCorrect = CountdownMethod(advantage: .reinforce, filter: .dropUniformGroups(allCorrect: true, allWrong: false))

    /// The first field out of its valid range, or nil. Valid: PSR, NSR and W-REINFORCE with `binary` rewards (their
    /// estimators are defined on {0, 1}); the advantage's and the objective's parameters as `AdvantageEstimator.problem()`
    /// and `PolicyObjective.problem()` say.
    public func problem() -> String? {
        switch advantage {
        case .psr, .nsr, .wReinforce:
            if rewards != .binary { return "psr, nsr and wReinforce advantages need rewards=binary" }
        default: break
        }
        return advantage.problem() ?? objective.problem()
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
    /// Adam learning rate of the value function, for a method whose advantage is GAE (PPO).
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
    /// The update's diagnostics (importance ratio, clip fraction, approximate KL to the behaviour policy, entropy)
    /// and the share of samples in groups with mixed rewards.
    public var diagnostics: StepDiagnostics

    public init(accuracy: Double, entropy: Double, kl: Double, kept: Double, diagnostics: StepDiagnostics) {
        self.accuracy = accuracy; self.entropy = entropy; self.kl = kl; self.kept = kept; self.diagnostics = diagnostics
    }
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
        if case let .gae(gamma, lambda, whiten) = method.advantage {
            var criticRng = rng.child("critic-init")
            let critic = SequenceCritic(config: model.config, rng: &criticRng, learningRate: config.criticLearningRate,
                                        gamma: gamma, lambda: lambda, whitenAdvantages: whiten)
            // the trunk from the base (its parameters come first in the store), the value head from zero
            let base = model.parameters.flatValues
            critic.trunk.parameters.setValues(base + critic.trunk.parameters.flatValues.dropFirst(base.count))
            trainer.critic = critic
        }
        // Dr.GRPO's constant: rows per minibatch × the longest response
        let recipe = method.recipe.gradientRecipe(maximumTokensPerMinibatch: (rows / Swift.max(1, config.minibatches)) * task.maxResponseLength)
        var prompts = rng.child("prompts")
        var trace: [CountdownRLStep] = []
        for step in 0..<config.steps {
            let problems = (0..<config.promptsPerStep).map { _ in task.rlPool[prompts.int(task.rlPool.count)] }
            var correct = 0
            let stats = try trainer.step(prompts: problems.map(CountdownTokenizer.promptTokens), recipe: recipe, rng: &rng) { i, response in
                let outcome = task.verify(response, problems[i]).outcome
                if outcome == .correct { correct += 1 }
                return method.rewards == .signed ? outcome.signedReward : outcome.binaryReward
            }
            let measured = CountdownRLStep(accuracy: Double(correct) / Double(rows), entropy: stats.entropy, kl: stats.referenceKL,
                                           kept: stats.keptFraction, diagnostics: StepDiagnostics(stats))
            trace.append(measured)
            report(step + 1, measured)
        }
        return trace
    }
}
