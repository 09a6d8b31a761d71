import Foundation
import Engine

/// A cell of a tidy CSV table.
public enum CSVValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case string(String), int(Int), double(Double), missing
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral i: Int) { self = .int(i) }
    public init(floatLiteral d: Double) { self = .double(d) }
    public init(_ d: Double?) { self = d.map { .double($0) } ?? .missing }

    /// RFC 4180 text; doubles in Swift's shortest round-trip form ("0.1", "1e-05", "nan"), independent of locale.
    var text: String {
        switch self {
        case let .string(s):
            return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        case let .int(i): return String(i)
        case let .double(d): return d.description
        case .missing: return ""
        }
    }
}

/// One observation per row; identifier columns (variant, seed, sweep keys) first, then measurements.
public struct CSVTable: Sendable, Equatable {
    public var columns: [String]
    public private(set) var rows: [[CSVValue]] = []
    public init(columns: [String]) { self.columns = columns }

    public mutating func append(_ row: [CSVValue]) {
        require(row.count == columns.count, "CSVTable: row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    public var text: String {
        var out = columns.map { CSVValue.string($0).text }.joined(separator: ",") + "\n"
        for r in rows { out += r.map(\.text).joined(separator: ",") + "\n" }
        return out
    }
}

/// Writes files atomically: a temporary file beside the target, then a rename, so an interrupted run leaves the
/// earlier file whole.
public enum AtomicFile {
    public static func write(_ text: String, to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try Data(text.utf8).write(to: tmp)
            if rename(tmp.path, url.path) != 0 { throw UsageError("cannot rename into \(url.path)") }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw UsageError("cannot write \(url.path): \(error)")
        }
    }

    /// Fails with a UsageError unless `dir` exists (or can be created) and accepts a file.
    public static func checkWritable(_ dir: URL) throws {
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let probe = dir.appendingPathComponent(".write-probe-\(ProcessInfo.processInfo.processIdentifier)")
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw UsageError("output folder \(dir.path) is not writable; pass a writable folder with --out DIR")
        }
    }
}

