import Testing
import Foundation
import Engine
@testable import Harness

/// Runs an experiment's --quick configuration on its default seeds and checks every claim's verdict: claims must
/// hold; a claim marked *not reproduced* is expected to fail (withKnownIssue), so the day it holds is noticed.
///
/// `underpoweredAtQuick` names claims whose effect the quick configuration is measured to be too small to resolve
/// (the reason says what was measured); their verdict is still computed and reported, their statistic must be
/// finite with the precondition met, but the verdict itself may go either way at that scale. The default run's
/// verdicts (results/<name>/claims.csv) are checked against the claims' marks by `expectCommittedVerdictsMatch`.
func expectClaimsHold(_ e: AnyExperiment, underpoweredAtQuick: [String: String] = [:]) throws {
    let r = try CLI.execute(e, quick: true, seeds: Array(0..<e.defaultSeeds))
    #expect(r.claims.count == e.claims.count)
    for c in r.claims {
        let detail = "\(e.name) claim \(c.spec.id): \(c.verdict.rawValue), \(c.spec.statistic) = \(c.value) (\(c.bound)); \(c.seedsHolding)/\(c.seedsTotal) seeds \(c.note)"
        if let reason = underpoweredAtQuick[c.spec.id] {
            #expect(c.value.isFinite && !c.note.contains("precondition failed"), "\(detail)")
            withKnownIssue("\(e.name) claim \(c.spec.id) is underpowered at --quick: \(reason)", isIntermittent: true) {
                #expect(c.verdict == (c.spec.notReproduced == nil ? .holds : .fails), "\(detail)")
            }
        } else if c.spec.notReproduced != nil {
            withKnownIssue("\(e.name) claim \(c.spec.id) is marked not reproduced") { #expect(c.verdict == .holds, "\(detail)") }
        } else {
            #expect(c.verdict == .holds, "\(detail)")
        }
    }
}

/// The committed default run (results/<name>/claims.csv) agrees with the code's marks: every claim not marked
/// *not reproduced* holds there, and every marked one does not.
func expectCommittedVerdictsMatch(_ e: AnyExperiment) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("results").appendingPathComponent(e.name).appendingPathComponent("claims.csv")
    let text = try String(contentsOf: url, encoding: .utf8)
    let rows = text.split(separator: "\n").dropFirst().map(String.init)
    for spec in e.claims {
        let row = try #require(rows.first { $0.hasPrefix(spec.id + ",") }, "\(e.name): claim \(spec.id) missing from \(url.path)")
        let verdict = row.split(separator: ",").last.map(String.init) ?? ""
        if spec.notReproduced == nil {
            #expect(verdict == "holds", "\(e.name) claim \(spec.id): the committed default run says \(verdict)")
        } else {
            #expect(verdict != "holds", "\(e.name) claim \(spec.id) is marked not reproduced but holds in the committed default run")
        }
    }
}

/// The key and value of a `--help` example (`--set key=value   # comment`, the value possibly quoted).
func methodExamplePair(_ example: String) -> (String, String) {
    let kv = example.split(separator: " ", maxSplits: 1)[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces)
        .trimmingCharacters(in: CharacterSet(charactersIn: "'"))
    let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
    return (parts[0], parts[1])
}

/// Every `--set` example of an experiment's `--help` parses against its quick configuration and validates.
func expectMethodExamplesValidate<E: Experiment>(_: E.Type) throws {
    for example in E.methodExamples {
        let config = try ConfigOverrides.apply([methodExamplePair(example)], to: E.quickConfig)
        #expect(E.validate(config) == nil, "\(example)")
    }
}
