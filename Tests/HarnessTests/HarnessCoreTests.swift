import Testing
import Foundation
@testable import Harness
import Engine

/// A tiny experiment that exercises the harness end to end: per-seed and pooled claims, a precondition, a
/// divergence, a figure-free report.
enum Toy: Experiment {
    static let name = "toy-experiment"
    static let claim = "A toy."
    static let paper = "none"
    static let defaultRuntime = "instant"
    static let defaultSeeds = 5
    struct Config: ExperimentConfig {
        /// Offset added to every measurement.
        var offset = 1.0
        /// Steps per run.
        var steps = 3
        /// Learning rates.
        var rates: [Double] = [0.1, 0.2]
        /// A switch.
        var enabled = true
    }
    static let defaultConfig = Config()
    static let quickConfig = Config(offset: 1, steps: 1)
    static let claims = [
        ClaimSpec(id: "1", description: "offset is positive", statistic: "noisy offset", direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "2", description: "pooled offset is positive", statistic: "noisy offset", direction: .above(0), kind: .pooled),
    ]
    struct SeedResult: Sendable { var value: Double? }
    static func construct(config: Config, seed: Int) throws {}
    static func runSeed(config: Config, seed: Int, context: RunContext) throws -> SeedResult {
        var rng = RandomStream(seed: UInt64(seed))
        let v = try context.guarded(variant: "toy", seed: seed) { () throws -> Double in
            let x = config.offset + 0.1 * rng.gaussian()
            if seed == 99 { try DivergenceError.check(.nan, names: "loss", step: 2) }
            return x
        }
        return SeedResult(value: v)
    }
    static func analyze(config: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis {
        var a = Analysis()
        var t = CSVTable(columns: ["variant", "seed", "value"])
        for (s, r) in zip(seeds, results) { t.append(["toy", .int(s), CSVValue(r.value)]) }
        a.tables = [("values", t)]
        a.evidence["1"] = .perSeed(values: results.map(\.value), preconditionFailed: results.map { _ in nil })
        a.evidence["2"] = .pooled(values: results.compactMap(\.value), precondition: nil)
        return a
    }
}

let registry = [AnyExperiment(Toy.self)]

@Suite struct CommandLineParsing {
    func error(_ args: [String]) -> String? {
        do { _ = try CLI.parse(args, registry: registry); return nil } catch { return "\(error)" }
    }

    @Test func acceptsTheContractsFlags() throws {
        let o = try CLI.parse(["toy-experiment", "--quick", "--seeds", "3", "--seed-base", "10", "--set", "offset=2", "--out", "/tmp/x", "--check", "--threads", "2"], registry: registry)
        #expect(o.command == .run("toy-experiment") && o.quick && o.seeds == 3 && o.seedBase == 10 && o.overrides == ["offset=2"])
        #expect(o.out == "/tmp/x" && o.check && o.threads == 2)
        #expect(try CLI.parse([], registry: registry).command == .list)
        #expect(try CLI.parse(["list"], registry: registry).command == .list)
        #expect(try CLI.parse(["all"], registry: registry).command == .all)
        #expect(try CLI.parse(["--help"], registry: registry).command == .help)
    }

