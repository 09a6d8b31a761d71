import Foundation
import Engine
import Models
import Environments
import Objectives
import Harness
import Training

/// rl-razor: RL's Razor on ParityDigits (Shenfeld, Pari & Agrawal, MIT 2025).

public enum RLRazor: Experiment {
    public static let name = "rl-razor"
    public static let claim = "At matched new-task accuracy, on-policy RL forgets the prior task far less than SFT, and forgetting is predicted by the forward KL from the base policy measured on the new task."
    public static let paper = "Shenfeld, Pari & Agrawal, \"RL's Razor: Why Online Reinforcement Learning Forgets Less\" (MIT, 2025)"
    public static let defaultRuntime = "~2 min"
    public static let defaultSeeds = 5

    public struct Config: ExperimentConfig {
        /// Pretraining images per task (paper and probe: 500).
        public var pretrainPerTask = 500
        /// Pretraining epochs over the joint set (probe: 400).
        public var pretrainEpochs = 400
        /// Adam learning rate of pretraining.
        public var pretrainLearningRate = 1e-3
        /// Held-out evaluation images per task.
        public var evaluationPerTask = 1000
        /// Gaussian pixel-noise level of the rendered images. It sets the task's ceiling: at ParityDigits' default 0.22
        /// every method tops out only 3–8 points above the base, too close for the 5-point precondition; at 0.15 the
        /// base sits near 0.88 and every method reaches ≥ 0.93 (see REPORT.md, "Design decisions").
        public var pixelNoise: Float = 0.15
        /// Hidden widths of the MLP (paper: 512, 256).
        public var hiddenWidths: [Int] = [512, 256]
        /// Fine-tuning steps, one gradient step per batch (probe: 300; 500 gives every method the 5-point headroom).
        public var fineTuneSteps = 500
        /// Images per fine-tuning batch (probe: 64).
        public var batchSize = 64
        /// RL samples per image (the group that shares GRPO's baseline).
        public var groupSize = 8
        /// The fixed learning-rate sweep, Adam (paper: 15 log-spaced in [3e-6, 1e-3]; probe: 8).
        public var learningRates: [Double] = RLRazor.logSpaced(3e-6, 1e-3, count: 8)
        /// Preconditions: the common matched accuracy must be this far above the base's new-task accuracy.
        public var minimumGain = 0.05
        /// Claim 3: Oracle SFT's drop may exceed RL's by at most this much.
        public var oracleMargin = 0.01
        /// Claims 4 and 5: equivalence margin on the drop difference.
        public var equivalenceMargin = 0.02
        /// Resamples of the bootstrap over runs for claim 2b.
        public var bootstrapResamples = 2000
    }

    static func logSpaced(_ a: Double, _ b: Double, count: Int) -> [Double] {
        (0..<count).map { i in Foundation.exp(Foundation.log(a) + (Foundation.log(b) - Foundation.log(a)) * Double(i) / Double(Swift.max(1, count - 1))) }
    }

    public static let defaultConfig = Config()
    /// Quick: fewer pretraining epochs and learning rates (the top of the sweep, where the methods separate and the
    /// highest common accuracy is found), smaller evaluation sets; every method kept, and the fine-tuning length kept
    /// (shorter runs do not leave the base by the 5 points the claims need).
    public static let quickConfig: Config = {
        var c = Config()
        c.pretrainEpochs = 100; c.evaluationPerTask = 500
        c.learningRates = [3e-4, 1e-3]
        c.bootstrapResamples = 1000
        return c
    }()

    public static func validate(_ c: Config) -> String? {
        if c.pretrainPerTask < 10 || c.pretrainEpochs < 1 || c.evaluationPerTask < 10 { return "pretrainPerTask and evaluationPerTask must be ≥ 10, pretrainEpochs ≥ 1" }
        if c.fineTuneSteps < 1 || c.batchSize < 1 || c.groupSize < 2 { return "fineTuneSteps and batchSize must be positive, groupSize ≥ 2" }
        if c.learningRates.count < 2 || c.learningRates.contains(where: { !($0 > 0) }) { return "learningRates needs at least two positive rates" }
        if c.hiddenWidths.isEmpty || c.hiddenWidths.contains(where: { $0 < 1 }) { return "hiddenWidths must be positive" }
        return nil
    }

    public static func workPerSeed(_ c: Config) -> Int { 1 + Method.allCases.count * c.learningRates.count }

