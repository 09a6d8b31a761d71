import Testing
import Foundation
@testable import Harness

/// `--set` fuzz: every experiment, every key `--set` reaches (nested ones included), hostile values. Validation either
/// rejects a value with a usage error or accepts it, and then the run's objects (environments, models, optimizers,
/// evaluation sets) construct without a trap (`Experiment.construct`: built, not trained). Values that no field has a
/// use for (±Int.max, ±10¹², a list of 10⁴ items) must be rejected: a field that accepts them has no declared range.
/// Seeds are exempt (any number is a seed).
@Suite struct OverrideFuzzTests {
    static let scalars = ["-1", "0", "1e12", "-1e12", "nan", "inf", "-inf", "\(Int.max)", "\(Int.min)", "[]", "x"]
    /// Values a declared range must reject, whatever the field.
    static let absurd: Set<String> = ["1e12", "-1e12", "\(Int.max)", "\(Int.min)"]

    @Test(arguments: everyExperiment.map(\.name)) func hostileValuesAreRejectedOrAccepted(_ name: String) throws {
        let e = try #require(everyExperiment.first { $0.name == name })
        var tried = 0, constructed = 0, acceptedAbsurd: [String] = []
        for (key, type) in e.leafKeys {
            var values = Self.scalars
            if type.hasPrefix("Array<") {
                let item = type.contains("Int") ? "1" : type.contains("Double") || type.contains("Float") ? "0.5" : "\"x\""
                values.append("[" + Array(repeating: item, count: 10_000).joined(separator: ",") + "]")
            }
            for v in values {
                tried += 1
                do {
                    try e.construct(true, [(key, v)])     // validates first: a rejected value throws a usage error
                    constructed += 1
                    // a seed may be any number
                    if (Self.absurd.contains(v) || v.count > 10_000) && !key.lowercased().hasSuffix("seed") { acceptedAbsurd.append("\(key)=\(v.prefix(20))") }
                } catch is UsageError {
                } catch {
                    Issue.record("\(name): --set \(key)=\(v.prefix(20)) threw \(error), not a usage error")
                }
            }
        }
        #expect(tried > 0)
        print("\(name): \(tried) --set cases, \(constructed) accepted and constructed, none trapped")
        #expect(acceptedAbsurd.isEmpty, "\(name): accepted \(acceptedAbsurd.joined(separator: ", "))")
    }

    /// Cross-field cases next to accepted single values: each either is rejected or constructs.
    static let crossField: [(String, [(String, String)])] = [
        ("composition", [("base.heads", "7")]), ("composition", [("base.modelWidth", "36"), ("base.heads", "3")]),
        ("composition", [("base.environment.testReservationPeriod", "1")]), ("composition", [("base.environment.testReservationPeriod", "2")]),
        ("negative-reinforcement", [("base.heads", "7")]), ("minimalist-rl", [("base.modelWidth", "24"), ("base.heads", "4")]),
        ("minimalist-rl", [("promptsPerStep", "1"), ("groupSize", "2"), ("minibatches", "3")]),
        ("rl-razor", [("hiddenWidths", "[]")]), ("rl-razor", [("hiddenWidths", "[1]"), ("batchSize", "1")]),
        ("kl-modes", [("gridPoints", "2")]), ("arena-tournaments", [("groupSizes", "[2]"), ("rlGroupSize", "2")]),
    ]

    @Test func crossFieldCasesAreRejectedOrConstruct() throws {
        for (name, overrides) in Self.crossField {
            let e = try #require(everyExperiment.first { $0.name == name })
            do { try e.construct(true, overrides) } catch is UsageError { continue }
        }
    }
}
