// Reference workloads (matmul, attention, an MLP and a transformer training step, sampling, the environments), timed
// with this package's engine, with the same names and units as the companion PyTorch timing script, so that the two
// can be compared in one sitting:
//
//     swift run -c release Bench [--csv] [--threads N] [--only NAME]
//
// --csv prints `workload,unit,value` rows; --threads sets the worker threads (default: all cores). Beyond the six
// reference workloads it times the environment workloads (Countdown generation and verification, one core) and the
// Countdown RL workloads at the Countdown base's size: sampling, a training step on the sampled rows, and one whole
// RL step (`rl_step`), with the rate the first two imply for it.
import Foundation
import Engine
import Models
import Environments
import Objectives
import Training

var csv = false, only: String? = nil
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--csv": csv = true
    case "--threads":
        guard let v = args.first.flatMap(Int.init), v > 0 else { fail("--threads needs a positive integer") }
        Parallel.threads = v; args.removeFirst()
    case "--only":
        guard let v = args.first else { fail("--only needs a workload name") }
        only = v; args.removeFirst()
    case "--help", "-h":
        print("usage: swift run -c release Bench [--csv] [--threads N] [--only WORKLOAD]"); exit(0)
    default: fail("unknown argument \(a) (try --help)")
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("Bench: \(message)\n".utf8)); exit(2)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Mean seconds per call after two warm-up calls (as torch_reference.py's timeit).
func timeit(_ n: Int, _ body: () -> Void) -> Double {
    body(); body()
    let t = now()
    for _ in 0..<n { body() }
    return (now() - t) / Double(n)
}

if csv { print("workload,unit,value") }
func report(_ workload: String, _ unit: String, _ value: Double, _ extra: String = "") {
    if csv { print("\(workload),\(unit),\(String(format: "%.1f", value))") }
    else { print(workload.padding(toLength: Swift.max(26, workload.count + 1), withPad: " ", startingAt: 0) + String(format: " %12.0f ", value) + unit + "  " + extra) }
}
func wanted(_ name: String) -> Bool { only == nil || name.hasPrefix(only!) }

var rng = RandomStream(seed: 0)

/// One training step of a workload (forward, backward, AdamW) on its own graph: the timing runs and the memory run
/// (`--only memory`) share it.
struct TrainingStep {
    let graph = Graph()
    let parameters: ParameterStore
    let run: (Graph) -> Void
    func callAsFunction() { graph.reset(); run(graph) }
}

/// mlp_train: MLP 784-256-256-10, batch 128, cross-entropy + AdamW.
func mlpTrainStep(rng: inout RandomStream) -> TrainingStep {
    let store = ParameterStore()
    let mlp = MLP(store, "mlp", sizes: [784, 256, 256, 10], activation: .relu, rng: &rng)
    let x = (0..<(128 * 784)).map { _ in rng.normal() }
    let y = (0..<128).map { _ in Int32(rng.int(10)) }
    let opt = AdamW()
    return TrainingStep(parameters: store) { g in
        store.zeroGradients()
        g.backward(mlp(g.constant(x, Shape(128, 784))).crossEntropy(targets: g.indices(y)).mean())
        opt.step(store, learningRate: 1e-3)
    }
}

/// transformer_d*_train: next-token cross-entropy on `batch` random sequences of the model's context length, AdamW.
func transformerTrainStep(_ model: Transformer, batch b: Int, rng: inout RandomStream) -> TrainingStep {
    let (v, t) = (model.config.vocabularySize, model.config.contextLength)
    let idx = (0..<(b * t)).map { _ in Int32(rng.int(v)) }
    let inputs = (0..<b).flatMap { idx[($0 * t)..<($0 * t + t - 1)] }
    let targets = (0..<b).flatMap { idx[($0 * t + 1)..<($0 * t + t)] }
    let opt = AdamW()
    return TrainingStep(parameters: model.parameters) { g in
        model.parameters.zeroGradients()
        g.backward(model.logits(inputs, batch: b, graph: g).crossEntropy(targets: g.indices(targets)).mean())
        opt.step(model.parameters, learningRate: 1e-3)
    }
}

// 1. MLP 784-256-256-10, batch 128, cross-entropy + AdamW
if wanted("mlp_train") {
    let step = mlpTrainStep(rng: &rng)
    let dt = timeit(200) { step() }
    report("mlp_train", "samples/s", 128 / dt, String(format: "(params %d, step %.3f ms)", step.parameters.count, dt * 1e3))
}

// 2–3. Transformers d64 / d128: training steps and KV-cache sampling
for d in [64, 128] {
    let (v, layers, heads, t, b) = (48, 2, 4, 64, 32)
    let model = Transformer(TransformerConfig(vocabularySize: v, contextLength: t, modelWidth: d, layers: layers, heads: heads), rng: &rng)
    if wanted("transformer_d\(d)_train") {
        let step = transformerTrainStep(model, batch: b, rng: &rng)
        let dt = timeit(30) { step() }
        report("transformer_d\(d)_train", "tokens/s", Double(b * (t - 1)) / dt,
               String(format: "(params %d, step %.1f ms)", model.parameters.count, dt * 1e3))
    }
    if wanted("transformer_d\(d)_sample") {
        let g = Graph(recording: false)
        var sampler = rng.child("sample\(d)")
        let options = SamplingOptions(maxNewTokens: 48)
        let dt = timeit(5) {
            let prompts = (0..<64).map { _ in (0..<16).map { _ in Int32(sampler.int(v)) } }
            _ = model.sample(prompts: prompts, options: options, rng: &sampler, graph: g)
        }
        report("transformer_d\(d)_sample", "tokens/s", Double(64 * 48) / dt)
    }
}

// 4. One 512×512 by 512×512 product
if wanted("matmul_512") {
    let n = 512
    let a = (0..<(n * n)).map { _ in rng.normal() }, bm = (0..<(n * n)).map { _ in rng.normal() }
    // the output 64-byte aligned, as the engine's tensors (and PyTorch's) are
    let c = UnsafeMutableRawPointer.allocate(byteCount: n * n * 4, alignment: 64).bindMemory(to: Float.self, capacity: n * n)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Kernels.gemmScratchCount(m: n, n: n, k: n))
    defer { scratch.deallocate(); c.deallocate() }
    let dt = timeit(50) {
        Kernels.gemm(m: n, n: n, k: n, a: a, lda: n, transA: false, b: bm, ldb: n, transB: false, c: c, ldc: n,
                     accumulate: false, scratch: scratch)
    }
    report("matmul_512", "GFLOP/s", 2 * Double(n * n * n) / dt / 1e9)
}

