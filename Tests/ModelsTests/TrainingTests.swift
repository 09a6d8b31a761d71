import Testing
import Foundation
@testable import Engine
@testable import Models

@Suite struct Optimizers {
    func store(_ values: [Float], grads: [Float]) -> ParameterStore {
        var rng = RandomStream(seed: 0)
        let s = ParameterStore()
        s.add("p", Shape(values.count), .zeros, rng: &rng)
        s.setValues(values)
        for (i, g) in grads.enumerated() { s.grads[i] = g }
        return s
    }

    @Test func adamWFirstStepMatchesHandComputation() {
        // p = 1, g = 0.5, lr = 0.1, λ = 0.01: decay → 0.999; m̂ = 0.5, v̂ = 0.25 → step 0.1 · 0.5 / 0.5 = 0.1
        let s = store([1], grads: [0.5])
        let opt = AdamW(weightDecay: 0.01)
        opt.step(s, learningRate: 0.1)
        #expect(Swift.abs(s.values[0] - 0.899) < 1e-6)
        // second step with g = 0.5 again: m̂ = 0.5, v̂ = 0.25 → another 0.1 (after decay 0.899 · 0.999)
        opt.step(s, learningRate: 0.1)
        #expect(Swift.abs(s.values[0] - (0.899 * 0.999 - 0.1)) < 1e-5)
    }

    @Test func sgdMomentum() {
        let s = store([1], grads: [1])
        let opt = SGD(momentum: 0.9)
        opt.step(s, learningRate: 0.1)      // v = 1 → p = 0.9
        opt.step(s, learningRate: 0.1)      // v = 0.9 + 1 = 1.9 → p = 0.71
        #expect(Swift.abs(s.values[0] - 0.71) < 1e-6)
    }

    @Test func globalNormClipping() {
        let s = store([0, 0], grads: [3, 4])
        #expect(clipGradientNorm(s, maxNorm: 1) == 5)
        #expect(Swift.abs(s.grads[0] - 0.6) < 1e-5 && Swift.abs(s.grads[1] - 0.8) < 1e-5)
        #expect(clipGradientNorm(s, maxNorm: 10) < 1.0001)   // below the bound: unchanged
        #expect(Swift.abs(s.grads[1] - 0.8) < 1e-5)
    }

    @Test func schedules() {
        let s = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 10, totalSteps: 110, minimum: 0.1)
        #expect(s.rate(at: 0) == 0.1 && s.rate(at: 9) == 1)
        #expect(Swift.abs(s.rate(at: 60) - 0.55) < 1e-6)          // halfway through the decay
        #expect(s.rate(at: 110) == 0.1 && s.rate(at: 500) == 0.1)
        #expect(LearningRateSchedule.constant(3e-4).rate(at: 1000) == 3e-4)
    }
}

/// A few AdamW steps of a transformer on a fixed batch; returns the final parameters.
func trainBriefly(seed: UInt64, steps: Int = 3, optimizer: AdamW? = nil, model: Transformer? = nil) -> (Transformer, AdamW) {
    var rng = RandomStream(seed: seed)
    let config = TransformerConfig(vocabularySize: 48, contextLength: 33, modelWidth: 64, layers: 2, heads: 4)
    let m = model ?? Transformer(config, rng: &rng)
    var data = rng.child("data")
    let (b, t) = (8, 33)
    let tokens = (0..<(b * t)).map { _ in Int32(data.int(48)) }
    let inputs = (0..<b).flatMap { tokens[($0 * t)..<($0 * t + t - 1)] }
    let targets = (0..<b).flatMap { tokens[($0 * t + 1)..<($0 * t + t)] }
    let opt = optimizer ?? AdamW()
    let g = Graph()
    for _ in 0..<steps {
        g.reset()
        m.parameters.zeroGradients()
        let loss = m.logits(inputs, batch: b, graph: g).crossEntropy(targets: g.indices(targets)).mean()
        g.backward(loss)
        clipGradientNorm(m.parameters, maxNorm: 1)
        opt.step(m.parameters, learningRate: 1e-3)
    }
    return (m, opt)
}

@Suite(.serialized) struct Determinism {
    @Test func sameSeedGivesBitIdenticalParameters() {
        let a = trainBriefly(seed: 11).0.parameters.flatValues
        let b = trainBriefly(seed: 11).0.parameters.flatValues
        #expect(a == b)
        #expect(a != trainBriefly(seed: 12).0.parameters.flatValues)
    }

