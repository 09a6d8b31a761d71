import Foundation
import Engine
import Harness
import Training

extension NegativeReinforcement {
    nonisolated(unsafe) static var shared: CountdownShared? = nil

    /// Loads the committed Countdown base (or trains and saves it when it is missing or was made from another
    /// configuration), then evaluates it once for every seed.
    public static func prepare(config c: Config, context: RunContext) throws {
        shared = try CountdownShared.prepare(c.base, problems: c.evaluationProblems, samples: c.evaluationSamples, experiment: name, context: context)
    }

    public static let hasBase = true

    /// `--train-base`: trains `config.base`, measures its gate (pass@k on every test problem, 256 samples each) and
    /// saves it as the committed base shared with minimalist-rl; refuses to replace an existing file unless `force`.
    public static func trainBase(config c: Config, force: Bool, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        try CountdownBase.trainBase(c.base, force: force, experiment: name, context: context)
    }

    public typealias SeedResult = CountdownSeedResult

    /// Every method from the base on one seed, each evaluated on the test set (no reference model: the KL to the base
    /// is not measured here).
    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        try shared!.runSeed(c, methods: catalogue.resolve(c.methods).methods, seed: seed, experiment: name, withReference: false, context: context)
    }
}