    @Test func rejectsBadInputWithOneClearLine() {
        #expect(error(["toy-experimnt"])!.contains("did you mean toy-experiment"))
        #expect(error(["--seeds", "-1"])!.contains("--seeds needs"))
        #expect(error(["--seeds", "0"])!.contains("positive integer"))
        #expect(error(["--seeds", "x"])!.contains("positive integer"))
        #expect(error(["--frobnicate"])!.contains("unknown flag --frobnicate"))
        #expect(error(["--set", "novalue"])!.contains("key=value"))
        #expect(error(["all", "--set", "a=1"])!.contains("one experiment"))
        #expect(error(["--threads"])!.contains("needs a value"))
        for args in [["toy-experimnt"], ["--seeds", "-1"], ["--frobnicate"]] { #expect(!error(args)!.contains("\n")) }
    }

    @Test func closestNames() {
        #expect(CLI.closest("kl-mode", ["kl-modes", "rl-razor", "composition"]) == ["kl-modes"])
        #expect(CLI.editDistance("kitten", "sitting") == 3)
        #expect(CLI.editDistance("", "abc") == 3)
    }
}

@Suite struct TypedOverrides {
    @Test func overridesAreTyped() throws {
        let c = try ConfigOverrides.apply([("offset", "2.5"), ("steps", "7"), ("rates", "0.5,1"), ("enabled", "false")], to: Toy.Config())
        #expect(c == Toy.Config(offset: 2.5, steps: 7, rates: [0.5, 1], enabled: false))
        #expect(try ConfigOverrides.apply([("rates", "[0.25]")], to: Toy.Config()).rates == [0.25])
    }

    @Test func badKeysAndValuesListTheValidOnes() {
        func message(_ kv: (String, String)) -> String {
            do { _ = try ConfigOverrides.apply([kv], to: Toy.Config()); return "" } catch { return "\(error)" }
        }
        let unknown = message(("nosuchkey", "1"))
        #expect(unknown.contains("unknown config key 'nosuchkey'") && unknown.contains("offset (Double)") && unknown.contains("steps (Int)") && unknown.contains("rates (Array<Double>)"))
        #expect(message(("steps", "2.5")).contains("expected Int"))
        #expect(message(("offset", "abc")).contains("expected Double"))
        #expect(message(("enabled", "maybe")).contains("expected Bool"))
        #expect(message(("rates", "0.1,x")).contains("expected Array<Double>"))
    }

    struct Inner: Codable, Equatable { var width = 4; var rate = 0.5 }
    struct Nested: Codable, Equatable { var steps = 1; var inner = Inner() }

    @Test func nestedFieldsAreReachedWithDots() throws {
        let c = try ConfigOverrides.apply([("inner.width", "9"), ("steps", "3")], to: Nested())
        #expect(c == Nested(steps: 3, inner: Inner(width: 9, rate: 0.5)))
        func message(_ kv: (String, String)) -> String {
            do { _ = try ConfigOverrides.apply([kv], to: Nested()); return "" } catch { return "\(error)" }
        }
        #expect(message(("inner.nosuch", "1")).contains("unknown config key 'inner.nosuch'"))
        #expect(message(("inner.width", "1.5")).contains("expected Int"))
        #expect(message(("steps.x", "1")).contains("unknown config key"))
    }
}

@Suite struct ClaimVerdicts {
    let below = ClaimSpec(id: "x", description: "", statistic: "", direction: .below(0), kind: .perSeed)

    @Test func perSeedNeedsFourOfFive() {
        #expect(ClaimEvaluator.required(seeds: 5) == 4 && ClaimEvaluator.required(seeds: 3) == 3 && ClaimEvaluator.required(seeds: 10) == 8)
        let ok = ClaimEvaluator.evaluate(below, .perSeed(values: [-1, -2, -3, -4, 5], preconditionFailed: [nil, nil, nil, nil, nil]))
        #expect(ok.verdict == .holds && ok.seedsHolding == 4 && ok.value == -1)
        let bad = ClaimEvaluator.evaluate(below, .perSeed(values: [-1, -2, -3, 4, 5], preconditionFailed: [nil, nil, nil, nil, nil]))
        #expect(bad.verdict == .fails)
        // too few testable seeds: inconclusive, which does not hold
        let inconclusive = ClaimEvaluator.evaluate(below, .perSeed(values: [-1, -2, -3, nil, nil], preconditionFailed: [nil, nil, nil, "never reached", "never reached"]))
        #expect(inconclusive.verdict == .inconclusive && inconclusive.note.contains("never reached"))
        // a diverged seed (nil, no precondition failure) counts as failing
        let diverged = ClaimEvaluator.evaluate(below, .perSeed(values: [-1, -2, -3, nil, 1], preconditionFailed: [nil, nil, nil, nil, nil]))
        #expect(diverged.verdict == .fails)
        #expect(ClaimEvaluator.evaluate(below, nil).verdict == .inconclusive)
    }

