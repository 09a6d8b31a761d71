import Foundation
import Engine

/// One labelled preference pair: in context `context`, `chosen` was preferred to `rejected`.
public struct PreferenceBanditPair: Codable, Hashable, Sendable {
    public var context: Int
    public var chosen: Int
    public var rejected: Int
    /// The pool annotator who labelled it (annotatorPool mode), else −1.
    public var annotator: Int
    /// Whether the label was flipped after it was drawn (label noise).
    public var flipped: Bool

    public init(context: Int, chosen: Int, rejected: Int, annotator: Int = -1, flipped: Bool = false) {
        self.context = context; self.chosen = chosen; self.rejected = rejected
        self.annotator = annotator; self.flipped = flipped
    }
}

extension PreferenceBandit {
    // MARK: Sampling pairs

    /// Offline pairs: in each context of `contexts` (repeats allowed), `pairsPerContext` pairs of two distinct
    /// responses drawn from π_ref restricted to the support (renormalised), labelled per `labels`.
    ///
    /// Pair sampling: y₁ ~ q, then y₂ ~ q conditioned on y₂ ≠ y₁ (without replacement); when q puts no mass outside
    /// y₁, y₂ is uniform over the other allowed responses. Labels: y₁ wins with probability P(y₁ ≻ y₂) of the mode,
    /// then the label is flipped with probability `labels.flipRate` (not in deterministic mode).
    /// Throws on an out-of-range context, a negative count or invalid label settings.
    public func offlinePairs(contexts: [Int], pairsPerContext: Int, labels: PreferenceBanditLabelConfig = .clean,
                             rng: inout RandomStream) throws -> [PreferenceBanditPair] {
        try samplePairs(contexts: contexts, pairsPerContext: pairsPerContext, labels: labels, restrictToSupport: true,
                        rng: &rng) { referenceProbabilities[$0] }
    }

    /// On-policy pairs: as `offlinePairs`, but responses drawn from `policy(x)` (probabilities over the K responses;
    /// renormalised when they do not sum to 1; negative, NaN or infinite entries, a wrong length or zero total mass
    /// throw `.invalidPolicy`). With `restrictToSupport` the policy is first restricted to the support (uniform over
    /// the support if it puts no mass there).
    public func onPolicyPairs(policy: (Int) -> [Double], contexts: [Int], pairsPerContext: Int,
                              labels: PreferenceBanditLabelConfig = .clean, restrictToSupport: Bool = false,
                              rng: inout RandomStream) throws -> [PreferenceBanditPair] {
        try samplePairs(contexts: contexts, pairsPerContext: pairsPerContext, labels: labels,
                        restrictToSupport: restrictToSupport, rng: &rng, distribution: policy)
    }

    /// On-policy pairs from a table `policy[x]` of probabilities (one row per context, `contextCount` rows).
    public func onPolicyPairs(policy: [[Double]], contexts: [Int], pairsPerContext: Int,
                              labels: PreferenceBanditLabelConfig = .clean, restrictToSupport: Bool = false,
                              rng: inout RandomStream) throws -> [PreferenceBanditPair] {
        guard policy.count == contextCount else {
            throw PreferenceBanditError.invalidArgument("policy table has \(policy.count) rows, need \(contextCount)")
        }
        return try onPolicyPairs(policy: { policy[$0] }, contexts: contexts, pairsPerContext: pairsPerContext,
                                 labels: labels, restrictToSupport: restrictToSupport, rng: &rng)
    }

    private func samplePairs(contexts: [Int], pairsPerContext: Int, labels: PreferenceBanditLabelConfig,
                             restrictToSupport: Bool, rng: inout RandomStream,
                             distribution: (Int) throws -> [Double]) throws -> [PreferenceBanditPair] {
        if let p = labels.problem() { throw PreferenceBanditError.invalidArgument(p) }
        guard pairsPerContext >= 0, pairsPerContext <= 100_000_000 / Swift.max(1, contexts.count) else {
            throw PreferenceBanditError.invalidArgument("pairsPerContext must be ≥ 0 and give at most 10^8 pairs")
        }
        for x in contexts where !isValid(context: x) { throw PreferenceBanditError.contextOutOfRange(x) }
        var pairs: [PreferenceBanditPair] = []
        pairs.reserveCapacity(contexts.count * pairsPerContext)
        for x in contexts where pairsPerContext > 0 {
            var q = try normalizedPolicy(distribution(x), context: x)
            let allowed = restrictToSupport ? support[x] : Array(0..<responseCount)
            if restrictToSupport {
                var mass = 0.0
                for y in 0..<responseCount { if isInSupport[x][y] { mass += q[y] } else { q[y] = 0 } }
                if mass > 0 { for y in allowed { q[y] /= mass } } else { for y in allowed { q[y] = 1 / Double(allowed.count) } }
            }
            for _ in 0..<pairsPerContext {
                let first = PreferenceBandit.sampleIndex(q, rng: &rng)
                let second = PreferenceBandit.sampleOther(q, excluding: first, allowed: allowed, rng: &rng)
                pairs.append(label(context: x, first: first, second: second, labels: labels, rng: &rng))
            }
        }
        return pairs
    }

