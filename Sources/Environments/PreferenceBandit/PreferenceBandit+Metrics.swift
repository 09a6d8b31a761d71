import Foundation

// Exact policy-level quantities: expected gold reward, KL to π_ref, mass outside the data's support, Best-of-n.
// Policies are tables of probabilities over the K responses (`contextCount` rows), validated by `normalizedPolicy`.

extension PreferenceBandit {
    /// mean_x Σ_y π(y|x) r*(x, y) over `contexts`.
    public func expectedGoldReward(_ policy: [[Double]], contexts: [Int]) throws -> Double {
        try policyMean(policy, contexts) { x, p in zip(p, goldRewards[x]).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// mean_x Σ_y π(y|x) r̂(x, y) for any reward table `rewards[x][y]` (a proxy reward model's, an annotator's…).
    /// Throws when the table's shape does not match.
    public func expectedReward(_ policy: [[Double]], rewards: [[Double]], contexts: [Int]) throws -> Double {
        guard rewards.count == contextCount, rewards.allSatisfy({ $0.count == responseCount }) else {
            throw PreferenceBanditError.invalidArgument("reward table must be [contexts][responses]")
        }
        return try policyMean(policy, contexts) { x, p in zip(p, rewards[x]).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// mean_x KL(π(·|x) ‖ π_ref(·|x)) = mean_x Σ_y π log(π / π_ref) (terms with π = 0 count 0).
    public func klFromReference(_ policy: [[Double]], contexts: [Int]) throws -> Double {
        try policyMean(policy, contexts) { x, p in
            var kl = 0.0
            for y in p.indices where p[y] > 0 { kl += p[y] * (Foundation.log(p[y]) - referenceLogProbabilities[x][y]) }
            return kl
        }
    }

    /// mean_x Σ_{y ∉ support(x)} π(y|x): the mass on responses that can never appear in preference pairs.
    public func massOutsideSupport(_ policy: [[Double]], contexts: [Int]) throws -> Double {
        try policyMean(policy, contexts) { x, p in
            var m = 0.0
            for y in p.indices where !isInSupport[x][y] { m += p[y] }
            return m
        }
    }

    /// mean_x Σ_{y ∈ S(x)} π(y|x) for any response sets `responses[x]` (e.g. the responses seen in a pair set, from
    /// `responsesInPairs`). Indices outside 0..<K are ignored; a wrong number of rows throws.
    public func mass(_ policy: [[Double]], on responses: [[Int]], contexts: [Int]) throws -> Double {
        guard responses.count == contextCount else { throw PreferenceBanditError.invalidArgument("need one response set per context") }
        return try policyMean(policy, contexts) { x, p in
            // summed in ascending order: a Set's iteration order changes between runs, and so would the rounding
            Set(responses[x]).sorted().reduce(0) { $0 + ($1 >= 0 && $1 < responseCount ? p[$1] : 0) }
        }
    }

    /// The responses that occur in `pairs` (as chosen or rejected), per context (ascending). Pairs with
    /// out-of-range indices are skipped.
    public func responsesInPairs(_ pairs: [PreferenceBanditPair]) -> [[Int]] {
        var seen = [Set<Int>](repeating: [], count: contextCount)
        for p in pairs where isValid(context: p.context, response: p.chosen) && isValid(context: p.context, response: p.rejected) {
            seen[p.context].insert(p.chosen); seen[p.context].insert(p.rejected)
        }
        return seen.map { $0.sorted() }
    }

    private func policyMean(_ policy: [[Double]], _ contexts: [Int], _ f: (Int, [Double]) -> Double) throws -> Double {
        try checkTable(policy)
        try checkContexts(contexts)
        var total = 0.0
        for x in contexts { total += f(x, try normalizedPolicy(policy[x], context: x)) }
        return total / Double(contexts.count)
    }

    /// The exact distribution of Best-of-n: draw n responses i.i.d. from `base`, keep the one with the highest
    /// `score` (ties: the lower index wins). With responses sorted by score, the kept one is y with probability
    /// F(≤ y)ⁿ − F(< y)ⁿ, F the base's cumulative mass in that order. n = 1 returns `base` (normalised).
    /// Throws on mismatched lengths, an invalid distribution, non-finite scores or n < 1.
    public static func bestOfNProbabilities(base: [Double], scores: [Double], n: Int) throws -> [Double] {
        guard base.count == scores.count, !base.isEmpty else {
            throw PreferenceBanditError.invalidArgument("base and scores must have the same positive length")
        }
        guard n >= 1 else { throw PreferenceBanditError.invalidArgument("n must be ≥ 1") }
        guard scores.allSatisfy(\.isFinite) else { throw PreferenceBanditError.invalidArgument("scores must be finite") }
        var sum = 0.0
        for v in base {
            guard v.isFinite, v >= 0 else { throw PreferenceBanditError.invalidArgument("base entry \(v) is negative or not finite") }
            sum += v
        }
        guard sum > 0 else { throw PreferenceBanditError.invalidArgument("base has no mass") }
        // ascending in quality: lower score first; among equal scores the higher index is "worse"
        let order = base.indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 > $1 }
        var out = [Double](repeating: 0, count: base.count)
        var below = 0.0
        for (rank, y) in order.enumerated() {
            let upTo = rank == order.count - 1 ? 1 : Swift.min(1, below + base[y] / sum)   // exactly 1 at the top
            out[y] = Swift.max(0, Foundation.pow(upTo, Double(n)) - Foundation.pow(below, Double(n)))
            below = upTo
        }
        return out
    }

    /// Best-of-n from π_ref under a reward table (e.g. a proxy reward model's `rewards`), for every context.
    public func bestOfNPolicy(scores: [[Double]], n: Int) throws -> [[Double]] {
        guard scores.count == contextCount else { throw PreferenceBanditError.invalidArgument("scores must have one row per context") }
        return try (0..<contextCount).map {
            try PreferenceBandit.bestOfNProbabilities(base: referenceProbabilities[$0], scores: scores[$0], n: n)
        }
    }
}
