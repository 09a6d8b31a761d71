import Foundation

/// A variant an experiment compares, as a value: a training recipe, a learner, a tournament topology. Its JSON form is
/// what `--set methods=…` reads and what config.json records.
public typealias MethodValue = Codable & Equatable & Sendable

/// One method of a run: the value and the name derived from it.
public struct NamedMethod<M: MethodValue>: Sendable {
    /// File-friendly name, used in CSVs and by claims (e.g. `grpo`, or `grpo[advantage=drGRPO]` for a changed value).
    public var name: String
    /// Display name for figures and reports (the catalogue's label, or `name` for a value the catalogue lacks).
    public var label: String
    public var value: M
}

/// The methods an experiment knows by name. A method's name is a function of its value: a value in the catalogue
/// takes its entry's name; any other value takes the name of the nearest entry (see `named`) followed by
/// the fields that differ, e.g. `grpo[advantage=drGRPO]`. So a changed value can never keep an old name.
public struct MethodCatalogue<M: MethodValue>: Sendable {
    public struct Entry: Sendable {
        public var name: String, label: String, value: M
        public init(_ name: String, label: String? = nil, _ value: M) { self.name = name; self.label = label ?? name; self.value = value }
    }
    public var entries: [Entry]
    public init(_ entries: [Entry]) { self.entries = entries }

    /// Every entry's value, in catalogue order (an experiment's default method list is usually this).
    public var values: [M] { entries.map(\.value) }

    /// The name of `value`. A catalogue value takes its entry's name and label. Any other value is named after the entry
    /// it differs least from, among the entries of its kind when `kind` is given (`kind` names a value's variant, e.g.
    /// its enum case; all entries when none has that kind). Differences are weighed per top-level field: a parameter
    /// changed inside the same enum case counts one, a changed case or value two. A tie goes to the entry at `position`
    /// (the default the value replaces in a method list), then to the first. So GRPO with Dr.GRPO's advantage is
    /// `grpo[advantage=drGRPO]` even where REINFORCE, too, differs from it in the advantage only.
    public func named(_ value: M, position: Int? = nil, kind: ((M) -> String)? = nil) -> NamedMethod<M> {
        if let e = entries.first(where: { $0.value == value }) { return NamedMethod(name: e.name, label: e.label, value: value) }
        let json = MethodJSON.object(value)
        var candidates = Array(entries.indices)
        if let kind {
            let same = candidates.filter { kind(entries[$0].value) == kind(value) }
            if !same.isEmpty { candidates = same }
        }
        let object = json as? [String: Any] ?? [:]
        func weight(_ entry: M) -> Int {
            let other = MethodJSON.object(entry) as? [String: Any] ?? [:]
            return Set(object.keys).union(other.keys).reduce(0) { total, key in
                let a = object[key] ?? NSNull(), b = other[key] ?? NSNull()
                if MethodJSON.equal(a, b) { return total }
                if let ca = a as? [String: Any], let cb = b as? [String: Any], ca.count == 1, cb.count == 1,
                   ca.first!.key == cb.first!.key, ca.first!.value is [String: Any] {
                    return total + 1
                }
                return total + 2
            }
        }
        let weights = candidates.map { weight(entries[$0].value) }
        guard let least = weights.min() else { return NamedMethod(name: MethodJSON.render(json), label: MethodJSON.render(json), value: value) }
        let nearest = zip(candidates, weights).filter { $0.1 == least }.map(\.0)
        let chosen = entries[position.flatMap { p in nearest.contains(p) ? p : nil } ?? nearest[0]]
        let diffs = MethodJSON.differences(from: MethodJSON.object(chosen.value), to: json, path: "")
        let name = "\(chosen.name)[\(diffs.joined(separator: ";"))]"
        return NamedMethod(name: name, label: name, value: value)
    }