    @Test func threadCountDoesNotChangeResults() {
        var results: [[Float]] = []
        for threads in [1, 2, 4] {
            Parallel.withThreads(threads) { results.append(trainBriefly(seed: 13).0.parameters.flatValues) }
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }

    @Test func trainingReducesLoss() {
        // the loop above learns: loss on its batch falls well below log(48) after 40 steps
        let (m, _) = trainBriefly(seed: 14, steps: 40)
        var rng = RandomStream(seed: 14)
        _ = Transformer(m.config, rng: &rng)
        var data = rng.child("data")
        let tokens = (0..<(8 * 33)).map { _ in Int32(data.int(48)) }
        let inputs = (0..<8).flatMap { tokens[($0 * 33)..<($0 * 33 + 32)] }
        let targets = (0..<8).flatMap { tokens[($0 * 33 + 1)..<($0 * 33 + 33)] }
        let g = Graph(recording: false)
        let loss = m.logits(inputs, batch: 8, graph: g).crossEntropy(targets: g.indices(targets)).mean().item
        #expect(loss < 0.8 * log(48))
    }
}

@Suite struct Checkpoints {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptl-ckpt-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")

    @Test func roundTripResumesTrainingExactly() throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 2 steps, save, restore into a fresh model + optimizer, 2 more steps == 4 uninterrupted steps
        let (m, opt) = trainBriefly(seed: 21, steps: 2)
        let url = dir.appendingPathComponent("model.ckpt")
        // writing over an existing file replaces it
        try Checkpoint(parameters: m.parameters, optimizer: opt, metadata: ["note": "first"]).write(to: url)
        #expect(try Checkpoint.read(from: url).metadata["note"] == "first")
        try Checkpoint(parameters: m.parameters, optimizer: opt, metadata: ["note": "test"]).write(to: url)
        let loaded = try Checkpoint.read(from: url)
        #expect(loaded.metadata["note"] == "test" && loaded.metadata["optimizer.steps"] == "2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.ckpt"])   // no temporary left
        var rng = RandomStream(seed: 999)
        let fresh = Transformer(m.config, rng: &rng)
        let freshOpt = AdamW()
        try loaded.restore(into: fresh.parameters, optimizer: freshOpt)
        #expect(fresh.parameters.flatValues == m.parameters.flatValues)
        let resumed = trainBriefly(seed: 21, steps: 2, optimizer: freshOpt, model: fresh).0.parameters.flatValues
        let straight = trainBriefly(seed: 21, steps: 4).0.parameters.flatValues
        #expect(resumed == straight)
    }

    @Test func wrongShapeIsAClearError() throws {
        var rng = RandomStream(seed: 1)
        let small = Transformer(TransformerConfig(vocabularySize: 10, contextLength: 8, modelWidth: 8, layers: 1, heads: 2), rng: &rng)
        let wide = Transformer(TransformerConfig(vocabularySize: 10, contextLength: 8, modelWidth: 16, layers: 1, heads: 2), rng: &rng)
        let deep = Transformer(TransformerConfig(vocabularySize: 10, contextLength: 8, modelWidth: 8, layers: 2, heads: 2), rng: &rng)
        let before = wide.parameters.flatValues
        let c = Checkpoint(parameters: small.parameters)
        #expect(throws: CheckpointError.shapeMismatch(name: "wte.weight", expected: "[10, 16]", found: "[10, 8]")) {
            try c.restore(into: wide.parameters)
        }
        #expect(wide.parameters.flatValues == before)    // nothing half-loaded
        #expect(throws: CheckpointError.missing("h.1.ln1.weight")) { try c.restore(into: deep.parameters) }
        #expect(throws: CheckpointError.unexpected("h.1.ln1.weight")) { try Checkpoint(parameters: deep.parameters).restore(into: small.parameters) }
        #expect(throws: CheckpointError.optimizerMismatch(expected: "adamw", found: "none")) { try c.restore(into: small.parameters, optimizer: AdamW()) }
    }

    @Test func corruptFilesAreErrorsNeverCrashes() throws {
        var rng = RandomStream(seed: 2)
        let m = Transformer(TransformerConfig(vocabularySize: 10, contextLength: 8, modelWidth: 8, layers: 1, heads: 2), rng: &rng)
        let bytes = Checkpoint(parameters: m.parameters, optimizer: SGD(momentum: 0.9)).encoded()
        #expect(try Checkpoint.decode(bytes).tensors.count == m.parameters.parameters.count + 1)
        #expect(throws: CheckpointError.notACheckpoint) { try Checkpoint.decode(Array("hello, world, this is text".utf8)) }
        #expect(throws: CheckpointError.corrupt("only 0 bytes")) { try Checkpoint.decode([]) }
        var fuzz = RandomStream(seed: 3)
        for trial in 0..<2000 {
            var b = bytes
            switch trial % 4 {
            case 0: b = Array(b.prefix(fuzz.int(b.count)))                         // truncated
            case 1: b[fuzz.int(b.count)] ^= UInt8(1 + fuzz.int(255))                // one byte flipped
            case 2: b = (0..<fuzz.int(400)).map { _ in UInt8(fuzz.int(256)) }       // garbage
            default:                                                                 // garbage behind a valid header
                b = Array(bytes.prefix(8 + fuzz.int(40))) + (0..<fuzz.int(64)).map { _ in UInt8(fuzz.int(256)) }
            }
            #expect(throws: CheckpointError.self) { try Checkpoint.decode(b) }
        }
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: URL(fileURLWithPath: "/nonexistent/dir/x.ckpt")) }
    }
}

