import Testing
import Foundation
import Engine
@testable import Harness
@testable import KLModes
@testable import RLRazor
@testable import Composition

/// One claim test per experiment: its --quick configuration on its default seeds, every claim's verdict checked.
/// They use every core, so they run one after another (CONTRACT.md).
@Suite(.serialized) struct ClaimTests {
    @Test(.timeLimit(.minutes(1))) func klModes() throws {
        try expectClaimsHold(AnyExperiment(KLModes.self))
    }

    @Test(.timeLimit(.minutes(1))) func klModesOutputsDoNotDependOnThreads() throws {
        try expectThreadIndependentOutputs(AnyExperiment(KLModes.self), seeds: [0, 1])
    }

    @Test(.timeLimit(.minutes(2))) func rlRazor() throws {
        try expectClaimsHold(AnyExperiment(RLRazor.self))
    }

    @Test(.timeLimit(.minutes(2))) func composition() throws {
        try expectClaimsHold(AnyExperiment(Composition.self))
    }

    /// A few Stage-2 steps and small evaluations from the committed base, at 1 and 2 threads.
    @Test(.timeLimit(.minutes(2))) func compositionOutputsDoNotDependOnThreads() throws {
        try expectThreadIndependentOutputs(AnyExperiment(Composition.self), seeds: [0, 1],
                                           overrides: ["steps=1", "evaluationProblems=8", "passAtKProblems=2", "passAtKSamples=4",
                                                       "trainEvaluationProblems=8"])
    }
}
