import Testing
import Foundation
@testable import Environments
import Engine
import Models
@testable import Training
import Objectives

// PreferenceBandit: hand-checked values on a tiny hand-built instance, generator properties (optimum, misaligned
// π_ref, splits, tokens), label statistics on fixed seeds, the evaluation annotator against a brute-force
// reference, the proxy reward model, judges, determinism, and fuzz tests of every function taking outside input.

// MARK: Helpers

/// A tiny hand-built instance: 3 contexts × 3 responses × 2 features, gold r* = φ₀ + 2φ₁ + tanh(φ₁).
private func preferenceBanditTiny(seed: UInt64 = 1) throws -> PreferenceBandit {
    let features: [[[Double]]] = [
        [[0, 0], [1, 0], [0, 1]],
        [[-1, 0.5], [0.5, -1], [0, 0]],
        [[1, 1], [-1, -1], [0.5, 0.5]],
    ]
    let gold = PreferenceBanditGoldReward(linearWeights: [1, 2],
                                          terms: [.init(weight: 1, direction: [0, 1], offset: 0)])
    let logits: [[Double]] = [[0, Foundation.log(2), 0], [0, 0, 0], [1, 2, 3]]
    return try PreferenceBandit(config: .small, features: features, gold: gold, referenceLogits: logits,
                                rng: RandomStream(seed: seed))
}

private func preferenceBanditSmall(seed: UInt64 = 7, _ edit: (inout PreferenceBanditConfig) -> Void = { _ in }) throws -> PreferenceBandit {
    var c = PreferenceBanditConfig.small
    edit(&c)
    return try PreferenceBandit(config: c, rng: RandomStream(seed: seed))
}

/// Kendall's τ-a between two score lists (pairs tied in either list count as neither concordant nor discordant).
private func preferenceBanditKendallTau(_ a: [Double], _ b: [Double]) -> Double {
    var concordant = 0.0, discordant = 0.0, total = 0.0
    for i in 0..<a.count {
        for j in (i + 1)..<a.count {
            total += 1
            let s = (a[i] - a[j]) * (b[i] - b[j])
            if s > 0 { concordant += 1 } else if s < 0 { discordant += 1 }
        }
    }
    return (concordant - discordant) / total
}

private func preferenceBanditOneHot(_ k: Int, _ i: Int) -> [Double] { (0..<k).map { $0 == i ? 1 : 0 } }

