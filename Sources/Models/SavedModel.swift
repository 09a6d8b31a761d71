import Foundation
import Engine

/// A trained base model saved with what made it: a format version, the configuration (key-sorted JSON) and its
/// FNV-1a hash, the measurements taken when it was made, and the training time, as checkpoint metadata under
/// `<prefix>.format`, `<prefix>.hash`, `<prefix>.config`, `<prefix>.<metricsKey>`, `<prefix>.seconds`.
/// Experiments commit such a file so a fresh clone reuses the base; a file whose hash differs from the requested
/// configuration's is never used (the experiment trains a new base instead).
public struct SavedModelFormat: Sendable {
    /// Metadata key prefix, e.g. "countdown.base".
    public var prefix: String
    public var version: String
    /// Metadata key (after the prefix) of the measurements, e.g. "gate".
    public var metricsKey: String

    public init(prefix: String, version: String, metricsKey: String) {
        self.prefix = prefix; self.version = version; self.metricsKey = metricsKey
    }

    /// FNV-1a (64-bit) of the value's key-sorted JSON, in hex.
    public static func hash<T: Encodable>(_ value: T) -> String { CanonicalJSON.hash(value) }

    /// The value's JSON with sorted keys (stable across runs, so it can be hashed and compared).
    public static func canonicalJSON<T: Encodable>(_ value: T) -> String { CanonicalJSON.string(value) }

    /// A saved model.
    public struct Saved<Config, Metrics> {
        public var model: Transformer
        public var config: Config
        /// nil when the file was saved before its measurements were taken.
        public var metrics: Metrics?
        public var trainingSeconds: Double

        public init(model: Transformer, config: Config, metrics: Metrics?, trainingSeconds: Double) {
            self.model = model; self.config = config; self.metrics = metrics; self.trainingSeconds = trainingSeconds
        }
    }

    /// Writes `model` and its metadata to `url` (atomically).
    public func write<Config: Encodable, Metrics: Encodable>(_ model: Transformer, config: Config, metrics: Metrics,
                                                             trainingSeconds: Double, to url: URL) throws {
        try Checkpoint(parameters: model.parameters, metadata: [
            "\(prefix).format": version,
            "\(prefix).hash": Self.hash(config),
            "\(prefix).config": Self.canonicalJSON(config),
            "\(prefix).\(metricsKey)": Self.canonicalJSON(metrics),
            "\(prefix).seconds": String(format: "%.0f", trainingSeconds),
        ]).write(to: url)
    }

    /// Reads a model from `url`, building it with `transformer(config)`. With `expecting`, returns nil when the file
    /// is missing, has another format version, or was made from another configuration; throws only on a damaged file.
    public func read<Config: Codable, Metrics: Decodable>(_ url: URL, expecting: Config? = nil, metrics: Metrics.Type,
                                                         transformer: (Config) -> TransformerConfig) throws -> Saved<Config, Metrics>? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let checkpoint = try Checkpoint.read(from: url)
        if let expecting {
            guard checkpoint.metadata["\(prefix).format"] == version,
                  checkpoint.metadata["\(prefix).hash"] == Self.hash(expecting) else { return nil }
        }
        guard let json = checkpoint.metadata["\(prefix).config"] else { throw CheckpointError.missing("\(prefix).config") }
        let config = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
        let measured = try checkpoint.metadata["\(prefix).\(metricsKey)"].map { try JSONDecoder().decode(Metrics.self, from: Data($0.utf8)) }
        var rng = RandomStream(seed: 0)
        let model = Transformer(transformer(config), rng: &rng)
        try checkpoint.restore(into: model.parameters)
        return Saved(model: model, config: config, metrics: measured,
                     trainingSeconds: Double(checkpoint.metadata["\(prefix).seconds"] ?? "") ?? .nan)
    }
}
