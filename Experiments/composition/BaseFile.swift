import Foundation
import Engine
import Models
import Environments
import Training

/// The saved Stage-1 base: its parameters, plus in the checkpoint's metadata a format version, the configuration
/// (JSON), a hash of that configuration, the gate metrics measured when it was made, and the training time
/// (`SavedModelFormat`). A base whose hash differs from the requested configuration's is never used: the experiment
/// trains a new one.
public enum CompositionBaseFile {
    static let format = SavedModelFormat(prefix: "composition.base", version: "1", metricsKey: "gate")
    public static var formatVersion: String { format.version }
    /// Where the experiment keeps its base: beside this source file (committed, so a fresh clone reuses it).
    public static var defaultURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("base.ckpt")
    }

    /// FNV-1a (64-bit) of the configuration's key-sorted JSON, in hex.
    public static func hash(_ config: CompositionBaseConfig) -> String { SavedModelFormat.hash(config) }

    static func canonicalJSON<T: Encodable>(_ value: T) -> String { SavedModelFormat.canonicalJSON(value) }

    /// A saved base (`metrics` is the gate; nil for a probe's file saved before the gate was measured).
    public typealias Saved = SavedModelFormat.Saved<CompositionBaseConfig, CompositionBase.Gate>

    /// Writes `model` and its metadata to `url` (atomically).
    public static func write(_ model: Transformer, config: CompositionBaseConfig, gate: CompositionBase.Gate, trainingSeconds: Double,
                             to url: URL) throws {
        try format.write(model, config: config, metrics: gate, trainingSeconds: trainingSeconds, to: url)
    }

    /// Reads a base from `url`. With `expecting`, returns nil when the file is missing or was made from another
    /// configuration (its hash differs) or another format; throws only on a damaged file.
    public static func read(_ url: URL, expecting: CompositionBaseConfig? = nil) throws -> Saved? {
        try format.read(url, expecting: expecting, metrics: CompositionBase.Gate.self) { $0.transformer }
    }
}
