import Foundation
import Harness

extension MethodCatalogue {
    /// The methods of a run, named. A catalogue value takes its entry's name; any other value is named after the entry
    /// it differs least from, as `named(_:)` does, but weighing the differences: per top-level field, a parameter
    /// changed inside the same enum case counts one, a changed case or value two; ties go to the entry at the method's
    /// own position in the list (the default it replaces), then to the first. So `--set methods.7.advantage=drGRPO`
    /// names minimalist-rl's GRPO swap `grpo[advantage=drGRPO]`, not after REINFORCE, which also differs from it in its
    /// advantage only.
    public func resolveByPosition(_ values: [M]) -> (methods: [NamedMethod<M>], problem: String?) {
        let named = values.enumerated().map { i, v in namedByPosition(v, position: i) }
        var seen = Set<String>()
        for m in named where !seen.insert(m.name).inserted {
            return (named, "methods lists '\(m.name)' twice; every method must be a different value")
        }
        return (named, nil)
    }

    /// The name of `value` at index `position` of a method list (see `resolveByPosition`).
    public func namedByPosition(_ value: M, position: Int) -> NamedMethod<M> {
        if entries.contains(where: { $0.value == value }) { return named(value) }
        let object = MethodJSON.object(value) as? [String: Any] ?? [:]
        func weight(_ entry: M) -> Int {
            let other = MethodJSON.object(entry) as? [String: Any] ?? [:]
            return Set(object.keys).union(other.keys).reduce(0) { total, key in
                let a = object[key] ?? NSNull(), b = other[key] ?? NSNull()
                if MethodJSON.render(a) == MethodJSON.render(b) { return total }
                if let ca = a as? [String: Any], let cb = b as? [String: Any], ca.count == 1, cb.count == 1, ca.first!.key == cb.first!.key,
                   ca.first!.value is [String: Any] {
                    return total + 1
                }
                return total + 2
            }
        }
        let weights = entries.map { weight($0.value) }
        guard let least = weights.min() else { return named(value) }
        let nearest = entries.indices.filter { weights[$0] == least }
        let chosen = nearest.contains(position) ? position : nearest[0]
        return MethodCatalogue([entries[chosen]]).named(value)
    }
}
