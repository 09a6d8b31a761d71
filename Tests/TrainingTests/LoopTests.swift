import Testing
import Foundation
@testable import Engine
@testable import Models
@testable import Objectives
@testable import Training
import Objectives

/// Vanilla policy gradient −A·lp, token-mean, for loop tests that must not depend on the catalogue's files.
func testPolicyGradient(_ inputs: PolicyInputs, _ aggregation: Aggregation, _ tokens: Int, _ sequences: Int) -> PolicyLossResult {
    let perToken = -(inputs.advantages * inputs.logProbs)
    return PolicyLossResult(loss: aggregate(perToken, mask: inputs.mask, mode: aggregation, globalTokenCount: tokens, globalSequenceCount: sequences),
                            diagnostics: .measure(logProbs: inputs.logProbs, oldLogProbs: inputs.oldLogProbs, mask: inputs.mask, entropies: inputs.entropies))
}

/// Group-mean-centred rewards (Dr.GRPO), written inline for the same reason.
func testCentred(_ rewards: [Float], _ g: Int) -> [Float] {
    rewards.enumerated().map { i, r in
        let group = rewards[(i / g * g)..<(i / g * g + g)]
        return r - group.reduce(0, +) / Float(g)
    }
}

let testRecipe = PolicyGradientRecipe(advantages: testCentred, loss: testPolicyGradient)

func tableBandit(actions: Int, contexts: Int = 1) -> CategoricalPolicy {
    var rng = RandomStream(seed: 1)
    let store = ParameterStore()
    let table = store.add("logits", Shape(contexts, actions), .zeros, rng: &rng)
    return CategoricalPolicy(parameters: store, actions: actions) { graph, ctx in
        store.bind(table, in: graph).gatherRows(graph.indices(ctx), shape: Shape(ctx.count))
    }
}

