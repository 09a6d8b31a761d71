import Foundation
import Engine

/// PreferenceBandit: a contextual bandit for preference learning, used by the dpo-family,
/// lpf-methods and arena-tournaments findings.
///
/// Each of `contextCount` contexts x has `responseCount` (K) candidate responses y with feature vectors φ(x, y)
/// (feature 0 = normalised length, the rest Gaussian with a per-context shift). The gold reward r*(x, y) =
/// `gold.reward(φ)` is linear plus a bounded non-linearity, so the optimum per context is known exactly
/// (`bestResponse`, `optimalValue`). The reference / SFT policy π_ref is a softmax whose logits are deliberately
/// misaligned with the gold reward (their main part has within-context correlation `referenceAlignment` with r*, the
/// gold-best responses' mass is capped below uniform) and avoid long responses. Each response is also a token string
/// (`tokens`) for sequence policies. A pool of biased, noisy annotators labels pairs (AlpacaFarm); their majority is
/// the evaluation annotator.
///
/// The default instance is built so that a linear proxy reward model trained on the pool's labels (25% flips) is
/// over-optimised by Best-of-n: annotators like length, gold punishes the longest responses (−(P/2)·tanh(s(φ₀ − τ))),
/// and π_ref rarely writes them, so the proxy rises with n while gold peaks and falls (tested).
///
/// Arrays are indexed [context][response] (and [feature]); they are plain values for fast reading in training loops
/// (unchecked: callers index them with valid indices). Functions that take indices or policies from outside validate
/// them and throw `PreferenceBanditError` (or return nil) instead of trapping.
public struct PreferenceBandit: Sendable {
    public let config: PreferenceBanditConfig
    public var contextCount: Int { config.contextCount }
    public var responseCount: Int { config.responseCount }
    public var featureCount: Int { config.featureCount }

    /// φ(x, y): [context][response][feature]. Feature 0 is the length feature φ₀ = (L − mid) / half.
    public let features: [[[Double]]]
    /// The gold reward function.
    public let gold: PreferenceBanditGoldReward
    /// r*(x, y): [context][response].
    public let goldRewards: [[Double]]
    /// argmax_y r*(x, y) per context (ties: lowest index).
    public let bestResponse: [Int]
    /// max_y r*(x, y) per context: the value of the gold-optimal policy.
    public let optimalValue: [Double]

    /// π_ref's logits ℓ_ref(x, y): [context][response].
    public let referenceLogits: [[Double]]
    /// π_ref(y|x): [context][response] (each row sums to 1).
    public let referenceProbabilities: [[Double]]
    /// log π_ref(y|x): [context][response].
    public let referenceLogProbabilities: [[Double]]

    /// The responses that may appear in preference pairs, per context (ascending). All K when `supportSize` is 0.
    public let support: [[Int]]
    /// `isInSupport[x][y]`: whether response y of context x may appear in preference pairs.
    public let isInSupport: [[Bool]]

    /// Disjoint context splits fixed by seed (each ascending): training, validation (hyperparameter choice), test.
    public let trainContexts: [Int]
    public let validationContexts: [Int]
    public let testContexts: [Int]

    /// The simulated annotator pool.
    public let annotators: [PreferenceBanditAnnotator]
    /// Annotator a's perceived quality s_a(x, y) = r*(x, y) + bias_a · φ(x, y): [annotator][context][response].
    public let annotatorScores: [[[Double]]]

    /// The token vocabulary of the sequence variant.
    public let vocabulary: PreferenceBanditVocabulary
    /// Content tokens of every response (without the end token): [context][response][token]. Distinct within a
    /// context; a response has L tokens where φ₀ = (L − mid) / half.
    public let tokens: [[[Int]]]
    /// L, the number of content tokens of every response: [context][response].
    public let responseLengths: [[Int]]

    /// The evaluation annotator's P(i ≻ j) per context, flat [i * K + j]: the majority vote of the pool with each
    /// annotator perceiving r* + λ·bias_a·φ, λ = `evaluationBiasScale`.
    let majorityPreference: [[Double]]
    /// Content-token string key → response index, per context (for parsing generated sequences).
    let responseByKey: [[UInt64: Int]]

