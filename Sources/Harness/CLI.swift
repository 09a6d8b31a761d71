import Foundation
import Engine

/// The `Experiment` command line: list, run one or all experiments, per-experiment help, base training.
public enum CLI {
    public enum Command: Equatable { case list, all, help, run(String), experimentHelp(String), trainBase(String) }

    public struct Options: Equatable {
        public var command: Command = .list
        public var quick = false
        public var seeds: Int? = nil
        public var seedBase = 0
        public var overrides: [String] = []
        public var out: String? = nil
        public var check = false
        public var threads: Int? = nil
        public var trainBase = false
        public var force = false
    }

    public static let usage = """
    usage: swift run Experiment [list | <name> | all] [options]

      list                 every experiment: name, claim, source paper, default runtime (the default command)
      <name>               run one experiment (default configuration, all its seeds); writes results/<name>/
      <name> --help        the experiment's config keys, its methods by name, and --set examples
      <name> --train-base  train the experiment's base checkpoint and write its gate (gate.csv) under results/<name>/;
                           refuses to replace a committed base unless --force
      all                  run every experiment in turn, then regenerate results/README.md

    options:
      --quick              the small configuration the tests use (seconds)
      --seeds N            number of seeds (default: per experiment)
      --seed-base S        first seed (default 0): seeds S, S+1, …, S+N−1
      --set key=value      override one config field (repeatable; typed; unknown keys are rejected;
                           a nested field with dots, e.g. --set sequence.steps=100; a list item by index)
                           Methods are values: --set methods='<JSON list>' runs another set, and
                           --set methods.0.advantage=drGRPO changes one field of one method (an enum field
                           takes a case by name, with parameters as name(key=value,…)). A changed method is
                           named from its value, e.g. grpo[advantage=drGRPO]; a claim whose method is gone
                           is inconclusive.
      --out DIR            write under DIR instead of results/
      --check              exit 1 when a claim does not hold (claims marked not reproduced are ignored)
      --threads N          worker threads (default: all cores); results do not depend on it
      --force              with --train-base: replace a committed base
      --help               this text (after a name: that experiment's help)
    """

