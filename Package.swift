// swift-tools-version:6.0
// PostTrainLab: toy-scale reproductions of LLM post-training findings, on the CPU, with no dependencies.
import PackageDescription

// Every target is compiled optimized, even in SwiftPM's default debug configuration, so that plain
// `swift run Experiment …` and `swift test` run at release speed (measured: see README.md, "Speed").
// `-target-cpu native` lets the SIMD kernels use the machine's widest vector unit (AVX-512 / AVX2 / NEON);
// without it SIMD16<Float> code is lowered to SSE and matmul runs ~50x slower. Users build from source, so the
// binary never leaves the machine that compiled it. (`-wmo` must not go here: it breaks debug builds.)
//
// POSTTRAINLAB_CHECKED=1 in the environment selects `-O` instead: bounds and overflow checks on, so that a fuzz test's
// out-of-range read traps instead of returning garbage, and defines POSTTRAINLAB_CHECKED, which raises the fuzz tests
// to 10⁶ inputs per verifier. Build it in its own scratch path (`.ci/run` does, also with `--sanitize=address`).
let checked = Context.environment["POSTTRAINLAB_CHECKED"] == "1"
let optimized: [SwiftSetting] = [.unsafeFlags(checked ? ["-O", "-target-cpu", "native", "-DPOSTTRAINLAB_CHECKED"]
                                                      : ["-Ounchecked", "-target-cpu", "native"])]

/// Experiment targets: (command-line name, target name, modules it imports). The folder is Experiments/<name>/.
let experiments: [(name: String, target: String, dependencies: [Target.Dependency])] = [
    ("rl-razor", "RLRazorExperiment", ["Engine", "Models", "Environments", "Objectives", "Training", "Harness"]),
    ("kl-modes", "KLModesExperiment", ["Engine", "Environments", "Harness"]),
    ("composition", "CompositionExperiment", ["Engine", "Models", "Environments", "Objectives", "Training", "Harness"]),
    ("negative-reinforcement", "NegativeReinforcementExperiment", ["Engine", "Environments", "Objectives", "Training", "Harness"]),
    ("minimalist-rl", "MinimalistRLExperiment", ["Engine", "Environments", "Objectives", "Training", "Harness"]),
    ("dpo-family", "DPOFamilyExperiment", ["Engine", "Models", "Environments", "Objectives", "Training", "Harness"]),
    ("lpf-methods", "LPFMethodsExperiment", ["Engine", "Models", "Environments", "Objectives", "Training", "Harness"]),
    ("arena-tournaments", "ArenaTournamentsExperiment", ["Engine", "Environments", "Training", "Harness"]),
]
let experimentTargets: [Target.Dependency] = experiments.map { .target(name: $0.target) }

let package = Package(
    name: "PostTrainLab",
    products: [
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "Objectives", targets: ["Objectives"]),
        .library(name: "Training", targets: ["Training"]),
        .executable(name: "Experiment", targets: ["Experiment"]),
        .executable(name: "Bench", targets: ["Bench"]),
    ],
    targets: [
        // The layers, bottom-up: Engine → Models, Environments, Harness → Objectives → Training → experiments → CLI.
        // Tensors, reverse-mode autodiff, kernels, the seeded RNG, the thread pool.
        .target(name: "Engine", swiftSettings: optimized),
        // Layers, the transformer, sampling, optimizers, checkpoints.
        .target(name: "Models", dependencies: ["Engine"], swiftSettings: optimized),
        // The synthetic task families (tasks, generators, verifiers, tokenizers, judges; no learners): StringFunctions,
        // ParityDigits, Countdown, PreferenceBandit, the grid density.
        .target(name: "Environments", dependencies: ["Engine"], swiftSettings: optimized),
        // Claims, statistics, CSV / SVG / report outputs, the command line's machinery.
        .target(name: "Harness", dependencies: ["Engine"], swiftSettings: optimized),
        // Advantage estimators, policy / preference / distillation / supervised objectives, as functions and as values.
        .target(name: "Objectives", dependencies: ["Engine", "Models"], swiftSettings: optimized),
        // The training loops, policies, reward models, base-model training and evaluation shared by experiments.
        .target(name: "Training", dependencies: ["Engine", "Models", "Environments", "Objectives", "Harness"],
                exclude: ["Countdown/base.ckpt"], swiftSettings: optimized),
        // The command line (`swift run Experiment <name>`): the registry of every experiment.
        .executableTarget(name: "Experiment", dependencies: ["Engine", "Harness"] + experimentTargets, swiftSettings: optimized),
        // The reference workloads of the PyTorch benchmark script (`swift run -c release Bench [--csv]`).
        .executableTarget(name: "Bench", dependencies: ["Engine", "Models", "Environments", "Objectives", "Training"], swiftSettings: optimized),
        .testTarget(name: "EngineTests", dependencies: ["Engine"], swiftSettings: optimized),
        .testTarget(name: "ModelsTests", dependencies: ["Engine", "Models"], swiftSettings: optimized),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Engine", "Environments"], swiftSettings: optimized),
        .testTarget(name: "ObjectivesTests", dependencies: ["Engine", "Models", "Objectives"], swiftSettings: optimized),
        .testTarget(name: "TrainingTests", dependencies: ["Engine", "Models", "Environments", "Objectives", "Training", "Harness"], swiftSettings: optimized),
        .testTarget(name: "HarnessTests", dependencies: ["Engine", "Harness"], swiftSettings: optimized),
        // One claim test per experiment (its --quick configuration on its default seeds).
        .testTarget(name: "ExperimentTests", dependencies: ["Engine", "Models", "Harness", "Environments", "Objectives", "Training"] + experimentTargets,
                    swiftSettings: optimized),
    ] + experiments.map { e in
        // One target per reproduced finding, in the folder named as on the command line.
        .target(name: e.target, dependencies: e.dependencies, path: "Experiments/\(e.name)", exclude: e.name == "composition" ? ["NOTES.md", "base.ckpt"] : ["NOTES.md"],
                swiftSettings: optimized)
    },
    swiftLanguageModes: [.v5]
)