    /// The fine-tuning methods, in the order they run (SFT on RL samples needs GRPO's policies).
    public enum Method: String, CaseIterable, Sendable {
        case grpo = "GRPO", reinforce = "1-0 REINFORCE", sft1 = "SFT-1", sft2 = "SFT-2", oracle = "Oracle SFT", sftOnRL = "SFT on RL samples"
        var slug: String { ["GRPO": "grpo", "1-0 REINFORCE": "reinforce", "SFT-1": "sft1", "SFT-2": "sft2", "Oracle SFT": "oracle_sft", "SFT on RL samples": "sft_on_rl"][rawValue]! }
    }

    /// One fine-tuning run's measurements.
    public struct Run: Sendable {
        var method: Method, rate: Double
        /// New-task accuracy: the expected reward of the policy, E_x Σ_{y correct} π(y|x) (probability mass on correct labels).
        var newAccuracy = 0.0
        /// New-task arg-max accuracy (reported beside it).
        var newArgmaxAccuracy = 0.0
        var priorAccuracy = 0.0, drop = 0.0
        var forwardKL = 0.0, reverseKL = 0.0, totalVariation = 0.0, weightL2 = 0.0
        var diverged = false
    }

    public struct SeedResult: Sendable {
        var baseNewAccuracy: Double, baseNewArgmaxAccuracy: Double, basePriorAccuracy: Double
        var runs: [Run]
    }

