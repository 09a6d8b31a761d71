import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness

/// The sequence policy of dpo-family: a small transformer that writes a response token by token after the context's
/// prompt (PreferenceBandit's sequence variant). It is first fine-tuned on samples of the bandit's π_ref — the SFT model
/// that produced the preference data, which then serves as the reference — and each method starts from it.
/// log π(y|x) sums over the response's content tokens and its end token. Unlike the feature policy it can also write
/// strings that are no candidate at all.
public struct SequencePolicyConfig: Codable, Equatable, Sendable {
    /// The (smaller) PreferenceBandit instance of the sequence runs. Valid: any instance `PreferenceBanditConfig.problem()`
    /// accepts.
    public var bandit: PreferenceBanditConfig = {
        var b = PreferenceBanditConfig.standard
        b.contextCount = 48; b.responseCount = 16; b.featureCount = 6
        b.testContextCount = 8; b.validationContextCount = 8
        b.supportSize = 6; b.supportRule = .referenceMostLikely
        b.maxTokens = 6
        return b
    }()
    /// Offline pairs per training context. Valid: 1…10_000.
    public var pairsPerContext = 16
    /// The transformer's width, layers and attention heads. Valid: width 2…1024 and divisible by heads; layers 1…64;
    /// heads 1…64.
    public var modelWidth = 32
    public var layers = 2
    public var heads = 2
    /// SFT of the reference on samples of π_ref: steps, sequences per step, Adam learning rate. Valid: steps
    /// 1…1_000_000; batch 1…100_000; learning rate finite and > 0.
    public var baseSteps = 4000
    public var baseBatchSize = 64
    public var baseLearningRate = 3e-3
    /// Every method: Adam steps, pairs per offline step, learning rate, steps between measurements. Valid: steps
    /// 2…1_000_000; batch 1…100_000; learning rate finite and > 0; measureEvery 1…steps.
    public var steps = 300
    public var batchSize = 32
    public var learningRate = 1e-3
    public var measureEvery = 10
    /// RLHF: prompts and samples per prompt per step (the KL coefficient and the reward model are the RLHF method's).
    /// Valid: prompts 1…10_000; group 2…1024.
    public var rlhfPromptsPerStep = 16
    public var rlhfGroupSize = 4
    /// Strings sampled per training context for the sampled KL at mid-training and at the end (claims 3a–3b).
    /// Valid: 1…100_000.
    public var klSamplesPerContext = 64
    public init() {}

    /// The first field out of its valid range, or nil.
    public func problem() -> String? {
        if let p = bandit.problem() { return p }
        if !(1...10_000).contains(pairsPerContext) { return "sequence.pairsPerContext must be in 1…10_000" }
        if !(2...1024).contains(modelWidth) || !(1...64).contains(layers) || !(1...64).contains(heads) || modelWidth % heads != 0 {
            return "sequence: modelWidth must be in 2…1024 and divisible by heads, layers and heads in 1…64"
        }
        if !(1...1_000_000).contains(baseSteps) || !(1...100_000).contains(baseBatchSize) {
            return "sequence: baseSteps must be in 1…1_000_000 and baseBatchSize in 1…100_000"
        }
        if !(2...1_000_000).contains(steps) || !(1...100_000).contains(batchSize) || !(1...steps).contains(measureEvery) {
            return "sequence: steps must be in 2…1_000_000, batchSize in 1…100_000, measureEvery in 1…steps"
        }
        if !(1...10_000).contains(rlhfPromptsPerStep) || !(2...1024).contains(rlhfGroupSize) {
            return "sequence: rlhfPromptsPerStep must be in 1…10_000 and rlhfGroupSize in 2…1024"
        }
        if !(1...100_000).contains(klSamplesPerContext) { return "sequence.klSamplesPerContext must be in 1…100_000" }
        if !(baseLearningRate > 0 && baseLearningRate <= 10) || !(learningRate > 0 && learningRate <= 10) {
            return "sequence: learning rates must be in (0, 10]"
        }
        return nil
    }
}

/// The data, the trained reference and the exact measurements of the sequence runs.
public final class SequenceSetup {
    public let config: SequencePolicyConfig
    public let bandit: PreferenceBandit
    /// The pairs the methods train on (set by `use(labels:rng:)`), the responses in them, their contexts.
    public private(set) var pairs: [PreferenceBanditPair] = []
    public private(set) var pairResponses: [[Int]] = []
    public var pairContexts: [Int] { bandit.trainContexts }
    /// The reference π_ref^seq (never updated after its SFT).
    public let reference: Transformer
    /// Prompt tokens per context and the tokens of every candidate (content + end) per context and response.
    public let prompts: [[Int32]]
    public let responses: [[[Int32]]]
    /// log π_ref^seq(y|x) of every candidate: [context][response].
    public private(set) var referenceLogProbs: [[Double]] = []
    /// The reference's mass on candidate strings, mean over training contexts.
    public private(set) var referenceCandidateMass = 0.0

