import Foundation
import Harness

extension MethodCatalogue {
    /// `named(_:)` among the entries of the same kind as `value` (`kind` names a value's variant, e.g. its enum case),
    /// or among all entries when none has that kind. `named(_:)` counts a different case as one difference, as it
    /// counts one changed parameter, so without this a PPO with one epoch would tie with the first entry of another
    /// kind and be named after it.
    public func named(_ value: M, kind: (M) -> String) -> NamedMethod<M> {
        let same = entries.filter { kind($0.value) == kind(value) }
        return (same.isEmpty ? self : MethodCatalogue(same)).named(value)
    }

    /// `resolve(_:)` with the names of `named(_:kind:)`.
    public func resolve(_ values: [M], kind: (M) -> String) -> (methods: [NamedMethod<M>], problem: String?) {
        let named = values.map { self.named($0, kind: kind) }
        var seen = Set<String>()
        for m in named where !seen.insert(m.name).inserted {
            return (named, "methods lists '\(m.name)' twice; every method must be a different value")
        }
        return (named, nil)
    }
}