// 5. Environment workloads (one core): Countdown generation with solution counts, and answer verification
for (label, config) in [("", CountdownConfig.probe), ("_hard", CountdownConfig.hard)] {
    if wanted("countdown_generate\(label)") {
        var r = RandomStream(seed: 1)
        let t = now()
        let check = CountdownBenchmark.generateProblems(count: 100_000, config: config, rng: &r)
        let dt = now() - t
        report("countdown_generate\(label)", "problems/s", 100_000 / dt, String(format: "(100k problems with solution counts in %.2f s; checksum %d)", dt, check))
    }
    if wanted("countdown_verify\(label)") {
        var r = RandomStream(seed: 2)
        let t = now()
        let correct = CountdownBenchmark.verifyAnswers(count: 1_000_000, config: config, rng: &r)
        let dt = now() - t
        report("countdown_verify\(label)", "answers/s", 1_000_000 / dt, String(format: "(1M answers in %.2f s; %d correct)", dt, correct))
    }
}

// 6. Countdown RL at the base's size (the committed base when it is readable, else a fresh model of its shape), 16
// prompts × 8 samples from the RL pool. countdown_sample generates them (KV cache, stopping at the end token);
// countdown_train is a dense training step (32 random sequences of the model's context length, as
// transformer_d*_train); rl_step is SequencePolicyTrainer.step as the experiments run it (sampling, π_old and π_ref
// log-probabilities, GRPO advantages, 2 minibatch updates), in response tokens/s, beside the rate sampling plus one
// dense training pass per token imply: 1 / (1/sample + 1/train).
if wanted("countdown_sample") || wanted("countdown_train") || wanted("rl_step") {
    var base = CountdownDesign.chosenBase
    base.trainProblems = 1
    let task = CountdownTask(base)
    let saved = try? CountdownBase.read(expecting: CountdownDesign.chosenBase)
    var initRng = rng.child("countdown-init")
    let model = saved?.model ?? Transformer(base.transformer, rng: &initRng)
    let label = saved?.model == nil ? "fresh model" : "committed base"
    let values = model.parameters.flatValues
    let (promptsPerStep, groupSize) = (16, 8)
    var pick = rng.child("countdown-prompts")
    let problems = (0..<promptsPerStep).map { _ in task.rlPool[pick.int(task.rlPool.count)] }
    let prompts = problems.map(CountdownTokenizer.promptTokens)
    let expanded = prompts.flatMap { [[Int32]](repeating: $0, count: groupSize) }
    var sampleRate = Double.nan, trainRate = Double.nan
    if wanted("countdown_sample") || wanted("rl_step") {
        let inference = Graph(recording: false)
        var r = rng.child("countdown-sample")
        var tokens = 0.0
        let dt = timeit(5) { tokens = Double(model.sample(prompts: expanded, options: task.sampling(), rng: &r, graph: inference).responseMask.reduce(0, +)) }
        sampleRate = tokens / dt
        report("countdown_sample", "tokens/s", sampleRate, String(format: "(%@, %d rows, %.1f response tokens per row)", label, expanded.count,
                                                                  tokens / Double(expanded.count)))
    }
    if wanted("countdown_train") || wanted("rl_step") {
        let step = transformerTrainStep(model, batch: 32, rng: &rng)
        let dt = timeit(20) { step() }
        trainRate = Double(32 * (model.config.contextLength - 1)) / dt
        report("countdown_train", "tokens/s", trainRate, String(format: "(32 × %d tokens, step %.1f ms)", model.config.contextLength - 1, dt * 1e3))
        model.parameters.setValues(values)
    }
    if wanted("rl_step") {
        let reference = Transformer(base.transformer, rng: &initRng)
        reference.parameters.setValues(values)
        let trainer = SequencePolicyTrainer(policy: model, reference: reference, optimizer: AdamW(weightDecay: 0),
                                            config: SequenceRLConfig(groupSize: groupSize, sampling: task.sampling(),
                                                                     update: UpdateConfig(minibatches: 2, learningRate: 5e-5)))
        let recipe = CountdownMethod.grpo.recipe.gradientRecipe()
        var stepRng = rng.child("countdown-rl")
        var tokens = 0.0
        let dt = timeit(10) {
            model.parameters.setValues(values)
            let stats = try! trainer.step(prompts: prompts, recipe: recipe, rng: &stepRng) { i, response in
                task.verify(response, problems[i]).outcome.signedReward
            }
            tokens = stats.meanResponseLength * Double(promptsPerStep * groupSize)
        }
        let implied = 1 / (1 / sampleRate + 1 / trainRate)
        report("rl_step", "tokens/s", tokens / dt,
               String(format: "(%.0f samples/s, step %.0f ms; sampling + one training pass imply %.0f tokens/s, ratio %.2f)",
                      Double(promptsPerStep * groupSize) / dt, dt * 1e3, implied, tokens / dt / implied))
    }
}

