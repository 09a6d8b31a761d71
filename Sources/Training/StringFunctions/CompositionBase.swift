import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

// Stage 1 of the composition experiment: the base model, supervised on the Stage-1 mixture of StringFunctions
// (auxiliary-family chains at every depth, the experiment's own family at Level 1 only, an optional small chain prior
// over train functions), and the gate it must pass before any RL: every atomic skill learned, held-out Level 3 low but not zero, train Level 2
// not saturated.

/// Everything that determines the base model (a saved base carries it in its checkpoint's metadata).
public struct CompositionBaseConfig: Codable, Equatable, Sendable {
    public var environment = StringFunctionsConfig()
    public var mix = StringFunctionsPretrainingMix()
    public var modelWidth = 256
    public var layers = 4
    public var heads = 8
    public var steps = 3000
    public var batchSize = 64
    /// Examples per forward pass within a step (sorted by length, so each pass pads little).
    public var microBatchSize = 16
    public var peakLearningRate: Float = 1e-3
    public var warmupSteps = 200
    public var weightDecay: Float = 0.01
    /// Main-family Level-1 examples are preceded, in the same sequence, by 0…packedContext solved Level-1 examples
    /// (main or auxiliary family, half each), so that the atomic skills are also practised away from the start of a
    /// sequence, where a trace's later steps need them. No composition is shown. 0 = off.
    public var packedContext = 0
    /// How problems are written as tokens (see `CompositionRendering`).
    public var rendering = CompositionRendering()
    public var seed: UInt64 = 0

    public init() {}

    /// The first field out of its valid range, or nil (checked before any work): the environment and the mixture as
    /// their own `problem()` says; modelWidth 8…1,024 and a multiple of heads, with an even width per head (rotary
    /// positions); layers 1…16; heads 1…32; steps 1…1,000,000; batchSize and microBatchSize 1…4,096;
    /// peakLearningRate in (0, 1]; warmupSteps 0…steps; weightDecay in [0, 1]; packedContext 0…8; the rendering as
    /// `CompositionRendering.problem()` says.
    public func problem() -> String? {
        if let p = environment.problem() ?? mix.problem() { return "base." + p }
        if !(1...16).contains(layers) || !(1...32).contains(heads) || !(8...1024).contains(modelWidth) || modelWidth % heads != 0
            || (modelWidth / heads) % 2 != 0 {
            return "base: layers must be in 1…16, heads 1…32, modelWidth 8…1,024 and a multiple of heads with an even width per head (got \(layers) layers, \(heads) heads, width \(modelWidth))"
        }
        if !(1...1_000_000).contains(steps) { return "base.steps must be in 1…1,000,000 (got \(steps))" }
        if !(1...4096).contains(microBatchSize) || !(1...4096).contains(batchSize) {
            return "base: batchSize and microBatchSize must be in 1…4,096 (got \(batchSize), \(microBatchSize))"
        }
        if !(peakLearningRate > 0 && peakLearningRate <= 1) { return "base.peakLearningRate must be in (0, 1] (got \(peakLearningRate))" }
        if !(0...steps).contains(warmupSteps) { return "base.warmupSteps must be in 0…steps (got \(warmupSteps))" }
        if !(weightDecay >= 0 && weightDecay <= 1) { return "base.weightDecay must be in [0, 1] (got \(weightDecay))" }
        if !(0...8).contains(packedContext) { return "base.packedContext must be in 0…8 (got \(packedContext))" }
        return rendering.problem().map { "base.rendering: " + $0 }
    }

    public var transformer: TransformerConfig {
        let level = StringFunctionsEnvironment.maxLevel
        return TransformerConfig(vocabularySize: rendering.vocabularySize,
                                 contextLength: StringFunctionsFormat.contextLength(level: level, style: environment.traceStyle)
                                     + rendering.extraPromptTokens(level: level) + rendering.extraResponseTokens(level: level),
                                 modelWidth: modelWidth, layers: layers, heads: heads, positionEncoding: .rotary)
    }
}

