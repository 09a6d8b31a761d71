import Foundation
import Engine
import Environments
import Harness
import Training

/// One group of samples: gold qualities q_i = μ_c + s·z_i (context mean μ_c ~ N(0, contextSpread²), within-group
/// spread s, z_i ~ N(0, 1)).
func drawGroup(n: Int, contextSpread: Double, withinSpread: Double, rng: inout RandomStream) -> [Double] {
    let mu = contextSpread * rng.gaussian()
    return (0..<n).map { _ in mu + withinSpread * rng.gaussian() }
}

/// What a sweep cell (group size, noise, judging, topology) measured, averaged or pooled over its groups.
struct CellReading: Sendable {
    var n: Int, noise: Double, judging: Judging, topology: Topology
    /// Mean Kendall τ-b of the rank scores with the gold qualities (a group where it is undefined counts 0).
    var tau: Double
    var undefinedTau: Int
    /// Mean judge calls per group.
    var calls: Double
    /// Spearman ρ of the rank reward with the share of pairings shown first, pooled over every sample of every group.
    var exposureRho: Double
    /// Pearson correlation of the group-normalised rank rewards with the group-normalised gold qualities, pooled.
    var advantageCorrelation: Double
}

/// The pointwise judge's reading at one (group size, noise).
struct PointwiseReading: Sendable {
    var n: Int, noise: Double
    var advantageCorrelation: Double
    /// Share of groups in which every sample got the same score (advantages all zero).
    var collapsedGroups: Double
    /// Mean number of distinct scores in a group.
    var distinctScores: Double
}

/// The tournament and pointwise sweep for one seed.
func sweep(_ c: ArenaTournaments.Config, root: RandomStream, progress: () -> Void) -> (cells: [CellReading], pointwise: [PointwiseReading]) {
    var cells: [CellReading] = [], pointwise: [PointwiseReading] = []
    for n in c.groupSizes {
        // the same groups at every noise level, judging mode and topology (paired comparisons)
        var qrng = root.child("groups/n=\(n)")
        let groups = (0..<c.groups).map { _ in drawGroup(n: n, contextSpread: c.contextSpread, withinSpread: c.withinGroupSpread, rng: &qrng) }
        let goldAdvantages = groups.flatMap { Tournaments.groupAdvantages($0) }
        for noise in c.noiseLevels {
            let judge = PreferenceBanditPairwiseJudge(noise: noise, positionBias: c.positionBias)
            for judging in Judging.allCases {
                for topology in c.topologies {
                    let stream = root.child("judge/n=\(n)/noise=\(noise)/\(judging.rawValue)/\(topology.rawValue)")
                    var tauSum = 0.0, undefined = 0, calls = 0
                    var rewards: [Double] = [], shares: [Double] = [], advantages: [Double] = []
                    rewards.reserveCapacity(n * c.groups); shares.reserveCapacity(n * c.groups); advantages.reserveCapacity(n * c.groups)
                    for (g, q) in groups.enumerated() {
                        let r = Tournaments.run(topology, qualities: q, judge: judge, judging: judging, rng: stream.child(g))
                        let tau = Statistics.kendallTau(r.rankScore, q)
                        if tau.isFinite { tauSum += tau } else { undefined += 1 }
                        calls += r.calls
                        let rw = r.rewards
                        rewards += rw; shares += r.firstShare; advantages += Tournaments.groupAdvantages(rw)
                    }
                    cells.append(CellReading(n: n, noise: noise, judging: judging, topology: topology,
                                             tau: tauSum / Double(c.groups), undefinedTau: undefined,
                                             calls: Double(calls) / Double(c.groups),
                                             exposureRho: Statistics.spearmanRho(rewards, shares),
                                             advantageCorrelation: Statistics.pearson(advantages, goldAdvantages)))
                }
            }
            // the pointwise judge on the same groups
            let pj = PreferenceBanditPointwiseJudge(noise: noise, center: c.pointwiseCenter, slope: c.pointwiseSlope)
            var prng = root.child("pointwise/n=\(n)/noise=\(noise)")
            var advantages: [Double] = [], collapsed = 0, distinct = 0
            for q in groups {
                let scores = q.map { Double(pj.score(quality: $0, rng: &prng)) }
                let d = Set(scores).count
                distinct += d
                if d == 1 { collapsed += 1 }
                advantages += Tournaments.groupAdvantages(scores)
            }
            pointwise.append(PointwiseReading(n: n, noise: noise, advantageCorrelation: Statistics.pearson(advantages, goldAdvantages),
                                              collapsedGroups: Double(collapsed) / Double(c.groups),
                                              distinctScores: Double(distinct) / Double(c.groups)))
            progress()
        }
    }
    return (cells, pointwise)
}

