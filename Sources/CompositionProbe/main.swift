// Development probe for the composition experiment (not a user command), to compare designs before the experiment
// wires them in.
//     swift run -c release CompositionProbe [base] [--steps N] [--width D] [--layers L] [--heads H] [--batch B]
//         [--lr X] [--aux-share S] [--chain-share S] [--packed N] [--spelled] [--restate] [--numbered] [--aliases A] [--eval N] [--save FILE]
//         trains one Stage-1 base design and prints its gate metrics (optionally saving it)
//     swift run -c release CompositionProbe gate --base FILE [--eval N] [--write]
//         re-measures a saved base's gate (1,024 problems per cell by default), optionally storing it in the file
//     swift run -c release CompositionProbe rl --base FILE [--levels 2 | 1,2 | 1] [--steps N] [--lr X]
//         [--prompts P] [--group G] [--eval N] [--show N] [--rft]
//         GRPO from a saved base on train functions; prints held-out Levels 1–4 and train Levels 1–3 before and after
//         (with the held-out error classes; --show N decodes N held-out Level-2 and Level-3 answers first)
import Foundation
import Engine
import Models
import Environments
import Composition

func fail(_ message: String) -> Never { FileHandle.standardError.write((message + "\n").data(using: .utf8)!); exit(2) }
var args = Array(CommandLine.arguments.dropFirst())
func value<T: LosslessStringConvertible>(_ flag: String) -> T {
    guard let v = args.first, let parsed = T(v) else { fail("\(flag) needs a \(T.self) value") }
    args.removeFirst(); return parsed
}
let command = args.first.map { $0.hasPrefix("--") ? "base" : args.removeFirst() } ?? "base"
let start = Date()
var evalProblems = 256

func rate(_ xs: [Bool]) -> Double { Double(xs.filter { $0 }.count) / Double(Swift.max(1, xs.count)) }

/// Greedy accuracy on the reserved test sets (held-out Levels 1–4, train Levels 1–3), and the error classes of the
/// held-out Level-2 and Level-3 answers.
func levels(_ model: Transformer, _ env: StringFunctionsEnvironment, rendering: CompositionRendering) -> String {
    var parts: [String] = []
    for (subset, name, top) in [(StringFunctionsSubset.heldOut, "held-out", 4), (.train, "train", 3)] {
        var line = name
        for level in 1...top {
            let problems = env.testSet(level: level, subset: subset, size: evalProblems)
            let responses = CompositionBase.greedyResponses(model, env, problems, rendering: rendering)
            let classes = zip(responses, problems).map { env.classify(response: $0, problem: $1) }
            line += String(format: " L%d %.3f", level, rate(classes.map { $0 == .correct }))
            if subset == .heldOut && (level == 2 || level == 3) {
                let wrong = classes.filter { $0 != .correct }
                let shares = StringFunctionsErrorClass.allCases.filter { $0 != .correct }.map { c in
                    String(format: "%@ %.2f", c.rawValue, Double(wrong.filter { $0 == c }.count) / Double(Swift.max(1, wrong.count)))
                }
                line += " (errors: " + shares.joined(separator: ", ") + ")"
            }
        }
        parts.append(line)
    }
    return parts.joined(separator: "\n        ")
}