@Suite struct Loops {
    @Test func trainingLoopFitsAndGuardsDivergence() throws {
        var rng = RandomStream(seed: 2)
        let store = ParameterStore()
        let w = store.add("w", Shape(1), .zeros, rng: &rng)
        let losses = try TrainingLoop.run(steps: 200, parameters: store, optimizer: SGD(), schedule: .constant(0.1)) { g, _ in
            (store.bind(w, in: g) - 3).square().sum()
        }
        #expect(losses.first! == 9 && losses.last! < 1e-6)
        #expect(throws: DivergenceError.self) {
            try TrainingLoop.run(steps: 3, parameters: store, optimizer: SGD(), schedule: .constant(0.1)) { g, step in
                store.bind(w, in: g) * (step == 1 ? Float.nan : 1)
            }
        }
    }

    @Test func microbatchesAccumulateToTheFullBatchGradient() throws {
        // token-mean over a minibatch split into 1 or 3 micro-batches: identical SGD update
        func run(micro: Int) throws -> [Float] {
            let policy = tableBandit(actions: 4, contexts: 6)
            var rng = RandomStream(seed: 3)
            let actions = (0..<6).map { $0 % 4 }
            let batch = PolicyBatch(rows: 6, columns: 1, oldLogProbs: [Float](repeating: -log(4), count: 6),
                                    advantages: [1, -1, 0.5, 2, -0.5, 1], mask: [1, 1, 1, 1, 1, 1])
            _ = try policyGradientUpdate(batch, parameters: policy.parameters, optimizer: SGD(),
                                         config: UpdateConfig(microbatches: micro, learningRate: 1, maxGradNorm: nil),
                                         recipe: testRecipe, graph: Graph(), rng: &rng) { g, rows in
                (SequenceScores.logProbs(policy, contexts: Array(rows), actions: rows.map { actions[$0] }, graph: g).reshaped(rows.count, 1), nil)
            }
            return policy.parameters.flatValues
        }
        let one = try run(micro: 1), three = try run(micro: 3)
        #expect(zip(one, three).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        #expect(one.contains { $0 != 0 })
    }

    @Test func banditTrainerFindsTheBestArm() throws {
        let policy = tableBandit(actions: 3)
        let trainer = BanditPolicyTrainer(policy: policy, optimizer: AdamW.adam(), update: UpdateConfig(learningRate: 0.1))
        var rng = RandomStream(seed: 4)
        let rewards: [Float] = [0.2, 1, 0]
        var last = BanditRLStats(meanReward: 0, keptFraction: 0, mixedGroupShare: 0, entropy: 0, update: UpdateStats())
        for _ in 0..<60 { last = try trainer.step(contexts: [0], groupSize: 8, recipe: testRecipe, rng: &rng) { _, a in rewards[a] } }
        #expect(policy.probabilities([0])[0][1] > 0.9)
        #expect(last.meanReward > 0.8 && last.keptFraction == 1)
    }

    @Test func banditCriticLearnsTheBaseline() throws {
        let policy = tableBandit(actions: 2)
        let trainer = BanditPolicyTrainer(policy: policy, optimizer: AdamW.adam(), update: UpdateConfig(learningRate: 0.05))
        var rng = RandomStream(seed: 5)
        let store = ParameterStore()
        let v = store.add("v", Shape(1, 1), .zeros, rng: &rng)
        trainer.critic = (store, AdamW.adam(), 0.1, { g, ctx in store.bind(v, in: g).gatherRows(g.indices(ctx), shape: Shape(ctx.count)).reshaped(ctx.count) })
        for _ in 0..<100 { _ = try trainer.step(contexts: [0], groupSize: 4, recipe: testRecipe, rng: &rng) { _, _ in 0.7 } }
        #expect(Swift.abs(store.values[0] - 0.7) < 0.05)        // V(x) → E[r]
    }

    @Test func sequenceTrainerLearnsARewardedToken() throws {
        var rng = RandomStream(seed: 6)
        let model = Transformer(TransformerConfig(vocabularySize: 6, contextLength: 8, modelWidth: 16, layers: 1, heads: 2), rng: &rng)
        let trainer = SequencePolicyTrainer(policy: model, optimizer: AdamW.adam(), config: SequenceRLConfig(
            groupSize: 8, sampling: SamplingOptions(maxNewTokens: 2, endToken: 5),
            update: UpdateConfig(epochs: 2, minibatches: 2, learningRate: 3e-2)))
        var first = 0.0, last = 0.0
        for step in 0..<40 {
            let s = try trainer.step(prompts: [[1], [2]], recipe: testRecipe, rng: &rng) { _, response in response.first == 3 ? 1 : 0 }
            if step == 0 { first = s.meanReward }
            last = s.meanReward
            #expect(s.keptFraction == 1 && s.update.optimizerSteps == 4)
        }
        #expect(first < 0.5 && last > 0.9, "reward \(first) → \(last)")
    }

    @Test func referenceKLIsZeroForAnIdenticalReference() throws {
        var rng = RandomStream(seed: 7)
        let config = TransformerConfig(vocabularySize: 6, contextLength: 8, modelWidth: 16, layers: 1, heads: 2)
        let model = Transformer(config, rng: &rng)
        var copyRng = RandomStream(seed: 7)
        let reference = Transformer(config, rng: &copyRng)
        let trainer = SequencePolicyTrainer(policy: model, reference: reference, optimizer: SGD(), config: SequenceRLConfig(
            groupSize: 2, sampling: SamplingOptions(maxNewTokens: 3), update: UpdateConfig(learningRate: 0)))
        let s = try trainer.step(prompts: [[1]], recipe: testRecipe, rng: &rng) { _, _ in 0 }
        #expect(Swift.abs(s.referenceKL) < 1e-6)
        #expect(Swift.abs(s.update.diagnostics.meanRatio - 1) < 1e-5 && s.update.diagnostics.approxKL < 1e-6)
    }

    @Test func sequenceLogProbSumsMatchPerTokenLogProbs() {
        var rng = RandomStream(seed: 8)
        let model = Transformer(TransformerConfig(vocabularySize: 7, contextLength: 10, modelWidth: 8, layers: 1, heads: 2), rng: &rng)
        let g = Graph(recording: false)
        let (sums, lengths) = SequenceScores.logProbSums(model, prompts: [[1, 2], [3]], responses: [[4, 5, 6], [2]], graph: g)
        #expect(lengths.scalars == [3, 1])
        let a = model.tokenLogProbs([1, 2, 4, 5, 6], batch: 1, start: 2, graph: g).logProbs.scalars.reduce(0, +)
        let b = model.tokenLogProbs([3, 2], batch: 1, start: 1, graph: g).logProbs.scalars.reduce(0, +)
        #expect(Swift.abs(sums.scalars[0] - a) < 1e-4 && Swift.abs(sums.scalars[1] - b) < 1e-4)
    }
}