    /// y ~ q conditioned on y ≠ `excluding`; uniform over `allowed` minus it when q has no other mass.
    static func sampleOther(_ q: [Double], excluding: Int, allowed: [Int], rng: inout RandomStream) -> Int {
        let rest = 1 - q[excluding]
        if rest > 1e-12 {
            let u = rng.uniformDouble() * rest
            var acc = 0.0, last = -1
            for i in q.indices where i != excluding && q[i] > 0 {
                acc += q[i]; last = i
                if u < acc { return i }
            }
            if last >= 0 { return last }
        }
        let others = allowed.filter { $0 != excluding }
        return others[rng.int(others.count)]
    }

    /// Labels the ordered pair (first, second) — indices already valid.
    func label(context x: Int, first: Int, second: Int, labels: PreferenceBanditLabelConfig,
               rng: inout RandomStream) -> PreferenceBanditPair {
        let r = goldRewards[x]
        var firstWins: Bool
        var annotator = -1
        switch labels.mode {
        case .deterministic:
            firstWins = r[first] > r[second] || (r[first] == r[second] && first < second)
            return PreferenceBanditPair(context: x, chosen: firstWins ? first : second, rejected: firstWins ? second : first)
        case .bradleyTerry:
            firstWins = rng.bernoulli(PreferenceBandit.sigmoid(labels.scale * (r[first] - r[second])))
        case .annotatorPool:
            annotator = rng.int(annotators.count)
            let s = annotatorScores[annotator][x]
            firstWins = rng.bernoulli(annotators[annotator].preferenceProbability(s[first] - s[second]))
        }
        let flipped = labels.flipRate > 0 && rng.bernoulli(labels.flipRate)
        if flipped { firstWins.toggle() }
        return PreferenceBanditPair(context: x, chosen: firstWins ? first : second, rejected: firstWins ? second : first,
                                    annotator: annotator, flipped: flipped)
    }

    /// The exact probability that a labelled pair (first, second) comes out with `first` chosen under `labels`
    /// (flips included; the annotator-pool mode averages over the pool, each annotator equally likely).
    public func labelProbability(context x: Int, first: Int, second: Int,
                                 labels: PreferenceBanditLabelConfig) throws -> Double {
        if let p = labels.problem() { throw PreferenceBanditError.invalidArgument(p) }
        guard isValid(context: x) else { throw PreferenceBanditError.contextOutOfRange(x) }
        for y in [first, second] where !isValid(context: x, response: y) {
            throw PreferenceBanditError.responseOutOfRange(context: x, response: y)
        }
        let r = goldRewards[x]
        let p: Double
        switch labels.mode {
        case .deterministic:
            return r[first] > r[second] || (r[first] == r[second] && first < second) ? 1 : 0
        case .bradleyTerry:
            p = PreferenceBandit.sigmoid(labels.scale * (r[first] - r[second]))
        case .annotatorPool:
            p = annotators.indices.reduce(0) { acc, a in
                acc + annotators[a].preferenceProbability(annotatorScores[a][x][first] - annotatorScores[a][x][second])
            } / Double(annotators.count)
        }
        return (1 - labels.flipRate) * p + labels.flipRate * (1 - p)
    }

    // MARK: Evaluation

    /// P(first ≻ second) for an evaluator: the evaluation annotator (pool majority, no flips), or the gold reward.
    /// P(y ≻ y) = ½, and P(a ≻ b) + P(b ≻ a) = 1. Throws on out-of-range indices.
    public func preferenceProbability(context x: Int, first: Int, second: Int,
                                      evaluator: PreferenceBanditEvaluator = .annotatorMajority) throws -> Double {
        guard isValid(context: x) else { throw PreferenceBanditError.contextOutOfRange(x) }
        for y in [first, second] where !isValid(context: x, response: y) {
            throw PreferenceBanditError.responseOutOfRange(context: x, response: y)
        }
        return evaluatorPreference(x, first, second, evaluator)
    }

