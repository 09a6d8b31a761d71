import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

extension RLRazor {
    /// One fine-tuning run's measurements.
    public struct Run: Sendable {
        /// The method's name (`grpo`, `sft1`, … or a derived name).
        var method: String
        var rate: Double
        /// New-task accuracy: the expected reward of the policy, E_x Σ_{y correct} π(y|x) (probability mass on correct labels).
        var newAccuracy = 0.0
        /// New-task arg-max accuracy (reported beside it).
        var newArgmaxAccuracy = 0.0
        var priorAccuracy = 0.0, drop = 0.0
        var forwardKL = 0.0, reverseKL = 0.0, totalVariation = 0.0, weightL2 = 0.0
        var diverged = false
        /// RL only: (step, mean reward, diagnostics) every `trainingLogEvery` steps and at the last step.
        var training: [(step: Int, reward: Double, diagnostics: StepDiagnostics)] = []
    }

    public struct SeedResult: Sendable {
        var baseNewAccuracy: Double, baseNewArgmaxAccuracy: Double, basePriorAccuracy: Double
        var runs: [Run]
    }

    /// An MLP classifier over ParityDigits inputs with its own parameters.
    final class Network {
        let store = ParameterStore()
        let mlp: MLP
        init(widths: [Int], rng: inout RandomStream) {
            mlp = MLP(store, "mlp", sizes: widths, activation: .relu, rng: &rng)
        }
        func logits(_ g: Graph, _ inputs: [Float], rows: Int) -> Tensor {
            mlp(g.constant(inputs, Shape(rows, inputs.count / rows)))
        }
        /// Class probabilities, flat [rows, 10], without gradients.
        func probabilities(_ batch: ParityDigitsBatch) -> [Float] {
            defer { inference.reset() }
            return logits(inference, batch.inputs, rows: batch.count).softmax().scalars
        }
        /// Reused by every `probabilities` call (its arena is rewound, not reallocated).
        private let inference = Graph(recording: false)
    }

    /// A seed's datasets (pretraining, evaluation) and the classifier's layer widths.
    static func datasets(_ c: Config, root: RandomStream) -> (data: ParityDigitsDatasets, widths: [Int]) {
        var digits = ParityDigitsConfig.standard
        digits.pretrainingPerTask = c.pretrainPerTask; digits.evaluationPerTask = c.evaluationPerTask; digits.pixelNoise = c.pixelNoise
        return (ParityDigitsDatasets(config: digits, stream: root.child("data")), [digits.inputWidth] + c.hiddenWidths + [ParityDigits.classCount])
    }

    /// The datasets, the classifier, its first fine-tuning batch and both evaluation sets through it, an RL method's
    /// trainer: everything but the training.
    public static func construct(config c: Config, seed: Int) throws {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let (data, widths) = datasets(c, root: root)
        var initRng = root.child("init")
        let net = Network(widths: widths, rng: &initRng)
        let batch = data.fineTuningBatch(index: 0, count: c.batchSize)
        for b in [batch, data.evaluationParity, data.evaluationPrior] { _ = net.probabilities(b) }
        let policy = CategoricalPolicy(parameters: net.store, actions: ParityDigits.classCount) { g, rows in
            net.logits(g, rows.flatMap { batch.inputs[($0 * batch.inputWidth)..<(($0 + 1) * batch.inputWidth)] }, rows: rows.count)
        }
        for rate in c.learningRates {
            _ = BanditPolicyTrainer(policy: policy, optimizer: AdamW.adam(), update: UpdateConfig(learningRate: Float(rate), maxGradNorm: nil))
        }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let (data, widths) = datasets(c, root: root)
        var initRng = root.child("init")
        let net = Network(widths: widths, rng: &initRng)
        var frozen = root.child("frozen")
        let base = Network(widths: widths, rng: &frozen), teacher = Network(widths: widths, rng: &frozen)   // frozen copies

        // Pretraining: joint, soft targets (uniform over correct-parity labels; one-hot for the prior task)
        let pre = data.pretraining, targets = pre.targetDistributions()
        var shuffle = root.child("pretrain-order")
        let perEpoch = (pre.count + 63) / 64
        var order: [Int] = []
        try TrainingLoop.run(steps: c.pretrainEpochs * perEpoch, parameters: net.store, optimizer: AdamW.adam(),
                             schedule: .constant(Float(c.pretrainLearningRate)), maxGradNorm: nil) { g, step in
            if step % perEpoch == 0 { order = shuffle.permutation(pre.count) }
            let rows = Array(order[((step % perEpoch) * 64)..<Swift.min(pre.count, (step % perEpoch + 1) * 64)])
            let batch = pre.rows(rows)
            let q = rows.flatMap { targets[($0 * 10)..<($0 * 10 + 10)] }
            return net.logits(g, batch.inputs, rows: rows.count).crossEntropy(softTargets: g.constant(q, Shape(rows.count, 10))).mean()
        }
        context.progress.advance(metric: "seed \(seed) pretrained")
        base.store.copyValues(from: net.store)
        let baseValues = net.store.flatValues
        let baseParity = base.probabilities(data.evaluationParity), basePrior = base.probabilities(data.evaluationPrior)
        let baseNew = data.evaluationParity.meanCorrectMass(probabilities: baseParity)
        let baseNewArgmax = data.evaluationParity.argmaxAccuracy(scores: baseParity)
        // the fine-tuning batches (the same for every method and rate) and the base policy on them, made once
        let batches = (0..<c.fineTuneSteps).map { data.fineTuningBatch(index: $0, count: c.batchSize) }
        let baseOnBatches = batches.map { base.probabilities($0) }
        let basePriorAcc = data.evaluationPrior.argmaxAccuracy(scores: basePrior)

        var runs: [Run] = []
        var policies: [Int: [Double: [Float]]] = [:]      // each RL method's policy per rate, by index (SFT on RL samples' teachers)
        for (index, method) in resolve(c.methods).methods.enumerated() {
            for rate in c.learningRates {
                net.store.setValues(baseValues)
                var rng = root.child("\(method.name)/\(rate)")
                let variant = "\(method.name)/lr=\(rate)"
                var run = Run(method: method.name, rate: rate)
                let ok: Void? = try context.guarded(variant: variant, seed: seed) {
                    run.training = try fineTune(method.value, rate: rate, config: c, batches: batches, baseOnBatches: baseOnBatches, net: net,
                                                teacher: teacher, policies: policies, rng: &rng)
                }
                if case .rl = method.value { policies[index, default: [:]][rate] = net.store.flatValues }
                if ok == nil { run.diverged = true } else {
                    let parity = net.probabilities(data.evaluationParity), prior = net.probabilities(data.evaluationPrior)
                    run.newAccuracy = data.evaluationParity.meanCorrectMass(probabilities: parity)
                    run.newArgmaxAccuracy = data.evaluationParity.argmaxAccuracy(scores: parity)
                    run.priorAccuracy = data.evaluationPrior.argmaxAccuracy(scores: prior)
                    run.drop = basePriorAcc - run.priorAccuracy
                    run.forwardKL = ParityDigits.meanKL(baseParity, parity)
                    run.reverseKL = ParityDigits.meanKL(parity, baseParity)
                    run.totalVariation = ParityDigits.meanTotalVariation(baseParity, parity)
                    run.weightL2 = zip(net.store.flatValues, baseValues).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
                }
                runs.append(run)
                context.progress.advance(metric: String(format: "seed %d %@ new %.3f prior %.3f", seed, variant, run.newAccuracy, run.priorAccuracy))
            }
        }
        return SeedResult(baseNewAccuracy: baseNew, baseNewArgmaxAccuracy: baseNewArgmax, basePriorAccuracy: basePriorAcc, runs: runs)
    }

