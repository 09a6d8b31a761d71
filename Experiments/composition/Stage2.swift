import Foundation
import Engine
import Models
import Environments
import Objectives
import Training

// Stage 2 of the composition experiment, from the base on train functions only: RL (GRPO with uniform-group
// filtering, no KL, token-level loss, several samples per prompt) or iterated rejection-sampling fine-tuning (RFT).

/// One Stage-2 variant: how the policy is updated from its samples (a `Recipe`) and which levels the train-function
/// prompts come from.
public struct CompositionStageTwo: Codable, Equatable, Sendable {
    public var recipe: Recipe
    /// Levels the prompts are drawn from (uniformly), train functions only: [1], [2] or [1, 2]. Valid: each in 1…6.
    public var levels: [Int]

    public init(recipe: Recipe, levels: [Int]) { self.recipe = recipe; self.levels = levels }

    /// GRPO advantages (r − mean) / std per group, groups with equal rewards dropped (DAPO-style dynamic sampling
    /// without refill), clipped surrogate (one update per batch, so the ratio is 1), token-mean loss, no KL.
    public static let grpo = Recipe(advantage: .grpo, objective: .ppo, filter: .dropUniformGroups(allCorrect: true, allWrong: true))
    /// Iterated RFT: each step samples the same prompts × group as GRPO from the current policy and takes one
    /// supervised step on the correct samples only (token-mean cross-entropy; RAFT's A = max(r, 0)).
    public static let rft = Recipe(advantage: .raft, objective: .vanilla, filter: .positiveReward)
}

public struct CompositionRLConfig: Codable, Equatable, Sendable {
    public var recipe = CompositionStageTwo.grpo
    /// Levels the prompts are drawn from (uniformly), train functions only: [1], [2] or [1, 2].
    public var levels = [2]
    public var steps = 100
    public var promptsPerStep = 16
    public var groupSize = 8
    public var learningRate: Float = 3e-5
    public var temperature: Float = 1
    public var seed: UInt64 = 0

    public init() {}
}

public enum CompositionRL {
    /// Runs Stage 2 (`config.recipe`) from `model` in place. `report(step, stats)` after every step.
    public static func run(_ model: Transformer, _ env: StringFunctionsEnvironment, _ config: CompositionRLConfig, rendering: CompositionRendering,
                           report: (Int, SequenceRLStats) -> Void = { _, _ in }) throws {
        let maxLevel = config.levels.max()!
        let sampling = SamplingOptions(maxNewTokens: CompositionBase.maxResponseLength(env, level: maxLevel, rendering: rendering),
                                       temperature: config.temperature, endToken: StringFunctionsTokenizer.end,
                                       padToken: StringFunctionsTokenizer.pad)
        let trainer = SequencePolicyTrainer(policy: model, optimizer: AdamW(weightDecay: 0),
                                            config: SequenceRLConfig(groupSize: config.groupSize, sampling: sampling,
                                                                     update: UpdateConfig(learningRate: config.learningRate)))
        let recipe = config.recipe.gradientRecipe()
        var rng = RandomStream(seed: config.seed)
        var prompts = rng.child("prompts")
        for step in 0..<config.steps {
            let problems = (0..<config.promptsPerStep).map { _ in
                env.sampleProblem(level: config.levels[prompts.int(config.levels.count)], subset: .train, rng: &prompts)
            }
            let prompts = problems.map { rendering.prompt(env, $0) }
            let stats = try trainer.step(prompts: prompts, recipe: recipe, rng: &rng) { i, response in
                env.verify(response: response, problem: problems[i]).reward
            }
            report(step + 1, stats)
        }
    }
}