@Suite struct AdamWVectorised {
    @Test func simdPathMatchesTheScalarDefinition() {
        // 37 parameters: two 16-lane blocks and a 5-element tail, three steps, weight decay on
        var rng = RandomStream(seed: 40)
        let store = ParameterStore()
        store.add("p", Shape(37), .normal(std: 1), rng: &rng)
        var p = store.flatValues.map(Double.init), m = [Double](repeating: 0, count: 37), v = m
        let opt = AdamW(weightDecay: 0.01)
        for step in 1...3 {
            let g = (0..<37).map { _ in rng.normal() }
            for (i, x) in g.enumerated() { store.grads[i] = x }
            opt.step(store, learningRate: 0.01)
            for i in 0..<37 {
                p[i] *= 1 - 0.01 * 0.01
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i]); v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
                let mh = m[i] / (1 - pow(0.9, Double(step))), vh = v[i] / (1 - pow(0.999, Double(step)))
                p[i] -= 0.01 * mh / (vh.squareRoot() + 1e-8)
            }
        }
        #expect(zip(store.flatValues, p).allSatisfy { Swift.abs(Double($0) - $1) < 1e-5 })
    }

    @Test func vanishingMomentsAreFlushedNotSubnormal() {
        var rng = RandomStream(seed: 41)
        let store = ParameterStore()
        store.add("p", Shape(20), .ones, rng: &rng)
        let opt = AdamW.adam()
        for i in 0..<20 { store.grads[i] = 1 }
        opt.step(store, learningRate: 1e-3)
        store.zeroGradients()
        for _ in 0..<2000 { opt.step(store, learningRate: 1e-3) }     // m decays by 0.9 per step: 0.9^2000 ≪ 1e-30
        let state = opt.state()
        #expect(state[0].values.allSatisfy { $0 == 0 || Swift.abs($0) >= 1e-30 })
        #expect(state[0].values.allSatisfy { $0 == 0 })
    }
}

