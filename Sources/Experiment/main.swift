// `swift run Experiment [list | <name> | all] [options]`: the command line (`--help` prints it).
import Foundation
import Engine
import Harness
import KLModesExperiment
import RLRazorExperiment
import CompositionExperiment
import NegativeReinforcementExperiment
import MinimalistRLExperiment
import DPOFamilyExperiment
import LPFMethodsExperiment
import ArenaTournamentsExperiment

/// Every experiment, in the order `list` and `all` show them.
let registry: [AnyExperiment] = [
    AnyExperiment(RLRazor.self),
    AnyExperiment(KLModes.self),
    AnyExperiment(Composition.self),
    AnyExperiment(NegativeReinforcement.self),
    AnyExperiment(MinimalistRL.self),
    AnyExperiment(DPOFamily.self),
    AnyExperiment(LPFMethods.self),
    AnyExperiment(ArenaTournaments.self),
]

ResultsFolder.installSignalCleanup()
let status = CLI.main(Array(CommandLine.arguments.dropFirst()), registry: registry)
// For the tests that check a --threads 2 run really used a second worker.
if ProcessInfo.processInfo.environment["POSTTRAINLAB_POOL_STATS"] != nil {
    FileHandle.standardError.write(Data("pool threads ran \(Parallel.chunksRunByPoolThreads) chunks\n".utf8))
}
exit(status)