do {
switch command {
case "base":
    var config = CompositionBaseConfig()
    var savePath: String? = nil
    while let a = args.first {
        args.removeFirst()
        switch a {
        case "--steps": config.steps = value(a)
        case "--width": config.modelWidth = value(a)
        case "--layers": config.layers = value(a)
        case "--heads": config.heads = value(a)
        case "--batch": config.batchSize = value(a)
        case "--lr": config.peakLearningRate = value(a)
        case "--aux-share": config.mix.auxiliaryShare = value(a)
        case "--chain-share": config.mix.trainChainShare = value(a)
        case "--packed": config.packedContext = value(a)
        case "--spelled": config.rendering.spelledIds = true
        case "--restate": config.rendering.restatePrompt = true
        case "--numbered": config.rendering.numberedIds = true
        case "--aliases": config.rendering.auxiliaryAliases = value(a)
        case "--eval": evalProblems = value(a)
        case "--save": savePath = value(a)
        case "--show-data":
            // print N Stage-1 training sequences of this design (trained tokens in [brackets]) and stop
            let n: Int = value(a)
            let env = StringFunctionsEnvironment(config: config.environment)
            var rng = RandomStream(seed: config.seed).child("show-data")
            for _ in 0..<n {
                let s = CompositionBase.stageOneSequence(env, config, rng: &rng)
                print(zip(s.tokens, s.trained).map { t, trained in
                    let text = config.rendering.decode([t])
                    return trained ? "[\(text)]" : text
                }.joined(separator: " "))
            }
            exit(0)
        default: fail("unknown flag \(a) (base flags: --steps --width --layers --heads --batch --lr --aux-share --chain-share --packed --spelled --restate --numbered --aliases --eval --save --show-data)")
        }
    }
    print("design: width \(config.modelWidth), layers \(config.layers), heads \(config.heads), steps \(config.steps), batch \(config.batchSize), lr \(config.peakLearningRate), aux share \(config.mix.auxiliaryShare) (levels 1–\(config.mix.auxiliaryMaxLevel)), train-chain share \(config.mix.trainChainShare), packed context 0…\(config.packedContext), rendering \(config.rendering)")
    let model = try CompositionBase.train(config, every: 100) { step, loss in
        print(String(format: "step %5d  loss %.4f  %.0f s", step, loss, Date().timeIntervalSince(start)))
        fflush(stdout)
    }
    let trained = Date().timeIntervalSince(start)
    let env = StringFunctionsEnvironment(config: config.environment)
    let gate = CompositionBase.gate(model, env, problems: evalProblems, rendering: config.rendering)
    if let savePath {
        try CompositionBaseFile.write(model, config: config, gate: gate, trainingSeconds: trained, to: URL(fileURLWithPath: savePath))
    }
    let l1 = gate.levelOneByFunction.sorted { $0.key < $1.key }.map {
        String(format: "f%d (%@, %@) %.2f", $0.key, "\(env.kind(of: $0.key))", env.trainFunctions.contains($0.key) ? "train" : "held out", $0.value)
    }.joined(separator: ", ")
    print("Level-1 by function: \(l1)")
    print(String(format: "held-out L2 %.3f  L3 %.3f | train L2 %.3f  L3 %.3f | gate %@", gate.heldOut[2]!, gate.heldOut[3]!, gate.train[2]!,
                 gate.train[3]!, gate.passes ? "passes" : "fails"))
    print(String(format: "training %.0f s, evaluation %.0f s", trained, Date().timeIntervalSince(start) - trained))
case "gate":
    // re-measures a saved base's gate (default 1,024 problems per cell); --write stores it in the file
    var basePath: String? = nil, write = false
    evalProblems = 1024
    while let a = args.first {
        args.removeFirst()
        switch a {
        case "--base": basePath = value(a)
        case "--eval": evalProblems = value(a)
        case "--write": write = true
        default: fail("unknown flag \(a) (gate flags: --base --eval --write)")
        }
    }
    guard let basePath, let saved = try CompositionBaseFile.read(URL(fileURLWithPath: basePath)) else { fail("gate needs --base FILE (a saved base)") }
    let env = StringFunctionsEnvironment(config: saved.config.environment)
    let gate = CompositionBase.gate(saved.model, env, problems: evalProblems, rendering: saved.config.rendering)
    print(String(format: "Level-1 min %.3f | held-out L2 %.3f  L3 %.3f | train L2 %.3f  L3 %.3f | gate %@ (%d problems per cell)",
                 gate.levelOneByFunction.values.min() ?? .nan, gate.heldOut[2]!, gate.heldOut[3]!, gate.train[2]!, gate.train[3]!,
                 gate.passes ? "passes" : "fails", evalProblems))
    let weak = gate.levelOneByFunction.filter { $0.value < 0.9 }.sorted { $0.key < $1.key }
    if !weak.isEmpty { print("Level 1 below 0.9: " + weak.map { String(format: "f%d (%@) %.3f", $0.key, "\(env.kind(of: $0.key))", $0.value) }.joined(separator: ", ")) }
    if write {
        try CompositionBaseFile.write(saved.model, config: saved.config, gate: gate, trainingSeconds: saved.trainingSeconds,
                                      to: URL(fileURLWithPath: basePath))
        print("wrote the gate into \(basePath) (configuration hash \(CompositionBaseFile.hash(saved.config)))")
    }
case "evaltime":
    // times the experiment's evaluation of a saved base, level by level: greedy and sampled (pass@k) parts
    guard args.first == "--base", args.count >= 2, let saved = try CompositionBaseFile.read(URL(fileURLWithPath: args[1])) else { fail("evaltime needs --base FILE") }
    args.removeFirst(2)
    let greedyN: Int = args.isEmpty ? 128 : value("greedy problems"), problemsN: Int = args.isEmpty ? 16 : value("pass@k problems"),
        samplesN: Int = args.isEmpty ? 16 : value("pass@k samples")
    let env = StringFunctionsEnvironment(config: saved.config.environment)
    var rng = RandomStream(seed: 1)
    for level in 1...6 {
        let problems = env.testSet(level: level, subset: .heldOut, size: greedyN)
        var t = Date()
        let acc = rate(CompositionBase.greedyAccuracy(saved.model, env, problems, rendering: saved.config.rendering))
        let greedySeconds = Date().timeIntervalSince(t)
        t = Date()
        let counts = CompositionEvaluator.correctCounts(saved.model, env, Array(problems.prefix(problemsN)), samples: samplesN,
                                                        rendering: saved.config.rendering, rng: &rng)
        print(String(format: "L%d greedy %d: %.3f in %.2f s | sampled %d × %d: %.3f in %.2f s", level, greedyN, acc, greedySeconds, problemsN, samplesN,
                     Double(counts.reduce(0, +)) / Double(problemsN * samplesN), Date().timeIntervalSince(t)))
    }
case "rl":
    var config = CompositionRLConfig()
    var basePath: String? = nil
    var show = 0
    while let a = args.first {
        args.removeFirst()
        switch a {
        case "--base": basePath = value(a)
        case "--levels":
            let text: String = value(a)
            let parsed = text.split(separator: ",").compactMap { Int($0) }.filter { (1...6).contains($0) }
            if parsed.isEmpty || parsed.count != text.split(separator: ",").count { fail("--levels: \(text) is not a list like 2 or 1,2") }
            config.levels = parsed
        case "--steps": config.steps = value(a)
        case "--lr": config.learningRate = value(a)
        case "--prompts": config.promptsPerStep = value(a)
        case "--group": config.groupSize = value(a)
        case "--eval": evalProblems = value(a)
        case "--show": show = value(a)
        case "--rft": config.method = .rft
        default: fail("unknown flag \(a) (rl flags: --base --levels --steps --lr --prompts --group --eval --show --rft)")
        }
    }
    guard let basePath else { fail("rl needs --base FILE (a base saved by `CompositionProbe base --save FILE`)") }
    guard let saved = try CompositionBaseFile.read(URL(fileURLWithPath: basePath)) else { fail("rl: no base at \(basePath)") }
    let (model, baseConfig) = (saved.model, saved.config)
    let env = StringFunctionsEnvironment(config: baseConfig.environment)
    print("\(config.method) on train Levels \(config.levels), \(config.steps) steps × \(config.promptsPerStep) prompts × \(config.groupSize) samples, lr \(config.learningRate)")
    if show > 0 {
        // a few held-out Level-2 and Level-3 answers, decoded
        for level in 2...3 {
            let problems = Array(env.testSet(level: level, subset: .heldOut, size: evalProblems).prefix(show))
            for (p, r) in zip(problems, CompositionBase.greedyResponses(model, env, problems, rendering: baseConfig.rendering)) {
                print("  " + StringFunctionsTokenizer.decode(env.prompt(for: p)) + " " + baseConfig.rendering.decode(r)
                      + "   [gold " + StringFunctionsTokenizer.decode(env.response(for: p)) + "]")
            }
        }
    }
    print("before: " + levels(model, env, rendering: baseConfig.rendering))
    fflush(stdout)
    try CompositionRL.run(model, env, config, rendering: baseConfig.rendering) { step, stats in
        if step % 10 == 0 {
            print(String(format: "step %4d  reward %.3f  kept %.2f  entropy %.3f  %.0f s", step, stats.meanReward, stats.keptFraction,
                         stats.entropy, Date().timeIntervalSince(start)))
            fflush(stdout)
        }
    }
    print("after:  " + levels(model, env, rendering: baseConfig.rendering))
default:
    fail("unknown command \(command) (base, gate or rl)")
}
} catch {
    fail("CompositionProbe: \(error)")
}