    public static let claims: [ClaimSpec] = [
        ClaimSpec(id: "1a", description: "At matched new-task accuracy, RL (GRPO) forgets less of the prior task than SFT-1",
                  statistic: "drop(GRPO) − drop(SFT-1) at the highest common accuracy", direction: .below(0), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed"),
        ClaimSpec(id: "1b", description: "At matched new-task accuracy, RL (GRPO) forgets less of the prior task than SFT-2",
                  statistic: "drop(GRPO) − drop(SFT-2) at the highest common accuracy", direction: .below(0), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed"),
        ClaimSpec(id: "2a", description: "Pooled over every method and learning rate, a quadratic fit of prior-task drop on forward KL E_x~τ KL(π₀‖π) explains the forgetting (paper R² 0.96)",
                  statistic: "R² of drop ~ 1 + KL + KL² over a seed's runs", direction: .atLeast(0.8), kind: .perSeed),
        ClaimSpec(id: "2b", description: "Forward KL predicts forgetting better than weight-space L2 distance (paper R² 0.96 vs 0.56)",
                  statistic: "R²(forward KL) − R²(weight L2), quadratic fits over all runs", direction: .above(0), kind: .pooled),
        ClaimSpec(id: "3", description: "Oracle SFT on q* ∝ π₀·1[correct] forgets no more than RL (within 1 point) at matched accuracy",
                  statistic: "drop(Oracle SFT) − drop(GRPO) at the highest common accuracy", direction: .below(0.01), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed"),
        ClaimSpec(id: "4", description: "SFT on samples of the RL-trained policy is equivalent to RL: the learned distribution, not the algorithm, decides forgetting",
                  statistic: "drop(SFT on RL samples) − drop(GRPO) at the highest common accuracy", direction: .within(0.02), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed",
                  notReproduced: "SFT on labels sampled from the GRPO policy (the GRPO run at the same learning rate as teacher) forgets more than GRPO at the highest common accuracy: drop difference +0.28 in the default run (0 of 5 seeds within ±2 points; the 5-point precondition also missed on one seed, so the default verdict is inconclusive) and +0.16 in the quick run. Cross-entropy on samples of a sharpened teacher moves the student further from π₀ than the teacher at equal accuracy. Tried: same-rate teachers; not tried: one best-accuracy teacher for every rate, or distilling the teacher's full distribution."),
        ClaimSpec(id: "5", description: "1-0 REINFORCE behaves like GRPO (negatives are not the key; on-policy data is)",
                  statistic: "drop(1-0 REINFORCE) − drop(GRPO) at the highest common accuracy", direction: .within(0.02), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed",
                  notReproduced: "At the highest common accuracy 1-0 REINFORCE (A = r, no baseline) forgets more than GRPO: drop difference +0.08 in the default run (90% bootstrap interval [−0.00, 0.15] against the ±0.02 margin; 0 of 5 seeds within it) and +0.18 in the quick run. The matched level sits where both curves are nearly vertical (the largest learning rates), so small accuracy differences become large drop differences; at lower accuracies the two curves overlap (tradeoff.svg). Tried: the same samples, group size and optimiser for both."),
        ClaimSpec(id: "6", description: "The mechanism: at matched accuracy RL's solution is closer to the base in forward KL than SFT-1's",
                  statistic: "KL(π₀‖π_GRPO) − KL(π₀‖π_SFT-1) on new-task inputs at the highest common accuracy", direction: .below(0), kind: .pooled,
                  precondition: "the common accuracy is ≥ 5 points above the base on every seed"),
    ]

    // MARK: Run

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

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        var digits = ParityDigitsConfig.standard
        digits.pretrainingPerTask = c.pretrainPerTask; digits.evaluationPerTask = c.evaluationPerTask; digits.pixelNoise = c.pixelNoise
        let data = ParityDigitsDatasets(config: digits, stream: root.child("data"))
        let widths = [digits.inputWidth] + c.hiddenWidths + [ParityDigits.classCount]
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
        var grpoPolicies: [Double: [Float]] = [:]
        for method in Method.allCases {
            for rate in c.learningRates {
                net.store.setValues(baseValues)
                var rng = root.child("\(method.slug)/\(rate)")
                let variant = "\(method.slug)/lr=\(rate)"
                let ok: Void? = try context.guarded(variant: variant, seed: seed) {
                    try fineTune(method, rate: rate, config: c, batches: batches, baseOnBatches: baseOnBatches, net: net,
                                 teacher: teacher, teacherValues: grpoPolicies[rate], rng: &rng)
                }
                if method == .grpo { grpoPolicies[rate] = net.store.flatValues }
                var run = Run(method: method, rate: rate)
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
    /// per batch of fresh new-task images (the same batches for every method and rate of a seed).
    static func fineTune(_ method: Method, rate: Double, config c: Config, batches: [ParityDigitsBatch], baseOnBatches: [[Float]],
                         net: Network, teacher: Network, teacherValues: [Float]?, rng: inout RandomStream) throws {
        let lr = Float(rate)
        switch method {
        case .grpo, .reinforce:
            // on-policy: sample groupSize labels per image, binary reward, one gradient step per batch, no KL, no clipping
            final class Current { var batch: ParityDigitsBatch? }
            let current = Current()
            let policy = CategoricalPolicy(parameters: net.store, actions: ParityDigits.classCount) { g, rows in
                let b = current.batch!
                return net.logits(g, rows.flatMap { b.inputs[($0 * b.inputWidth)..<(($0 + 1) * b.inputWidth)] }, rows: rows.count)
            }
            let trainer = BanditPolicyTrainer(policy: policy, optimizer: AdamW.adam(), update: UpdateConfig(learningRate: lr, maxGradNorm: nil))
            let recipe = PolicyGradientRecipe(
                advantages: method == .grpo ? { Advantages.grpo(rewards: $0, groupSize: $1) } : { r, _ in Advantages.reinforce(rewards: r) },
                loss: { PolicyLoss.vanilla($0, aggregation: $1, globalTokenCount: $2, globalSequenceCount: $3) })
            for step in 0..<c.fineTuneSteps {
                let batch = batches[step]
                current.batch = batch
                _ = try trainer.step(contexts: Array(0..<batch.count), groupSize: c.groupSize, recipe: recipe, rng: &rng) { row, label in
                    batch.reward(row: row, label: label)
                }
            }
        case .sft1, .sft2, .oracle, .sftOnRL:
            if method == .sftOnRL {
                require(teacherValues != nil, "rl-razor: SFT on RL samples needs the GRPO policy of the same rate")
                teacher.store.setValues(teacherValues!)
            }
            try TrainingLoop.run(steps: c.fineTuneSteps, parameters: net.store, optimizer: AdamW.adam(), schedule: .constant(lr),
                                 maxGradNorm: nil) { g, step in
                let batch = batches[step]
                let logits = net.logits(g, batch.inputs, rows: batch.count)
                switch method {
                case .sft1: return logits.crossEntropy(targets: g.indices(batch.sftLabels(.sft1, rng: &rng))).mean()
                case .sft2: return logits.crossEntropy(targets: g.indices(batch.sftLabels(.sft2, rng: &rng))).mean()
                case .oracle:
                    let q = batch.oracleTargets(base: baseOnBatches[step])                          // q* ∝ π₀·1[correct]
                    return logits.crossEntropy(softTargets: g.constant(q, Shape(batch.count, 10))).mean()
                default:
                    let p = teacher.probabilities(batch)                                            // labels ~ π_RL
                    let labels = (0..<batch.count).map { Int32(rng.categorical(Array(p[($0 * 10)..<($0 * 10 + 10)]))) }
                    return logits.crossEntropy(targets: g.indices(labels)).mean()
                }
            }
        }
    }
}
