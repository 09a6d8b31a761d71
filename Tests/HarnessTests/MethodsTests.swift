import Foundation
import Testing
@testable import Harness

// Methods as values: names derived from values, overrides into list items and enum cases, the per-experiment help.

private enum Estimator: Codable, Equatable, Sendable { case plain, centred, weighted(lambda: Float) }
private enum Loss: Codable, Equatable, Sendable { case vanilla, clip(low: Float, high: Float) }
private struct Method: Codable, Equatable, Sendable { var estimator: Estimator; var loss: Loss; var keepAll = true }
private struct Config: Codable, Equatable, Sendable { var steps = 3; var methods: [Method] = catalogue.values }
private let catalogue = MethodCatalogue<Method>([
    .init("plain", label: "Plain PG", Method(estimator: .plain, loss: .vanilla)),
    .init("clipped", label: "Clipped", Method(estimator: .centred, loss: .clip(low: 0.2, high: 0.2))),
])

@Suite struct MethodNames {
    @Test func catalogueValuesKeepTheirNamesAndLabels() {
        let named = catalogue.resolve(catalogue.values).methods
        #expect(named.map(\.name) == ["plain", "clipped"])
        #expect(named.map(\.label) == ["Plain PG", "Clipped"])
    }

    @Test func aChangedValueIsNamedFromTheNearestEntryAndItsDifferences() {
        #expect(catalogue.named(Method(estimator: .weighted(lambda: 0.1), loss: .vanilla)).name == "plain[estimator=weighted(lambda=0.1)]")
        #expect(catalogue.named(Method(estimator: .centred, loss: .clip(low: 0.2, high: 0.28))).name == "clipped[loss.high=0.28]")
        // two differences from either entry: the tie goes to the first entry, fields in key order
        #expect(catalogue.named(Method(estimator: .centred, loss: .vanilla, keepAll: false)).name == "plain[estimator=centred;keepAll=false]")
        // a changed value never keeps an entry's name
        let changed = Method(estimator: .plain, loss: .clip(low: 0.2, high: 0.2))
        #expect(!["plain", "clipped"].contains(catalogue.named(changed).name))
    }

    @Test func theSameValueTwiceIsAProblem() {
        #expect(catalogue.resolve([catalogue.values[0], catalogue.values[0]]).problem != nil)
        #expect(catalogue.resolve(catalogue.values).problem == nil)
    }

    @Test func overridesReachListItemsAndTakeCasesByName() throws {
        let base = Config()
        let one = try ConfigOverrides.apply([("methods.0.estimator", "centred")], to: base)
        #expect(one.methods[0].estimator == .centred && one.methods[1] == base.methods[1])
        let two = try ConfigOverrides.apply([("methods.0.estimator", "weighted(lambda=0.5)")], to: base)
        #expect(two.methods[0].estimator == .weighted(lambda: 0.5))
        let three = try ConfigOverrides.apply([("methods.1.loss", "clip(low=0.1,high=0.3)")], to: base)
        #expect(three.methods[1].loss == .clip(low: 0.1, high: 0.3))
        let json = try ConfigOverrides.apply([("methods", #"[{"estimator":{"plain":{}},"loss":{"vanilla":{}},"keepAll":false}]"#)], to: base)
        #expect(json.methods == [Method(estimator: .plain, loss: .vanilla, keepAll: false)])
        #expect(throws: UsageError.self) { _ = try ConfigOverrides.apply([("methods.2.estimator", "plain")], to: base) }
        #expect(throws: UsageError.self) { _ = try ConfigOverrides.apply([("methods.0.estimator", "nonsense")], to: base) }
        #expect(throws: UsageError.self) { _ = try ConfigOverrides.apply([("methods.0.nothing", "1")], to: base) }
    }

    @Test func aClaimWhoseMethodIsGoneIsInconclusive() {
        let spec = ClaimSpec(id: "1", description: "", statistic: "", direction: .below(0), kind: .perSeed)
        let present = ClaimEvidence.comparing(["plain"], in: ["plain", "clipped"]) { .perSeed(values: [-1], preconditionFailed: [nil]) }
        #expect(ClaimEvaluator.evaluate(spec, present).verdict == .holds)
        let gone = ClaimEvidence.comparing(["plain", "clipped"], in: ["plain[estimator=centred]", "clipped"]) { .perSeed(values: [-1], preconditionFailed: [nil]) }
        let result = ClaimEvaluator.evaluate(spec, gone)
        #expect(result.verdict == .inconclusive)
        #expect(result.note.contains("'plain'") && !result.note.contains("'clipped'"))
    }
}

@Suite struct CommandLineFlags {
    @Test func experimentHelpAndTrainBaseAreParsed() throws {
        #expect(try CLI.parse(["toy-experiment", "--help"], registry: registry).command == .experimentHelp("toy-experiment"))
        #expect(try CLI.parse(["--help"], registry: registry).command == .help)
        #expect(throws: UsageError.self) { _ = try CLI.parse(["toy-experiment", "--train-base"], registry: registry) }   // it has no base
        #expect(throws: UsageError.self) { _ = try CLI.parse(["toy-experiment", "--force"], registry: registry) }        // --force alone
        #expect(throws: UsageError.self) { _ = try CLI.parse(["--train-base"], registry: registry) }
        let help = CLI.experimentHelp(registry[0])
        #expect(help.contains("config keys") && help.contains("claims:"))
    }
}
