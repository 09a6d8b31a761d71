import Foundation
import Engine
import Models
import Environments

/// The saved Stage-1 base: its parameters, plus in the checkpoint's metadata a format version, the configuration
/// (JSON), a hash of that configuration, the gate metrics measured when it was made, and the training time. A base
/// whose hash differs from the requested configuration's is never used: the experiment trains a new one.
public enum CompositionBaseFile {
    public static let formatVersion = "1"
    /// Where the experiment keeps its base: beside this source file (committed, so a fresh clone reuses it).
    public static var defaultURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("base.ckpt")
    }

    /// FNV-1a (64-bit) of the configuration's key-sorted JSON, in hex.
    public static func hash(_ config: CompositionBaseConfig) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in canonicalJSON(config).utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }

    static func canonicalJSON<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// A saved base.
    public struct Saved {
        public var model: Transformer
        public var config: CompositionBaseConfig
        /// nil for a probe's file saved before the gate was measured.
        public var gate: CompositionBase.Gate?
        public var trainingSeconds: Double
    }

    /// Writes `model` and its metadata to `url` (atomically).
    public static func write(_ model: Transformer, config: CompositionBaseConfig, gate: CompositionBase.Gate, trainingSeconds: Double,
                             to url: URL) throws {
        try Checkpoint(parameters: model.parameters, metadata: [
            "composition.base.format": formatVersion,
            "composition.base.hash": hash(config),
            "composition.base.config": canonicalJSON(config),
            "composition.base.gate": canonicalJSON(gate),
            "composition.base.seconds": String(format: "%.0f", trainingSeconds),
        ]).write(to: url)
    }

    /// Reads a base from `url`. With `expecting`, returns nil when the file is missing or was made from another
    /// configuration (its hash differs) or another format; throws only on a damaged file.
    public static func read(_ url: URL, expecting: CompositionBaseConfig? = nil) throws -> Saved? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let checkpoint = try Checkpoint.read(from: url)
        if let expecting {
            guard checkpoint.metadata["composition.base.format"] == formatVersion,
                  checkpoint.metadata["composition.base.hash"] == hash(expecting) else { return nil }
        }
        guard let json = checkpoint.metadata["composition.base.config"] else { throw CheckpointError.missing("composition.base.config") }
        let config = try JSONDecoder().decode(CompositionBaseConfig.self, from: Data(json.utf8))
        let gate = try checkpoint.metadata["composition.base.gate"].map { try JSONDecoder().decode(CompositionBase.Gate.self, from: Data($0.utf8)) }
        var rng = RandomStream(seed: 0)
        let model = Transformer(config.transformer, rng: &rng)
        try checkpoint.restore(into: model.parameters)
        return Saved(model: model, config: config, gate: gate,
                     trainingSeconds: Double(checkpoint.metadata["composition.base.seconds"] ?? "") ?? .nan)
    }
}
