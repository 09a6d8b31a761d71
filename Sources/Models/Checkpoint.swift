import Foundation
import Engine

/// Why a checkpoint could not be read or applied. Descriptions name the file problem and the fix.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case io(String)
    case notACheckpoint
    case corrupt(String)
    case unsupportedVersion(UInt32)
    case missing(String)
    case unexpected(String)
    case shapeMismatch(name: String, expected: String, found: String)
    case optimizerMismatch(expected: String, found: String)

    public var description: String {
        switch self {
        case let .io(m): return "checkpoint: \(m)"
        case .notACheckpoint: return "checkpoint: not a PostTrainLab checkpoint (bad magic bytes)"
        case let .corrupt(m): return "checkpoint: file is corrupt (\(m)); delete it and re-create it"
        case let .unsupportedVersion(v): return "checkpoint: format version \(v) is not supported by this build"
        case let .missing(n): return "checkpoint: tensor \(n) is missing (was it saved from another model?)"
        case let .unexpected(n): return "checkpoint: tensor \(n) does not belong to this model (was it saved from another model?)"
        case let .shapeMismatch(n, e, f): return "checkpoint: \(n) has shape \(f) in the file but the model expects \(e)"
        case let .optimizerMismatch(e, f): return "checkpoint: optimizer state is for \(f), not \(e)"
        }
    }
}

/// Named tensors plus string metadata, in a small binary file:
///
///     "PTLCKPT\0"  UInt32 version (1)
///     UInt32 n · (string key, string value)                       metadata
///     UInt32 n · (string name, UInt32 rank, rank × UInt32, Float32 × count)   tensors
///     UInt64 FNV-1a of every byte before it
///
/// little-endian throughout; strings are UInt32 length + UTF-8. Reading checks the checksum before anything else
/// and bounds-checks every field (counts and sizes against the bytes left, ranks, names and keys that appear twice),
/// so a truncated or damaged file is an error, never a crash or an allocation larger than the file.
public struct Checkpoint: Equatable {
    public struct Entry: Equatable {
        public var name: String
        public var shape: Shape
        public var values: [Float]
    }
    public var metadata: [String: String]
    public var tensors: [Entry]

    static let magic: [UInt8] = Array("PTLCKPT\0".utf8)
    static let version: UInt32 = 1

    public init(metadata: [String: String] = [:], tensors: [Entry] = []) { self.metadata = metadata; self.tensors = tensors }

    /// A model's parameters and, optionally, its optimizer's state.
    public init(parameters: ParameterStore, optimizer: Optimizer? = nil, metadata: [String: String] = [:]) {
        self.metadata = metadata
        tensors = parameters.parameters.map { Entry(name: $0.name, shape: $0.shape, values: parameters.values(of: $0)) }
        if let optimizer {
            self.metadata["optimizer"] = optimizer.kind
            self.metadata["optimizer.steps"] = String(optimizer.stepCount)
            for s in optimizer.state() { tensors.append(Entry(name: "optimizer.\(s.name)", shape: Shape(s.values.count), values: s.values)) }
        }
    }

    /// Loads parameters (and optimizer state) into a model of the same architecture. Nothing is changed unless
    /// everything matches.
    public func restore(into parameters: ParameterStore, optimizer: Optimizer? = nil) throws {
        var byName: [String: Entry] = [:]
        for t in tensors { byName[t.name] = t }
        for p in parameters.parameters {
            guard let t = byName[p.name] else { throw CheckpointError.missing(p.name) }
            guard t.shape == p.shape else { throw CheckpointError.shapeMismatch(name: p.name, expected: "\(p.shape)", found: "\(t.shape)") }
        }
        let known = Set(parameters.parameters.map(\.name))
        if let extra = tensors.first(where: { !known.contains($0.name) && !$0.name.hasPrefix("optimizer.") }) {
            throw CheckpointError.unexpected(extra.name)
        }
        var optimizerState: [String: [Float]] = [:]
        var steps = 0
        if let optimizer {
            let found = metadata["optimizer"] ?? "none"
            guard found == optimizer.kind else { throw CheckpointError.optimizerMismatch(expected: optimizer.kind, found: found) }
            guard let s = metadata["optimizer.steps"].flatMap(Int.init) else { throw CheckpointError.missing("optimizer.steps") }
            steps = s
            for t in tensors where t.name.hasPrefix("optimizer.") {
                guard t.values.isEmpty || t.values.count == parameters.count else {
                    throw CheckpointError.shapeMismatch(name: t.name, expected: "[\(parameters.count)]", found: "\(t.shape)")
                }
                optimizerState[String(t.name.dropFirst("optimizer.".count))] = t.values
            }
        }
        for p in parameters.parameters {
            byName[p.name]!.values.withUnsafeBufferPointer { (parameters.values + p.offset).update(from: $0.baseAddress!, count: p.count) }
        }
        try optimizer?.restore(state: optimizerState, stepCount: steps)
    }