    /// The methods of a run, named (`named(_:position:kind:)`, each at its position in the list); nil and a reason
    /// when two of them have the same name (the same value twice).
    public func resolve(_ values: [M], kind: ((M) -> String)? = nil) -> (methods: [NamedMethod<M>], problem: String?) {
        let named = values.enumerated().map { self.named($0.element, position: $0.offset, kind: kind) }
        var seen = Set<String>()
        for m in named where !seen.insert(m.name).inserted {
            return (named, "methods lists '\(m.name)' twice; every method must be a different value")
        }
        return (named, nil)
    }
}

extension Array {
    /// The method called `name`, if this run has it.
    public func method<M>(_ name: String) -> NamedMethod<M>? where Element == NamedMethod<M> { first { $0.name == name } }
}

/// The JSON view of method values: field differences and a compact rendering (`ppoClip(dualClip=3,high=0.28,low=0.2)`).
public enum MethodJSON {
    public static func object<T: Encodable>(_ value: T) -> Any {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return "?" }
        return object
    }

    /// `path=value` for every field of `b` that differs from `a`; records with the same fields are compared field by field.
    static func differences(from a: Any, to b: Any, path: String) -> [String] {
        if equal(a, b) { return [] }
        if let da = a as? [String: Any], let db = b as? [String: Any], isEnumCase(da), isEnumCase(db), da.first!.key == db.first!.key {
            // the same case with other parameters: name the parameters that differ (`objective.high=0.28`)
            return differences(from: da.first!.value, to: db.first!.value, path: path)
        }
        if let da = a as? [String: Any], let db = b as? [String: Any], !(isEnumCase(da) && isEnumCase(db)) {
            let keys = Set(da.keys).union(db.keys).sorted()
            return keys.flatMap { k in differences(from: da[k] ?? NSNull(), to: db[k] ?? NSNull(), path: path.isEmpty ? k : "\(path).\(k)") }
        }
        return ["\(path.isEmpty ? "value" : path)=\(render(b))"]
    }

    /// Swift's Codable form of an enum case: one key, whose value holds the case's parameters.
    private static func isEnumCase(_ d: [String: Any]) -> Bool { d.count == 1 && d.first!.value is [String: Any] }

    static func equal(_ a: Any, _ b: Any) -> Bool { render(a) == render(b) }

    /// A compact, deterministic text of a JSON value: an enum case without parameters is its name, one with parameters
    /// `name(k=v,…)`, a record `(k=v,…)`, a list `[a,b]`.
    public static func render(_ v: Any) -> String {
        switch v {
        case let d as [String: Any]:
            if d.count == 1, let (k, inner) = d.first, let fields = inner as? [String: Any] {
                return fields.isEmpty ? k : k + "(" + fields.keys.sorted().map { "\($0)=\(render(fields[$0]!))" }.joined(separator: ",") + ")"
            }
            return "(" + d.keys.sorted().map { "\($0)=\(render(d[$0]!))" }.joined(separator: ",") + ")"
        case let a as [Any]: return "[" + a.map(render).joined(separator: ",") + "]"
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            let d = n.doubleValue
            return d == d.rounded() && Swift.abs(d) < 1e15 ? String(Int(d)) : String(d)
        case let s as String: return s
        case is NSNull: return "nil"
        default: return "\(v)"
        }
    }

    /// Parses the shorthand of `render` for one enum value: `name` or `name(k=v,…)` with scalar v; nil when `s` is not one.
    public static func parseCase(_ s: String) -> Any? {
        let s = s.trimmingCharacters(in: .whitespaces)
        guard let first = s.first, first.isLetter else { return nil }
        guard let open = s.firstIndex(of: "(") else {
            return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? [s: [String: Any]()] : nil
        }
        guard s.hasSuffix(")") else { return nil }
        let name = String(s[..<open])
        let body = s[s.index(after: open)..<s.index(before: s.endIndex)]
        var fields: [String: Any] = [:]
        for part in body.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty else { return nil }
            if kv[1] == "nil" || kv[1] == "null" { fields[kv[0]] = NSNull(); continue }
            if let data = kv[1].data(using: .utf8), let v = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
                fields[kv[0]] = v
            } else if let c = parseCase(kv[1]) { fields[kv[0]] = c } else { fields[kv[0]] = kv[1] }
        }
        return [name: fields]
    }
}
