// `swift run Experiment [list | <name> | all] [options]`: the command line of ../shared/docs/CONTRACT.md.
import Foundation
import Harness
import KLModes
import RLRazor
import Composition
import CountdownRL
import PreferenceLearning
import ArenaTournaments

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

exit(CLI.main(Array(CommandLine.arguments.dropFirst()), registry: registry))
