// Development probe for issue 9's shared Countdown base (not a user command): supervises the tiny transformer on
// solver solutions (one solution drawn uniformly per example, so the base keeps several ways to solve a problem) and
// prints pass@1 and pass@k on the held-out test set, to find a design with moderate pass@1 (≈ 0.2–0.5) and high pass@k.
//     swift run -c release CountdownProbe [--numbers N] [--max-solutions S] [--steps N] [--width D] [--layers L]
//         [--heads H] [--batch B] [--lr X] [--test N] [--samples K] [--every N]
import Foundation
import Engine
import Models
import Environments
import Objectives

func fail(_ message: String) -> Never { FileHandle.standardError.write((message + "\n").data(using: .utf8)!); exit(2) }
var args = Array(CommandLine.arguments.dropFirst())
func value<T: LosslessStringConvertible>(_ flag: String) -> T {
    guard let v = args.first, let parsed = T(v) else { fail("\(flag) needs a \(T.self) value") }
    args.removeFirst(); return parsed
}
var config = CountdownConfig()
var steps = 1000, width = 128, layers = 2, heads = 4, batch = 128, testSize = 128, samples = 64, every = 250
var lr: Float = 1e-3
while let a = args.first {
    args.removeFirst()
    switch a {
    case "--numbers": config.numberCount = value(a)
    case "--max-solutions": config.maxSolutions = value(a)
    case "--steps": steps = value(a)
    case "--width": width = value(a)
    case "--layers": layers = value(a)
    case "--heads": heads = value(a)
    case "--batch": batch = value(a)
    case "--lr": lr = value(a)
    case "--test": testSize = value(a)
    case "--samples": samples = value(a)
    case "--every": every = value(a)
    default: fail("unknown flag \(a)")
    }
}
let start = Date()
let dataset = CountdownDataset(config: config, trainSize: 20_000, testSize: testSize, stream: RandomStream(seed: 0).child("countdown-data"))
let solutions = dataset.train.map { CountdownSolver.solve($0, rules: config.rules, enumerate: true).solutions }
let context = CountdownTokenizer.maximumPromptLength(config) + CountdownTokenizer.maximumAnswerLength(config)
var initRng = RandomStream(seed: 0).child("init")
let model = Transformer(TransformerConfig(vocabularySize: CountdownTokenizer.vocabularySize, contextLength: context,
                                          modelWidth: width, layers: layers, heads: heads, positionEncoding: .rotary), rng: &initRng)
print("Countdown \(config.numberCount) numbers, ≤ \(config.maxSolutions) solutions; \(dataset.train.count) train / \(dataset.test.count) test problems; "
      + "mean solutions per train problem \(String(format: "%.2f", Double(solutions.map(\.count).reduce(0, +)) / Double(solutions.count))); "
      + "d\(width) × \(layers) layers, \(model.parameters.flatValues.count) parameters")

func evaluate() -> String {
    let options = SamplingOptions(maxNewTokens: CountdownTokenizer.maximumAnswerLength(config), temperature: 1,
                                  endToken: CountdownTokenizer.endToken, padToken: CountdownTokenizer.padToken)
    var rng = RandomStream(seed: 1)
    let counts = Evaluation.correctCounts(model, problemCount: dataset.test.count, samples: samples, rowsPerBatch: 512,
                                          prompt: { CountdownTokenizer.promptTokens(dataset.test[$0]) }, options: { _ in options }, rng: &rng) {
        CountdownVerifier.verify($1, problem: dataset.test[$0], rules: config.rules).outcome == .correct
    }
    return [1, 4, 16, samples].map { k in String(format: "pass@%d %.3f", k, Evaluation.passAtK(correctCounts: counts, samples: samples, k: k)) }
        .joined(separator: "  ")
}

var dataRng = RandomStream(seed: 0).child("sft-data")
let schedule = LearningRateSchedule.warmupCosine(peak: lr, warmupSteps: Swift.min(100, steps / 10), totalSteps: steps, minimum: lr / 10)
var running: Float = 0
try TrainingLoop.run(steps: steps, parameters: model.parameters, optimizer: AdamW(weightDecay: 0.01), schedule: schedule) { g, step in
    let sequences = (0..<batch).map { _ -> SupervisedSequence in
        var index = dataRng.int(dataset.train.count)
        while solutions[index].isEmpty { index = dataRng.int(dataset.train.count) }
        let s = solutions[index][dataRng.int(solutions[index].count)]
        return SupervisedSequence(prompt: CountdownTokenizer.promptTokens(dataset.train[index]), target: CountdownTokenizer.answerTokens(s))
    }
    let l = SupervisedBatch.loss(sequences, model: model, graph: g, microBatch: batch, pad: CountdownTokenizer.padToken)
    running = step == 0 ? l.item : 0.98 * running + 0.02 * l.item
    if (step + 1) % every == 0 || step + 1 == steps {
        print(String(format: "step %5d  loss %.4f  %@  %.0f s", step + 1, running, evaluate(), Date().timeIntervalSince(start)))
    }
    return l
}
