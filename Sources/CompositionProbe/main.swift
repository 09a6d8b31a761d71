// Development probe for the composition experiment's Stage 1 (not a user command): trains one base design and prints
// its gate metrics, so designs can be compared before the experiment wires them in.
//     swift run -c release CompositionProbe [--steps N] [--width D] [--layers L] [--heads H] [--batch B] [--lr X]
//         [--aux-share S] [--chain-share S] [--eval N] [--save FILE]
import Foundation
import Engine
import Models
import Environments
import Composition

var config = CompositionBaseConfig()
var evalProblems = 256
var savePath: String? = nil
var args = Array(CommandLine.arguments.dropFirst())
func fail(_ message: String) -> Never { FileHandle.standardError.write((message + "\n").data(using: .utf8)!); exit(2) }
func value<T: LosslessStringConvertible>(_ flag: String) -> T {
    guard let v = args.first, let parsed = T(v) else { fail("\(flag) needs a \(T.self) value") }
    args.removeFirst(); return parsed
}
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
    case "--eval": evalProblems = value(a)
    case "--save": savePath = value(a)
    default: fail("unknown flag \(a) (flags: --steps --width --layers --heads --batch --lr --aux-share --chain-share --eval --save)")
    }
}
let start = Date()
print("design: width \(config.modelWidth), layers \(config.layers), heads \(config.heads), steps \(config.steps), batch \(config.batchSize), lr \(config.peakLearningRate), aux share \(config.mix.auxiliaryShare) (levels 1–\(config.mix.auxiliaryMaxLevel)), train-chain share \(config.mix.trainChainShare)")
let model = try CompositionBase.train(config, every: 100) { step, loss in
    print(String(format: "step %5d  loss %.4f  %.0f s", step, loss, Date().timeIntervalSince(start)))
    fflush(stdout)
}
let trained = Date().timeIntervalSince(start)
if let savePath {
    let configJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
    try Checkpoint(parameters: model.parameters, metadata: ["composition.base.config": configJSON]).write(to: URL(fileURLWithPath: savePath))
}
let env = StringFunctionsEnvironment(config: config.environment)
let gate = CompositionBase.gate(model, env, problems: evalProblems)
let l1 = gate.levelOneByFunction.sorted { $0.key < $1.key }.map {
    String(format: "f%d (%@, %@) %.2f", $0.key, "\(env.kind(of: $0.key))", env.trainFunctions.contains($0.key) ? "train" : "held out", $0.value)
}.joined(separator: ", ")
print("Level-1 by function: \(l1)")
print(String(format: "held-out L2 %.3f  L3 %.3f | train L2 %.3f  L3 %.3f | gate %@", gate.heldOut[2]!, gate.heldOut[3]!, gate.train[2]!,
             gate.train[3]!, gate.passes ? "passes" : "fails"))
print(String(format: "training %.0f s, evaluation %.0f s", trained, Date().timeIntervalSince(start) - trained))