/// How a design writes problems as tokens. The environment's format is the starting point; three options change it
/// for the model only (the answer after `>` is always the environment's, so verification is unchanged):
/// - `spelledIds`: every function id as a family token and its digits (`f14` → `F 1 4`, `g4` → `G 4`), the way an
///   LLM sees a function name (`IdSpelling`);
/// - `restatePrompt`: the response first restates the prompt's expression, `e₀ = e₁ = … > v_n <end>`, so that even
///   Level-1 responses write main-family ids, copied from the prompt (without it no response ever writes one, and a
///   trace's copy step only learns to emit the ids it has copied);
/// - `auxiliaryAliases` A > 0: an auxiliary call is written with one of A aliases of its function, drawn per problem
///   and kept through prompt and trace; a trace's calls can then only be written by copying them;
/// - `numberedIds`: every id as an opaque two-digit number (two digit tokens) and no family mark: a fixed shuffle of
///   00…99 gives the 16 main ids their numbers and each auxiliary function 8 alias numbers (`numbers`). Copying a call
///   is then copying digits, which the auxiliary chains (with aliases) practise at every nesting position with every
///   digit in both places, for ids of both families alike.
public struct CompositionRendering: Codable, Equatable, Sendable {
    public var spelledIds = false
    public var restatePrompt = false
    public var auxiliaryAliases = 0
    public var numberedIds = false

    public init(spelledIds: Bool = false, restatePrompt: Bool = false, auxiliaryAliases: Int = 0, numberedIds: Bool = false) {
        self.spelledIds = spelledIds; self.restatePrompt = restatePrompt; self.auxiliaryAliases = auxiliaryAliases
        self.numberedIds = numberedIds
    }