    @inline(__always)
    func evaluatorPreference(_ x: Int, _ i: Int, _ j: Int, _ evaluator: PreferenceBanditEvaluator) -> Double {
        switch evaluator {
        case .annotatorMajority: return majorityPreference[x][i * responseCount + j]
        case .gold:
            let d = goldRewards[x][i] - goldRewards[x][j]
            return d > 0 ? 1 : (d < 0 ? 0 : 0.5)
        case .goldBradleyTerry: return PreferenceBandit.sigmoid(goldRewards[x][i] - goldRewards[x][j])
        }
    }

    /// The exact win-rate of policy A against policy B, averaged over `contexts` (repeats count twice):
    ///
    ///     W = mean_x Σ_a Σ_b π_A(a|x) π_B(b|x) P_eval(a ≻ b)
    ///
    /// so W(A, A) = ½ and W(A, B) + W(B, A) = 1. Policies give probabilities over the K responses per context
    /// (renormalised if they do not sum to 1; see `normalizedPolicy` for what throws).
    public func winRate(policyA: (Int) -> [Double], policyB: (Int) -> [Double], contexts: [Int],
                        evaluator: PreferenceBanditEvaluator = .annotatorMajority) throws -> Double {
        try checkContexts(contexts)
        let k = responseCount
        var total = 0.0
        for x in contexts {
            let a = try normalizedPolicy(policyA(x), context: x), b = try normalizedPolicy(policyB(x), context: x)
            var w = 0.0
            for i in 0..<k where a[i] > 0 {
                var row = 0.0
                for j in 0..<k where b[j] > 0 { row += b[j] * evaluatorPreference(x, i, j, evaluator) }
                w += a[i] * row
            }
            total += w
        }
        return total / Double(contexts.count)
    }

    /// `winRate` with policy tables (`contextCount` rows each).
    public func winRate(_ policyA: [[Double]], against policyB: [[Double]], contexts: [Int],
                        evaluator: PreferenceBanditEvaluator = .annotatorMajority) throws -> Double {
        try checkTable(policyA); try checkTable(policyB)
        return try winRate(policyA: { policyA[$0] }, policyB: { policyB[$0] }, contexts: contexts, evaluator: evaluator)
    }

    /// The sampled win-rate: per context, `samplesPerContext` draws a ~ π_A, b ~ π_B and one evaluator verdict
    /// (Bernoulli of P_eval(a ≻ b)); the fraction won by A. An unbiased estimate of `winRate`.
    public func sampledWinRate(_ policyA: [[Double]], against policyB: [[Double]], contexts: [Int], samplesPerContext: Int,
                               evaluator: PreferenceBanditEvaluator = .annotatorMajority,
                               rng: inout RandomStream) throws -> Double {
        try checkTable(policyA); try checkTable(policyB)
        try checkContexts(contexts)
        guard samplesPerContext > 0, samplesPerContext <= 1_000_000_000 / contexts.count else {
            throw PreferenceBanditError.invalidArgument("samplesPerContext must be positive and give at most 10^9 draws")
        }
        var wins = 0
        for x in contexts {
            let a = try normalizedPolicy(policyA[x], context: x), b = try normalizedPolicy(policyB[x], context: x)
            for _ in 0..<samplesPerContext {
                let i = PreferenceBandit.sampleIndex(a, rng: &rng), j = PreferenceBandit.sampleIndex(b, rng: &rng)
                if rng.bernoulli(evaluatorPreference(x, i, j, evaluator)) { wins += 1 }
            }
        }
        return Double(wins) / Double(contexts.count * samplesPerContext)
    }

    func checkTable(_ table: [[Double]]) throws {
        guard table.count == contextCount else {
            throw PreferenceBanditError.invalidArgument("policy table has \(table.count) rows, need \(contextCount)")
        }
    }

    /// A policy row as a distribution over the K responses: it must have K finite, non-negative entries with a
    /// positive sum; it is divided by its sum. Anything else throws `.invalidPolicy` (never traps).
    public func normalizedPolicy(_ p: [Double], context: Int) throws -> [Double] {
        guard p.count == responseCount else {
            throw PreferenceBanditError.invalidPolicy(context: context, reason: "\(p.count) probabilities for \(responseCount) responses")
        }
        var sum = 0.0
        for v in p {
            guard v.isFinite, v >= 0 else {
                throw PreferenceBanditError.invalidPolicy(context: context, reason: "entry \(v) is negative or not finite")
            }
            sum += v
        }
        guard sum > 0, sum.isFinite else { throw PreferenceBanditError.invalidPolicy(context: context, reason: "total mass \(sum)") }
        return sum == 1 ? p : p.map { $0 / sum }
    }
}