    public static func parse(_ args: [String], registry: [AnyExperiment]) throws -> Options {
        var o = Options()
        var positional: [String] = []
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < args.count, !args[i].hasPrefix("--") else { throw UsageError("\(flag) needs a value; see --help") }
            return args[i]
        }
        func positiveInt(_ flag: String, _ s: String, allowZero: Bool = false) throws -> Int {
            guard let n = Int(s), allowZero ? n >= 0 : n > 0 else {
                throw UsageError("\(flag) needs a \(allowZero ? "non-negative" : "positive") integer, got '\(s)'")
            }
            return n
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "--quick": o.quick = true
            case "--check": o.check = true
            case "--train-base": o.trainBase = true
            case "--force": o.force = true
            case "--help", "-h": o.command = .help
            case "--seeds": o.seeds = try positiveInt(a, try value(a))
            case "--seed-base": o.seedBase = try positiveInt(a, try value(a), allowZero: true)
            case "--threads": o.threads = try positiveInt(a, try value(a))
            case "--out": o.out = try value(a)
            case "--set":
                let kv = try value(a)
                guard kv.contains("="), !kv.hasPrefix("=") else { throw UsageError("--set needs key=value, got '\(kv)'") }
                o.overrides.append(kv)
            default:
                if a.hasPrefix("-") && Int(a) == nil { throw UsageError("unknown flag \(a); run `swift run Experiment --help`") }
                positional.append(a)
            }
            i += 1
        }
        guard positional.count <= 1 else { throw UsageError("one experiment name at a time, got \(positional.joined(separator: " "))") }
        switch positional.first {
        case nil, "list": if o.command != .help { o.command = .list }
        case "all": if o.command != .help { o.command = .all }
        case let name?:
            guard registry.contains(where: { $0.name == name }) else {
                let close = closest(name, registry.map(\.name))
                throw UsageError("unknown experiment '\(name)'" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: " or "))?") + " (`swift run Experiment list` shows all)")
            }
            o.command = o.command == .help ? .experimentHelp(name) : (o.trainBase ? .trainBase(name) : .run(name))
        }
        if o.command == .help || o.command == .list, o.trainBase { throw UsageError("--train-base needs an experiment name") }
        if o.force && !o.trainBase { throw UsageError("--force only applies with --train-base") }
        if case let .trainBase(name) = o.command, let e = registry.first(where: { $0.name == name }), !e.hasBase {
            let with = registry.filter(\.hasBase).map(\.name)
            throw UsageError("\(name) has no base model to train (experiments with one: \(with.joined(separator: ", ")))")
        }
        if o.command == .all && !o.overrides.isEmpty { throw UsageError("--set applies to one experiment; name it instead of 'all'") }
        return o
    }

    /// Names within edit distance 3 (or sharing a prefix), nearest first.
    static func closest(_ name: String, _ names: [String]) -> [String] {
        let scored = names.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
        let best = scored.filter { $0.1 <= 3 || $0.0.hasPrefix(name) || name.hasPrefix($0.0) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        return Array(best.prefix(3).map(\.0))
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...Swift.max(a.count, 1) where !a.isEmpty {
            var prev = row[0]; row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    /// Runs one experiment and renders its outputs (no disk writes): what `Experiment <name>` and the claim tests do.
    public static func execute(_ e: AnyExperiment, quick: Bool, seeds: [Int], overrides: [String] = [], command: String? = nil,
                               progress: Progress? = nil) throws -> (files: [(name: String, text: String)], claims: [ClaimResult], runtime: Double) {
        let pairs = overrides.map { kv -> (String, String) in
            let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        let context = RunContext(experiment: e.name, progress: progress ?? Progress(label: e.name, enabled: false))
        let start = Date()
        let execution = try e.execute(quick, pairs, seeds, context)
        context.progress.finish()
        let runtime = Date().timeIntervalSince(start)
        let a = execution.analysis
        let claims = execution.claims.map { ClaimEvaluator.evaluate($0, a.evidence[$0.id]) }
        let seedList = seeds.map(String.init).joined(separator: ", ")
        let indentedConfig = execution.configJSON.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
        let configFile = "{\n  \"experiment\" : \"\(e.name)\",\n  \"version\" : \"\(packageVersion)\",\n  \"quick\" : \(quick),\n  \"seeds\" : [\(seedList)],\n  \"configHash\" : \"\(execution.configHash)\",\n  \"config\" : \(indentedConfig)\n}\n"
        var files: [(String, String)] = [("config.json", configFile)]
        for t in a.tables { files.append(("\(t.name).csv", t.table.text)) }
        for f in a.figures { files.append(("\(f.name).svg", f.svg)) }
        files.append(("claims.csv", Report.claimsCSV(claims)))
        let cmd = command ?? "swift run Experiment \(e.name)\(quick ? " --quick" : "")"
        files.append(("REPORT.md", Report.markdown(experiment: e, analysis: a, claims: claims, command: cmd, seeds: seeds, quick: quick,
                                                    configJSON: execution.configJSON, diverged: context.diverged, runtime: runtime)))
        files.append(("timing.csv", "experiment,quick,seeds,threads,seconds\n\(e.name),\(quick),\(seeds.count),\(Parallel.threads),\(String(format: "%.3f", runtime))\n"))
        return (files, claims, runtime)
    }

    /// `<name> --help`: what the experiment claims, its config keys, its methods by name and how to change them.
    public static func experimentHelp(_ e: AnyExperiment) -> String {
        var lines = ["\(e.name): \(e.claim)", "  \(e.paper)", "  default runtime \(e.defaultRuntime), \(e.defaultSeeds) seeds, \(e.claims.count) claims", ""]
        lines.append("config keys (--set key=value):")
        for k in e.configKeys { lines.append("  \(k.key) (\(k.type))") }
        if !e.methodNames.isEmpty {
            lines.append("")
            lines.append("methods (default run): \(e.methodNames.joined(separator: ", "))")
            if e.quickMethodNames != e.methodNames { lines.append("methods (--quick): \(e.quickMethodNames.joined(separator: ", "))") }
        }
        if !e.methodExamples.isEmpty {
            lines.append("")
            lines.append("examples:")
            for x in e.methodExamples { lines.append("  swift run Experiment \(e.name) \(x)") }
        }
        if e.hasBase {
            lines.append("")
            lines.append("base: swift run Experiment \(e.name) --train-base [--force] rebuilds the base checkpoint and writes gate.csv")
        }
        lines.append("")
        lines.append("claims:")
        for c in e.claims { lines.append("  \(c.id): \(c.description)\(c.notReproduced == nil ? "" : " [not reproduced]")") }
        return lines.joined(separator: "\n")
    }

    /// The whole command line: parses, runs, writes, prints; exits 2 on user errors, 1 on `--check` failures.
    public static func main(_ args: [String], registry: [AnyExperiment]) -> Int32 {
        do {
            let o = try parse(args, registry: registry)
            if let t = o.threads { Parallel.threads = t }
            switch o.command {
            case .help: print(usage); return 0
            case let .experimentHelp(name): print(experimentHelp(registry.first { $0.name == name }!)); return 0
            case let .trainBase(name):
                let e = registry.first { $0.name == name }!
                let pairs = o.overrides.map { kv -> (String, String) in
                    let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
                    return (parts[0], parts.count > 1 ? parts[1] : "")
                }
                let dir = URL(fileURLWithPath: o.out ?? "results", isDirectory: true).appendingPathComponent(e.name, isDirectory: true)
                try AtomicFile.checkWritable(dir)
                let context = RunContext(experiment: e.name, progress: Progress(label: "\(e.name) base"))
                let result = try e.trainBase(o.quick, pairs, o.force, context)
                context.progress.finish()
                for f in result.files { try AtomicFile.write(f.text, to: dir.appendingPathComponent(f.name)) }
                print(result.summary + "\n  wrote \(result.files.map(\.name).joined(separator: ", ")) to \(dir.path)/")
                return 0
            case .list:
                if registry.isEmpty { print("No experiments are registered.") }
                for e in registry {
                    print("\(e.name)\n    \(e.claim)\n    \(e.paper)\n    default runtime \(e.defaultRuntime), \(e.defaultSeeds) seeds, \(e.claims.count) claims")
                }
                return 0
            case .all, .run:
                let selected: [AnyExperiment]
                if case let .run(name) = o.command { selected = registry.filter { $0.name == name } } else { selected = registry }
                let root = URL(fileURLWithPath: o.out ?? "results", isDirectory: true)
                try AtomicFile.checkWritable(root)
                var failing: [String] = []
                for e in selected {
                    let dir = root.appendingPathComponent(e.name, isDirectory: true)
                    ResultsFolder.cleanLeftovers(of: dir)
                    let n = o.seeds ?? e.defaultSeeds
                    let seeds = Array(o.seedBase..<(o.seedBase + n))
                    var cmd = "swift run Experiment \(e.name)"
                    if o.quick { cmd += " --quick" }
                    if o.seeds != nil { cmd += " --seeds \(n)" }
                    if o.seedBase != 0 { cmd += " --seed-base \(o.seedBase)" }
                    for kv in o.overrides { cmd += " --set \(kv)" }
                    let result = try execute(e, quick: o.quick, seeds: seeds, overrides: o.overrides, command: cmd, progress: Progress(label: e.name))
                    try ResultsFolder.replace(dir, with: result.files)
                    print(Report.terminalTable(e.name, result.claims) + "  wrote \(dir.path)/ in \(String(format: "%.1f", result.runtime)) s\n")
                    failing += result.claims.filter { $0.verdict != .holds && $0.spec.notReproduced == nil }.map { "\(e.name) \($0.spec.id)" }
                }
                try AtomicFile.write(Report.index(resultsDir: root, registry: registry), to: root.appendingPathComponent("README.md"))
                if o.check && !failing.isEmpty {
                    FileHandle.standardError.write(Data("Experiment: claims not holding: \(failing.joined(separator: ", "))\n".utf8))
                    return 1
                }
                return 0
            }
        } catch let e as UsageError {
            FileHandle.standardError.write(Data("Experiment: \(e.description)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("Experiment: \(error)\n".utf8))
            return 2
        }
    }
}