    /// Options missing from a saved configuration (written before they existed) are off.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spelledIds = try c.decodeIfPresent(Bool.self, forKey: .spelledIds) ?? false
        restatePrompt = try c.decodeIfPresent(Bool.self, forKey: .restatePrompt) ?? false
        auxiliaryAliases = try c.decodeIfPresent(Int.self, forKey: .auxiliaryAliases) ?? 0
        numberedIds = try c.decodeIfPresent(Bool.self, forKey: .numberedIds) ?? false
    }

    /// The first invalid combination, or nil: spelled ids combine with no other id option; auxiliaryAliases 0…64, at
    /// most 8 with numbered ids.
    public func problem() -> String? {
        if spelledIds && (auxiliaryAliases > 0 || numberedIds) { return "spelled ids combine with no other id option" }
        if !(0...64).contains(auxiliaryAliases) { return "auxiliaryAliases must be in 0…64 (got \(auxiliaryAliases))" }
        if numberedIds && auxiliaryAliases > 8 { return "numbered ids allow at most 8 aliases (got \(auxiliaryAliases))" }
        return nil
    }

    /// Numbered ids: `numbers[k]` is main id k's number (k < 16); alias r of auxiliary function j is `numbers[16 + 8 j + r]`.
    public static let numbers: [Int] = {
        var rng = RandomStream(seed: 0).child("composition-numbered-ids")
        return rng.permutation(100)
    }()

    /// First alias token: alias r of auxiliary function j (0..<10) is token aliasBase + 10 r + j.
    public static let aliasBase = Int32(StringFunctionsTokenizer.vocabularySize)

    public var vocabularySize: Int {
        spelledIds || numberedIds ? IdSpelling.vocabularySize
            : StringFunctionsTokenizer.vocabularySize + StringFunctionsTokenizer.auxiliaryFunctionCount * auxiliaryAliases
    }

    /// Tokens per function id these options add: up to 2 spelled (`F 1 4` for `f14`), 1 numbered (two digits).
    public var extraTokensPerId: Int { spelledIds ? 2 : numberedIds ? 1 : 0 }

    /// Most tokens these options add to a Level-`level` prompt (its `level` ids).
    public func extraPromptTokens(level: Int) -> Int { extraTokensPerId * level }

    /// Most tokens these options add to a Level-`level` response: the trace's ≤ level(level − 1)/2 ids, and a
    /// restated prompt.
    public func extraResponseTokens(level: Int) -> Int {
        let restated = restatePrompt ? StringFunctionsFormat.maxPromptLength(level: level) + extraPromptTokens(level: level) : 0
        return extraTokensPerId * level * (level - 1) / 2 + restated
    }

    /// A problem's prompt as the model reads it (main-family problems need no aliases).
    public func prompt(_ env: StringFunctionsEnvironment, _ problem: StringFunctionsProblem) -> [Int32] {
        var none = RandomStream(seed: 0)
        return example(env, problem, rng: &none).prompt
    }

    /// A problem's (prompt, target) tokens. `rng` draws the aliases of auxiliary calls (untouched otherwise).
    public func example(_ env: StringFunctionsEnvironment, _ problem: StringFunctionsProblem,
                        rng: inout RandomStream) -> (prompt: [Int32], target: [Int32]) {
        require(!(spelledIds && (auxiliaryAliases > 0 || numberedIds)), "CompositionRendering: spelled ids combine with no other id option")
        require(!numberedIds || auxiliaryAliases <= 8, "CompositionRendering: numbered ids allow at most 8 aliases")
        var (p, t) = env.example(for: problem)
        if restatePrompt { t = p + t }
        if spelledIds { return (IdSpelling.spell(p), IdSpelling.spell(t)) }
        let aux = StringFunctionsTokenizer.mainFunctionCount
        var alias = [Int](repeating: 0, count: StringFunctionsTokenizer.auxiliaryFunctionCount)
        if auxiliaryAliases > 0 && problem.calls.contains(where: { !StringFunctionsTokenizer.isMainFunction($0) }) {
            for j in alias.indices { alias[j] = rng.int(auxiliaryAliases) }
        }
        func rewrite(_ tokens: [Int32]) -> [Int32] {
            var out: [Int32] = []
            out.reserveCapacity(tokens.count * 2)
            for token in tokens {
                guard let id = StringFunctionsTokenizer.functionId(token) else { out.append(token); continue }
                let main = StringFunctionsTokenizer.isMainFunction(id)
                if numberedIds {
                    let n = Self.numbers[main ? id : aux + 8 * (id - aux) + alias[id - aux]]
                    out += [IdSpelling.digitBase + Int32(n / 10), IdSpelling.digitBase + Int32(n % 10)]
                } else if !main && auxiliaryAliases > 0 {
                    out.append(Self.aliasBase + Int32(10 * alias[id - aux] + id - aux))
                } else {
                    out.append(token)
                }
            }
            return out
        }
        return (rewrite(p), rewrite(t))
    }

    /// Text of tokens in this rendering (aliases as `g3~5`: alias 5 of g3).
    public func decode(_ tokens: [Int32]) -> String {
        if spelledIds || numberedIds { return IdSpelling.decode(tokens) }
        return tokens.map { t in
            t >= Self.aliasBase ? "g\((t - Self.aliasBase) % 10)~\((t - Self.aliasBase) / 10)" : StringFunctionsTokenizer.spelling(t)
        }.joined(separator: " ")
    }
}

/// Function ids spelled with shared sub-tokens, as an LLM sees a function name: `F` or `G` (the family), then the
/// decimal digits of the id within its family. A rewrite trace's copy step then copies digit tokens that every
/// family shares, instead of 26 unrelated id tokens. Tokens 43 (`F`), 44 (`G`), 45…54 (digits 0–9) extend the
/// environment's vocabulary; every other token is unchanged, so the answer (after `>`) verifies as before.
public enum IdSpelling {
    public static let familyMain = Int32(StringFunctionsTokenizer.vocabularySize)
    public static let familyAuxiliary = familyMain + 1
    public static let digitBase = familyMain + 2
    public static let vocabularySize = StringFunctionsTokenizer.vocabularySize + 12

