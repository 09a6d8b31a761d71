import Foundation
import Engine

/// The gold reward, a fixed function of a response's features:
///
///     r*(φ) = w · φ + Σ_m a_m · tanh(v_m · φ + b_m)
///
/// a linear part plus a bounded non-linearity (|Σ_m a_m tanh(…)| ≤ Σ_m |a_m|). Generated bandits put the
/// length-overshoot penalty −(P/2)·tanh(s·(φ₀ − τ)) first among the terms, so very long responses lose reward that a
/// length-biased annotator (or a linear proxy reward model trained on its labels) does not see.
public struct PreferenceBanditGoldReward: Codable, Equatable, Sendable {
    /// One bounded term a · tanh(v · φ + b).
    public struct Term: Codable, Equatable, Sendable {
        /// a
        public var weight: Double
        /// v (one entry per feature)
        public var direction: [Double]
        /// b
        public var offset: Double

        public init(weight: Double, direction: [Double], offset: Double) {
            self.weight = weight; self.direction = direction; self.offset = offset
        }
    }

    /// w (one entry per feature).
    public var linearWeights: [Double]
    /// The tanh terms.
    public var terms: [Term]

    public init(linearWeights: [Double], terms: [Term] = []) {
        self.linearWeights = linearWeights; self.terms = terms
    }

    /// Number of features this reward reads.
    public var featureCount: Int { linearWeights.count }

    /// Σ_m |a_m|: the non-linear part never moves the reward by more than this.
    public var nonlinearBound: Double { terms.reduce(0) { $0 + Swift.abs($1.weight) } }

    /// r*(φ). Returns NaN when `features` does not have `featureCount` entries (or a term's direction does not).
    public func reward(_ features: [Double]) -> Double {
        guard features.count == linearWeights.count else { return .nan }
        var r = 0.0
        for i in 0..<features.count { r += linearWeights[i] * features[i] }
        for t in terms {
            guard t.direction.count == features.count else { return .nan }
            var z = t.offset
            for i in 0..<features.count { z += t.direction[i] * features[i] }
            r += t.weight * Foundation.tanh(z)
        }
        return r
    }

    /// A random gold reward for `config` (see the config's gold fields), drawn from `rng`.
    static func generate(_ config: PreferenceBanditConfig, rng: inout RandomStream) -> PreferenceBanditGoldReward {
        let d = config.featureCount
        var w = [Double](repeating: 0, count: d)
        var norm = 0.0
        for i in 1..<d { w[i] = rng.gaussian(); norm += w[i] * w[i] }
        norm = norm.squareRoot()
        for i in 1..<d { w[i] = norm > 0 ? w[i] * config.goldLinearNorm / norm : 0 }
        w[0] = config.goldLengthWeight
        var terms: [Term] = []
        if config.goldLengthPenalty != 0 {
            var v = [Double](repeating: 0, count: d)
            v[0] = config.goldLengthSharpness
            terms.append(Term(weight: -config.goldLengthPenalty / 2, direction: v,
                              offset: -config.goldLengthSharpness * config.goldLengthThreshold))
        }
        let directionStd = 1 / Double(d).squareRoot()
        for _ in 0..<config.goldNonlinearTerms {
            let a = rng.gaussian() * config.goldNonlinearScale
            let v = (0..<d).map { _ in rng.gaussian() * directionStd }
            let b = rng.gaussian() * 0.5
            terms.append(Term(weight: a, direction: v, offset: b))
        }
        return PreferenceBanditGoldReward(linearWeights: w, terms: terms)
    }
}
