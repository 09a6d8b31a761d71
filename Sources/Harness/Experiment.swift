import Foundation
import Engine

/// The package version written into every config.json.
public let packageVersion = "0.1.0"

/// A configuration: a Codable value type with a doc line per field (overridable with `--set key=value`).
public typealias ExperimentConfig = Codable & Equatable & Sendable

/// One reproduced finding.
///
/// An experiment is a configuration plus claims: `runSeed` runs every variant for one seed (the harness runs seeds
/// in parallel and in any order, so a seed's work must depend only on its seed and the config); `analyze` turns the
/// per-seed results, in seed order, into tables, figures, claim evidence and the report's text.
public protocol Experiment {
    associatedtype Config: ExperimentConfig
    associatedtype SeedResult: Sendable
    /// Command-line name, e.g. "kl-modes".
    static var name: String { get }
    /// One line: the finding in the paper's words.
    static var claim: String { get }
    /// Source paper (authors, title, year).
    static var paper: String { get }
    /// Rough runtime of the default configuration on 2 cores, e.g. "~10 s".
    static var defaultRuntime: String { get }
    static var defaultConfig: Config { get }
    /// The small configuration the tests use: every variant and claim kept, sizes shrunk.
    static var quickConfig: Config { get }
    static var defaultSeeds: Int { get }
    /// The claims, declared before any run.
    static var claims: [ClaimSpec] { get }
    /// The claims a configuration's run is judged by, when its fields set their thresholds or margins; default
    /// `claims`.
    static func claims(for config: Config) -> [ClaimSpec]
    /// Why a configuration cannot run (nil when it can): an overridden value out of range becomes a usage error.
    static func validate(_ config: Config) -> String?
    /// Units of progress one seed reports with `context.progress.advance` (for the total and the ETA); 0 = unknown.
    static func workPerSeed(_ config: Config) -> Int
    /// Work every seed shares, done once before the seeds run (e.g. loading or training a base model); default none.
    static func prepare(config: Config, context: RunContext) throws
    /// Builds what `runSeed` builds for `seed` before it trains (environments, models, optimizers, evaluation sets,
    /// a base's architecture without loading or training it) and trains nothing: a configuration validation accepts
    /// must construct without a trap (the `--set` fuzz test calls this for every accepted value).
    static func construct(config: Config, seed: Int) throws
    static func runSeed(config: Config, seed: Int, context: RunContext) throws -> SeedResult
    static func analyze(config: Config, seeds: [Int], results: [SeedResult], context: RunContext) -> Analysis
    /// The names of the methods a configuration runs (its `methods` list, named), for `--help`; default none.
    static func methodNames(_ config: Config) -> [String]
    /// One `--set` example per kind of method value, shown by `<name> --help`; default none.
    static var methodExamples: [String] { get }
    /// The experiment's NOTES.md (the design narrative, what was tried, why a claim is not reproduced), which REPORT.md
    /// includes; an experiment sets it to the path of the NOTES.md in its folder (`#filePath`-relative).
    static var notesPath: String? { get }
    /// Whether the experiment trains a base checkpoint that `--train-base` can rebuild.
    static var hasBase: Bool { get }
    /// `--train-base`: trains the configuration's base, saves it beside the code that trains it (refusing to replace
    /// a committed base unless `force`), and returns the gate's files (gate.csv) and a printed summary.
    static func trainBase(config: Config, force: Bool, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String)
}

extension Experiment {
    public static func claims(for config: Config) -> [ClaimSpec] { claims }
    public static func validate(_ config: Config) -> String? { nil }
    public static func workPerSeed(_ config: Config) -> Int { 0 }
    public static func prepare(config: Config, context: RunContext) throws {}
    public static func methodNames(_ config: Config) -> [String] { [] }
    public static var methodExamples: [String] { [] }
    public static var hasBase: Bool { false }
    public static var notesPath: String? { nil }
    public static func trainBase(config: Config, force: Bool, context: RunContext) throws -> (files: [(name: String, text: String)], summary: String) {
        throw UsageError("\(name) has no base model to train")
    }
}

/// What an experiment's analysis hands back to the harness to write.
public struct Analysis {
    /// Tidy CSV tables by file name (without extension).
    public var tables: [(name: String, table: CSVTable)] = []
    /// SVG figures by file name (without extension), with a caption for the report.
    public var figures: [(name: String, caption: String, svg: String)] = []
    /// Evidence for each claim id of `claims`.
    public var evidence: [String: ClaimEvidence] = [:]
    /// Markdown for REPORT.md: the paper's setup and numbers beside ours.
    public var reportSections: [(title: String, markdown: String)] = []
    public init() {}
}

/// Per-run services: progress, the divergence guard, identification for messages.
public final class RunContext: @unchecked Sendable {
    public let experiment: String
    public let progress: Progress
    private let lock = NSLock()
    private var _diverged: [DivergenceError] = []

    public init(experiment: String, progress: Progress) { self.experiment = experiment; self.progress = progress }

    /// Runs one variant on one seed; a `DivergenceError` thrown inside stops only that run and is recorded.
    public func guarded<T>(variant: String, seed: Int, _ body: () throws -> T) rethrows -> T? {
        do { return try body() } catch let e as DivergenceError {
            var e = e
            e.experiment = experiment; e.variant = variant; e.seed = seed
            lock.lock(); _diverged.append(e); lock.unlock()
            progress.message("\(e)")
            return nil
        }
    }