    /// The spelled form of `tokens` (function-id tokens expanded; everything else copied).
    public static func spell(_ tokens: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(tokens.count * 2)
        for t in tokens {
            guard let id = StringFunctionsTokenizer.functionId(t) else { out.append(t); continue }
            let main = StringFunctionsTokenizer.isMainFunction(id)
            out.append(main ? familyMain : familyAuxiliary)
            let k = main ? id : id - StringFunctionsTokenizer.mainFunctionCount
            if k >= 10 { out.append(digitBase + Int32(k / 10)) }
            out.append(digitBase + Int32(k % 10))
        }
        return out
    }

    /// Text of spelled (or plain) tokens.
    public static func decode(_ tokens: [Int32]) -> String {
        tokens.map { t in
            t == familyMain ? "F" : t == familyAuxiliary ? "G" : t >= digitBase && t < digitBase + 10 ? "#\(t - digitBase)"
                : StringFunctionsTokenizer.spelling(t)
        }.joined(separator: " ")
    }

    /// Most extra tokens spelling adds to a Level-`level` task: each of the ≤ level + level(level − 1)/2 function
    /// tokens of prompt and rewrite trace grows by at most 2.
    public static func extraTokens(level: Int) -> Int { 2 * (level + level * (level - 1) / 2) }
}

public enum CompositionBase {
    /// Trains the base from scratch, deterministically. `report(step, loss)` is called every `every` steps.
    public static func train(_ config: CompositionBaseConfig, every: Int = 100,
                             report: (Int, Float) -> Void = { _, _ in }) throws -> Transformer {
        let env = StringFunctionsEnvironment(config: config.environment)
        let rng = RandomStream(seed: config.seed)
        var initRng = rng.child("init")
        let model = Transformer(config.transformer, rng: &initRng)
        var dataRng = rng.child("stage1-data")
        let optimizer = AdamW(weightDecay: config.weightDecay)
        let schedule = LearningRateSchedule.warmupCosine(peak: config.peakLearningRate, warmupSteps: config.warmupSteps,
                                                         totalSteps: config.steps, minimum: config.peakLearningRate / 10)
        var running: Float = 0
        try TrainingLoop.run(steps: config.steps, parameters: model.parameters, optimizer: optimizer, schedule: schedule) { g, step in
            let sequences = (0..<config.batchSize).map { _ in stageOneSequence(env, config, rng: &dataRng) }
            let l = SupervisedBatch.loss(sequences, model: model, graph: g, microBatch: config.microBatchSize, pad: StringFunctionsTokenizer.pad)
            running = step == 0 ? l.item : 0.98 * running + 0.02 * l.item
            if (step + 1) % every == 0 { report(step + 1, running) }
            return l
        }
        return model
    }

    /// One Stage-1 training sequence: a problem of the mixture, and for a main-family Level-1 problem 0…packedContext
    /// solved Level-1 examples before it (the loss on every response, never on a prompt).
    public static func stageOneSequence(_ env: StringFunctionsEnvironment, _ config: CompositionBaseConfig,
                                        rng: inout RandomStream) -> SupervisedSequence {
        let problem = env.sampleStageOne(mix: config.mix, rng: &rng)
        let (prompt, target) = config.rendering.example(env, problem, rng: &rng)
        guard config.packedContext > 0, problem.level == 1, StringFunctionsTokenizer.isMainFunction(problem.calls[0]) else {
            return SupervisedSequence(prompt: prompt, target: target)
        }
        var sequence = SupervisedSequence(prompt: [], target: [])
        for _ in 0..<rng.int(config.packedContext + 1) {
            let subset: StringFunctionsSubset = rng.int(2) == 0 ? .main : .auxiliary
            let (p, t) = config.rendering.example(env, env.sampleProblem(level: 1, subset: subset, inputs: config.mix.mainInputs, rng: &rng),
                                                  rng: &rng)
            sequence.append(prompt: p, target: t)
        }
        sequence.append(prompt: prompt, target: target)
        return sequence
    }

