// `swift run Experiment [list | <name> | all | --help]`: the command line of ../shared/docs/CONTRACT.md.
// The experiment harness and the first reproductions arrive in later issues; until then this lists none and rejects
// names with the contract's exit status for user errors (2).
import Foundation

let registry: [(name: String, claim: String)] = []   // filled by the harness issue

func usage() -> String {
    """
    usage: swift run Experiment [list | <name> | all] [--quick] [--seeds N] [--seed-base S] [--set key=value]
                                [--out DIR] [--check] [--threads N] [--help]
    """
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case nil, "list":
    if registry.isEmpty { print("No experiments are registered yet (the harness and first reproductions are in progress).") }
    for e in registry { print("\(e.name)\t\(e.claim)") }
case "--help", "-h":
    print(usage())
case let name?:
    FileHandle.standardError.write(Data("Experiment: unknown experiment '\(name)'; run `swift run Experiment list` to see the available ones.\n".utf8))
    exit(2)
}
