import Testing
import Foundation
import Engine
@testable import Harness
@testable import KLModesExperiment
@testable import RLRazorExperiment
@testable import CompositionExperiment
@testable import Training
@testable import NegativeReinforcementExperiment
@testable import MinimalistRLExperiment
@testable import DPOFamilyExperiment
@testable import LPFMethodsExperiment
@testable import ArenaTournamentsExperiment

/// One claim test per experiment: its --quick configuration on its default seeds, every claim's verdict checked.
/// They use every core, so they run one after another. Their time limits guard against hangs only (a CI machine
/// under load ran the Countdown claim tests in up to 190 s); speed is measured by the Bench target, not by tests.
@Suite(.serialized) struct ClaimTests {
    @Test(.timeLimit(.minutes(10))) func klModes() throws {
        try expectClaimsHold(AnyExperiment(KLModes.self))
    }


    @Test(.timeLimit(.minutes(10))) func rlRazor() throws {
        try expectClaimsHold(AnyExperiment(RLRazor.self))
    }

    @Test(.timeLimit(.minutes(10))) func composition() throws {
        try expectClaimsHold(AnyExperiment(Composition.self))
    }


    /// The quick run (12 steps × 8 × 8 per method, 32 test problems × 64 samples) is a tenth of the default's RL and
    /// evaluation; two of the default run's holding claims are smaller than its noise (the measurements are in
    /// Experiments/negative-reinforcement/NOTES.md, "At --quick").
    @Test(.timeLimit(.minutes(10))) func negativeReinforcement() throws {
        try expectClaimsHold(AnyExperiment(NegativeReinforcement.self), underpoweredAtQuick: [
            "3b": "after 12 steps W-REINFORCE and NSR differ in pass@1 by less than the noise of 32 problems × 64 samples",
            "5": "after 12 steps the entropies of PSR and NSR differ by far less than in the default run's 60",
        ])
    }



    /// The quick run (12 steps × 8 × 8 per method) measures "final" on a single step of 64 samples: two claims that
    /// the default run (100 steps) does not reproduce happen to hold there (Experiments/minimalist-rl/NOTES.md, "At
    /// --quick").
    @Test(.timeLimit(.minutes(10))) func minimalistRL() throws {
        try expectClaimsHold(AnyExperiment(MinimalistRL.self), underpoweredAtQuick: [
            "3a": "after 12 steps the final reward is one step of 64 samples per method, far noisier than the 2-point margin",
            "3b": "after 12 steps the KL to the base is one step's estimate, and its ratio between methods is noise",
        ])
    }


    /// The feature policy as in the default; the sequence policy (a transformer) shortened (see `DPOFamily.quickConfig`).
    @Test(.timeLimit(.minutes(10))) func dpoFamily() throws {
        try expectClaimsHold(AnyExperiment(DPOFamily.self))
    }



    @Test(.timeLimit(.minutes(10))) func lpfMethods() throws {
        try expectClaimsHold(AnyExperiment(LPFMethods.self))
    }


    @Test(.timeLimit(.minutes(10))) func arenaTournaments() throws {
        try expectClaimsHold(AnyExperiment(ArenaTournaments.self))
    }



}