    // MARK: Generation

    /// Generates an instance from `config`. Every part comes from its own named child stream of `rng` (features,
    /// gold, reference, support, splits, annotators, tokens), so the instance depends only on `rng`'s key (not on how
    /// far `rng` has run) and the same seed gives the same instance on every machine.
    /// Throws `.invalidConfig` when `config.problem()` finds one.
    public init(config: PreferenceBanditConfig, rng: RandomStream) throws {
        if let p = config.problem() { throw PreferenceBanditError.invalidConfig(p) }
        let (c, k, d) = (config.contextCount, config.responseCount, config.featureCount)
        let geometry = PreferenceBanditLengthGeometry(config)
        // Features: φ₀ from a uniform length, φ_j = μ_{x,j} + ε.
        var featureRNG = rng.child("features")
        var features: [[[Double]]] = []
        features.reserveCapacity(c)
        for _ in 0..<c {
            let shift = (0..<d).map { $0 == 0 ? 0 : featureRNG.gaussian() * config.contextSpread }
            var rows: [[Double]] = []
            rows.reserveCapacity(k)
            for _ in 0..<k {
                var phi = [Double](repeating: 0, count: d)
                let length = config.minTokens + featureRNG.int(config.maxTokens - config.minTokens + 1)
                phi[0] = geometry.feature(length: length)
                for j in 1..<d { phi[j] = shift[j] + featureRNG.gaussian() }
                rows.append(phi)
            }
            features.append(rows)
        }
        var goldRNG = rng.child("gold")
        let gold = PreferenceBanditGoldReward.generate(config, rng: &goldRNG)
        // π_ref: logits correlated `referenceAlignment` with gold within each context, then the top responses capped.
        var referenceRNG = rng.child("reference")
        let nuisanceStd = 1 / Double(d - 1).squareRoot()
        let nuisance = (0..<d).map { $0 == 0 ? 0 : referenceRNG.gaussian() * nuisanceStd }
        var logits: [[Double]] = []
        for x in 0..<c {
            let g = features[x].map { gold.reward($0) }
            let h = features[x].map { phi in zip(nuisance, phi).reduce(0) { $0 + $1.0 * $1.1 } }
            logits.append(PreferenceBandit.misalignedLogits(gold: g, nuisance: h, alignment: config.referenceAlignment,
                                                            scale: config.referenceScale,
                                                            lengthTerm: features[x].map { -config.referenceLengthAversion * $0[0] },
                                                            topCount: config.referenceTopCount,
                                                            topMassCap: config.referenceTopMassCap))
        }
        try self.init(validatedConfig: config, features: features, gold: gold, referenceLogits: logits, rng: rng)
    }

    /// An instance with explicit features, gold reward and reference logits (for hand-built tests and custom
    /// studies). Sizes come from the arrays (overriding `config`'s contextCount / responseCount / featureCount);
    /// the reference logits are used as given (no cap); lengths follow from φ₀ (rounded, clamped to the token
    /// range); support, splits, annotators and tokens are generated from `rng` as in `init(config:rng:)`.
    /// Throws when the arrays are ragged, empty or non-finite, or the resulting config is invalid.
    public init(config: PreferenceBanditConfig, features: [[[Double]]], gold: PreferenceBanditGoldReward,
                referenceLogits: [[Double]], rng: RandomStream) throws {
        var config = config
        guard let first = features.first, let firstRow = first.first else {
            throw PreferenceBanditError.invalidArgument("features must have at least one context and one response")
        }
        config.contextCount = features.count
        config.responseCount = first.count
        config.featureCount = firstRow.count
        config.referenceTopCount = Swift.min(config.referenceTopCount, config.responseCount)   // unused: no cap here
        config.testContextCount = Swift.min(config.testContextCount, Swift.max(0, (features.count - 1) / 3))
        config.validationContextCount = Swift.min(config.validationContextCount, Swift.max(0, (features.count - 1) / 3))
        if let p = config.problem() { throw PreferenceBanditError.invalidConfig(p) }
        for (x, rows) in features.enumerated() {
            guard rows.count == config.responseCount, rows.allSatisfy({ $0.count == config.featureCount && $0.allSatisfy(\.isFinite) }) else {
                throw PreferenceBanditError.invalidArgument("features of context \(x) are ragged or non-finite")
            }
        }
        guard gold.featureCount == config.featureCount, gold.terms.allSatisfy({ $0.direction.count == config.featureCount }) else {
            throw PreferenceBanditError.invalidArgument("gold reward reads \(gold.featureCount) features, instances have \(config.featureCount)")
        }
        guard referenceLogits.count == config.contextCount,
              referenceLogits.allSatisfy({ $0.count == config.responseCount && $0.allSatisfy(\.isFinite) }) else {
            throw PreferenceBanditError.invalidArgument("referenceLogits must be finite, [contexts][responses]")
        }
        try self.init(validatedConfig: config, features: features, gold: gold, referenceLogits: referenceLogits, rng: rng)
    }