    /// Pooled claims: a one-sided 95% t-bound on the mean of the per-seed values (scipy: mean ∓
    /// stats.t.ppf(0.95, n − 1) · stats.sem(x)); equivalence claims: TOST, the 90% t-interval inside ±margin.
    @Test func pooledUsesOneSidedTBoundsAndTOST() {
        let above = ClaimSpec(id: "p", description: "", statistic: "", direction: .above(0), kind: .pooled)
        let tight = ClaimEvaluator.evaluate(above, .pooled(values: [0.9, 1.1, 1.0, 0.95, 1.05], precondition: nil))
        #expect(tight.verdict == .holds && tight.bound == "95% lower t-bound 0.9246")     // scipy 0.9246278340468839
        #expect(ClaimEvaluator.evaluate(above, .pooled(values: [-1, 2, -1.5, 1, 0.2], precondition: nil)).verdict == .fails)
        // Every value positive, so a percentile bootstrap of the mean (its minimum is 0.05) would hold; over 3 seeds
        // the t-bound is −0.1991 (scipy −0.19913946224692342; one-sided p = 0.134): fails.
        let overclaim = ClaimEvaluator.evaluate(above, .pooled(values: [0.5, 0.1, 0.05], precondition: nil))
        #expect(overclaim.verdict == .fails && overclaim.bound == "95% lower t-bound -0.1991")
        // p = 0.0036 (scipy lower bound 0.3879074053748239): holds on 3 seeds
        #expect(ClaimEvaluator.evaluate(above, .pooled(values: [0.5, 0.45, 0.6], precondition: nil)).verdict == .holds)
        let below = ClaimSpec(id: "b", description: "", statistic: "", direction: .below(0.05), kind: .pooled)
        let upper = ClaimEvaluator.evaluate(below, .pooled(values: [0.03, 0.05, 0.01, 0.04, 0.02], precondition: nil))
        #expect(upper.verdict == .holds && upper.bound == "95% upper t-bound 0.04507")     // scipy 0.04507443319062322
        #expect(ClaimEvaluator.evaluate(above, .pooled(values: [1, 1, 1], precondition: "base too weak")).verdict == .inconclusive)
        #expect(ClaimEvaluator.evaluate(above, .pooled(values: [1, .nan, 1], precondition: nil)).verdict == .fails)
        let equivalent = ClaimSpec(id: "e", description: "", statistic: "", direction: .within(0.02), kind: .pooled)
        // scipy 90% interval [−0.001633883947548137, 0.002033883947548136]
        let tost = ClaimEvaluator.evaluate(equivalent, .pooled(values: [0.001, -0.002, 0.003, 0.0, -0.001], precondition: nil))
        #expect(tost.verdict == .holds && tost.bound == "TOST: 90% t-interval [-0.001634, 0.002034]")
        #expect(ClaimEvaluator.evaluate(equivalent, .pooled(values: [0.03, 0.05, 0.01, 0.04, 0.02], precondition: nil)).verdict == .fails)
        // mean 0.016 inside the margin, but the interval [−0.001644, 0.03364] (scipy) is not: TOST fails
        #expect(ClaimEvaluator.evaluate(equivalent, .pooled(values: [0.02, 0.035, -0.01, 0.005, 0.03], precondition: nil)).verdict == .fails)
    }
}

@Suite struct MatchedComparisons {
    @Test func interpolatesAtTheFirstCrossing() {
        let curve: [(x: Double, y: Double)] = [(0, 0), (0.5, 1), (1.0, 3), (0.8, 9)]
        #expect(Matched.value(at: 0.75, along: curve) == 2)
        #expect(Matched.value(at: 0, along: curve) == 0)
        #expect(Matched.value(at: 1.0, along: curve) == 3)
        #expect(Matched.value(at: 1.1, along: curve) == nil)       // never reached: not extrapolated
    }

