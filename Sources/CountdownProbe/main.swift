// Development probe for issue 9's shared Countdown base and RL schedule (not a user command).
//     swift run -c release CountdownProbe train [--numbers N] [--max-solutions S] [--steps N] [--width D] [--layers L]
//         [--heads H] [--batch B] [--lr X] [--test N] [--samples K] [--every N] [--save FILE]
//       trains a base (CountdownBase.train, the experiments' code) and prints pass@k on the test set every N steps;
//       --save writes it as the experiments' base file.
//     swift run -c release CountdownProbe rl --base FILE --methods psr,nsr,… [--steps N] [--lr X] [--prompts P] [--group G]
//         [--minibatches M] [--problems N] [--samples K] [--seed S]
//       runs RL methods from a saved base and prints their training curve summary and test pass@k.
//     swift run -c release CountdownProbe space [MAX_SOLUTIONS]
//       prints how many distinct problems the base's task has (with at most MAX_SOLUTIONS solutions).
import Foundation
import Engine
import Models
import Environments
import Objectives
import CountdownRL

func fail(_ message: String) -> Never { FileHandle.standardError.write((message + "\n").data(using: .utf8)!); exit(2) }
setvbuf(stdout, nil, _IOLBF, 0)
var args = Array(CommandLine.arguments.dropFirst())
func value<T: LosslessStringConvertible>(_ flag: String) -> T {
    guard let v = args.first, let parsed = T(v) else { fail("\(flag) needs a \(T.self) value") }
    args.removeFirst(); return parsed
}
func passText(_ e: CountdownEvaluation) -> String {
    zip(e.ks, e.passAtK).filter { [1, 4, 16, 64, 256].contains($0.0) || $0.0 == e.samples }
        .map { String(format: "pass@%d %.3f", $0.0, $0.1) }.joined(separator: "  ")
        + String(format: "  distinct %.2f  never %d", e.meanDistinctCorrect, e.neverSolved)
}
let start = Date()
guard let mode = args.first else { fail("usage: CountdownProbe train|rl …") }
args.removeFirst()