    /// The shared second half of both initialisers (inputs already validated).
    private init(validatedConfig config: PreferenceBanditConfig, features: [[[Double]]], gold: PreferenceBanditGoldReward,
                 referenceLogits: [[Double]], rng: RandomStream) throws {
        let (c, k, d) = (config.contextCount, config.responseCount, config.featureCount)
        self.config = config
        self.features = features
        self.gold = gold
        let rewards = features.map { $0.map { gold.reward($0) } }
        guard rewards.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw PreferenceBanditError.invalidArgument("the gold reward is not finite on these features")
        }
        goldRewards = rewards
        bestResponse = rewards.map { PreferenceBandit.argmax($0) }
        optimalValue = rewards.map { $0.max()! }
        self.referenceLogits = referenceLogits
        referenceLogProbabilities = referenceLogits.map(PreferenceBandit.logSoftmax)
        referenceProbabilities = referenceLogProbabilities.map { $0.map { Foundation.exp($0) } }

        // Support.
        var supportRNG = rng.child("support")
        let size = config.supportSize == 0 ? k : config.supportSize
        var support: [[Int]] = []
        for x in 0..<c {
            switch config.supportRule {
            case .random:
                support.append(Array(supportRNG.permutation(k).prefix(size)).sorted())
            case .referenceMostLikely:
                let order = (0..<k).sorted { referenceLogits[x][$0] != referenceLogits[x][$1] ? referenceLogits[x][$0] > referenceLogits[x][$1] : $0 < $1 }
                support.append(Array(order.prefix(size)).sorted())
            }
        }
        self.support = support
        isInSupport = support.map { s in
            var inside = [Bool](repeating: false, count: k)
            for y in s { inside[y] = true }
            return inside
        }

        // Splits.
        var splitRNG = rng.child("splits")
        let order = splitRNG.permutation(c)
        let (t, v) = (config.testContextCount, config.validationContextCount)
        testContexts = Array(order[0..<t]).sorted()
        validationContexts = Array(order[t..<(t + v)]).sorted()
        trainContexts = Array(order[(t + v)...]).sorted()

        // Annotators.
        var annotatorRNG = rng.child("annotators")
        var pool: [PreferenceBanditAnnotator] = []
        for _ in 0..<config.annotatorCount {
            var bias = [Double](repeating: 0, count: d)
            bias[0] = config.annotatorLengthBiasMean + config.annotatorLengthBiasStd * annotatorRNG.gaussian()
            for j in 1..<d { bias[j] = config.annotatorFeatureBiasStd * annotatorRNG.gaussian() }
            let noise = config.annotatorNoiseMin + (config.annotatorNoiseMax - config.annotatorNoiseMin) * annotatorRNG.uniformDouble()
            pool.append(PreferenceBanditAnnotator(biasWeights: bias, noiseScale: noise))
        }
        annotators = pool
        let scores = pool.map { a in (0..<c).map { x in (0..<k).map { y in a.score(goldReward: rewards[x][y], features: features[x][y]) } } }
        annotatorScores = scores

