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

    /// Every scalar or list field reachable by `--set`, nested ones included (`base.heads`, `methods.0.advantage`):
    /// records are entered field by field, a list through its first item, an enum case through its parameters. The
    /// paths and Swift type names of the leaves (a list itself is a leaf too, so it can be replaced whole).
    public static func leafKeys<C>(of config: C) -> [(key: String, type: String)] {
        var out: [(key: String, type: String)] = []
        func visit(_ value: Any, _ path: String, depth: Int) {
            let mirror = Mirror(reflecting: value)
            let type = typeName(of: value)
            switch mirror.displayStyle {
            case .collection?:
                if !path.isEmpty { out.append((path, type)) }
                if let first = mirror.children.first, depth < 6 { visit(first.value, path + ".0", depth: depth + 1) }
            case .struct?, .class?:
                for child in mirror.children { if let l = child.label { visit(child.value, path.isEmpty ? l : path + "." + l, depth: depth + 1) } }
            case .enum?:
                if !path.isEmpty { out.append((path, type)) }
                if let payload = mirror.children.first, let l = payload.label, depth < 6 {
                    let inner = Mirror(reflecting: payload.value)
                    if inner.displayStyle == .tuple {
                        for child in inner.children { if let cl = child.label { visit(child.value, path + "." + l + "." + cl, depth: depth + 1) } }
                    } else {
                        visit(payload.value, path + "." + l, depth: depth + 1)
                    }
                }
            case .optional?:
                if let some = mirror.children.first { visit(some.value, path, depth: depth + 1) } else if !path.isEmpty { out.append((path, type)) }
            default:
                if !path.isEmpty { out.append((path, type)) }
            }
        }
        visit(config, "", depth: 0)
        return out
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
            let path = key.split(separator: ".").map(String.init)
            guard let type = nestedType(of: config, path: path) else {
                throw UsageError("unknown config key '\(key)'; valid keys: \(valid) (a nested field is reached with dots, e.g. a.b, and a list's item with its index, e.g. methods.0)")
            }
            guard var value = parse(raw, as: type) else {
                throw UsageError("bad value '\(raw)' for \(key): expected \(type)")
            }
            // an enum field also takes its case by name: `grpo`, `wReinforce(lambda=0.1)`
            if value is String, let current = get(at: path, in: object) as? [String: Any], current.count == 1,
               current.first!.value is [String: Any], let parsed = MethodJSON.parseCase(raw) {
                value = parsed
            }
            // so does a list of enum values, item by item: `["forward","reverse(beta=1)"]`
            if let items = value as? [Any], let current = get(at: path, in: object) as? [Any],
               let first = current.first as? [String: Any], first.count == 1, first.first!.value is [String: Any] {
                value = items.map { item in (item as? String).flatMap(MethodJSON.parseCase) ?? item }
            }
            guard let patched = set(value, at: path, in: object) as? [String: Any] else {
                throw UsageError("config key '\(key)' cannot be overridden")
            }
            object = patched
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(C.self, from: data)
        } catch {
            let list = overrides.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            var reason = ""
            if case let DecodingError.dataCorrupted(c) = error { reason = c.debugDescription }
            if case let DecodingError.keyNotFound(k, c) = error { reason = "missing '\(k.stringValue)' at \(c.codingPath.map(\.stringValue).joined(separator: "."))" }
            if case let DecodingError.typeMismatch(_, c) = error { reason = "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))" }
            throw UsageError("bad value in --set \(list)\(reason.isEmpty ? "" : " (\(reason))"); valid keys: \(valid)")
        }
    }

    /// The Swift type name of the field at a dotted path (`sequence.steps`, `methods.0.objective`), or nil when there
    /// is none. A number reaches into a list.
    static func nestedType(of value: Any, path: [String]) -> String? {
        guard let first = path.first else { return nil }
        let children = Mirror(reflecting: value).children
        let child: Any?
        if Mirror(reflecting: value).displayStyle == .collection, let i = Int(first) {
            child = i >= 0 && i < children.count ? children[children.index(children.startIndex, offsetBy: i)].value : nil
        } else {
            child = children.first(where: { $0.label == first })?.value
        }
        guard let child else { return nil }
        return path.count == 1 ? typeName(of: child) : nestedType(of: child, path: Array(path.dropFirst()))
    }

    /// The JSON value at `path`, or nil.
    static func get(at path: [String], in value: Any) -> Any? {
        guard let first = path.first else { return value }
        if let object = value as? [String: Any] { return object[first].flatMap { get(at: Array(path.dropFirst()), in: $0) } }
        if let list = value as? [Any], let i = Int(first), i >= 0, i < list.count { return get(at: Array(path.dropFirst()), in: list[i]) }
        return nil
    }

    /// `container` with the JSON value at `path` replaced (nil when a level on the way is neither an object nor a list).
    static func set(_ value: Any, at path: [String], in container: Any) -> Any? {
        guard let first = path.first else { return value }
        let rest = Array(path.dropFirst())
        if var object = container as? [String: Any] {
            if rest.isEmpty { object[first] = value; return object }
            guard let inner = object[first], let patched = set(value, at: rest, in: inner) else { return nil }
            object[first] = patched
            return object
        }
        if var list = container as? [Any], let i = Int(first), i >= 0, i < list.count {
            guard let patched = set(value, at: rest, in: list[i]) else { return nil }
            list[i] = patched
            return list
        }
        return nil
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
