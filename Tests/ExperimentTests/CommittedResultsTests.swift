import Testing
import Foundation
@testable import Harness
@testable import KLModesExperiment
@testable import RLRazorExperiment
@testable import CompositionExperiment
@testable import NegativeReinforcementExperiment
@testable import MinimalistRLExperiment
@testable import DPOFamilyExperiment
@testable import LPFMethodsExperiment
@testable import ArenaTournamentsExperiment

/// Every experiment, for the tests that read its committed results.
let everyExperiment: [AnyExperiment] = [
    AnyExperiment(RLRazor.self), AnyExperiment(KLModes.self), AnyExperiment(Composition.self), AnyExperiment(NegativeReinforcement.self),
    AnyExperiment(MinimalistRL.self), AnyExperiment(DPOFamily.self), AnyExperiment(LPFMethods.self), AnyExperiment(ArenaTournaments.self),
]

/// The committed default runs (results/<name>/) must come from the current default configuration, on the default
/// seeds, not from a --quick run, and their verdicts must agree with the claims' *not reproduced* marks.
@Suite struct CommittedResultsTests {
    static var results: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("results")
    }

    @Test(arguments: everyExperiment.map(\.name)) func resultsComeFromTheCurrentDefaultRun(_ name: String) throws {
        let e = try #require(everyExperiment.first { $0.name == name })
        let regenerate = "regenerate them with `swift run Experiment \(name)`"
        let url = Self.results.appendingPathComponent(name).appendingPathComponent("config.json")
        let data = try Data(contentsOf: url)
        let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(url.path) is not a JSON object")
        #expect(config["quick"] as? Bool == false, "results/\(name) were written by a --quick run; \(regenerate)")
        #expect(config["seeds"] as? [Int] == Array(0..<e.defaultSeeds), "results/\(name) were not run on the default seeds; \(regenerate)")
        #expect(config["configHash"] as? String == e.defaultConfigHash,
                "results/\(name) were written with configuration \(config["configHash"] as? String ?? "(no hash)"), not the current default \(e.defaultConfigHash); \(regenerate)")
    }

    @Test(arguments: everyExperiment.map(\.name)) func committedVerdictsAgreeWithTheMarks(_ name: String) throws {
        try expectCommittedVerdictsMatch(try #require(everyExperiment.first { $0.name == name }))
    }
}
