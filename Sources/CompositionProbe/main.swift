// Development probe for the composition experiment's Stage 1 (not a user command): trains one base design and prints
// its gate metrics, so designs can be compared before the experiment wires them in.
//     swift run -c release CompositionProbe [--steps N] [--width D] [--layers L] [--heads H] [--batch B] [--lr X]
//         [--aux-share S] [--chain-share S] [--eval N]
import Foundation
import Engine
import Environments
import Composition

var config = CompositionBaseConfig()
var evalProblems = 256
var args = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String) -> String {
    guard let v = args.first else { FileHandle.standardError.write("\(flag) needs a value\n".data(using: .utf8)!); exit(2) }
    args.removeFirst(); return v
}
while let a = args.first {
    args.removeFirst()
    switch a {
    case "--steps": config.steps = Int(value(a))!
    case "--width": config.modelWidth = Int(value(a))!
    case "--layers": config.layers = Int(value(a))!
    case "--heads": config.heads = Int(value(a))!
    case "--batch": config.batchSize = Int(value(a))!
    case "--lr": config.peakLearningRate = Float(value(a))!
    case "--aux-share": config.mix.auxiliaryShare = Double(value(a))!
    case "--chain-share": config.mix.trainChainShare = Double(value(a))!
    case "--eval": evalProblems = Int(value(a))!
    default: FileHandle.standardError.write("unknown flag \(a)\n".data(using: .utf8)!); exit(2)
    }
}
let start = Date()
print("design: width \(config.modelWidth), layers \(config.layers), heads \(config.heads), steps \(config.steps), batch \(config.batchSize), lr \(config.peakLearningRate), aux share \(config.mix.auxiliaryShare) (levels 1–\(config.mix.auxiliaryMaxLevel)), train-chain share \(config.mix.trainChainShare)")
let model = try CompositionBase.train(config, every: 100) { step, loss in
    print(String(format: "step %5d  loss %.4f  %.0f s", step, loss, Date().timeIntervalSince(start)))
    fflush(stdout)
}
let trained = Date().timeIntervalSince(start)
let env = StringFunctionsEnvironment(config: config.environment)
let gate = CompositionBase.gate(model, env, problems: evalProblems)
let l1 = gate.levelOneByFunction.sorted { $0.key < $1.key }.map { String(format: "f%d %.2f", $0.key, $0.value) }.joined(separator: ", ")
print("Level-1 by function: \(l1)")
print(String(format: "held-out L2 %.3f  L3 %.3f | train L2 %.3f  L3 %.3f | gate %@", gate.heldOut[2]!, gate.heldOut[3]!, gate.train[2]!,
             gate.train[3]!, gate.passes ? "passes" : "fails"))
print(String(format: "training %.0f s, evaluation %.0f s", trained, Date().timeIntervalSince(start) - trained))