    /// Generates the instance and trains the reference (the pairs come with `use(labels:rng:)`); with
    /// `trainReference` false the reference stays at its initialisation (to construct a run without training it).
    public init(config: SequencePolicyConfig, rng: RandomStream, trainReference: Bool = true) throws {
        self.config = config
        let bandit = try PreferenceBandit(config: config.bandit, rng: rng.child("bandit"))
        self.bandit = bandit
        prompts = (0..<bandit.contextCount).map { bandit.promptTokens(context: $0)!.map(Int32.init) }
        responses = (0..<bandit.contextCount).map { x in (0..<bandit.responseCount).map { bandit.responseTokens(context: x, response: $0)!.map(Int32.init) } }
        var initRNG = rng.child("init")
        reference = Transformer(TransformerConfig(vocabularySize: bandit.vocabulary.size, contextLength: bandit.sequenceLength,
                                                  modelWidth: config.modelWidth, layers: config.layers, heads: config.heads),
                                rng: &initRNG)
        var sftRNG = rng.child("sft")
        if trainReference { try self.trainReference(rng: &sftRNG) }
        referenceLogProbs = candidateLogProbs(reference)
        referenceCandidateMass = Statistics.mean(pairContexts.map { x in referenceLogProbs[x].reduce(0) { $0 + Foundation.exp($1) } })
    }

    /// Draws the offline pairs (from π_ref over the support, on every training context) under `labels`.
    public func use(labels: PreferenceBanditLabelConfig, rng: inout RandomStream) throws {
        pairs = try bandit.offlinePairs(contexts: bandit.trainContexts, pairsPerContext: config.pairsPerContext, labels: labels, rng: &rng)
        pairResponses = bandit.responsesInPairs(pairs)
    }

    /// SFT on (prompt, response ~ π_ref) for every context.
    private func trainReference(rng: inout RandomStream) throws {
        let c = config
        let contexts = Array(0..<bandit.contextCount)
        let weights = bandit.referenceProbabilities.map { $0.map(Float.init) }
        try TrainingLoop.run(steps: c.baseSteps, parameters: reference.parameters, optimizer: AdamW(weightDecay: 0),
                             schedule: .warmupCosine(peak: Float(c.baseLearningRate), warmupSteps: c.baseSteps / 20, totalSteps: c.baseSteps,
                                                     minimum: Float(c.baseLearningRate) / 10),
                             maxGradNorm: 1) { g, _ in
            let sequences = (0..<c.baseBatchSize).map { _ -> SupervisedSequence in
                let x = contexts[rng.int(contexts.count)]
                return SupervisedSequence(prompt: self.prompts[x], target: self.responses[x][rng.categorical(weights[x])])
            }
            return SupervisedBatch.loss(sequences, model: self.reference, graph: g, microBatch: c.baseBatchSize)
        }
    }

    /// A copy of the reference to train.
    public func policy() -> Transformer {
        var unused = RandomStream(seed: 0)
        let m = Transformer(reference.config, rng: &unused)
        m.parameters.setValues(reference.parameters.flatValues)
        return m
    }

    /// log π(y|x) of every candidate of every context under `model` (values only): [context][response].
    public func candidateLogProbs(_ model: Transformer) -> [[Double]] {
        let k = bandit.responseCount
        let all = (0..<bandit.contextCount).flatMap { x in (0..<k).map { (x, $0) } }
        var out = [Double](repeating: 0, count: all.count)
        let g = Graph(recording: false)
        var i = 0
        while i < all.count {
            let part = all[i..<Swift.min(all.count, i + 512)]
            g.reset()
            let sums = SequenceScores.logProbSums(model, prompts: part.map { prompts[$0.0] }, responses: part.map { responses[$0.0][$0.1] },
                                                  graph: g).sums.scalars
            for (j, v) in sums.enumerated() { out[i + j] = Double(v) }
            i += 512
        }
        return (0..<bandit.contextCount).map { x in Array(out[(x * k)..<(x * k + k)]) }
    }