/// Files whose checksum is valid but whose contents are malformed reach the reader's own guards: wrong, huge or
/// "negative" (UInt32.max) counts and shapes, truncated tensors, names and keys that appear twice, another model's
/// tensors. Each is a `CheckpointError`, never a trap, a hang, a half-load or an allocation larger than the file.
@Suite struct CheckpointStructureFuzz {
    /// The format written field by field (an independent twin of `Checkpoint.encoded`), with the checksum made last.
    struct Writer {
        var bytes = Array("PTLCKPT\0".utf8)
        mutating func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { bytes += $0 } }
        mutating func string(_ s: String) { let b = Array(s.utf8); u32(UInt32(b.count)); bytes += b }
        mutating func tensor(_ name: String, dims: [UInt32], values: Int) {
            string(name); u32(UInt32(dims.count)); for d in dims { u32(d) }
            for i in 0..<values { u32(Float(i).bitPattern) }
        }
        func sealed() -> [UInt8] {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
            var out = bytes
            withUnsafeBytes(of: h.littleEndian) { out += $0 }
            return out
        }
    }

    static func file(metadata: [(String, String)] = [], tensorCount: UInt32? = nil, _ tensors: (inout Writer) -> Void) -> [UInt8] {
        var w = Writer()
        w.u32(1)
        w.u32(UInt32(metadata.count)); for (k, v) in metadata { w.string(k); w.string(v) }
        var body = Writer(bytes: [])
        tensors(&body)
        w.u32(tensorCount ?? UInt32(body.bytes.isEmpty ? 0 : 1))
        w.bytes += body.bytes
        return w.sealed()
    }

    @Test func theTwinWritesWhatTheReaderReads() throws {
        let b = Self.file(metadata: [("a", "1")]) { $0.tensor("w", dims: [2, 3], values: 6) }
        let c = try Checkpoint.decode(b)
        #expect(c.metadata == ["a": "1"] && c.tensors.count == 1 && c.tensors[0].shape == Shape(2, 3) && c.tensors[0].values.count == 6)
    }

    @Test func malformedContentsWithAValidChecksumAreErrors() {
        let cases: [(String, [UInt8])] = [
            ("huge tensor count", Self.file(tensorCount: .max) { $0.tensor("w", dims: [2], values: 2) }),
            ("two tensors declared, one present", Self.file(tensorCount: 2) { $0.tensor("w", dims: [2], values: 2) }),
            ("rank 9", Self.file { $0.tensor("w", dims: Array(repeating: 1, count: 9), values: 1) }),
            ("rank UInt32.max", Self.file { $0.string("w"); $0.u32(.max) }),
            ("a dimension of UInt32.max", Self.file { $0.tensor("w", dims: [.max], values: 4) }),
            ("dimensions whose product overflows", Self.file { $0.tensor("w", dims: [.max, .max, .max, .max], values: 4) }),
            ("a truncated tensor", Self.file { $0.tensor("w", dims: [4, 4], values: 15) }),
            ("more values than the shape", Self.file { $0.tensor("w", dims: [2], values: 3) }),
            ("a name length of UInt32.max", Self.file { $0.u32(.max) }),
            ("invalid UTF-8 in a name", Self.file { $0.u32(2); $0.bytes += [0xC3, 0x28]; $0.u32(1); $0.u32(1); $0.u32(0) }),
            ("a metadata key twice", Self.file(metadata: [("k", "1"), ("k", "2")]) { _ in }),
            ("a huge metadata count", { var w = Writer(); w.u32(1); w.u32(.max); w.u32(0); return w.sealed() }()),
            ("an unsupported version", { var w = Writer(); w.u32(7); w.u32(0); w.u32(0); return w.sealed() }()),
        ]
        for (what, bytes) in cases {
            #expect(throws: CheckpointError.self, "\(what)") { try Checkpoint.decode(bytes) }
        }
        var twice = Writer()
        twice.u32(1); twice.u32(0); twice.u32(2)
        twice.tensor("w", dims: [1], values: 1); twice.tensor("w", dims: [1], values: 1)
        #expect(throws: CheckpointError.corrupt("tensor w appears twice")) { try Checkpoint.decode(twice.sealed()) }
    }

    /// Random structural mutations of a real model's file (a field rewritten with an extreme value, the checksum made
    /// again): decoding throws or returns, and restoring what it returns into the model throws or loads it whole.
    @Test func mutatedFieldsOfARealFileNeverTrapOrHalfLoad() throws {
        var rng = RandomStream(seed: 5)
        let m = Transformer(TransformerConfig(vocabularySize: 10, contextLength: 8, modelWidth: 8, layers: 1, heads: 2), rng: &rng)
        let valid = Checkpoint(parameters: m.parameters).encoded()
        let body = Array(valid.dropLast(8))
        let before = m.parameters.flatValues
        var fuzz = RandomStream(seed: 6)
        let extremes: [UInt32] = [0, 1, 2, 8, 9, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF]
        var decoded = 0
        for _ in 0..<3000 {
            var w = Writer(bytes: body)
            let at = 12 + 4 * fuzz.int((body.count - 12) / 4)
            let v = extremes[fuzz.int(extremes.count)]
            withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 where at + i < w.bytes.count { w.bytes[at + i] = $0[i] } }
            if fuzz.int(4) == 0 { w.bytes = Array(w.bytes.prefix(12 + fuzz.int(w.bytes.count - 12))) }
            guard let c = try? Checkpoint.decode(w.sealed()) else { continue }
            decoded += 1
            do { try c.restore(into: m.parameters) } catch is CheckpointError {
                #expect(m.parameters.flatValues == before, "a failed restore changed the model")
            }
            try Checkpoint.decode(valid).restore(into: m.parameters)
        }
        #expect(decoded > 0)
    }
}
