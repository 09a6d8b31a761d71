import Foundation

/// A user-input error: printed as one line, exit status 2.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}

/// `--set key=value` on a Codable configuration: the value is parsed as the field's declared type, patched into the
/// config's JSON, and decoded back, so every override is type-checked by the config's own Codable conformance.
public enum ConfigOverrides {
    /// Top-level keys and their Swift type names, in declaration order.
    public static func keys<C>(of config: C) -> [(key: String, type: String)] {
        Mirror(reflecting: config).children.compactMap { child in
            child.label.map { ($0, typeName(of: child.value)) }
        }
    }

    static func typeName(_ t: Any.Type) -> String {
        String(describing: t).replacingOccurrences(of: "Swift.", with: "")
    }

    static func typeName(of value: Any) -> String { typeName(type(of: value)) }

    public static func json<C: Encodable>(_ config: C) throws -> Any {
        let data = try JSONEncoder().encode(config)
        return try JSONSerialization.jsonObject(with: data)
    }

    /// Pretty, key-sorted JSON of a config (deterministic bytes).
    public static func prettyJSON<C: Encodable>(_ config: C) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(config), as: UTF8.self)
    }

    public static func apply<C: Codable>(_ overrides: [(String, String)], to config: C) throws -> C {
        guard !overrides.isEmpty else { return config }
        let keys = self.keys(of: config)
        let valid = keys.map { "\($0.key) (\($0.type))" }.joined(separator: ", ")
        guard var object = try json(config) as? [String: Any] else { throw UsageError("this experiment's configuration cannot be overridden") }
        for (key, raw) in overrides {
            guard let type = nestedType(of: config, path: key.split(separator: ".").map(String.init)) else {
                throw UsageError("unknown config key '\(key)'; valid keys: \(valid) (a nested field is reached with dots, e.g. a.b)")
            }
            guard let value = parse(raw, as: type) else {
                throw UsageError("bad value '\(raw)' for \(key): expected \(type)")
            }
            guard let patched = set(value, at: key.split(separator: ".").map(String.init), in: object) else {
                throw UsageError("config key '\(key)' cannot be overridden")
            }
            object = patched
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(C.self, from: data)
        } catch {
            let list = overrides.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            throw UsageError("bad value in --set \(list); valid keys: \(valid)")
        }
    }

    /// The Swift type name of the field at a dotted path (`sequence.steps`), or nil when there is none.
    static func nestedType(of value: Any, path: [String]) -> String? {
        guard let first = path.first, let child = Mirror(reflecting: value).children.first(where: { $0.label == first }) else { return nil }
        return path.count == 1 ? typeName(of: child.value) : nestedType(of: child.value, path: Array(path.dropFirst()))
    }

    /// `object` with the JSON value at `path` replaced (nil when a level on the way is not a JSON object).
    static func set(_ value: Any, at path: [String], in object: [String: Any]) -> [String: Any]? {
        var object = object
        guard let first = path.first else { return nil }
        if path.count == 1 { object[first] = value; return object }
        guard let inner = object[first] as? [String: Any], let patched = set(value, at: Array(path.dropFirst()), in: inner) else { return nil }
        object[first] = patched
        return object
    }

    /// Parses a command-line value as a JSON value of the declared type; nil when it is not one.
    static func parse(_ raw: String, as type: String) -> Any? {
        let s = raw.trimmingCharacters(in: .whitespaces)
        switch type {
        case "Int": return Int(s)
        case "Double", "Float": return Double(s).flatMap { $0.isFinite ? $0 : nil }
        case "Bool":
            switch s.lowercased() { case "true", "1", "yes": return true; case "false", "0", "no": return false; default: return nil }
        case "String": return s
        case "Array<Int>", "[Int]":
            let parts = list(s).map { Int($0) }
            return parts.contains(where: { $0 == nil }) ? nil : parts.map { $0! }
        case "Array<Double>", "[Double]", "Array<Float>", "[Float]":
            let parts = list(s).map { Double($0) }
            return parts.contains(where: { $0 == nil || !$0!.isFinite }) ? nil : parts.map { $0! }
        default:
            // an enum with a String raw value, or anything else JSON can express
            if let data = s.data(using: .utf8), let v = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) { return v }
            return s
        }
    }

    private static func list(_ s: String) -> [String] {
        let inner = s.hasPrefix("[") && s.hasSuffix("]") ? String(s.dropFirst().dropLast()) : s
        return inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