    /// Fine-tunes `net` (already at the base parameters) with one method: `fineTuneSteps` steps, one gradient step
    /// per batch of fresh new-task images (the same batches for every method and rate of a seed). Returns the RL
    /// training log (empty for SFT).
    static func fineTune(_ method: RLRazorMethod, rate: Double, config c: Config, batches: [ParityDigitsBatch], baseOnBatches: [[Float]],
                         net: Network, teacher: Network, policies: [Int: [Double: [Float]]],
                         rng: inout RandomStream) throws -> [(step: Int, reward: Double, diagnostics: StepDiagnostics)] {
        let lr = Float(rate)
        switch method {
        case let .rl(recipe):
            // on-policy: sample groupSize labels per image, binary reward, one gradient step per batch
            final class Current { var batch: ParityDigitsBatch? }
            let current = Current()
            let policy = CategoricalPolicy(parameters: net.store, actions: ParityDigits.classCount) { g, rows in
                let b = current.batch!
                return net.logits(g, rows.flatMap { b.inputs[($0 * b.inputWidth)..<(($0 + 1) * b.inputWidth)] }, rows: rows.count)
            }
            let trainer = BanditPolicyTrainer(policy: policy, optimizer: AdamW.adam(), update: UpdateConfig(learningRate: lr, maxGradNorm: nil))
            let gradient = recipe.gradientRecipe()
            var log: [(step: Int, reward: Double, diagnostics: StepDiagnostics)] = []
            for step in 0..<c.fineTuneSteps {
                let batch = batches[step]
                current.batch = batch
                let stats = try trainer.step(contexts: Array(0..<batch.count), groupSize: c.groupSize, recipe: gradient, rng: &rng) { row, label in
                    batch.reward(row: row, label: label)
                }
                if step % c.trainingLogEvery == 0 || step == c.fineTuneSteps - 1 {
                    log.append((step + 1, stats.meanReward, StepDiagnostics(stats)))
                }
            }
            return log
        case let .sft(target):
            if case let .policySamples(index) = target {
                let values = policies[index]?[rate]
                require(values != nil, "rl-razor: SFT on samples of methods.\(index) needs that RL method's policy at rate \(rate) (validate checks the order)")
                teacher.store.setValues(values!)
            }
            try TrainingLoop.run(steps: c.fineTuneSteps, parameters: net.store, optimizer: AdamW.adam(), schedule: .constant(lr),
                                 maxGradNorm: nil) { g, step in
                let batch = batches[step]
                let logits = net.logits(g, batch.inputs, rows: batch.count)
                switch target {
                case .oneLabel: return logits.crossEntropy(targets: g.indices(batch.sftLabels(.sft1, rng: &rng))).mean()
                case .twoLabels: return logits.crossEntropy(targets: g.indices(batch.sftLabels(.sft2, rng: &rng))).mean()
                case .oracle:
                    let q = batch.oracleTargets(base: baseOnBatches[step])                          // q* ∝ π₀·1[correct]
                    return logits.crossEntropy(softTargets: g.constant(q, Shape(batch.count, 10))).mean()
                case .policySamples:
                    let p = teacher.probabilities(batch)                                            // labels ~ π_RL
                    // a diverged teacher has NaN probabilities: its student diverges with it
                    try DivergenceError.check(Double(p.reduce(0, +)), names: "teacher probabilities", step: step)
                    let labels = (0..<batch.count).map { Int32(rng.categorical(Array(p[($0 * 10)..<($0 * 10 + 10)]))) }
                    return logits.crossEntropy(targets: g.indices(labels)).mean()
                }
            }
            return []
        }
    }
}