    /// The exact snapshot of `model`: the pair statistics and masses from its candidate log-probabilities; strings that
    /// are no candidate form one extra outcome "other" (its mass is 1 − the candidates'). KL is measured on that
    /// partition (candidates + other), a lower bound of the KL over all strings; gold counts "other" as the context's
    /// worst response.
    public func snapshot(_ model: Transformer, step: Int) -> PolicySnapshot { snapshot(candidateLogProbs(model), step: step) }

    /// The snapshot of a policy given its candidate log-probabilities `lp` ([context][response], as
    /// `candidateLogProbs` returns them; the reference's are `referenceLogProbs`).
    public func snapshot(_ lp: [[Double]], step: Int) -> PolicySnapshot {
        var chosen = 0.0, rejected = 0.0, margin = 0.0
        for p in pairs {
            let c = lp[p.context][p.chosen], r = lp[p.context][p.rejected]
            chosen += c; rejected += r
            margin += (c - r) - (referenceLogProbs[p.context][p.chosen] - referenceLogProbs[p.context][p.rejected])
        }
        func other(_ row: [Double]) -> Double { Swift.max(0, 1 - row.reduce(0) { $0 + Foundation.exp($1) }) }
        func gold(_ contexts: [Int]) -> Double {
            Statistics.mean(contexts.map { x in
                zip(lp[x], bandit.goldRewards[x]).reduce(0) { $0 + Foundation.exp($1.0) * $1.1 } + other(lp[x]) * bandit.goldRewards[x].min()!
            })
        }
        var outside = 0.0, kl = 0.0, nonCandidate = 0.0
        for x in pairContexts {
            let inside = pairResponses[x].reduce(0) { $0 + Foundation.exp(lp[x][$1]) }
            outside += 1 - inside
            let o = other(lp[x]), oRef = other(referenceLogProbs[x])
            nonCandidate += o
            for y in 0..<bandit.responseCount { kl += Foundation.exp(lp[x][y]) * (lp[x][y] - referenceLogProbs[x][y]) }
            if o > 0 { kl += o * (Foundation.log(o) - Foundation.log(Swift.max(oRef, 1e-300))) }
        }
        let n = Double(pairs.count), m = Double(pairContexts.count)
        return PolicySnapshot(step: step, chosenLogProb: chosen / n, rejectedLogProb: rejected / n, margin: margin / n,
                              massOutsidePairs: outside / m, kl: kl / m, goldTrain: gold(pairContexts), goldTest: gold(bandit.testContexts),
                              nonCandidateMass: nonCandidate / m)
    }

    /// A sampled estimate of KL(π ‖ π_ref) over all strings (not only candidates): `samplesPerContext` strings per
    /// training context drawn from `model`, the mean of log π(y|x) − log π_ref(y|x) (summed over response tokens; a
    /// string cut at the length limit counts as that prefix under both models). Unbiased for the KL over the strings
    /// the sampler can write.
    public func sampledKL(_ model: Transformer, samplesPerContext: Int, rng: inout RandomStream) -> Double {
        let sampling = SamplingOptions(maxNewTokens: bandit.config.maxTokens + 1, endToken: Int32(bandit.vocabulary.endToken),
                                       padToken: Int32(bandit.vocabulary.padToken))
        let expanded = pairContexts.flatMap { x in [[Int32]](repeating: prompts[x], count: samplesPerContext) }
        let rollout = model.sample(prompts: expanded, options: sampling, rng: &rng)
        let g = Graph(recording: false)
        let reference = self.reference.tokenLogProbs(rollout, graph: g).logProbs.scalars            // [B, R]
        var total = 0.0
        for i in 0..<(rollout.batch * rollout.responseColumns) where rollout.responseMask[i] != 0 {
            total += Double(rollout.behaviourLogProbs[i]) - Double(reference[i])
        }
        return total / Double(rollout.batch)
    }