switch mode {
case "train":
    var config = CountdownDesign.chosenBase
    var samples = 256, every = 1000
    var save: String? = nil
    while let a = args.first {
        args.removeFirst()
        switch a {
        case "--numbers": config.task.numberCount = value(a)
        case "--max-solutions": config.task.maxSolutions = value(a)
        case "--highest": config.task.highestNumber = value(a)
        case "--steps": config.steps = value(a)
        case "--width": config.modelWidth = value(a)
        case "--layers": config.layers = value(a)
        case "--heads": config.heads = value(a)
        case "--batch": config.batchSize = value(a)
        case "--lr": config.peakLearningRate = value(a)
        case "--test": config.testProblems = value(a)
        case "--rl-problems": config.rlProblems = value(a)
        case "--samples": samples = value(a)
        case "--every": every = value(a)
        case "--save": save = value(a)
        default: fail("unknown flag \(a)")
        }
    }
    let task = CountdownTask(config)
    var rng = RandomStream(seed: 0).child("d")
    let probe = Transformer(config.transformer, rng: &rng)
    print("Countdown \(config.task.numberCount) numbers, ≤ \(config.task.maxSolutions) solutions; \(task.train.count) train / \(task.rlPool.count) RL / \(task.test.count) test; "
          + String(format: "mean solutions per train problem %.2f; ", task.meanSolutionsPerProblem)
          + "d\(config.modelWidth) × \(config.layers) layers, \(probe.parameters.flatValues.count) parameters; hash \(CountdownBase.hash(config)); "
          + String(format: "data %.0f s", Date().timeIntervalSince(start)))
    let model = try CountdownBase.train(task, every: every) { step, loss, m in
        do {
            var r = RandomStream(seed: 1)
            let e = CountdownEvaluator.evaluate(m, task, samples: samples, rng: &r)
            print(String(format: "step %5d  loss %.4f  %@  %.0f s", step, loss, passText(e), Date().timeIntervalSince(start)))
        }
    }
    let seconds = Date().timeIntervalSince(start)
    var r = RandomStream(seed: config.seed).child("base-measurement")
    let e = CountdownEvaluator.evaluate(model, task, samples: 256, rng: &r)
    print(String(format: "final  %@  %.0f s", passText(e), seconds))
    if let save {
        try CountdownBase.write(model, config: config, measurements: .init(samplesPerProblem: 256, ks: e.ks, passAtK: e.passAtK),
                                trainingSeconds: seconds, to: URL(fileURLWithPath: save))
        print("saved \(save)")
    }
case "rl":
    var basePath = "", methodNames = "psr,nsr"
    var rl = CountdownRLConfig()
    var problems = 128, samples = 256, seed: UInt64 = 1
    while let a = args.first {
        args.removeFirst()
        switch a {
        case "--base": basePath = value(a)
        case "--methods": methodNames = value(a)
        case "--steps": rl.steps = value(a)
        case "--lr": rl.learningRate = value(a)
        case "--prompts": rl.promptsPerStep = value(a)
        case "--group": rl.groupSize = value(a)
        case "--minibatches": rl.minibatches = value(a)
        case "--problems": problems = value(a)
        case "--samples": samples = value(a)
        case "--seed": seed = value(a)
        default: fail("unknown flag \(a)")
        }
    }
    guard let saved = try CountdownBase.read(URL(fileURLWithPath: basePath)) else { fail("no base at \(basePath)") }
    let task = CountdownTask(saved.config)
    let all: [String: CountdownMethod] = Dictionary(uniqueKeysWithValues: ([.psr, .nsr, .grpo, .drGRPO, .ppo, .raft, .raftPlusPlus, .raftImportance,
        .reinforce, .reinforceRej, .rejectAllWrong, .rejectAllCorrect] + [0.05, 0.1, 0.2, 1].map { CountdownMethod.wReinforce($0) }).map { ($0.slug, $0) })
    var r = RandomStream(seed: 7)
    print("base  " + passText(CountdownEvaluator.evaluate(saved.model, task, problems: problems, samples: samples, rng: &r)))
    var pr = RandomStream(seed: 8)
    print(String(format: "   RL pool first %d: pass@1 %.3f, last %d: pass@1 %.3f", problems,
                 CountdownEvaluator.evaluate(saved.model, task, on: Array(task.rlPool.prefix(problems)), samples: 32, rng: &pr).passAtK[0], problems,
                 CountdownEvaluator.evaluate(saved.model, task, on: Array(task.rlPool.suffix(problems)), samples: 32, rng: &pr).passAtK[0]))
    let values = saved.model.parameters.flatValues
    var ref = RandomStream(seed: 0)
    let reference = Transformer(saved.config.transformer, rng: &ref)
    reference.parameters.setValues(values)
    for name in methodNames.split(separator: ",").map(String.init) {
        guard let method = all[name] else { fail("unknown method \(name); known: \(all.keys.sorted().joined(separator: ", "))") }
        saved.model.parameters.setValues(values)
        let t0 = Date()
        let trace = try CountdownRL.run(saved.model, reference: reference, task: task, method: method, config: rl, seed: seed)
        let chunk = Swift.max(1, rl.steps / 5)
        let curve = stride(from: 0, to: trace.count, by: chunk).map { i -> String in
            let part = trace[i..<Swift.min(trace.count, i + chunk)]
            return String(format: "%.2f/%.2f/%.3f", part.map(\.accuracy).reduce(0, +) / Double(part.count),
                          part.map(\.entropy).reduce(0, +) / Double(part.count), part.map(\.kl).reduce(0, +) / Double(part.count))
        }.joined(separator: " ")
        var er = RandomStream(seed: 7)
        let e = CountdownEvaluator.evaluate(saved.model, task, problems: problems, samples: samples, rng: &er)
        var pr = RandomStream(seed: 8)
        let seenPool = CountdownEvaluator.evaluate(saved.model, task, on: Array(task.rlPool.prefix(problems)), samples: 32, rng: &pr)
        let unseenPool = CountdownEvaluator.evaluate(saved.model, task, on: Array(task.rlPool.suffix(problems)), samples: 32, rng: &pr)
        print(String(format: "   RL pool first %d: pass@1 %.3f, last %d: pass@1 %.3f", problems, seenPool.passAtK[0], problems, unseenPool.passAtK[0]))
        print(String(format: "%-22@ %@  [reward/entropy/kl %@]  %.0f s", method.name, passText(e), curve, Date().timeIntervalSince(t0)))
    }
case "space":
    var config = CountdownDesign.chosenBase.task
    if let v = args.first, let n = Int(v) { config.maxSolutions = n }
    let g = CountdownGenerator(config: config)
    print("admissible problems \(g.admissibleProblemCount) (≤ \(config.maxSolutions) solutions)")
default: fail("unknown mode \(mode)")
}
