import Testing
import Foundation

/// Determinism across processes: each experiment's --quick configuration (shrunk further by a few overrides, so the
/// suite takes minutes) runs as two separate `Experiment` processes, at --threads 1 and --threads 2, and every CSV
/// and SVG is byte-compared. A per-process hash seed (a Set's or a Dictionary's order reaching an output) would show
/// here and not in one process. The two-thread run must really have used a second worker.
@Suite(.serialized) struct CrossProcessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The small runs: experiment, seeds, overrides.
    static let runs: [(name: String, seeds: Int, overrides: [String])] = [
        ("rl-razor", 2, ["pretrainPerTask=60", "pretrainEpochs=3", "evaluationPerTask=60", "fineTuneSteps=20"]),
        ("kl-modes", 2, []),
        ("composition", 2, ["steps=1", "evaluationProblems=8", "passAtKProblems=2", "passAtKSamples=4", "trainEvaluationProblems=8"]),
        ("negative-reinforcement", 2, ["steps=2", "evaluationProblems=4", "evaluationSamples=8"]),
        ("minimalist-rl", 2, ["steps=2", "evaluationProblems=4", "evaluationSamples=4"]),
        ("dpo-family", 2, ["steps=40", "sequence.baseSteps=30", "sequence.steps=4", "sequence.measureEvery=2", "sequence.klSamplesPerContext=4"]),
        ("lpf-methods", 2, ["supervisedSteps=50", "ppoSteps=50", "quarkRounds=2"]),
        ("arena-tournaments", 2, ["groups=50", "rlSteps=20"]),
    ]

    /// The built command line (`swift build` and `swift test` build every product).
    static var binary: URL {
        root.appendingPathComponent(".build").appendingPathComponent("debug").appendingPathComponent("Experiment")
    }

    static func run(_ name: String, seeds: Int, overrides: [String], threads: Int, out: URL) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = [name, "--quick", "--seeds", "\(seeds)", "--threads", "\(threads)", "--out", out.path] + overrides.flatMap { ["--set", $0] }
        var env = ProcessInfo.processInfo.environment
        env["POSTTRAINLAB_POOL_STATS"] = "1"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func pooledChunks(_ stderr: String) -> Int? {
        stderr.split(separator: "\n").last { $0.hasPrefix("pool threads ran ") }
            .flatMap { Int($0.dropFirst("pool threads ran ".count).split(separator: " ")[0]) }
    }

    @Test(.timeLimit(.minutes(10)), arguments: runs.map(\.name)) func outputsAreIdenticalAcrossProcessesAndThreadCounts(_ name: String) throws {
        let r = try #require(Self.runs.first { $0.name == name })
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no built Experiment at \(Self.binary.path): run swift build")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cross-process-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try Self.run(name, seeds: r.seeds, overrides: r.overrides, threads: 1, out: dir.appendingPathComponent("t1"))
        let two = try Self.run(name, seeds: r.seeds, overrides: r.overrides, threads: 2, out: dir.appendingPathComponent("t2"))
        #expect(one.status == 0 && two.status == 0, "\(name): exit \(one.status), \(two.status): \(one.stderr.suffix(300)) \(two.stderr.suffix(300))")
        #expect(Self.pooledChunks(one.stderr) == 0, "\(name): a --threads 1 run used a pool thread")
        #expect((Self.pooledChunks(two.stderr) ?? 0) > 0, "\(name): the --threads 2 run never used a second worker")
        let a = dir.appendingPathComponent("t1").appendingPathComponent(name), b = dir.appendingPathComponent("t2").appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: a.path).filter { ($0.hasSuffix(".csv") && $0 != "timing.csv") || $0.hasSuffix(".svg") }.sorted()
        #expect(files.contains { $0.hasSuffix(".svg") } && files.contains("claims.csv"), "\(name): \(files)")
        for f in files {
            let x = try Data(contentsOf: a.appendingPathComponent(f)), y = try? Data(contentsOf: b.appendingPathComponent(f))
            #expect(x == y, "\(name): \(f) differs between the --threads 1 and the --threads 2 process")
        }
    }

    /// Bad input exits 2 with one line on stderr, in a real process.
    @Test(arguments: [["rl-razor", "--quick", "--set", "pixelNoise=-1"], ["composition", "--quick", "--set", "base.heads=7"],
                      ["kl-modes", "--set", "nosuchkey=1"], ["arena-tournaments", "--threads", "0"]])
    func badInputExitsTwoWithOneLine(_ args: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no built Experiment at \(Self.binary.path): run swift build")
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args + ["--out", FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)").path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2, "\(args): exit \(p.terminationStatus)")
        #expect(text.split(separator: "\n").count == 1, "\(args): stderr was \(text)")
    }
}

/// Interrupted runs lose nothing: a run killed by SIGTERM or SIGINT mid-run leaves the previous results folder whole
/// and no temporary folder; what a SIGKILLed run leaves (a temporary folder, or an old folder aside with the results
/// missing) is cleaned up, or put back, by the next run.
@Suite(.serialized) struct InterruptedRunTests {
    static func previousResults(_ root: URL, _ name: String) throws -> URL {
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("previous".utf8).write(to: dir.appendingPathComponent("claims.csv"))
        return dir
    }

    @Test(arguments: [SIGTERM, SIGINT]) func aSignalMidRunLeavesThePreviousResultsWhole(_ sig: Int32) throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrossProcessTests.binary.path))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("interrupted-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try Self.previousResults(root, "rl-razor")
        let p = Process()
        p.executableURL = CrossProcessTests.binary
        p.arguments = ["rl-razor", "--quick", "--out", root.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 3)
        #expect(p.isRunning, "the run ended before it could be interrupted")
        kill(p.processIdentifier, sig)
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + sig, "exit \(p.terminationStatus)")
        #expect(try String(contentsOf: dir.appendingPathComponent("claims.csv"), encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["rl-razor"], "a temporary folder was left")
    }

    @Test func theNextRunCleansUpAfterAKill() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrossProcessTests.binary.path))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("killed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        // a swap that stopped between its renames: the results aside, none in place, and a half-written folder
        let aside = root.appendingPathComponent(".arena-tournaments.old-99999"), tmp = root.appendingPathComponent(".arena-tournaments.tmp-99999")
        try fm.createDirectory(at: aside, withIntermediateDirectories: true)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        try Data("previous".utf8).write(to: aside.appendingPathComponent("claims.csv"))
        let p = Process()
        p.executableURL = CrossProcessTests.binary
        p.arguments = ["arena-tournaments", "--quick", "--set", "groups=20", "--set", "rlSteps=5", "--out", root.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try fm.contentsOfDirectory(atPath: root.path).sorted() == ["README.md", "arena-tournaments"])
        let claims = try String(contentsOf: root.appendingPathComponent("arena-tournaments/claims.csv"), encoding: .utf8)
        #expect(claims.hasPrefix("claim,"), "the new run's results replace the restored ones")
    }
}