    @Test func sweepsAreSortedAndComparedAtTheCommonLevel() {
        let a: [(x: Double, y: Double)] = [(0.9, 0.5), (0.6, 0.1), (0.8, 0.3)]
        let b: [(x: Double, y: Double)] = [(0.7, 0.2), (0.5, 0.0)]
        #expect(Matched.commonLevel([a, b]) == 0.7)
        #expect(Swift.abs(Matched.value(at: 0.7, sweep: a)! - 0.2) < 1e-12)
        #expect(Matched.value(at: 0.7, sweep: b) == 0.2)
        #expect(Matched.commonLevel([a, []]) == nil)
    }
}

@Suite struct EndToEnd {
    @Test func runsWritesAndIsIndependentOfThreads() throws {
        let one = try Parallel.withThreads(1) { try CLI.execute(registry[0], quick: false, seeds: [0, 1, 2, 3, 4]) }
        let two = try Parallel.withThreads(2) { try CLI.execute(registry[0], quick: false, seeds: [0, 1, 2, 3, 4]) }
        let deterministic = one.files.filter { $0.name.hasSuffix(".csv") && $0.name != "timing.csv" || $0.name.hasSuffix(".svg") || $0.name == "config.json" }
        #expect(!deterministic.isEmpty)
        for f in deterministic { #expect(two.files.first { $0.name == f.name }?.text == f.text, "\(f.name) differs") }
        #expect(one.claims.map(\.verdict) == [.holds, .holds])
        let names = Set(one.files.map(\.name))
        #expect(names.isSuperset(of: ["config.json", "claims.csv", "values.csv", "REPORT.md", "timing.csv"]))
        let claimsCSV = one.files.first { $0.name == "claims.csv" }!.text
        #expect(claimsCSV.hasPrefix("claim,description,kind,statistic,value,threshold,seeds_holding,seeds_total,verdict\n"))
    }

    @Test func divergedRunsAreReportedAndCountAsFailing() throws {
        let r = try CLI.execute(registry[0], quick: true, seeds: [97, 98, 99])
        #expect(r.claims[0].verdict == .fails)          // 3 seeds: all must hold; seed 99 diverged
        let report = r.files.first { $0.name == "REPORT.md" }!.text
        #expect(report.contains("Diverged runs") && report.contains("seed 99") && report.contains("step 2"))
        #expect(r.files.first { $0.name == "values.csv" }!.text.contains("toy,99,\n"))   // no number written
    }

    @Test func mainReturnsTheContractsExitCodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptl-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(CLI.main(["nosuch"], registry: registry) == 2)
        #expect(CLI.main(["toy-experiment", "--set", "nosuchkey=1", "--out", dir.path], registry: registry) == 2)
        #expect(CLI.main(["toy-experiment", "--out", "/proc/forbidden"], registry: registry) == 2)
        #expect(CLI.main(["toy-experiment", "--quick", "--check", "--out", dir.path], registry: registry) == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("toy-experiment/REPORT.md").path))
        #expect((try? String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8))?.contains("toy-experiment") == true)
        // a failing claim: --check exits 1
        #expect(CLI.main(["toy-experiment", "--quick", "--check", "--set", "offset=-1", "--out", dir.path], registry: registry) == 1)
    }
}

@Suite struct CSVFormatting {
    @Test func rfc4180AndShortestFloats() {
        var t = CSVTable(columns: ["variant", "seed", "x"])
        t.append(["a,b", 1, 0.1])
        t.append(["say \"hi\"", 2, .double(1e-5)])
        t.append(["c", 3, .missing])
        #expect(t.text == "variant,seed,x\n\"a,b\",1,0.1\n\"say \"\"hi\"\"\",2,1e-05\nc,3,\n")
    }
}