// Diagnostic (not part of the comparison; run with --only gemm_shapes): GFLOP/s of the fast GEMM on the shapes of
// an MLP training step (forward, weight gradient, input gradient), on one thread and on the pool.
if only == "gemm_shapes" {
    let shapes: [(String, Int, Int, Int, Bool, Bool)] = [
        ("fwd 128x784·784x256", 128, 256, 784, false, false), ("fwd 128x256·256x256", 128, 256, 256, false, false),
        ("fwd 128x256·256x10", 128, 10, 256, false, false),
        ("dW 784x128·128x256 (Aᵀ)", 784, 256, 128, true, false), ("dW 256x128·128x256 (Aᵀ)", 256, 256, 128, true, false),
        ("dW 256x128·128x10 (Aᵀ)", 256, 10, 128, true, false),
        ("dX 128x256·256x256 (Bᵀ)", 128, 256, 256, false, true), ("dX 128x10·10x256 (Bᵀ)", 128, 256, 10, false, true),
        ("fwd 64x145·145x512", 64, 512, 145, false, false), ("dW 145x64·64x512 (Aᵀ)", 145, 512, 64, true, false),
        ("dX 64x512·512x256 (Bᵀ)", 64, 256, 512, false, true),
        ("d128 qkv 2016x128·128x384", 2016, 384, 128, false, false), ("d128 mlp2 2016x512·512x128", 2016, 128, 512, false, false),
        ("d128 dW 128x2016·2016x384 (Aᵀ)", 128, 384, 2016, true, false), ("d128 dX 2016x384·384x128 (Bᵀ)", 2016, 128, 384, false, true),
    ]
    for (label, m, n, k, ta, tb) in shapes {
        let a = (0..<(m * k)).map { _ in rng.normal() }, bm = (0..<(k * n)).map { _ in rng.normal() }
        var c = [Float](repeating: 0, count: m * n)
        for parallel in [false, true] {
            let dt = timeit(200) {
                Kernels.gemm(m: m, n: n, k: k, a: a, lda: ta ? m : k, transA: ta, b: bm, ldb: tb ? k : n, transB: tb,
                             c: &c, ldc: n, accumulate: false, parallel: parallel)
            }
            report("gemm " + label + (parallel ? " pool" : " 1t"), "GFLOP/s", 2 * Double(m * n * k) / dt / 1e9)
        }
    }
}