    /// Runs that diverged, sorted for deterministic reports.
    public var diverged: [DivergenceError] {
        lock.lock(); defer { lock.unlock() }
        return _diverged.sorted { ($0.variant, $0.seed, $0.step) < ($1.variant, $1.seed, $1.step) }
    }
}

/// A type-erased experiment, for the registry.
public struct AnyExperiment {
    public let name: String, claim: String, paper: String, defaultRuntime: String
    public let defaultSeeds: Int
    public let claims: [ClaimSpec]
    /// Config keys and their types, for `--set` and error messages.
    public let configKeys: [(key: String, type: String)]
    /// The default and the quick configuration's method names.
    public let methodNames: [String], quickMethodNames: [String]
    public let methodExamples: [String]
    public let hasBase: Bool
    public let notesPath: String?
    /// `CanonicalJSON.hash` of the default configuration: a committed default run's config.json must record it.
    public let defaultConfigHash: String
    /// Applies the overrides to the default (or quick) configuration and validates it, throwing the usage error a run
    /// would stop with; then `Experiment.construct` for seed 0: the run's objects built, nothing trained.
    public let construct: (_ quick: Bool, _ overrides: [(String, String)]) throws -> Void
    /// Every field `--set` reaches in the quick configuration, nested ones included (`ConfigOverrides.leafKeys`).
    public let leafKeys: [(key: String, type: String)]
    let execute: (_ quick: Bool, _ overrides: [(String, String)], _ seeds: [Int], _ context: RunContext) throws -> Execution
    let trainBase: (_ quick: Bool, _ overrides: [(String, String)], _ force: Bool, _ context: RunContext) throws -> (files: [(name: String, text: String)], summary: String)

    public init<E: Experiment>(_ e: E.Type) {
        name = E.name; claim = E.claim; paper = E.paper; defaultRuntime = E.defaultRuntime
        defaultSeeds = E.defaultSeeds; claims = E.claims
        configKeys = ConfigOverrides.keys(of: E.defaultConfig)
        methodNames = E.methodNames(E.defaultConfig); quickMethodNames = E.methodNames(E.quickConfig)
        methodExamples = E.methodExamples; hasBase = E.hasBase; notesPath = E.notesPath
        defaultConfigHash = CanonicalJSON.hash(E.defaultConfig)
        /// The configuration a run uses: the overrides applied to the default or quick one, validated.
        func configured(_ quick: Bool, _ overrides: [(String, String)]) throws -> E.Config {
            let config = try ConfigOverrides.apply(overrides, to: quick ? E.quickConfig : E.defaultConfig)
            if let problem = E.validate(config) { throw UsageError("invalid configuration: \(problem)") }
            return config
        }
        construct = { quick, overrides in try E.construct(config: try configured(quick, overrides), seed: 0) }
        leafKeys = ConfigOverrides.leafKeys(of: E.quickConfig)
        trainBase = { quick, overrides, force, context in
            let config = try configured(quick, overrides)
            return try E.trainBase(config: config, force: force, context: context)
        }
        execute = { quick, overrides, seeds, context in
            let config = try configured(quick, overrides)
            try E.prepare(config: config, context: context)
            context.progress.expect(E.workPerSeed(config) * seeds.count)
            let results = try runSeeds(seeds) { try E.runSeed(config: config, seed: $0, context: context) }
            let analysis = E.analyze(config: config, seeds: seeds, results: results, context: context)
            return Execution(configJSON: try ConfigOverrides.prettyJSON(config), configHash: CanonicalJSON.hash(config),
                             claims: E.claims(for: config), analysis: analysis)
        }
    }
}

/// A finished run before it is written.
struct Execution {
    var configJSON: String
    /// `CanonicalJSON.hash` of the resolved configuration (config.json's `configHash`).
    var configHash: String
    /// The claims this configuration is judged by (`Experiment.claims(for:)`).
    var claims: [ClaimSpec]
    var analysis: Analysis
}

/// Runs `body` for every seed on the shared pool, returning results in seed order (so outputs never depend on the
/// thread count).
func runSeeds<T>(_ seeds: [Int], _ body: (Int) throws -> T) throws -> [T] {
    var results = [T?](repeating: nil, count: seeds.count)
    var firstError: Error?
    let lock = NSLock()
    results.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!
        Parallel.forEach(chunks: seeds.count) { i in
            do { let r = try body(seeds[i]); (base + i).pointee = r } catch {
                lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
            }
        }
    }
    if let firstError { throw firstError }
    return results.map { $0! }
}

extension AnyExperiment {
    /// The experiment's NOTES.md with its top-level heading dropped, shifted one heading level down (nil when absent or
    /// empty).
    public var notes: String? {
        guard let path = notesPath, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let first = lines.first, first.hasPrefix("# ") { lines.removeFirst() }
        var inCode = false
        lines = lines.map { line in
            if line.hasPrefix("```") { inCode.toggle() }
            return !inCode && line.hasPrefix("#") ? "#" + line : line
        }
        let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return body.isEmpty ? nil : body
    }
}