@Suite struct EvaluationHelpers {
    @Test func handValues() {
        #expect(Evaluation.accuracy([1, 2, 3, 4], [1, 0, 3, 0]) == 0.5)
        #expect(Swift.abs(Evaluation.passAtK(samples: 10, correct: 3, k: 1) - 0.3) < 1e-12)
        #expect(Swift.abs(Evaluation.passAtK(samples: 5, correct: 2, k: 2) - 0.7) < 1e-12)      // 1 − C(3,2)/C(5,2)
        #expect(Evaluation.passAtK(correctCounts: [0, 10], samples: 10, k: 5) == 0.5)
        #expect(Swift.abs(Evaluation.entropy([0.5, 0.5, 0]) - log(2)) < 1e-12)
        #expect(Swift.abs(Evaluation.kl([0.5, 0.5], [0.25, 0.75]) - (0.5 * log(2) + 0.5 * log(2.0 / 3))) < 1e-12)
        #expect(Evaluation.kl([0.5, 0.5], [1, 0]) == .infinity && Evaluation.kl([1, 0], [0.5, 0.5]) == log(2))
        #expect(Swift.abs(Evaluation.totalVariation([0.2, 0.8], [0.5, 0.5]) - 0.3) < 1e-12)
        #expect(Evaluation.mean([[1, 0], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]], Evaluation.totalVariation) == 0.25)
    }
}

@Suite struct PPOWithCritic {
    func tinyModel(_ seed: UInt64) -> Transformer {
        var rng = RandomStream(seed: seed)
        return Transformer(TransformerConfig(vocabularySize: 6, contextLength: 8, modelWidth: 16, layers: 1, heads: 2), rng: &rng)
    }