// Diagnostic (--only adam_step): one AdamW step over N parameters, one thread (memory-bound beyond the L2 cache).
if only == "adam_step" {
    for n in [50_000, 208_000, 1_000_000] {
        let store = ParameterStore()
        store.add("w", Shape(n), .normal(std: 0.1), rng: &rng)
        for i in 0..<n { store.grads[i] = Float(i % 7) * 1e-3 }
        let opt = AdamW()
        let saved = Parallel.threads
        Parallel.threads = 1
        let dt = timeit(500) { opt.step(store, learningRate: 1e-3) }
        Parallel.threads = saved
        report("adam_step n=\(n)", "µs", dt * 1e6, String(format: "(%.1f GB/s over 7 streams)", Double(7 * 4 * n) / dt / 1e9))
    }
}

// Memory (--only memory): resident set and the graph arena over 1,000 training steps of the mlp_train and
// transformer_d64_train workloads. After warm-up neither grows: every step reuses the same buffers.
func residentKB() -> (current: Int, peak: Int) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Int {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return (field("VmRSS:"), field("VmHWM:"))
}
if only == "memory" {
    let model = Transformer(TransformerConfig(vocabularySize: 48, contextLength: 64, modelWidth: 64, layers: 2, heads: 4), rng: &rng)
    for (workload, step) in [("mlp_train", mlpTrainStep(rng: &rng)), ("transformer_d64_train", transformerTrainStep(model, batch: 32, rng: &rng))] {
        for n in 1...1000 {
            step()
            if [10, 100, 500, 1000].contains(n) {
                let kb = residentKB(), arena = step.graph.arena
                print("\(workload) step \(n): RSS \(kb.current) kB, peak RSS \(kb.peak) kB, arena \(arena.capacity / 1024) kB reserved, \(arena.bytesInUse / 1024) kB used")
            }
        }
    }
}

