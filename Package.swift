// swift-tools-version:6.0
// PostTrainLab: toy-scale reproductions of LLM post-training findings, on the CPU, with no dependencies.
import PackageDescription

// Every target is compiled optimized, even in SwiftPM's default debug configuration, so that plain
// `swift run Experiment …` and `swift test` run at release speed (measured: see README.md, "Speed").
// `-target-cpu native` lets the SIMD kernels use the machine's widest vector unit (AVX-512 / AVX2 / NEON);
// without it SIMD16<Float> code is lowered to SSE and matmul runs ~50x slower. Users build from source, so the
// binary never leaves the machine that compiled it. (`-wmo` must not go here: it breaks debug builds.)
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-target-cpu", "native"])]

let package = Package(
    name: "PostTrainLab",
    products: [
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Harness", targets: ["Harness"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "Objectives", targets: ["Objectives"]),
        .executable(name: "Experiment", targets: ["Experiment"]),
        .executable(name: "Bench", targets: ["Bench"]),
    ],
    targets: [
        // Tensors, reverse-mode autodiff, kernels, the seeded RNG, the thread pool.
        .target(name: "Engine", swiftSettings: optimized),
        // Layers, the transformer, sampling, optimizers, checkpoints.
        .target(name: "Models", dependencies: ["Engine"], swiftSettings: optimized),
        // The synthetic task families: StringFunctions, ParityDigits, Countdown, PreferenceBandit, the grid density.
        .target(name: "Environments", dependencies: ["Engine", "Models"], swiftSettings: optimized),
        // Advantage estimators, policy / preference / distillation objectives, the shared training loops.
        .target(name: "Objectives", dependencies: ["Engine", "Models"], swiftSettings: optimized),
        // Claims, statistics, CSV / SVG / report outputs, the command line's machinery.
        .target(name: "Harness", dependencies: ["Engine", "Objectives"], swiftSettings: optimized),
        // One target per reproduced finding (Experiments/<Finding>/).
        .target(name: "KLModes", dependencies: ["Engine", "Harness", "Environments"], path: "Experiments/KLModes", swiftSettings: optimized),
        .target(name: "ArenaTournaments", dependencies: ["Engine", "Harness", "Environments"], path: "Experiments/ArenaTournaments", swiftSettings: optimized),
        .target(name: "RLRazor", dependencies: ["Engine", "Models", "Environments", "Objectives", "Harness"], path: "Experiments/RLRazor", swiftSettings: optimized),
        .target(name: "Composition", dependencies: ["Engine", "Models", "Environments", "Objectives", "Harness"], path: "Experiments/Composition",
                exclude: ["base.ckpt"], swiftSettings: optimized),
        // negative-reinforcement and minimalist-rl: RL methods from one Countdown base (Experiments/CountdownRL/).
        .target(name: "CountdownRL", dependencies: ["Engine", "Models", "Environments", "Objectives", "Harness"], path: "Experiments/CountdownRL",
                exclude: ["base.ckpt"], swiftSettings: optimized),
        // dpo-family and lpf-methods: preference methods on one feature policy over PreferenceBandit (Experiments/PreferenceLearning/).
        .target(name: "PreferenceLearning", dependencies: ["Engine", "Models", "Environments", "Objectives", "Harness"], path: "Experiments/PreferenceLearning",
                swiftSettings: optimized),
        // The composition experiment's development probe: trains one Stage-1 design or runs Stage 2 from a saved base.
        .executableTarget(name: "CompositionProbe", dependencies: ["Engine", "Models", "Environments", "Composition"], swiftSettings: optimized),
        // Issue 9's development probe: a Countdown base supervised on solver solutions, with its pass@k.
        .executableTarget(name: "CountdownProbe", dependencies: ["Engine", "Models", "Environments", "Objectives", "CountdownRL"], swiftSettings: optimized),
        // The command line (`swift run Experiment <name>`): the registry of every experiment.
        .executableTarget(name: "Experiment", dependencies: ["Harness", "KLModes", "RLRazor", "Composition", "CountdownRL", "PreferenceLearning", "ArenaTournaments"], swiftSettings: optimized),
        // The reference workloads of ../shared/bench (`swift run -c release Bench [--csv]`).
        .executableTarget(name: "Bench", dependencies: ["Engine", "Models", "Environments"], swiftSettings: optimized),
        .testTarget(name: "EngineTests", dependencies: ["Engine"], swiftSettings: optimized),
        .testTarget(name: "ModelsTests", dependencies: ["Engine", "Models"], swiftSettings: optimized),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Engine", "Models", "Environments"], swiftSettings: optimized),
        .testTarget(name: "ObjectivesTests", dependencies: ["Engine", "Models", "Objectives"], swiftSettings: optimized),
        .testTarget(name: "HarnessTests", dependencies: ["Engine", "Harness"], swiftSettings: optimized),
        // One claim test per experiment (its --quick configuration on its default seeds).
        .testTarget(name: "ExperimentTests", dependencies: ["Engine", "Harness", "Environments", "KLModes", "RLRazor", "Composition", "CountdownRL", "PreferenceLearning", "ArenaTournaments"], swiftSettings: optimized),
    ],
    swiftLanguageModes: [.v5]
)