    @Test func ppoWithGAELearnsAndTheCriticTracksTheReturn() throws {
        let model = tinyModel(9)
        var rng = RandomStream(seed: 10)
        let critic = SequenceCritic(config: model.config, rng: &rng, learningRate: 3e-2)
        let trainer = SequencePolicyTrainer(policy: model, optimizer: AdamW.adam(), config: SequenceRLConfig(
            groupSize: 4, sampling: SamplingOptions(maxNewTokens: 2, endToken: 5),
            update: UpdateConfig(epochs: 2, minibatches: 2, learningRate: 3e-2)))
        trainer.critic = critic
        let ppo = PolicyGradientRecipe(advantages: { r, _ in r }, loss: { PolicyLoss.ppoClip($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
        var last = 0.0
        for _ in 0..<40 { last = try trainer.step(prompts: [[1], [2]], recipe: ppo, rng: &rng) { _, r in r.first == 3 ? 1 : 0 }.meanReward }
        #expect(last > 0.9, "PPO reward \(last)")
        // V at the first response column ≈ expected return under the trained policy
        let rollout = model.sample(prompts: [[1], [2]], options: SamplingOptions(maxNewTokens: 2, endToken: 5), rng: &rng)
        let v = critic.values(rollout, graph: Graph(recording: false)).scalars
        #expect(Swift.abs(v[0] - Float(last)) < 0.25 && Swift.abs(v[rollout.responseColumns] - Float(last)) < 0.25, "values \(v)")
    }

    @Test func klInTheLossAndInTheReward() throws {
        // identical reference: an in-loss KL adds nothing at the first step (k3 = 0, its gradient 0 at ρ = 1)
        let policy = tinyModel(11), reference = tinyModel(11)
        var rng = RandomStream(seed: 12)
        let trainer = SequencePolicyTrainer(policy: policy, reference: reference, optimizer: SGD(), config: SequenceRLConfig(
            groupSize: 2, sampling: SamplingOptions(maxNewTokens: 3), update: UpdateConfig(learningRate: 0)))
        trainer.kl = .inLoss(coefficient: 10)
        let s = try trainer.step(prompts: [[1]], recipe: testRecipe, rng: &rng) { _, _ in 1 }
        #expect(Swift.abs(s.update.loss) < 1e-6 && Swift.abs(s.referenceKL) < 1e-6)
        // a different reference with an in-reward k1 penalty changes the advantages (and so the loss)
        let other = tinyModel(99)
        let penalised = SequencePolicyTrainer(policy: tinyModel(11), reference: other, optimizer: SGD(), config: trainer.config)
        penalised.kl = .inReward(coefficient: 1)
        var rng2 = RandomStream(seed: 12)
        let p = try penalised.step(prompts: [[1]], recipe: testRecipe, rng: &rng2) { _, _ in 1 }
        #expect(p.referenceKL > 0 && p.update.loss != 0)
    }
}

@Suite struct SupervisedAndPreferenceLoops {
    @Test func supervisedTrainingWithHardAndSoftTargets() throws {
        // a 3-class table classifier on 2 contexts: hard targets drive p(target) → 1; soft targets drive p → q
        for soft in [false, true] {
            let policy = tableBandit(actions: 3, contexts: 2)
            let q: [Float] = [0.6, 0.3, 0.1, 0.1, 0.1, 0.8]
            try TrainingLoop.run(steps: 300, parameters: policy.parameters, optimizer: AdamW.adam(), schedule: .constant(0.05)) { g, _ in
                let logits = policy.logits(g, [0, 1]).reshaped(2, 1, 3)                          // [B, T=1, V]
                let mask = g.full(Shape(2, 1), 1)
                if soft { return softTargetSFTLoss(logits: logits, targetDistribution: g.constant(q, Shape(2, 1, 3)), mask: mask) }
                let lp = logits.logSoftmax().gatherLast(g.indices([Int32(2), 0])).reshaped(2, 1)
                return sftLoss(logProbs: lp, mask: mask)
            }
            let p = policy.probabilities([0, 1])
            if soft {
                #expect(zip(p.flatMap { $0 }, q).allSatisfy { Swift.abs($0 - Double($1)) < 0.02 }, "\(p)")
            } else {
                #expect(p[0][2] > 0.95 && p[1][0] > 0.95)
            }
        }
    }

    @Test func dpoPreferencePairTrainingRaisesTheMargin() throws {
        // one context, 4 responses; pairs say 1 ≻ 0 and 2 ≻ 3; DPO raises both implicit-reward margins
        let policy = tableBandit(actions: 4)
        let chosen = [1, 2], rejected = [0, 3]
        func margins(_ g: Graph) -> [Float] {
            let c = SequenceScores.logProbs(policy, contexts: [0, 0], actions: chosen, graph: g).scalars
            let r = SequenceScores.logProbs(policy, contexts: [0, 0], actions: rejected, graph: g).scalars
            return zip(c, r).map { $0 - $1 }
        }
        let reference: (chosen: [Float], rejected: [Float]) = ([Float](repeating: -log(4), count: 2), [Float](repeating: -log(4), count: 2))
        #expect(margins(Graph(recording: false)) == [0, 0])
        let losses = try TrainingLoop.run(steps: 100, parameters: policy.parameters, optimizer: AdamW.adam(), schedule: .constant(0.05)) { g, _ in
            let pairs = PreferencePairs(chosenLogProbs: SequenceScores.logProbs(policy, contexts: [0, 0], actions: chosen, graph: g),
                                        rejectedLogProbs: SequenceScores.logProbs(policy, contexts: [0, 0], actions: rejected, graph: g),
                                        referenceChosenLogProbs: g.constant(reference.chosen), referenceRejectedLogProbs: g.constant(reference.rejected))
            return dpoLoss(pairs, beta: 0.5).loss
        }
        #expect(Swift.abs(losses[0] - Float(log(2.0))) < 1e-6)                // Δ = 0 at the start
        #expect(losses.last! < 0.5 * losses[0] && margins(Graph(recording: false)).allSatisfy { $0 > 1 })
    }
}