    /// One offline objective's loss on a batch of pairs under `model`.
    public func offlineLoss(_ objective: PreferenceObjective, _ batch: [PreferenceBanditPair], model: Transformer, graph g: Graph) -> Tensor {
        if case let .kto(beta) = objective {
            let contexts = batch.map(\.context) + batch.map(\.context)
            let completions = batch.map { responses[$0.context][$0.chosen] } + batch.map { responses[$0.context][$0.rejected] }
            let referenceValues = contexts.indices.map { i in Float(referenceLogProbs[contexts[i]][i < batch.count ? batch[i].chosen : batch[i - batch.count].rejected]) }
            let own = SequenceScores.logProbSums(model, prompts: contexts.map { prompts[$0] }, responses: completions, graph: g).sums
            // the KL baseline: prompt i with the completion of prompt i − 1 (values only, under the policy and the reference)
            let shifted = ktoMismatchedCompletionIndices(count: contexts.count).map { completions[$0] }
            let inference = Graph(recording: false)
            let mismatched = SequenceScores.logProbSums(model, prompts: contexts.map { prompts[$0] }, responses: shifted, graph: inference).sums.scalars
            inference.reset()
            let mismatchedReference = SequenceScores.logProbSums(reference, prompts: contexts.map { prompts[$0] }, responses: shifted, graph: inference).sums.scalars
            inference.reset()
            return unpairedKTOLoss(own, reference: referenceValues, mismatched: mismatched, mismatchedReference: mismatchedReference, beta: beta)
        }
        let p = batch.map { prompts[$0.context] }
        let c = SequenceScores.logProbSums(model, prompts: p, responses: batch.map { responses[$0.context][$0.chosen] }, graph: g)
        let r = SequenceScores.logProbSums(model, prompts: p, responses: batch.map { responses[$0.context][$0.rejected] }, graph: g)
        let n = batch.count
        let t = PairTensors(chosen: c.sums, rejected: r.sums,
                            referenceChosen: g.constant(batch.map { Float(referenceLogProbs[$0.context][$0.chosen]) }, Shape(n)),
                            referenceRejected: g.constant(batch.map { Float(referenceLogProbs[$0.context][$0.rejected]) }, Shape(n)),
                            chosenLengths: c.lengths, rejectedLengths: r.lengths)
        return objective.loss(t.preferencePairs).loss
    }

    /// `config.steps` Adam steps of one offline objective on `config.batchSize` pairs drawn with replacement, calling
    /// `measure(step)` before the first step and after every `config.measureEvery` steps (and after the last).
    public func trainOffline(_ objective: PreferenceObjective, model: Transformer, rng: inout RandomStream,
                      measure: (Int) throws -> Void) throws {
        let c = config
        var draw = rng.child("batches")
        try measuredTraining(steps: c.steps, every: c.measureEvery, parameters: model.parameters, optimizer: AdamW(weightDecay: 0),
                             learningRate: c.learningRate, measure: measure) { g in
            let batch = (0..<c.batchSize).map { _ in self.pairs[draw.int(self.pairs.count)] }
            return self.offlineLoss(objective, batch, model: model, graph: g)
        }
    }

    /// RLHF on sequences: samples of the policy, reward r̂ of the parsed response (a string that is no candidate gets
    /// the context's lowest r̂), KL to the reference in the reward (k1 per token), leave-one-out baseline. `log`
    /// receives the steps measured (every `config.measureEvery` steps and the last).
    public func trainRLHF(model: Transformer, rewards: [[Double]], klCoefficient: Double, rng: inout RandomStream,
                   measure: (Int) throws -> Void, log: (PolicyGradientStepLog) -> Void = { _ in }) throws {
        let c = config
        let sampling = SamplingOptions(maxNewTokens: bandit.config.maxTokens + 1, endToken: Int32(bandit.vocabulary.endToken),
                                       padToken: Int32(bandit.vocabulary.padToken))
        let trainer = SequencePolicyTrainer(policy: model, reference: reference, optimizer: AdamW(weightDecay: 0),
                                            config: SequenceRLConfig(groupSize: c.rlhfGroupSize, sampling: sampling,
                                                                     update: UpdateConfig(learningRate: Float(c.learningRate), maxGradNorm: nil)))
        trainer.kl = .inReward(coefficient: Float(klCoefficient))
        let recipe = rlhfRecipe()
        var draw = rng.child("contexts")
        var stepRNG = rng.child("steps")
        try measure(0)
        for step in 1...c.steps {
            let batch = (0..<c.rlhfPromptsPerStep).map { _ in pairContexts[draw.int(pairContexts.count)] }
            let stats = try trainer.step(prompts: batch.map { prompts[$0] }, recipe: recipe, rng: &stepRNG) { i, response in
                let x = batch[i]
                let parsed = self.bandit.parseResponse(context: x, tokens: response.map(Int.init))
                if let y = parsed.response { return Float(rewards[x][y]) }
                return Float(rewards[x].min()!)
            }
            if step % c.measureEvery == 0 || step == c.steps {
                log(PolicyGradientStepLog(step: step, meanReward: stats.meanReward, diagnostics: StepDiagnostics(stats)))
                try measure(step)
            }
        }
    }
}