        // The evaluation annotator's preference table: the pool's majority with biases scaled by λ; P(j ≻ i) = 1 − P(i ≻ j).
        let lambda = config.evaluationBiasScale
        var majority: [[Double]] = []
        majority.reserveCapacity(c)
        var votes = [Double](repeating: 0, count: pool.count)
        for x in 0..<c {
            var table = [Double](repeating: 0.5, count: k * k)
            for i in 0..<k {
                for j in (i + 1)..<Swift.max(i + 1, k) {
                    for a in 0..<pool.count {
                        let biasDifference = (scores[a][x][i] - rewards[x][i]) - (scores[a][x][j] - rewards[x][j])
                        votes[a] = pool[a].preferenceProbability(rewards[x][i] - rewards[x][j] + lambda * biasDifference)
                    }
                    let p = PreferenceBandit.majorityProbability(votes)
                    table[i * k + j] = p
                    table[j * k + i] = 1 - p
                }
            }
            majority.append(table)
        }
        majorityPreference = majority

        // Tokens.
        let geometry = PreferenceBanditLengthGeometry(config)
        let vocabulary = PreferenceBanditVocabulary(contentCount: config.contentVocabularySize, contextCount: c)
        self.vocabulary = vocabulary
        let tokenRNG = rng.child("tokens")
        var embeddingRNG = tokenRNG.child("embeddings")
        let scale = 1 / Double(d).squareRoot()
        let embeddings = (0..<config.contentVocabularySize).map { _ in (0..<d).map { _ in embeddingRNG.gaussian() * scale } }
        var allTokens: [[[Int]]] = [], allLengths: [[Int]] = [], keys: [[UInt64: Int]] = []
        for x in 0..<c {
            var used: [UInt64: Int] = [:]
            var rows: [[Int]] = [], lengths: [Int] = []
            for y in 0..<k {
                let length = geometry.length(feature: features[x][y][0])
                let logits = embeddings.map { e in config.tokenFeatureCoupling * zip(e, features[x][y]).reduce(0) { $0 + $1.0 * $1.1 } }
                var stream = tokenRNG.child(x).child(y)
                let content = PreferenceBandit.distinctTokens(length: length, logits: logits, vocabulary: vocabulary,
                                                              used: used, rng: &stream)
                used[vocabulary.key(content)!] = y
                rows.append(content); lengths.append(length)
            }
            allTokens.append(rows); allLengths.append(lengths); keys.append(used)
        }
        tokens = allTokens
        responseLengths = allLengths
        responseByKey = keys
    }

    // MARK: Checked accessors (nil when an index is out of range)

    public func isValid(context: Int) -> Bool { context >= 0 && context < contextCount }
    public func isValid(context: Int, response: Int) -> Bool { isValid(context: context) && response >= 0 && response < responseCount }

    /// r*(x, y), or nil for an out-of-range index.
    public func goldReward(context: Int, response: Int) -> Double? {
        isValid(context: context, response: response) ? goldRewards[context][response] : nil
    }

    /// φ(x, y), or nil for an out-of-range index.
    public func featureVector(context: Int, response: Int) -> [Double]? {
        isValid(context: context, response: response) ? features[context][response] : nil
    }

    /// π_ref(·|x), or nil for an out-of-range context.
    public func referenceDistribution(context: Int) -> [Double]? {
        isValid(context: context) ? referenceProbabilities[context] : nil
    }

    /// Mean over `contexts` of max_y r*(x, y). Throws on an empty list or an out-of-range context.
    public func meanOptimalValue(contexts: [Int]) throws -> Double {
        try checkContexts(contexts)
        return contexts.reduce(0) { $0 + optimalValue[$1] } / Double(contexts.count)
    }

    func checkContexts(_ contexts: [Int]) throws {
        guard !contexts.isEmpty else { throw PreferenceBanditError.invalidArgument("no contexts given") }
        for x in contexts where !isValid(context: x) { throw PreferenceBanditError.contextOutOfRange(x) }
    }

    // MARK: Construction helpers

    /// Index of the largest value (ties: lowest index); 0 for an empty array.
    static func argmax(_ v: [Double]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }

    /// log softmax, stable (max subtracted).
    static func logSoftmax(_ logits: [Double]) -> [Double] {
        guard let m = logits.max() else { return [] }
        let lse = m + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) })
        return logits.map { $0 - lse }
    }

    /// Standardised to mean 0 and (population) std 1; all zeros when the std is below 1e-12.
    static func standardized(_ v: [Double]) -> [Double] {
        let n = Double(v.count)
        let mean = v.reduce(0, +) / n
        let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        return std < 1e-12 ? v.map { _ in 0 } : v.map { ($0 - mean) / std }
    }

    /// π_ref's logits for one context: ℓ = scale · (α·ĝ + √(1 − α²)·ĥ⊥) + lengthTerm, where ĝ is the standardised
    /// gold reward and ĥ⊥ the standardised part of a nuisance score orthogonal to ĝ, so the first part has
    /// correlation α with r* exactly (when ĥ⊥ exists). Then the `topCount` gold-best responses are shifted down together, if needed, so that their total mass is at
    /// most min(1, topMassCap · topCount / K).
    static func misalignedLogits(gold: [Double], nuisance: [Double], alignment: Double, scale: Double,
                                 lengthTerm: [Double], topCount: Int, topMassCap: Double) -> [Double] {
        let k = gold.count
        let g = standardized(gold), h = standardized(nuisance)
        let rho = zip(g, h).reduce(0) { $0 + $1.0 * $1.1 } / Double(k)
        let orthogonal = standardized(zip(h, g).map { $0 - rho * $1 })
        let beta = (Swift.max(0, 1 - alignment * alignment)).squareRoot()
        var logits = (0..<k).map { scale * (alignment * g[$0] + beta * orthogonal[$0]) + lengthTerm[$0] }
        guard topCount > 0 && topCount < k else { return logits }
        let target = topMassCap / Double(k)
        let top = (0..<k).sorted { gold[$0] != gold[$1] ? gold[$0] > gold[$1] : $0 < $1 }.prefix(topCount)
        var isTop = [Bool](repeating: false, count: k)
        for y in top { isTop[y] = true }
        let m = logits.max()!
        var inside = 0.0, outside = 0.0, largest = 0.0
        for y in 0..<k {
            let e = Foundation.exp(logits[y] - m)
            if isTop[y] { inside += e; largest = Swift.max(largest, e) } else { outside += e }
        }
        // shift the top logits by log f so that the largest of them has f·largest / (f·inside + outside) = target
        if largest / (inside + outside) > target && largest > target * inside {
            let shift = Foundation.log(target * outside / (largest - target * inside))
            for y in 0..<k where isTop[y] { logits[y] += shift }
        }
        return logits
    }

    /// P(the majority of independent votes says yes) + ½ P(exact tie), votes ~ Bernoulli(p_a) (Poisson-binomial DP).
    static func majorityProbability(_ p: [Double]) -> Double {
        let n = p.count
        var dist = [Double](repeating: 0, count: n + 1)
        dist[0] = 1
        for a in 0..<n {
            let q = p[a]
            var j = a + 1
            while j >= 1 { dist[j] = dist[j] * (1 - q) + dist[j - 1] * q; j -= 1 }
            dist[0] *= (1 - q)
        }
        var win = 0.0
        for j in 0...n {
            if 2 * j > n { win += dist[j] } else if 2 * j == n { win += 0.5 * dist[j] }
        }
        return Swift.min(1, Swift.max(0, win))
    }

    /// Content tokens of one response: `length` draws from softmax(logits) over the content tokens, redrawn until the
    /// string is not in `used` (at most 256 attempts, then the first unused string in lexicographic order).
    static func distinctTokens(length: Int, logits: [Double], vocabulary: PreferenceBanditVocabulary,
                               used: [UInt64: Int], rng: inout RandomStream) -> [Int] {
        let weights = softmax(logits)
        for _ in 0..<256 {
            let s = (0..<length).map { _ in vocabulary.contentBase + sampleIndex(weights, rng: &rng) }
            if used[vocabulary.key(s)!] == nil { return s }
        }
        var digits = [Int](repeating: 0, count: length)
        while true {   // terminates: contentCount^length ≥ K > used.count (checked by the config)
            let s = digits.map { vocabulary.contentBase + $0 }
            if used[vocabulary.key(s)!] == nil { return s }
            var i = length - 1
            while i >= 0 { digits[i] += 1; if digits[i] < vocabulary.contentCount { break }; digits[i] = 0; i -= 1 }
            if i < 0 { return s }   // every string used (impossible for a valid config); never loops forever
        }
    }

    static func softmax(_ logits: [Double]) -> [Double] { logSoftmax(logits).map { Foundation.exp($0) } }

    /// An index drawn from a distribution that sums to 1 (inverse CDF; the last positive index when rounding leaves
    /// the draw past the end).
    static func sampleIndex(_ p: [Double], rng: inout RandomStream) -> Int {
        let u = rng.uniformDouble()
        var acc = 0.0, last = 0
        for i in p.indices where p[i] > 0 {
            acc += p[i]; last = i
            if u < acc { return i }
        }
        return last
    }
}

