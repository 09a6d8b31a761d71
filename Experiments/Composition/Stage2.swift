import Foundation
import Engine
import Models
import Environments
import Objectives

// Stage 2 of the composition experiment: RL from the base on train functions only (GRPO with uniform-group
// filtering, no KL, token-level loss, several samples per prompt).

public struct CompositionRLConfig: Codable, Equatable, Sendable {
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
    /// Loads a base written by `CompositionProbe --save` (its configuration comes from the checkpoint's metadata).
    public static func loadBase(_ url: URL) throws -> (Transformer, CompositionBaseConfig) {
        let checkpoint = try Checkpoint.read(from: url)
        guard let json = checkpoint.metadata["composition.base.config"] else {
            throw CheckpointError.missing("composition.base.config")
        }
        let config = try JSONDecoder().decode(CompositionBaseConfig.self, from: Data(json.utf8))
        var rng = RandomStream(seed: 0)
        let model = Transformer(config.transformer, rng: &rng)
        try checkpoint.restore(into: model.parameters)
        return (model, config)
    }

    /// Runs GRPO from `model` in place. `report(step, stats)` after every step.
    public static func run(_ model: Transformer, _ env: StringFunctionsEnvironment, _ config: CompositionRLConfig, spelled: Bool = false,
                           report: (Int, SequenceRLStats) -> Void = { _, _ in }) throws {
        let maxLevel = config.levels.max()!
        let sampling = SamplingOptions(maxNewTokens: CompositionBase.maxResponseLength(env, level: maxLevel, spelled: spelled),
                                       temperature: config.temperature, endToken: StringFunctionsTokenizer.end,
                                       padToken: StringFunctionsTokenizer.pad)
        let trainer = SequencePolicyTrainer(policy: model, optimizer: AdamW(weightDecay: 0),
                                            config: SequenceRLConfig(groupSize: config.groupSize, sampling: sampling,
                                                                     update: UpdateConfig(learningRate: config.learningRate)))
        let recipe = PolicyGradientRecipe(
            advantages: { Advantages.grpo(rewards: $0, groupSize: $1) },
            keep: { Advantages.reinforceRejKept(rewards: $0, groupSize: $1) },
            loss: { PolicyLoss.ppoClip($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
        var rng = RandomStream(seed: config.seed)
        var prompts = rng.child("prompts")
        for step in 0..<config.steps {
            let problems = (0..<config.promptsPerStep).map { _ in
                env.sampleProblem(level: config.levels[prompts.int(config.levels.count)], subset: .train, rng: &prompts)
            }
            let prompts = problems.map { CompositionBase.prompt(env, $0, spelled: spelled) }
            let stats = try trainer.step(prompts: prompts, recipe: recipe, rng: &rng) { i, response in
                env.verify(response: response, problem: problems[i]).reward
            }
            report(step + 1, stats)
        }
    }
}