private func preferenceBanditClose(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { Swift.abs(a - b) <= tol }

@Suite struct PreferenceBanditTests {

    // MARK: Hand-checked values

    @Test func goldRewardsOfTheTinyInstanceAreHandChecked() throws {
        let b = try preferenceBanditTiny()
        // r* = φ₀ + 2φ₁ + tanh(φ₁); tanh(1) = 0.761594155955765, tanh(0.5) = 0.46211715726000974
        let expected: [[Double]] = [
            [0, 1, 2.761594155955765],
            [0.46211715726000974, -2.261594155955765, 0],
            [3.761594155955765, -3.761594155955765, 1.9621171572600098],
        ]
        for x in 0..<3 { for y in 0..<3 { #expect(preferenceBanditClose(b.goldRewards[x][y], expected[x][y], 1e-12)) } }
        #expect(b.bestResponse == [2, 0, 0])
        #expect(preferenceBanditClose(b.optimalValue[0], 2.761594155955765, 1e-12))
        #expect(preferenceBanditClose(b.optimalValue[2], 3.761594155955765, 1e-12))
        #expect(preferenceBanditClose(try b.meanOptimalValue(contexts: [0, 2]), (2.761594155955765 + 3.761594155955765) / 2, 1e-12))
        #expect(preferenceBanditClose(b.gold.nonlinearBound, 1))
        // π_ref = softmax([0, log 2, 0]) = [¼, ½, ¼]
        #expect(preferenceBanditClose(b.referenceProbabilities[0][0], 0.25, 1e-12) && preferenceBanditClose(b.referenceProbabilities[0][1], 0.5, 1e-12))
        #expect(preferenceBanditClose(b.referenceLogProbabilities[0][2], -1.3862943611198906, 1e-12))
        #expect(preferenceBanditClose(b.referenceProbabilities[1][2], 1.0 / 3, 1e-12))
    }

    @Test func goldRewardFunctionHandChecked() {
        let gold = PreferenceBanditGoldReward(linearWeights: [0.5, -1, 2],
                                              terms: [.init(weight: -2, direction: [1, 0, 0], offset: -1)])
        // 0.5·2 − 1·1 + 2·0 − 2·tanh(2 − 1) = 0 − 2·0.761594155955765
        #expect(preferenceBanditClose(gold.reward([2, 1, 0]), -1.52318831191153, 1e-12))
        #expect(gold.reward([1, 2]).isNaN)            // wrong length: NaN, not a trap
        #expect(gold.reward([]).isNaN)
    }

    @Test func labelProbabilitiesHandChecked() throws {
        let b = try preferenceBanditTiny()
        // context 0: r(2) − r(0) = 2.761594…; σ(2.761594…) = 0.9405648141721128
        #expect(preferenceBanditClose(try b.labelProbability(context: 0, first: 2, second: 0, labels: .clean), 0.9405648141721128, 1e-12))
        let flipped = PreferenceBanditLabelConfig(mode: .bradleyTerry, scale: 1, flipRate: 0.25)
        // 0.75 p + 0.25 (1 − p)
        #expect(preferenceBanditClose(try b.labelProbability(context: 0, first: 2, second: 0, labels: flipped), 0.7202824070860563, 1e-12))
        #expect(try b.labelProbability(context: 0, first: 2, second: 0, labels: .deterministic) == 1)
        #expect(try b.labelProbability(context: 0, first: 0, second: 2, labels: .deterministic) == 0)
    }

    @Test func winRateHandChecked() throws {
        let b = try preferenceBanditTiny()
        let uniform = [[Double]](repeating: [1.0 / 3, 1.0 / 3, 1.0 / 3], count: 3)
        let best = b.bestResponse.map { preferenceBanditOneHot(3, $0) }
        // the best response beats the two others and ties itself: (1 + 1 + ½) / 3 per context
        #expect(preferenceBanditClose(try b.winRate(best, against: uniform, contexts: [0, 1, 2], evaluator: .gold), 2.5 / 3, 1e-12))
        #expect(preferenceBanditClose(try b.winRate(uniform, against: uniform, contexts: [0, 1, 2], evaluator: .annotatorMajority), 0.5, 1e-12))
        let ab = try b.winRate(best, against: b.referenceProbabilities, contexts: [0, 1, 2])
        let ba = try b.winRate(b.referenceProbabilities, against: best, contexts: [0, 1, 2])
        #expect(preferenceBanditClose(ab + ba, 1, 1e-12))
        // gold Bradley–Terry, context 0, best (2) vs π_ref [¼, ½, ¼]: ¼σ(2.7616) + ½σ(1.7616) + ¼·½
        let sig = { (z: Double) in 1 / (1 + Foundation.exp(-z)) }
        let expected = 0.25 * sig(2.761594155955765) + 0.5 * sig(1.761594155955765) + 0.125
        #expect(preferenceBanditClose(try b.winRate(best, against: b.referenceProbabilities, contexts: [0], evaluator: .goldBradleyTerry), expected, 1e-12))
    }

    @Test func majorityProbabilityHandChecked() {
        #expect(preferenceBanditClose(PreferenceBandit.majorityProbability([0.9, 0.9, 0.9]), 0.972, 1e-12))   // 3·0.81·0.1 + 0.729
        #expect(preferenceBanditClose(PreferenceBandit.majorityProbability([1, 0]), 0.5, 1e-12))             // a tie: fair coin
        #expect(preferenceBanditClose(PreferenceBandit.majorityProbability([0.5, 0.5]), 0.5, 1e-12))
        #expect(preferenceBanditClose(PreferenceBandit.majorityProbability([1, 1, 0, 0.5]), 0.5 * 1 + 0.5 * 0.5, 1e-12))
    }

    @Test func bestOfNHandChecked() throws {
        // base [½, ¼, ¼], scores [0, 2, 1], n = 2 → ascending y0, y2, y1: ¼, 0.75² − ¼, 1 − 0.75²
        let p = try PreferenceBandit.bestOfNProbabilities(base: [0.5, 0.25, 0.25], scores: [0, 2, 1], n: 2)
        #expect(preferenceBanditClose(p[0], 0.25) && preferenceBanditClose(p[2], 0.3125) && preferenceBanditClose(p[1], 0.4375))
        let one = try PreferenceBandit.bestOfNProbabilities(base: [2, 1, 1], scores: [0, 2, 1], n: 1)
        #expect(preferenceBanditClose(one[0], 0.5) && preferenceBanditClose(one[1], 0.25))
        // ties: the lower index wins
        let tie = try PreferenceBandit.bestOfNProbabilities(base: [0.5, 0.5], scores: [1, 1], n: 3)
        #expect(preferenceBanditClose(tie[0], 1 - 0.125) && preferenceBanditClose(tie[1], 0.125))
    }

    @Test func judgesHandChecked() {
        let pairwise = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0.5)
        #expect(preferenceBanditClose(pairwise.probabilityFirstWins(first: 0, second: 0), 0.6381631950841185, 1e-12))   // Φ(0.5/√2)
        let exact = PreferenceBanditPairwiseJudge(noise: 0, positionBias: 0)
        #expect(exact.probabilityFirstWins(first: 1, second: 0) == 1 && exact.probabilityFirstWins(first: 0, second: 0) == 0.5)
        let pointwise = PreferenceBanditPointwiseJudge(noise: 0, center: 0, slope: 1)
        // 1 + round(9σ(q)): q = 0 → 4.5 → 6; 0.3 → 5.17 → 6; 0.5 → 5.60 → 7; 10 → 10; −10 → 1
        #expect([0, 0.3, 0.5, 10, -10].map { pointwise.noiselessScore(quality: $0) } == [6, 6, 7, 10, 1])
        let noisy = PreferenceBanditPointwiseJudge(noise: 1, center: 0, slope: 1)
        let dist = noisy.scoreDistribution(quality: 0)
        #expect(preferenceBanditClose(dist[5], 0.17436015030544405, 1e-9))                 // Φ(logit(5.5/9)) − Φ(0)
        #expect(preferenceBanditClose(dist[0], 0.002304130933390223, 1e-9) && preferenceBanditClose(dist[9], dist[0], 1e-12))
        #expect(preferenceBanditClose(dist.reduce(0, +), 1, 1e-12))
    }

    // MARK: Generator properties

    @Test func knownOptimumEqualsBruteForceArgmax() throws {
        for seed: UInt64 in [1, 2, 3] {
            let b = try preferenceBanditSmall(seed: seed)
            for x in 0..<b.contextCount {
                var best = 0
                for y in 0..<b.responseCount where b.gold.reward(b.features[x][y]) > b.gold.reward(b.features[x][best]) { best = y }
                #expect(b.bestResponse[x] == best)
                #expect(b.optimalValue[x] == b.gold.reward(b.features[x][best]))
                #expect(b.goldRewards[x].allSatisfy { $0 <= b.optimalValue[x] })
            }
        }
    }

    @Test func referencePolicyIsMisalignedByConstruction() throws {
        for seed: UInt64 in [1, 2, 3] {
            let b = try PreferenceBandit(config: .standard, rng: RandomStream(seed: seed))
            let (k, top, cap) = (b.responseCount, b.config.referenceTopCount, b.config.referenceTopMassCap)
            var bestMass = 0.0
            for x in 0..<b.contextCount {
                let order = (0..<k).sorted { b.goldRewards[x][$0] > b.goldRewards[x][$1] }
                for y in order.prefix(top) { #expect(b.referenceProbabilities[x][y] <= cap / Double(k) + 1e-12) }   // the stated bound
                #expect(b.referenceProbabilities[x][b.bestResponse[x]] < 1 / Double(k))   // below uniform
                #expect(preferenceBanditClose(b.referenceProbabilities[x].reduce(0, +), 1, 1e-9))
                bestMass += b.referenceProbabilities[x][b.bestResponse[x]]
            }
            #expect(bestMass / Double(b.contextCount) < 0.5 / Double(k))
        }
        // the correlated part has correlation exactly α with gold (no length term, no cap)
        var rng = RandomStream(seed: 5)
        let g = (0..<20).map { _ in rng.gaussian() }, h = (0..<20).map { _ in rng.gaussian() }
        let l = PreferenceBandit.misalignedLogits(gold: g, nuisance: h, alignment: -0.3, scale: 2, lengthTerm: [Double](repeating: 0, count: 20),
                                                  topCount: 0, topMassCap: 1)
        let (sg, sl) = (PreferenceBandit.standardized(g), PreferenceBandit.standardized(l))
        #expect(preferenceBanditClose(zip(sg, sl).reduce(0) { $0 + $1.0 * $1.1 } / 20, -0.3, 1e-9))
    }

    @Test func splitsAreDisjointFixedAndComplete() throws {
        let b = try PreferenceBandit(config: .standard, rng: RandomStream(seed: 11))
        #expect(b.testContexts.count == 32 && b.validationContexts.count == 32 && b.trainContexts.count == 96)
        let all = b.trainContexts + b.validationContexts + b.testContexts
        #expect(Set(all).count == all.count && Set(all) == Set(0..<160))
        let again = try PreferenceBandit(config: .standard, rng: RandomStream(seed: 11))
        #expect(again.testContexts == b.testContexts && again.trainContexts == b.trainContexts)
        let other = try PreferenceBandit(config: .standard, rng: RandomStream(seed: 12))
        #expect(other.testContexts != b.testContexts)
    }

    @Test func supportRulesAndSizes() throws {
        for rule in [PreferenceBanditSupportRule.random, .referenceMostLikely] {
            let b = try preferenceBanditSmall { $0.supportSize = 5; $0.supportRule = rule }
            for x in 0..<b.contextCount {
                #expect(b.support[x].count == 5 && Set(b.support[x]).count == 5)
                #expect((0..<b.responseCount).filter { b.isInSupport[x][$0] } == b.support[x])
                if rule == .referenceMostLikely {
                    let outside = (0..<b.responseCount).filter { !b.isInSupport[x][$0] }
                    let minInside = b.support[x].map { b.referenceProbabilities[x][$0] }.min()!
                    #expect(outside.allSatisfy { b.referenceProbabilities[x][$0] <= minInside })
                }
            }
        }
        let full = try preferenceBanditSmall()
        #expect(full.support.allSatisfy { $0 == Array(0..<16) })
    }

    @Test func tokensLengthsAndVocabulary() throws {
        let b = try preferenceBanditSmall()
        let v = b.vocabulary
        #expect(v.size == 19 + 16 && v.padToken == 0 && v.endToken == 1 && v.separatorToken == 2)
        #expect(b.sequenceLength == v.promptDigits + 1 + 8 + 1)
        for x in 0..<b.contextCount {
            #expect(Set(b.tokens[x].map { v.decode($0) }).count == b.responseCount)           // distinct per context
            for y in 0..<b.responseCount {
                let t = b.tokens[x][y]
                #expect(t.count == b.responseLengths[x][y] && (2...8).contains(t.count))
                #expect(t.allSatisfy(v.isContent))
                #expect(preferenceBanditClose(b.features[x][y][0], (Double(t.count) - 5) / 3, 1e-12))          // φ₀ = (L − 5)/3
                let sequence = b.responseTokens(context: x, response: y)!
                #expect(sequence.last == v.endToken)
                #expect(b.parseResponse(context: x, tokens: sequence) == PreferenceBanditParse(status: .matched, response: y))
                #expect(b.goldReward(context: x, tokens: sequence + [0, 0]) == b.goldRewards[x][y])   // padding after end is ignored
            }
        }
        // hand-checked text form
        let vocabulary = PreferenceBanditVocabulary(contentCount: 4, contextCount: 200)
        #expect(vocabulary.promptDigits == 2)
        #expect(vocabulary.prompt(context: 26) == [3 + 1, 3 + 10, 2])              // "1A:"
        #expect(vocabulary.decode(vocabulary.prompt(context: 26)! + [21, 19, 20, 1]) == "1A:cab$")
        #expect(vocabulary.encode("1A:cab$") == [4, 13, 2, 21, 19, 20, 1])
        #expect(vocabulary.encode("e") == nil)                                         // only 4 content letters
        #expect(b.promptTokens(context: 5) == [3 + 0, 3 + 5, 2])                    // 24 contexts: two hex digits, "05:"
    }

    @Test func vocabularyRoundTripsEveryValidString() {
        let v = PreferenceBanditVocabulary(contentCount: 26, contextCount: 300)
        let alphabet = Array("_$:0123456789ABCDEFabcdefghijklmnopqrstuvwxyz")
        var rng = RandomStream(seed: 3)
        for _ in 0..<2000 {
            let s = String((0..<rng.int(20)).map { _ in alphabet[rng.int(alphabet.count)] })
            #expect(v.decode(v.encode(s)!) == s)
        }
        for id in 0..<v.size { #expect(v.encode(String(v.character(of: id)!)) == [id]) }
    }

    // MARK: Labels

    @Test func bradleyTerryLabelFrequenciesMatchSigmoid() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 21)
        // one fixed pair, many labels: frequency of "first wins" ≈ σ(Δr) within 4 standard errors
        let (x, i, j) = (3, 0, 1)
        let p = 1 / (1 + Foundation.exp(-(b.goldRewards[x][i] - b.goldRewards[x][j])))
        let n = 20_000
        var wins = 0
        for _ in 0..<n where b.label(context: x, first: i, second: j, labels: .clean, rng: &rng).chosen == i { wins += 1 }
        #expect(Swift.abs(Double(wins) / Double(n) - p) < 4 * (p * (1 - p) / Double(n)).squareRoot())
        // sampled offline pairs: the number whose chosen is the gold-better one ≈ Σ σ(|Δr|)
        let pairs = try b.offlinePairs(contexts: Array(0..<b.contextCount), pairsPerContext: 400, labels: .clean, rng: &rng)
        var observed = 0.0, expected = 0.0, variance = 0.0
        for pair in pairs {
            let d = Swift.abs(b.goldRewards[pair.context][pair.chosen] - b.goldRewards[pair.context][pair.rejected])
            let q = 1 / (1 + Foundation.exp(-d))
            observed += b.goldRewards[pair.context][pair.chosen] > b.goldRewards[pair.context][pair.rejected] ? 1 : 0
            expected += q; variance += q * (1 - q)
            #expect(pair.chosen != pair.rejected && pair.annotator == -1 && !pair.flipped)
        }
        #expect(Swift.abs(observed - expected) < 4 * variance.squareRoot())
        // a larger β makes labels cleaner
        let sharp = PreferenceBanditLabelConfig(mode: .bradleyTerry, scale: 1e6, flipRate: 0)
        let sharpPairs = try b.offlinePairs(contexts: Array(0..<b.contextCount), pairsPerContext: 50, labels: sharp, rng: &rng)
        #expect(sharpPairs.allSatisfy { b.goldRewards[$0.context][$0.chosen] > b.goldRewards[$0.context][$0.rejected] })
    }

    @Test func flipsHappenAtTheConfiguredRate() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 22)
        let contexts = Array(0..<b.contextCount)
        for rate in [0.1, 0.25] {
            let labels = PreferenceBanditLabelConfig(mode: .bradleyTerry, scale: 1e6, flipRate: rate)
            let pairs = try b.offlinePairs(contexts: contexts, pairsPerContext: 500, labels: labels, rng: &rng)
            let n = Double(pairs.count)
            let flipped = Double(pairs.filter(\.flipped).count)
            let wrong = Double(pairs.filter { b.goldRewards[$0.context][$0.chosen] < b.goldRewards[$0.context][$0.rejected] }.count)
            let se = (rate * (1 - rate) / n).squareRoot()
            #expect(Swift.abs(flipped / n - rate) < 4 * se)
            #expect(wrong == flipped)                               // with β → ∞ every wrong label is a flip
        }
        // the annotator pool's training labels: 25% flips, every pair labelled by a pool member
        let pool = try b.offlinePairs(contexts: contexts, pairsPerContext: 500, labels: .annotatorTraining, rng: &rng)
        let share = Double(pool.filter(\.flipped).count) / Double(pool.count)
        #expect(Swift.abs(share - 0.25) < 4 * (0.25 * 0.75 / Double(pool.count)).squareRoot())
        #expect(pool.allSatisfy { (0..<b.annotators.count).contains($0.annotator) })
        #expect(Set(pool.map(\.annotator)).count == b.annotators.count)
    }

    @Test func deterministicLabelsAlwaysPreferTheBetterResponse() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 23)
        let contexts = Array(0..<b.contextCount)
        let offline = try b.offlinePairs(contexts: contexts, pairsPerContext: 200, labels: .deterministic, rng: &rng)
        // on-policy from an arbitrary policy too, even with flipRate set (ignored in this mode)
        let labels = PreferenceBanditLabelConfig(mode: .deterministic, scale: 1, flipRate: 0.5)
        let online = try b.onPolicyPairs(policy: { x in (0..<b.responseCount).map { Double(($0 + x) % 5 + 1) } }, contexts: contexts,
                                         pairsPerContext: 200, labels: labels, rng: &rng)
        for p in offline + online {
            #expect(b.goldRewards[p.context][p.chosen] > b.goldRewards[p.context][p.rejected])
            #expect(!p.flipped)
        }
    }

    @Test func supportRestrictionNeverEmitsPairsOutsideTheSupport() throws {
        for rule in [PreferenceBanditSupportRule.random, .referenceMostLikely] {
            let b = try preferenceBanditSmall { $0.supportSize = 4; $0.supportRule = rule }
            var rng = RandomStream(seed: 24)
            let contexts = Array(0..<b.contextCount)
            let offline = try b.offlinePairs(contexts: contexts, pairsPerContext: 300, labels: .annotatorTraining, rng: &rng)
            // a policy with all its mass outside the support still yields support pairs when restricted
            let outside = { (x: Int) in (0..<b.responseCount).map { b.isInSupport[x][$0] ? 0.0 : 1.0 } }
            let online = try b.onPolicyPairs(policy: outside, contexts: contexts, pairsPerContext: 100, restrictToSupport: true, rng: &rng)
            let concentrated = { (x: Int) in preferenceBanditOneHot(b.responseCount, b.support[x][0]) }
            let single = try b.onPolicyPairs(policy: concentrated, contexts: contexts, pairsPerContext: 50, restrictToSupport: true, rng: &rng)
            for p in offline + online + single {
                #expect(b.isInSupport[p.context][p.chosen] && b.isInSupport[p.context][p.rejected] && p.chosen != p.rejected)
            }
            // only support responses appear; with the most likely ones as support, all of them do
            let seen = b.responsesInPairs(offline)
            #expect(zip(seen, b.support).allSatisfy { Set($0).isSubset(of: $1) })
            if rule == .referenceMostLikely { #expect(seen == b.support) }
            // unrestricted on-policy pairs follow the policy
            let free = try b.onPolicyPairs(policy: outside, contexts: contexts, pairsPerContext: 50, rng: &rng)
            #expect(free.allSatisfy { !b.isInSupport[$0.context][$0.chosen] && !b.isInSupport[$0.context][$0.rejected] })
        }
    }

    @Test func onPolicyPairsFollowThePolicy() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 25)
        // a policy uniform on responses {0, 1, 2}: every pair is two of those, each unordered pair ≈ ⅓
        let policy = [[Double]](repeating: (0..<16).map { $0 < 3 ? 1.0 : 0 }, count: b.contextCount)
        let pairs = try b.onPolicyPairs(policy: policy, contexts: [0, 1], pairsPerContext: 3000, rng: &rng)
        var counts: [Set<Int>: Int] = [:]
        for p in pairs { #expect(p.chosen < 3 && p.rejected < 3); counts[[p.chosen, p.rejected], default: 0] += 1 }
        for (_, c) in counts { #expect(Swift.abs(Double(c) / 6000 - 1.0 / 3) < 0.03) }
    }

    // MARK: Annotators and evaluation

    @Test func evaluationAnnotatorIsTheFlipFreePoolMajority() throws {
        let b = try preferenceBanditSmall()
        let pool = b.annotators
        #expect(pool.count == 12)
        // brute force over all 2¹² vote patterns, each annotator voting with its own noiseless-flip probability
        for (x, i, j) in [(0, 0, 1), (3, 5, 9), (7, 2, 15), (11, 14, 13)] {
            let probabilities = pool.indices.map { a in
                pool[a].preferenceProbability(b.annotatorScores[a][x][i] - b.annotatorScores[a][x][j])
            }
            var win = 0.0
            for mask in 0..<(1 << pool.count) {
                var prob = 1.0, yes = 0
                for a in pool.indices {
                    if mask & (1 << a) != 0 { prob *= probabilities[a]; yes += 1 } else { prob *= 1 - probabilities[a] }
                }
                if 2 * yes > pool.count { win += prob } else if 2 * yes == pool.count { win += prob / 2 }
            }
            let p = try b.preferenceProbability(context: x, first: i, second: j)
            #expect(preferenceBanditClose(p, win, 1e-9))
            #expect(preferenceBanditClose(p + (try b.preferenceProbability(context: x, first: j, second: i)), 1, 1e-12))
        }
        // λ = 0: the biases vanish from the evaluator, not from the training annotators
        let unbiased = try preferenceBanditSmall { $0.evaluationBiasScale = 0 }
        #expect(unbiased.annotatorScores == b.annotatorScores)
        for (x, i, j) in [(0, 0, 1), (5, 3, 4)] {
            let votes = unbiased.annotators.map { $0.preferenceProbability(unbiased.goldRewards[x][i] - unbiased.goldRewards[x][j]) }
            #expect(preferenceBanditClose(try unbiased.preferenceProbability(context: x, first: i, second: j), PreferenceBandit.majorityProbability(votes), 1e-12))
        }
        // no flips: when every annotator is sure, the evaluator is sure (a 25% flip would cap it at 0.75)
        let surePool = try preferenceBanditSmall { $0.annotatorNoiseMin = 0; $0.annotatorNoiseMax = 0; $0.annotatorLengthBiasMean = 0
            $0.annotatorLengthBiasStd = 0; $0.annotatorFeatureBiasStd = 0 }
        for x in 0..<surePool.contextCount {
            let (best, worst) = (surePool.bestResponse[x], PreferenceBandit.argmax(surePool.goldRewards[x].map { -$0 }))
            #expect(try surePool.preferenceProbability(context: x, first: best, second: worst) == 1)
        }
    }

    @Test func sampledWinRateMatchesExactWinRate() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 31)
        let best = b.bestResponse.map { preferenceBanditOneHot(b.responseCount, $0) }
        let contexts = Array(0..<b.contextCount)
        for evaluator in [PreferenceBanditEvaluator.annotatorMajority, .gold, .goldBradleyTerry] {
            let exact = try b.winRate(best, against: b.referenceProbabilities, contexts: contexts, evaluator: evaluator)
            let sampled = try b.sampledWinRate(best, against: b.referenceProbabilities, contexts: contexts, samplesPerContext: 1000,
                                               evaluator: evaluator, rng: &rng)
            let n = Double(contexts.count * 1000)
            #expect(Swift.abs(exact - sampled) < 4 * (0.25 / n).squareRoot())
            #expect(exact > 0.8)                                // the optimal policy beats π_ref
        }
    }

    @Test func policyMetricsHandChecked() throws {
        let b = try preferenceBanditTiny()
        let uniform = [[Double]](repeating: [1, 1, 1], count: 3)       // unnormalised on purpose
        #expect(preferenceBanditClose(try b.expectedGoldReward(uniform, contexts: [0]), (0 + 1 + 2.761594155955765) / 3, 1e-12))
        // KL(uniform ‖ [¼, ½, ¼]) = ⅓(log(4/3)·2 + log(2/3))
        let kl = (2 * Foundation.log(4.0 / 3) + Foundation.log(2.0 / 3)) / 3
        #expect(preferenceBanditClose(try b.klFromReference(uniform, contexts: [0]), kl, 1e-12))
        #expect(preferenceBanditClose(try b.klFromReference(b.referenceProbabilities, contexts: [0, 1, 2]), 0, 1e-12))
        let seen = b.responsesInPairs([PreferenceBanditPair(context: 0, chosen: 2, rejected: 0),
                                       PreferenceBanditPair(context: 9, chosen: 0, rejected: 1)])   // out of range: skipped
        #expect(seen == [[0, 2], [], []])
        #expect(preferenceBanditClose(try b.mass(uniform, on: seen, contexts: [0]), 2.0 / 3, 1e-12))
        #expect(try b.massOutsideSupport(uniform, contexts: [0, 1]) == 0)          // full support
    }

    // MARK: Proxy reward model

    @Test func proxyRewardModelTrainedOnCleanPairsRanksLikeGold() throws {
        // little non-linearity, so a linear proxy can rank like gold
        var c = PreferenceBanditConfig.standard
        c.goldLengthPenalty = 0; c.goldNonlinearScale = 0.2
        let b = try PreferenceBandit(config: c, rng: RandomStream(seed: 3))
        var rng = RandomStream(seed: 41)
        let pairs = try b.offlinePairs(contexts: b.trainContexts, pairsPerContext: 30, labels: .clean, rng: &rng)
        let model = try PreferenceBanditRewardModel(training: pairs, on: b, rng: &rng)
        #expect(model.losses.last! < model.losses.first!)
        let tau = b.testContexts.map { preferenceBanditKendallTau(model.rewards[$0], b.goldRewards[$0]) }.reduce(0, +) / Double(b.testContexts.count)
        #expect(tau > 0.75)
        let heldOut = try b.offlinePairs(contexts: b.testContexts, pairsPerContext: 50, labels: .deterministic, rng: &rng)
        #expect(model.pairAccuracy(heldOut)! > 0.85)
        // predictions for every response, consistent with the single-vector path
        #expect(model.rewards.count == b.contextCount && model.rewards.allSatisfy { $0.count == b.responseCount })
        #expect(preferenceBanditClose(model.reward(features: b.features[5][7])!, model.rewards[5][7], 1e-5))
        // an MLP reward model trains too (minibatches)
        var mlp = PreferenceBanditRewardModelConfig()
        mlp.hiddenSizes = [8]; mlp.steps = 200; mlp.batchSize = 256; mlp.learningRate = 0.01; mlp.weightDecay = 0.01
        let deep = try PreferenceBanditRewardModel(training: pairs, on: b, config: mlp, rng: &rng)
        #expect(deep.pairAccuracy(heldOut)! > 0.8)
    }

    @Test func rewardModelTrainingIsDeterministic() throws {
        let b = try preferenceBanditSmall()
        func train(_ seed: UInt64) throws -> [[Double]] {
            var rng = RandomStream(seed: seed)
            let pairs = try b.offlinePairs(contexts: b.trainContexts, pairsPerContext: 10, labels: .annotatorTraining, rng: &rng)
            var config = PreferenceBanditRewardModelConfig()
            config.steps = 50; config.batchSize = 32
            return try PreferenceBanditRewardModel(training: pairs, on: b, config: config, rng: &rng).rewards
        }
        #expect(try train(1) == train(1))
        #expect(try train(1) != train(2))
    }

    @Test func bestOfNOverOptimisesTheNoisyProxy() throws {
        // The default instance: annotators like length, gold punishes the longest responses, π_ref rarely writes them.
        let b = try PreferenceBandit(config: .standard, rng: RandomStream(seed: 1))
        var rng = RandomStream(seed: 7)
        let pairs = try b.offlinePairs(contexts: b.trainContexts, pairsPerContext: 10, labels: .annotatorTraining, rng: &rng)
        let proxy = try PreferenceBanditRewardModel(training: pairs, on: b, rng: &rng)
        var golds: [Double] = [], proxies: [Double] = []
        for n in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] {
            let policy = try b.bestOfNPolicy(scores: proxy.rewards, n: n)
            golds.append(try b.expectedGoldReward(policy, contexts: b.testContexts))
            proxies.append(try b.expectedReward(policy, rewards: proxy.rewards, contexts: b.testContexts))
        }
        #expect(zip(proxies, proxies.dropFirst()).allSatisfy { $0 < $1 })           // proxy rises monotonically
        let peak = golds.max()!, range = peak - golds.min()!
        #expect(golds.firstIndex(of: peak)! < golds.count - 1)                        // gold peaks before n = 1024
        #expect(peak - golds.last! >= 0.05 * range)                                   // and ends ≥ 5% of its range below
    }

    // MARK: Policies

    @Test func policiesStartAtTheReferenceAndTrain() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 51)
        let policies: [PreferenceBanditPolicy] = [PreferenceBanditTabularPolicy(bandit: b),
                                                  PreferenceBanditFeaturePolicy(bandit: b, rng: &rng),
                                                  PreferenceBanditFeaturePolicy(bandit: b, hiddenSizes: [8], rng: &rng)]
        for policy in policies {
            let table = policy.probabilityTable()
            for x in 0..<b.contextCount { for y in 0..<b.responseCount { #expect(preferenceBanditClose(table[x][y], b.referenceProbabilities[x][y], 1e-5)) } }
            // a few gradient steps raising log π(best | x) increase the expected gold reward
            let optimizer = AdamW.adam()
            let g = Graph()
            for _ in 0..<20 {
                let logp = try policy.logProbabilities(contexts: b.trainContexts, in: g)          // [B, K]
                let loss = -logp.gatherLast(g.indices(b.trainContexts.map { b.bestResponse[$0] })).mean()
                g.backward(loss)
                optimizer.step(policy.store, learningRate: 0.05)
                policy.store.zeroGradients()
                g.reset()
            }
            #expect(try b.expectedGoldReward(policy.probabilityTable(), contexts: b.trainContexts)
                    > b.expectedGoldReward(b.referenceProbabilities, contexts: b.trainContexts))
            #expect(throws: PreferenceBanditError.self) { try policy.logProbabilities(contexts: [b.contextCount], in: g) }
            #expect(throws: PreferenceBanditError.self) { try policy.logProbabilities(contexts: [], in: g) }
            #expect(throws: PreferenceBanditError.self) { try policy.logProbabilities(contexts: [-1], in: g) }
        }
    }

    // MARK: Judges

    @Test func pairwiseJudgePositionBiasIsVisibleInCounts() {
        let judge = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0.5)
        var rng = RandomStream(seed: 61)
        let n = 20_000
        var firstWins = 0, bidirectional = 0.0
        for _ in 0..<n {
            if judge.firstWins(first: 0.3, second: 0.3, rng: &rng) { firstWins += 1 }
            bidirectional += judge.bidirectionalScore(0.3, 0.3, rng: &rng)
        }
        let share = Double(firstWins) / Double(n)
        #expect(Swift.abs(share - 0.6381631950841185) < 4 * (0.25 / Double(n)).squareRoot())
        #expect(share > 0.6)
        #expect(Swift.abs(bidirectional / Double(n) - 0.5) < 0.01)           // both orders cancel the bias
        // without bias, the better sample wins more often, in either position
        let fair = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0)
        var better = 0
        for i in 0..<n where fair.firstWins(first: i % 2 == 0 ? 1 : 0, second: i % 2 == 0 ? 0 : 1, rng: &rng) == (i % 2 == 0) { better += 1 }
        #expect(Swift.abs(Double(better) / Double(n) - 0.7602499389065233) < 0.015)    // Φ(1/√2)
    }

    @Test func pointwiseJudgeStaysOnTheScaleAndCollapses() {
        let judge = PreferenceBanditPointwiseJudge(noise: 0.3, center: 0, slope: 1)
        var rng = RandomStream(seed: 62)
        var histogram = [Int](repeating: 0, count: 10)
        for i in 0..<20_000 {
            let s = judge.score(quality: Double(i % 41) / 4 - 5, rng: &rng)      // qualities −5 … 5
            #expect((1...10).contains(s))
            histogram[s - 1] += 1
        }
        #expect(histogram.allSatisfy { $0 > 0 })
        // sampled frequencies match the exact distribution
        let dist = judge.scoreDistribution(quality: 0.2)
        var counts = [Double](repeating: 0, count: 10)
        for _ in 0..<20_000 { counts[judge.score(quality: 0.2, rng: &rng) - 1] += 1 }
        for s in 0..<10 { #expect(Swift.abs(counts[s] / 20_000 - dist[s]) < 0.015) }
        // a group of close qualities collapses to (nearly) one noiseless score
        let noiseless = PreferenceBanditPointwiseJudge(noise: 0, center: 0, slope: 1)
        let group = (0..<8).map { 0.1 + Double($0) * 0.02 }
        #expect(Set(group.map { noiseless.noiselessScore(quality: $0) }).count == 1)
    }

    // MARK: Determinism

    @Test func sameSeedSameInstanceDifferentSeedDifferent() throws {
        let a = try preferenceBanditSmall(seed: 5), b = try preferenceBanditSmall(seed: 5), c = try preferenceBanditSmall(seed: 6)
        #expect(a.features == b.features && a.tokens == b.tokens && a.annotators == b.annotators && a.gold == b.gold)
        #expect(a.referenceLogits == b.referenceLogits && a.support == b.support && a.majorityPreference == b.majorityPreference)
        #expect(a.features != c.features && a.tokens != c.tokens && a.gold != c.gold)
        var r1 = RandomStream(seed: 9), r2 = RandomStream(seed: 9), r3 = RandomStream(seed: 10)
        let p1 = try a.offlinePairs(contexts: a.trainContexts, pairsPerContext: 5, labels: .annotatorTraining, rng: &r1)
        let p2 = try b.offlinePairs(contexts: b.trainContexts, pairsPerContext: 5, labels: .annotatorTraining, rng: &r2)
        let p3 = try a.offlinePairs(contexts: a.trainContexts, pairsPerContext: 5, labels: .annotatorTraining, rng: &r3)
        #expect(p1 == p2 && p1 != p3)
        // the instance depends on the stream's key only, not on how far it has run
        var advanced = RandomStream(seed: 5)
        _ = advanced.next()
        #expect(try PreferenceBandit(config: .small, rng: advanced).features == a.features)
        // judges: same stream, same verdicts
        let judge = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0.2)
        var j1 = RandomStream(seed: 1), j2 = RandomStream(seed: 1)
        let verdicts1: [Bool] = (0..<100).map { (i: Int) -> Bool in judge.firstWins(first: Double(i % 3), second: 1, rng: &j1) }
        let verdicts2: [Bool] = (0..<100).map { (i: Int) -> Bool in judge.firstWins(first: Double(i % 3), second: 1, rng: &j2) }
        #expect(verdicts1 == verdicts2)
    }

    // MARK: Fuzz: untrusted input never traps

    @Test func fuzzParseResponse() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 71)
        let specials = [Int.min, Int.max, -1, 0, 1, 2, 3, 18, 19, 34, 35, 1000]
        // Build.fuzzInputs responses (10⁶ in the checked build); one in 50 of 200 tokens, one in 5000 of 10⁴–10⁵
        let trials = Build.fuzzInputs(unchecked: 5000)
        for trial in 0..<trials {
            let length = trial % 5000 == 1 ? 10_000 + rng.int(90_000) : trial % 50 == 0 ? 200 : rng.int(14)
            var t = (0..<length).map { _ in rng.bernoulli(0.2) ? specials[rng.int(specials.count)] : rng.int(40) - 2 }
            if rng.bernoulli(0.3) { t = b.tokens[rng.int(b.contextCount)][rng.int(16)] + t }       // near-valid prefixes
            let x = rng.int(b.contextCount + 6) - 3
            let parse = b.parseResponse(context: x, tokens: t)
            switch parse.status {
            case .matched:
                let y = parse.response!
                #expect(b.isValid(context: x, response: y))
                #expect(Array(t.prefix(b.tokens[x][y].count + 1)) == b.tokens[x][y] + [1])
            case .invalidContext: #expect(!b.isValid(context: x) && parse.response == nil)
            default: #expect(parse.response == nil)
            }
            #expect((b.goldReward(context: x, tokens: t) != nil) == (parse.status == .matched))
            _ = b.vocabulary.decode(t)
        }
        print("fuzz: PreferenceBandit response parser: \(trials) inputs, \(Build.description) build")
        #expect(b.parseResponse(context: 0, tokens: []).status == .missingEnd)
        #expect(b.parseResponse(context: 0, tokens: [1]).status == .unknownResponse)
        #expect(b.parseResponse(context: 0, tokens: [0, 1]).status == .invalidToken)
        #expect(b.parseResponse(context: 0, tokens: b.tokens[0][0]).status == .missingEnd)
        #expect(b.parseResponse(context: -1, tokens: [1]).status == .invalidContext)
        #expect(b.vocabulary.decode([Int.min, -1, 999, Int.max]) == "????")
        #expect(b.vocabulary.encode("héllo 🙂") == nil)
    }

    @Test func fuzzPolicyInputs() throws {
        let b = try preferenceBanditSmall()
        var rng = RandomStream(seed: 72)
        let k = b.responseCount
        let contexts = Array(0..<b.contextCount)
        let good = b.referenceProbabilities
        let badRows: [[Double]] = [[], [1], [Double](repeating: 0, count: k), [Double](repeating: .nan, count: k),
                                   [-1] + [Double](repeating: 1, count: k - 1), [.infinity] + [Double](repeating: 0, count: k - 1),
                                   [Double](repeating: 1, count: k + 1), [Double](repeating: .greatestFiniteMagnitude, count: k)]
        for row in badRows {
            var table = good
            table[4] = row
            #expect(throws: PreferenceBanditError.self) { try b.winRate(table, against: good, contexts: contexts) }
            #expect(throws: PreferenceBanditError.self) { try b.expectedGoldReward(table, contexts: contexts) }
            #expect(throws: PreferenceBanditError.self) { try b.klFromReference(table, contexts: contexts) }
            #expect(throws: PreferenceBanditError.self) { try b.massOutsideSupport(table, contexts: contexts) }
            #expect(throws: PreferenceBanditError.self) { try b.onPolicyPairs(policy: table, contexts: contexts, pairsPerContext: 2, rng: &rng) }
            #expect(throws: PreferenceBanditError.self) { try b.sampledWinRate(table, against: good, contexts: contexts, samplesPerContext: 3, rng: &rng) }
            #expect(throws: PreferenceBanditError.self) { try b.normalizedPolicy(row, context: 4) }
        }
        // wrong table shapes, contexts and counts
        for contextsBad in [[Int](), [-1], [b.contextCount], [Int.max], [Int.min]] {
            #expect(throws: PreferenceBanditError.self) { try b.winRate(good, against: good, contexts: contextsBad) }
            #expect(throws: PreferenceBanditError.self) { try b.expectedGoldReward(good, contexts: contextsBad) }
            #expect(throws: PreferenceBanditError.self) { try b.meanOptimalValue(contexts: contextsBad) }
            if !contextsBad.isEmpty {
                #expect(throws: PreferenceBanditError.self) { try b.offlinePairs(contexts: contextsBad, pairsPerContext: 1, rng: &rng) }
            }
        }
        #expect(try b.offlinePairs(contexts: [], pairsPerContext: 3, rng: &rng).isEmpty)
        #expect(try b.offlinePairs(contexts: [0, 1], pairsPerContext: 0, rng: &rng).isEmpty)
        #expect(throws: PreferenceBanditError.self) { try b.offlinePairs(contexts: [0], pairsPerContext: -1, rng: &rng) }
        #expect(throws: PreferenceBanditError.self) { try b.offlinePairs(contexts: [0, 1], pairsPerContext: Int.max, rng: &rng) }
        #expect(throws: PreferenceBanditError.self) { try b.sampledWinRate(good, against: good, contexts: [0, 1], samplesPerContext: Int.max, rng: &rng) }
        #expect(throws: PreferenceBanditError.self) { try b.winRate(Array(good.prefix(3)), against: good, contexts: [0]) }
        #expect(throws: PreferenceBanditError.self) { try b.sampledWinRate(good, against: good, contexts: [0], samplesPerContext: 0, rng: &rng) }
        #expect(throws: PreferenceBanditError.self) { try b.expectedReward(good, rewards: [[1]], contexts: [0]) }
        #expect(throws: PreferenceBanditError.self) { try b.mass(good, on: [[0]], contexts: [0]) }
        for labels in [PreferenceBanditLabelConfig(mode: .bradleyTerry, scale: .nan), .init(mode: .bradleyTerry, scale: -1),
                       .init(mode: .annotatorPool, flipRate: 1.5), .init(mode: .bradleyTerry, flipRate: .nan)] {
            #expect(throws: PreferenceBanditError.self) { try b.offlinePairs(contexts: [0], pairsPerContext: 1, labels: labels, rng: &rng) }
            #expect(throws: PreferenceBanditError.self) { try b.labelProbability(context: 0, first: 0, second: 1, labels: labels) }
        }
        // out-of-range indices: nil or a clear error
        for (x, y) in [(-1, 0), (0, -1), (b.contextCount, 0), (0, k), (Int.max, Int.min)] {
            #expect(b.goldReward(context: x, response: y) == nil && b.featureVector(context: x, response: y) == nil)
            #expect(b.responseTokens(context: x, response: y) == nil)
            #expect(throws: PreferenceBanditError.self) { try b.preferenceProbability(context: x, first: y, second: 0) }
            #expect(throws: PreferenceBanditError.self) { try b.labelProbability(context: x, first: 0, second: y, labels: .clean) }
        }
        #expect(b.referenceDistribution(context: -5) == nil && b.promptTokens(context: b.contextCount) == nil)
        // random policies: unnormalised rows are renormalised, results stay defined and in range
        for _ in 0..<300 {
            let table = (0..<b.contextCount).map { _ in (0..<k).map { _ in rng.bernoulli(0.3) ? 0 : rng.uniformDouble() * 1e3 } }
            guard table.allSatisfy({ $0.contains { $0 > 0 } }) else { continue }
            let w = try b.winRate(table, against: good, contexts: contexts)
            #expect(w >= 0 && w <= 1)
            let normalized = try table.enumerated().map { try b.normalizedPolicy($0.element, context: $0.offset) }
            #expect(preferenceBanditClose(w, try b.winRate(normalized, against: good, contexts: contexts), 1e-9))
            var r1 = RandomStream(seed: 3), r2 = RandomStream(seed: 3)
            #expect(try b.onPolicyPairs(policy: table, contexts: [0, 1], pairsPerContext: 4, rng: &r1)
                    == b.onPolicyPairs(policy: normalized, contexts: [0, 1], pairsPerContext: 4, rng: &r2))
            let kl = try b.klFromReference(table, contexts: contexts)
            #expect(kl.isFinite && kl >= -1e-12)
        }
    }

    @Test func fuzzBestOfNJudgesAndRewardModelInputs() throws {
        for (base, scores, n) in [([Double](), [Double](), 1), ([1.0], [1.0, 2.0], 1), ([1.0, 1.0], [0.0, 1.0], 0),
                                  ([Double.nan, 1], [0, 1], 2), ([-1.0, 2], [0, 1], 2), ([0.0, 0], [0, 1], 2), ([1.0, 1], [.nan, 1], 2)] {
            #expect(throws: PreferenceBanditError.self) { try PreferenceBandit.bestOfNProbabilities(base: base, scores: scores, n: n) }
        }
        let huge = try PreferenceBandit.bestOfNProbabilities(base: [1, 2, 3], scores: [3, 1, 2], n: Int.max)
        #expect(preferenceBanditClose(huge.reduce(0, +), 1, 1e-9) && preferenceBanditClose(huge[0], 1, 1e-9))
        var rng = RandomStream(seed: 81)
        let weird: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e308, -1e308, .leastNonzeroMagnitude, 3]
        for judge in [PreferenceBanditPairwiseJudge(noise: 0.5, positionBias: 0.3), .init(noise: 0, positionBias: 0),
                      .init(noise: .nan, positionBias: .infinity), .init(noise: -1, positionBias: .nan)] {
            for a in weird { for c in weird {
                let p = judge.probabilityFirstWins(first: a, second: c)
                #expect(p >= 0 && p <= 1)
                _ = judge.firstWins(first: a, second: c, rng: &rng)
                let s = judge.bidirectionalScore(a, c, rng: &rng)
                #expect(s == 0 || s == 0.5 || s == 1)
            } }
        }
        for judge in [PreferenceBanditPointwiseJudge(noise: 0.5, center: 0, slope: 1), .init(noise: .nan, center: .nan, slope: -1),
                      .init(noise: .infinity, center: 0, slope: .infinity), .init(noise: 0, center: 1e308, slope: 0)] {
            for q in weird {
                #expect((1...10).contains(judge.score(quality: q, rng: &rng)))
                #expect((1...10).contains(judge.noiselessScore(quality: q)))
                let d = judge.scoreDistribution(quality: q)
                #expect(d.count == 10 && preferenceBanditClose(d.reduce(0, +), 1, 1e-9) && d.allSatisfy { $0 >= 0 })
            }
        }
        // reward model: bad pairs and settings are clear errors
        let b = try preferenceBanditSmall()
        for pairs in [[PreferenceBanditPair](), [.init(context: -1, chosen: 0, rejected: 1)], [.init(context: 0, chosen: 99, rejected: 1)],
                      [.init(context: b.contextCount, chosen: 0, rejected: 1)], [.init(context: 0, chosen: 0, rejected: Int.min)]] {
            #expect(throws: PreferenceBanditError.self) { try PreferenceBanditRewardModel(training: pairs, on: b, rng: &rng) }
        }
        var bad = PreferenceBanditRewardModelConfig()
        bad.learningRate = .nan
        #expect(throws: PreferenceBanditError.self) {
            try PreferenceBanditRewardModel(training: [.init(context: 0, chosen: 0, rejected: 1)], on: b, config: bad, rng: &rng)
        }
        var tiny = PreferenceBanditRewardModelConfig()
        tiny.steps = 5
        let model = try PreferenceBanditRewardModel(training: [.init(context: 0, chosen: 0, rejected: 1)], on: b, config: tiny, rng: &rng)
        #expect(model.reward(features: []) == nil && model.reward(features: [Double](repeating: .nan, count: 6)) == nil)
        #expect(model.pairAccuracy([.init(context: -1, chosen: 0, rejected: 0)]) == nil)
    }

    @Test func fuzzConfigsAndCustomInstances() throws {
        var rng = RandomStream(seed: 91)
        var built = 0
        for _ in 0..<300 {
            var c = PreferenceBanditConfig.small
            switch rng.int(12) {
            case 0: c.contextCount = rng.int(40) - 5
            case 1: c.responseCount = rng.int(40) - 5
            case 2: c.featureCount = rng.int(8) - 2
            case 3: c.supportSize = rng.int(20) - 2
            case 4: c.minTokens = rng.int(15) - 2; c.maxTokens = rng.int(15) - 2
            case 5: c.contentVocabularySize = rng.int(30) - 2
            case 6: c.referenceAlignment = [Double.nan, 2, -1, 1, 0.3][rng.int(5)]
            case 7: c.annotatorNoiseMin = [Double.nan, -1, 0, 2][rng.int(4)]; c.annotatorNoiseMax = [Double.infinity, 1, 0][rng.int(3)]
            case 8: c.testContextCount = rng.int(30) - 2; c.validationContextCount = rng.int(30) - 2
            case 9: c.referenceTopCount = rng.int(20) - 2; c.referenceTopMassCap = [0, -1, 0.5, 10][rng.int(4)]
            case 10: c.annotatorCount = rng.int(20) - 2
            default: c.goldLengthPenalty = [Double.nan, 0, 5, -3][rng.int(4)]; c.goldNonlinearTerms = rng.int(8) - 2
            }
            do {
                let b = try PreferenceBandit(config: c, rng: RandomStream(seed: 1))
                #expect(c.problem() == nil && b.goldRewards.count == c.contextCount)
                #expect(b.tokens.allSatisfy { Set($0.map { b.vocabulary.decode($0) }).count == c.responseCount })
                built += 1
            } catch let error as PreferenceBanditError {
                guard case .invalidConfig = error else { Issue.record("unexpected \(error)"); continue }
                #expect(c.problem() != nil)
            }
        }
        #expect(built > 50)
        // a tight token space: every string of length 1 over 4 letters used by 4 responses
        var tight = PreferenceBanditConfig.small
        tight.responseCount = 4; tight.minTokens = 1; tight.maxTokens = 1; tight.contentVocabularySize = 4
        let t = try PreferenceBandit(config: tight, rng: RandomStream(seed: 2))
        #expect(t.tokens.allSatisfy { Set($0).count == 4 })
        // custom instances: ragged, empty or non-finite input is a clear error
        let gold = PreferenceBanditGoldReward(linearWeights: [1, 1])
        let ok: [[[Double]]] = [[[0, 0], [1, 1]], [[0, 0], [1, 1]], [[0, 0], [1, 1]]]
        let logits: [[Double]] = [[0, 0], [0, 0], [0, 0]]
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: [], gold: gold, referenceLogits: [], rng: RandomStream(seed: 1)) }
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: [[[0, 0], [1]], [[0, 0], [1, 1]], [[0, 0], [1, 1]]], gold: gold, referenceLogits: logits, rng: RandomStream(seed: 1)) }
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: [[[0, .nan], [1, 1]], [[0, 0], [1, 1]], [[0, 0], [1, 1]]], gold: gold, referenceLogits: logits, rng: RandomStream(seed: 1)) }
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: ok, gold: PreferenceBanditGoldReward(linearWeights: [1]), referenceLogits: logits, rng: RandomStream(seed: 1)) }
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: ok, gold: gold, referenceLogits: [[0, .infinity], [0, 0], [0, 0]], rng: RandomStream(seed: 1)) }
        #expect(throws: PreferenceBanditError.self) { try PreferenceBandit(config: .small, features: ok, gold: PreferenceBanditGoldReward(linearWeights: [1e308, 1e308]), referenceLogits: logits, rng: RandomStream(seed: 1)) }
        #expect(try PreferenceBandit(config: .small, features: ok, gold: gold, referenceLogits: logits, rng: RandomStream(seed: 1)).bestResponse == [1, 1, 1])
    }
}