    // MARK: Encoding

    public func encoded() -> [UInt8] {
        var out = Checkpoint.magic
        func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { out += $0 } }
        func str(_ s: String) { let b = Array(s.utf8); u32(UInt32(b.count)); out += b }
        u32(Checkpoint.version)
        let keys = metadata.keys.sorted()
        u32(UInt32(keys.count))
        for k in keys { str(k); str(metadata[k]!) }
        u32(UInt32(tensors.count))
        for t in tensors {
            str(t.name)
            u32(UInt32(t.shape.rank))
            for d in t.shape.dims { u32(UInt32(d)) }
            for v in t.values { u32(v.bitPattern) }
        }
        let h = fnv1a(out)
        withUnsafeBytes(of: h.littleEndian) { out += $0 }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws -> Checkpoint {
        guard bytes.count >= magic.count + 4 + 8 else {
            if bytes.starts(with: magic) || bytes.isEmpty { throw CheckpointError.corrupt("only \(bytes.count) bytes") }
            throw CheckpointError.notACheckpoint
        }
        guard bytes.starts(with: magic) else { throw CheckpointError.notACheckpoint }
        let body = bytes[0..<(bytes.count - 8)]
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        guard fnv1a(body) == stored else { throw CheckpointError.corrupt("checksum mismatch: truncated or modified") }
        var r = Reader(bytes: Array(body), at: magic.count)
        let version = try r.u32()
        guard version == Checkpoint.version else { throw CheckpointError.unsupportedVersion(version) }
        var metadata: [String: String] = [:]
        for _ in 0..<(try r.count(minBytesEach: 8)) {
            let k = try r.string()
            guard metadata[k] == nil else { throw CheckpointError.corrupt("metadata key \(k) appears twice") }
            metadata[k] = try r.string()
        }
        var names = Set<String>()
        var tensors: [Entry] = []
        for _ in 0..<(try r.count(minBytesEach: 8)) {
            let name = try r.string()
            guard names.insert(name).inserted else { throw CheckpointError.corrupt("tensor \(name) appears twice") }
            let rank = Int(try r.u32())
            guard rank <= Shape.maxRank else { throw CheckpointError.corrupt("tensor \(name) has rank \(rank)") }
            var dims: [Int] = []
            var n = 1
            for _ in 0..<rank {
                let d = Int(try r.u32())
                n = n.multipliedReportingOverflow(by: d).partialValue
                guard n <= r.remaining / 4 else { throw CheckpointError.corrupt("tensor \(name) is larger than the file") }
                dims.append(d)
            }
            tensors.append(Entry(name: name, shape: Shape(dims), values: try r.floats(n)))
        }
        guard r.remaining == 0 else { throw CheckpointError.corrupt("\(r.remaining) trailing bytes") }
        return Checkpoint(metadata: metadata, tensors: tensors)
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try Data(encoded()).write(to: tmp)
            // POSIX rename replaces an existing file atomically (Foundation's replaceItemAt fails on Linux when the
            // destination exists).
            guard rename(tmp.path, url.path) == 0 else { throw CheckpointError.io(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw CheckpointError.io("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    public static func read(from url: URL) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CheckpointError.io("cannot read \(url.path): \(error.localizedDescription)") }
        return try decode(Array(data))
    }
}

private func fnv1a<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
}

/// A bounds-checked little-endian cursor.
private struct Reader {
    let bytes: [UInt8]
    var at: Int
    var remaining: Int { bytes.count - at }

    mutating func u32() throws -> UInt32 {
        guard remaining >= 4 else { throw CheckpointError.corrupt("truncated at byte \(at)") }
        defer { at += 4 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    /// A count of items, each at least `minBytesEach` long, that must fit in the rest of the file.
    mutating func count(minBytesEach: Int) throws -> Int {
        let n = Int(try u32())
        guard n <= remaining / minBytesEach else { throw CheckpointError.corrupt("count \(n) at byte \(at - 4) exceeds the file") }
        return n
    }

    mutating func string() throws -> String {
        let n = Int(try u32())
        guard n <= remaining else { throw CheckpointError.corrupt("string of \(n) bytes at byte \(at - 4) exceeds the file") }
        defer { at += n }
        guard let s = String(validating: bytes[at..<(at + n)], as: UTF8.self) else { throw CheckpointError.corrupt("invalid UTF-8 at byte \(at)") }
        return s
    }

    mutating func floats(_ n: Int) throws -> [Float] {
        guard n <= remaining / 4 else { throw CheckpointError.corrupt("truncated tensor at byte \(at)") }
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n { out[i] = Float(bitPattern: try u32()) }
        return out
    }
}