/// Where a policy's group advantages come from in the RL runs.
public enum AdvantageSource: String, CaseIterable, Codable, Sendable {
    /// ArenaRL: seeded single-elimination with bidirectional judging, r_i = 1 − rank/(N − 1), group-normalised.
    case tournament = "tournament"
    /// The coarse 1–10 pointwise judge's scores, group-normalised.
    case pointwise = "pointwise"
    /// The gold qualities, group-normalised (a reference: what a perfect judge gives).
    case gold = "gold"
}

/// One RL run's gold reward curve (mean over contexts of E_π[q] − μ_c, in units of the within-context spread).
struct RLCurve: Sendable {
    var source: AdvantageSource
    var steps: [Int], goldReward: [Double]
    var optimum: Double
    /// The update's diagnostics at each recorded step (nil at step 0, before any update).
    var diagnostics: [StepDiagnostics?] = [nil]
}

/// A latent-quality bandit: `rlContexts` contexts with `rlResponses` responses each (q = μ_c + s·z), a tabular
/// softmax policy per context from uniform logits. Each step, every context draws a group of `rlGroupSize`
/// responses from the policy; the group's advantages A_i come from `source`; the logits ascend
/// lr · (1/N) Σ_i A_i (e_{y_i} − π) (the exact REINFORCE gradient of the softmax, on-policy, GRPO-style).
func trainPolicy(_ c: ArenaTournaments.Config, source: AdvantageSource, contexts: [[Double]], means: [Double],
                 rng: RandomStream) throws -> RLCurve {
    let k = c.rlResponses, n = c.rlGroupSize
    let noise = c.noiseLevels.max() ?? 0
    let judge = PreferenceBanditPairwiseJudge(noise: noise, positionBias: c.positionBias)
    let pj = PreferenceBanditPointwiseJudge(noise: noise, center: c.pointwiseCenter, slope: c.pointwiseSlope)
    var logits = [[Double]](repeating: [Double](repeating: 0, count: k), count: contexts.count)
    var sampler = rng.child("sample"), judgeRng = rng.child("judge")
    func probs(_ l: [Double]) -> [Double] {
        let m = l.max() ?? 0
        let e = l.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
    func gold() -> Double {
        var total = 0.0
        for (ci, q) in contexts.enumerated() {
            let p = probs(logits[ci])
            total += zip(p, q).reduce(0) { $0 + $1.0 * $1.1 } - means[ci]
        }
        return total / Double(contexts.count) / c.withinGroupSpread
    }
    let optimum = zip(contexts, means).reduce(0.0) { $0 + ($1.0.max() ?? 0) - $1.1 } / Double(contexts.count) / c.withinGroupSpread
    var curve = RLCurve(source: source, steps: [0], goldReward: [gold()], optimum: optimum)
    for step in 1...c.rlSteps {
        // diagnostics of this step's update: the policy samples and is updated once per step, so every ratio is 1 and
        // nothing is clipped; the KL is the exact KL(π_before ‖ π_after) over the K responses, mean over contexts
        var entropy = 0.0, kl = 0.0, mixed = 0
        for (ci, q) in contexts.enumerated() {
            let p = probs(logits[ci])
            entropy -= p.reduce(0.0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) }
            var ys: [Int] = []
            for _ in 0..<n {
                let u = sampler.uniformDouble()
                var acc = 0.0, pick = k - 1
                for j in 0..<k { acc += p[j]; if u < acc { pick = j; break } }
                ys.append(pick)
            }
            let gq = ys.map { q[$0] }
            let adv: [Double]
            switch source {
            case .tournament:
                let r = Tournaments.run(.singleElimination, qualities: gq, judge: judge, judging: .bidirectional, rng: judgeRng.child(step * 100_003 + ci))
                adv = Tournaments.groupAdvantages(r.rewards)
            case .pointwise:
                adv = Tournaments.groupAdvantages(gq.map { Double(pj.score(quality: $0, rng: &judgeRng)) })
            case .gold:
                adv = Tournaments.groupAdvantages(gq)
            }
            var grad = [Double](repeating: 0, count: k)
            for (i, y) in ys.enumerated() {
                grad[y] += adv[i]
                for j in 0..<k { grad[j] -= adv[i] * p[j] }
            }
            for j in 0..<k { logits[ci][j] += c.rlLearningRate * grad[j] / Double(n) }
            if adv.contains(where: { $0 != adv[0] }) { mixed += n }
            let after = probs(logits[ci])
            kl += zip(p, after).reduce(0.0) { $0 + ($1.0 > 0 ? $1.0 * Foundation.log($1.0 / $1.1) : 0) }
        }
        let m = Double(contexts.count)
        let diagnostics = StepDiagnostics(meanRatio: 1, clipFraction: 0, approxKL: kl / m, entropy: entropy / m,
                                          mixedGroupShare: Double(mixed) / (m * Double(n)))
        let flat = logits.flatMap { $0 }
        try DivergenceError.check(flat.reduce(0, +), names: "policy logits", step: step)
        if step % c.rlEvalEvery == 0 || step == c.rlSteps {
            curve.steps.append(step); curve.goldReward.append(gold()); curve.diagnostics.append(diagnostics)
        }
    }
    return curve
}