    /// Most response tokens at `level` in `rendering` (sampling's maxNewTokens).
    public static func maxResponseLength(_ env: StringFunctionsEnvironment, level: Int, rendering: CompositionRendering) -> Int {
        env.maxResponseLength(level: level, style: env.config.traceStyle) + rendering.extraResponseTokens(level: level)
    }

    /// Greedy exact-match accuracy of `model` on `problems`, evaluated in batches of `batch`.
    public static func greedyAccuracy(_ model: Transformer, _ env: StringFunctionsEnvironment, _ problems: [StringFunctionsProblem],
                                      rendering: CompositionRendering, batch: Int = 128) -> [Bool] {
        zip(greedyResponses(model, env, problems, rendering: rendering, batch: batch), problems).map { env.verify(response: $0, problem: $1).isCorrect }
    }

    /// Greedy responses of `model` to `problems`, in batches of `batch`.
    public static func greedyResponses(_ model: Transformer, _ env: StringFunctionsEnvironment, _ problems: [StringFunctionsProblem],
                                       rendering: CompositionRendering, batch: Int = 128) -> [[Int32]] {
        var responses: [[Int32]] = []
        var rng = RandomStream(seed: 0)
        let graph = Graph(recording: false)
        var start = 0
        while start < problems.count {
            let chunk = Array(problems[start..<Swift.min(problems.count, start + batch)])
            let level = chunk.map(\.level).max()!
            let options = SamplingOptions(maxNewTokens: maxResponseLength(env, level: level, rendering: rendering), greedy: true,
                                          endToken: StringFunctionsTokenizer.end, padToken: StringFunctionsTokenizer.pad)
            graph.reset()
            let prompts = chunk.map { rendering.prompt(env, $0) }
            let rollout = model.sample(prompts: prompts, options: options, rng: &rng, graph: graph)
            for i in chunk.indices { responses.append(rollout.response(i)) }
            start += batch
        }
        return responses
    }

    /// The gate metrics: Level-1 accuracy per main-family function, held-out and train Levels 2–3. `passes`: every
    /// function ≥ 0.9 at Level 1, held-out Level 3 in 0.02…0.25, train Level 2 below 0.9 (not saturated; the bound
    /// is provisional until the experiment fixes it).
    public struct Gate: Codable, Equatable, Sendable {
        public var levelOneByFunction: [Int: Double]
        public var heldOut: [Int: Double]
        public var train: [Int: Double]
        public var passes: Bool {
            (levelOneByFunction.values.min() ?? 0) >= 0.9 && (heldOut[3] ?? 0) >= 0.02 && (heldOut[3] ?? 1) <= 0.25
                && (train[2] ?? 1) < 0.9
        }
    }

    public static func gate(_ model: Transformer, _ env: StringFunctionsEnvironment, problems n: Int, rendering: CompositionRendering) -> Gate {
        func rate(_ xs: [Bool]) -> Double { Double(xs.filter { $0 }.count) / Double(Swift.max(1, xs.count)) }
        let l1 = env.testSet(level: 1, subset: .main, size: n)
        let l1Correct = greedyAccuracy(model, env, l1, rendering: rendering)
        var byFunction: [Int: [Bool]] = [:]
        for (p, ok) in zip(l1, l1Correct) { byFunction[p.calls[0], default: []].append(ok) }
        var heldOut: [Int: Double] = [:], train: [Int: Double] = [:]
        for level in 2...3 {
            heldOut[level] = rate(greedyAccuracy(model, env, env.testSet(level: level, subset: .heldOut, size: n), rendering: rendering))
            train[level] = rate(greedyAccuracy(model, env, env.testSet(level: level, subset: .train, size: n), rendering: rendering))
        }
        return Gate(levelOneByFunction: byFunction.mapValues(rate), heldOut: heldOut, train: train)
    }
}