/// A run's results folder, replaced whole. The files go to a temporary folder beside it (`.<name>.tmp-<pid>`), which
/// is swapped in at the end: the old folder is renamed aside (`.<name>.old-<pid>`), the new one renamed in, then the
/// old one removed (a plain rename cannot replace a non-empty folder). SIGINT or SIGTERM (with
/// `installSignalCleanup`) removes the temporary folder and leaves the previous results whole; after SIGKILL the next
/// run's `cleanLeftovers` restores an aside folder whose swap did not finish and removes the rest.
public enum ResultsFolder {
    nonisolated(unsafe) private static var inFlight: [String] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func temporary(_ dir: URL) -> URL {
        dir.deletingLastPathComponent().appendingPathComponent(".\(dir.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    }
    static func aside(_ dir: URL) -> URL {
        dir.deletingLastPathComponent().appendingPathComponent(".\(dir.lastPathComponent).old-\(ProcessInfo.processInfo.processIdentifier)")
    }

    /// What an interrupted earlier run left beside `dir`: an aside folder is renamed back when `dir` is missing (the
    /// swap stopped between its two renames); every other leftover is removed.
    public static func cleanLeftovers(of dir: URL) {
        let fm = FileManager.default
        let parent = dir.deletingLastPathComponent()
        guard let names = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        let prefix = "." + dir.lastPathComponent + "."
        for n in names.sorted() where n.hasPrefix(prefix + "old-") && !fm.fileExists(atPath: dir.path) {
            _ = rename(parent.appendingPathComponent(n).path, dir.path)
        }
        for n in names where n.hasPrefix(prefix + "tmp-") || n.hasPrefix(prefix + "old-") {
            try? fm.removeItem(at: parent.appendingPathComponent(n))
        }
    }

    /// Writes `files` into a fresh folder and swaps it in place of `dir`.
    public static func replace(_ dir: URL, with files: [(name: String, text: String)]) throws {
        let fm = FileManager.default
        let tmp = temporary(dir), old = aside(dir)
        lock.lock(); inFlight.append(tmp.path); lock.unlock()
        defer { lock.lock(); inFlight.removeAll { $0 == tmp.path }; lock.unlock() }
        do {
            try? fm.removeItem(at: tmp)
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            for f in files { try Data(f.text.utf8).write(to: tmp.appendingPathComponent(f.name)) }
            if fm.fileExists(atPath: dir.path), rename(dir.path, old.path) != 0 { throw UsageError("cannot move \(dir.path) aside") }
            if rename(tmp.path, dir.path) != 0 {
                _ = rename(old.path, dir.path)
                throw UsageError("cannot move the new results into \(dir.path)")
            }
            try? fm.removeItem(at: old)
        } catch let e as UsageError {
            try? fm.removeItem(at: tmp)
            throw e
        } catch {
            try? fm.removeItem(at: tmp)
            throw UsageError("cannot write \(dir.path): \(error)")
        }
    }

    /// SIGINT and SIGTERM remove the temporary folders being written, then exit with 128 + the signal.
    public static func installSignalCleanup() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                lock.lock(); let paths = inFlight; lock.unlock()
                for p in paths { try? FileManager.default.removeItem(atPath: p) }
                FileHandle.standardError.write(Data("Experiment: interrupted; the previous results are unchanged\n".utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Everything a finished run writes, rendered to strings first (so tests can compare bytes without touching disk).
struct RunOutputs {
    var files: [(name: String, text: String)] = []
    var claims: [ClaimResult] = []
}

enum Report {
    static func claimsCSV(_ results: [ClaimResult]) -> String {
        var t = CSVTable(columns: ["claim", "description", "kind", "statistic", "value", "threshold", "seeds_holding", "seeds_total", "verdict"])
        for r in results {
            t.append([.string(r.spec.id), .string(r.spec.description), .string(r.spec.kind.rawValue), .string(r.spec.statistic),
                      .double(r.value), .string("\(r.spec.direction.symbol) \(ClaimEvaluator.format(r.spec.direction.threshold))"),
                      .int(r.seedsHolding), .int(r.seedsTotal), .string(r.verdict.rawValue)])
        }
        return t.text
    }

    static func verdictLabel(_ r: ClaimResult) -> String {
        r.spec.notReproduced != nil ? "\(r.verdict.rawValue) (marked not reproduced)" : r.verdict.rawValue
    }

    static func claimsTable(_ results: [ClaimResult]) -> String {
        var md = "| claim | statement | statistic | value | test | seeds | verdict |\n|---|---|---|---|---|---|---|\n"
        for r in results {
            let cells = [r.spec.id, r.spec.description, r.spec.statistic, ClaimEvaluator.format(r.value), r.bound,
                         "\(r.seedsHolding)/\(r.seedsTotal)", "**\(verdictLabel(r))**"]
            md += "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        let notes = results.filter { !$0.note.isEmpty || $0.spec.notReproduced != nil }
        if !notes.isEmpty {
            md += "\n"
            for r in notes {
                if !r.note.isEmpty { md += "- Claim \(r.spec.id): \(r.note)\n" }
                if let why = r.spec.notReproduced { md += "- Claim \(r.spec.id) is marked *not reproduced*: \(why)\n" }
            }
        }
        return md
    }

    /// The claims table as plain text for the terminal.
    static func terminalTable(_ name: String, _ results: [ClaimResult]) -> String {
        var out = "\(name): claims\n"
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        for r in results {
            out += "  \(pad(r.spec.id, 4)) \(pad(verdictLabel(r), 14)) \(r.spec.statistic) = \(ClaimEvaluator.format(r.value)) (\(r.bound)); \(r.seedsHolding)/\(r.seedsTotal) seeds\n"
            if r.verdict == .inconclusive && !r.note.isEmpty { out += "       \(r.note)\n" }
        }
        return out
    }

    static func markdown(experiment e: AnyExperiment, analysis: Analysis, claims: [ClaimResult], command: String,
                         seeds: [Int], quick: Bool, configJSON: String, diverged: [DivergenceError], runtime: Double) -> String {
        var md = "# \(e.name)\n\n> \(e.claim)\n\nSource: \(e.paper)\n\n"
        md += "Command: `\(command)` — \(quick ? "quick" : "default") configuration, seeds \(seeds.map(String.init).joined(separator: ", ")), runtime \(String(format: "%.1f", runtime)) s.\n\n"
        md += "## Claims\n\n" + claimsTable(claims) + "\n"
        if !diverged.isEmpty {
            md += "## Diverged runs\n\n" + diverged.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        }
        for f in analysis.figures { md += "## \(f.caption)\n\n![\(f.caption)](\(f.name).svg)\n\n" }
        for s in analysis.reportSections { md += "## \(s.title)\n\n\(s.markdown)\n\n" }
        if let notes = e.notes { md += "## Notes\n\n" + notes.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
        md += "## Configuration\n\n```json\n\(configJSON)\n```\n\nOutputs: " + (["config.json", "claims.csv"] + analysis.tables.map { "\($0.name).csv" } + analysis.figures.map { "\($0.name).svg" }).map { "`\($0)`" }.joined(separator: ", ") + ". CSV and SVG files are byte-identical for the same command and seeds at any thread count; this report and timing.csv hold wall-clock times.\n"
        return md
    }

    /// results/README.md: one row per experiment folder that has a claims.csv.
    static func index(resultsDir: URL, registry: [AnyExperiment]) -> String {
        var md = "# Results\n\nCommitted outputs of the default runs (`swift run Experiment <name>`). Each folder holds `config.json`, tidy CSVs, `claims.csv`, SVG figures and `REPORT.md`. Regenerated by `swift run Experiment all` and after every run. A claim marked *not reproduced* is a finding that did not reproduce in our toy after honest effort; its report says what was measured and tried.\n\n| experiment | claim | verdicts | report |\n|---|---|---|---|\n"
        for e in registry.sorted(by: { $0.name < $1.name }) {
            let csv = resultsDir.appendingPathComponent(e.name).appendingPathComponent("claims.csv")
            guard let text = try? String(contentsOf: csv, encoding: .utf8) else {
                md += "| \(e.name) | \(e.claim) | not run yet | |\n"; continue
            }
            let marked = Set(e.claims.filter { $0.notReproduced != nil }.map(\.id))
            let verdicts = parseVerdicts(text).map { "\($0.0): \($0.1)" + (marked.contains($0.0) ? " (not reproduced)" : "") }.joined(separator: ", ")
            md += "| \(e.name) | \(e.claim) | \(verdicts) | [REPORT](\(e.name)/REPORT.md) |\n"
        }
        return md
    }

    /// (claim id, verdict) pairs from a claims.csv (first and last columns).
    static func parseVerdicts(_ csv: String) -> [(String, String)] {
        csv.split(separator: "\n").dropFirst().compactMap { line in
            let id = line.split(separator: ",").first.map(String.init)
            let verdict = line.split(separator: ",").last.map(String.init)
            guard let id, let verdict else { return nil }
            return (id, verdict)
        }
    }
}
