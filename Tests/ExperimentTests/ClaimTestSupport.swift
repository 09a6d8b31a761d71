import Testing
import Foundation
import Engine
@testable import Harness

/// Runs an experiment's --quick configuration on its default seeds and checks every claim's verdict: claims must
/// hold; a claim marked *not reproduced* is expected to fail (withKnownIssue), so the day it holds is noticed.
func expectClaimsHold(_ e: AnyExperiment) throws {
    let r = try CLI.execute(e, quick: true, seeds: Array(0..<e.defaultSeeds))
    #expect(r.claims.count == e.claims.count)
    for c in r.claims {
        let detail = "\(e.name) claim \(c.spec.id): \(c.verdict.rawValue), \(c.spec.statistic) = \(c.value) (\(c.bound)); \(c.seedsHolding)/\(c.seedsTotal) seeds \(c.note)"
        if c.spec.notReproduced != nil {
            withKnownIssue("\(e.name) claim \(c.spec.id) is marked not reproduced") { #expect(c.verdict == .holds, "\(detail)") }
        } else {
            #expect(c.verdict == .holds, "\(detail)")
        }
    }
}

/// Same command and seeds (the quick configuration with `overrides`) at 1 and 2 threads: byte-identical CSVs, SVGs
/// and config.
func expectThreadIndependentOutputs(_ e: AnyExperiment, seeds: [Int], overrides: [String] = []) throws {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    Parallel.threads = 1
    let one = try CLI.execute(e, quick: true, seeds: seeds, overrides: overrides)
    Parallel.threads = 2
    let two = try CLI.execute(e, quick: true, seeds: seeds, overrides: overrides)
    let compared = one.files.filter { ($0.name.hasSuffix(".csv") && $0.name != "timing.csv") || $0.name.hasSuffix(".svg") || $0.name == "config.json" }
    #expect(compared.contains { $0.name.hasSuffix(".svg") })
    for f in compared { #expect(two.files.first { $0.name == f.name }?.text == f.text, "\(e.name): \(f.name) depends on the thread count") }
}