/// The map between a response's token count L and its length feature φ₀ = (L − mid) / half, mid = (min + max)/2,
/// half = max(1, (max − min)/2).
struct PreferenceBanditLengthGeometry {
    let minTokens: Int, maxTokens: Int
    let mid: Double, half: Double

    init(_ config: PreferenceBanditConfig) {
        minTokens = config.minTokens; maxTokens = config.maxTokens
        mid = Double(minTokens + maxTokens) / 2
        half = Swift.max(1, Double(maxTokens - minTokens) / 2)
    }

    func feature(length: Int) -> Double { (Double(length) - mid) / half }

    /// The token count whose feature is nearest φ₀, clamped to [min, max].
    func length(feature: Double) -> Int {
        let l = (mid + feature * half).rounded()
        guard l.isFinite else { return minTokens }
        return Swift.min(maxTokens, Swift.max(minTokens, Int(Swift.min(Swift.max(l, -1e6), 1e6))))
    }
}

/// One simulated annotator: it perceives s_a(y) = r*(y) + bias · φ(y) and prefers y₁ to y₂ with probability
/// σ((s_a(y₁) − s_a(y₂)) / noiseScale) (deterministic when noiseScale is 0: 1, ½ on a tie, or 0).
public struct PreferenceBanditAnnotator: Codable, Equatable, Sendable {
    /// Bias weights on the features (index 0: length).
    public var biasWeights: [Double]
    /// Logistic temperature of its preferences (≥ 0).
    public var noiseScale: Double

    public init(biasWeights: [Double], noiseScale: Double) { self.biasWeights = biasWeights; self.noiseScale = noiseScale }

    /// s_a = r* + bias · φ (features beyond `biasWeights` are ignored).
    public func score(goldReward: Double, features: [Double]) -> Double {
        var s = goldReward
        for i in 0..<Swift.min(features.count, biasWeights.count) { s += biasWeights[i] * features[i] }
        return s
    }

    /// σ(Δs / noiseScale); a step function at noiseScale 0; ½ for a NaN difference.
    public func preferenceProbability(_ scoreDifference: Double) -> Double {
        if scoreDifference.isNaN { return 0.5 }
        if noiseScale <= 0 { return scoreDifference > 0 ? 1 : (scoreDifference < 0 ? 0 : 0.5) }
        return PreferenceBandit.sigmoid(scoreDifference / noiseScale)
    }
}

extension PreferenceBandit {
    /// σ(z), stable for large |z|; ½ for NaN.
    public static func sigmoid(_ z: Double) -> Double {
        if z.isNaN { return 0.5 }
        if z >= 0 { return 1 / (1 + Foundation.exp(-z)) }
        let e = Foundation.exp(z)
        return e / (1 + e)
    }
}
