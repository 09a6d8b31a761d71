import Foundation
import Engine
import Harness

extension LPFMethods {
    public static let claims: [ClaimSpec] = [
        ClaimSpec(id: "1a", description: "PPO's gold win-rate against the SFT base exceeds Binary FeedME's and binary reward conditioning's",
                  statistic: "win-rate(PPO) − max(win-rate(FeedME), win-rate(reward conditioning)), gold evaluator, held-out contexts",
                  direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1b", description: "Best-of-n's gold win-rate exceeds Binary FeedME's",
                  statistic: "win-rate(Best-of-n) − win-rate(FeedME), gold evaluator, held-out contexts", direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1c", description: "Expert Iteration's gold win-rate exceeds Binary FeedME's",
                  statistic: "win-rate(Expert Iteration) − win-rate(FeedME), gold evaluator, held-out contexts", direction: .above(0), kind: .perSeed),
        ClaimSpec(id: "1d", description: "PPO's gold win-rate is at least Expert Iteration's",
                  statistic: "win-rate(PPO) − win-rate(Expert Iteration), gold evaluator, held-out contexts", direction: .atLeast(0), kind: .perSeed),
        ClaimSpec(id: "2a", description: "Along Best-of-n's n (1 … 1024) the proxy reward rises monotonically",
                  statistic: "smallest rise of the proxy reward between consecutive n (held-out contexts)", direction: .atLeast(0), kind: .perSeed),
        ClaimSpec(id: "2b", description: "…while the gold reward peaks at some n < 1024 and ends at least 5% of its range below the peak",
                  statistic: "(peak gold − gold at the largest n) ÷ (max − min gold along n)", direction: .atLeast(0.05), kind: .perSeed,
                  precondition: "the gold reward varies along n"),
        ClaimSpec(id: "2c", description: "PPO with a small KL coefficient: the proxy reward rises (monotonically up to 5% of its range) along training",
                  statistic: "largest fall of the proxy reward from any checkpoint to a later one ÷ its range (smallest KL coefficient)",
                  direction: .atMost(0.05), kind: .perSeed, precondition: "the proxy reward varies along training"),
        ClaimSpec(id: "2d", description: "…while its gold reward peaks and ends at least 5% of its range below the peak",
                  statistic: "(peak gold − final gold) ÷ (max − min gold along training) (smallest KL coefficient)", direction: .atLeast(0.05),
                  kind: .perSeed, precondition: "the gold reward varies along training"),
    ]

    /// The evidence of every claim, comparing the methods by name (`ppo`, `binary-feedme`, `reward-conditioning`,
    /// `best-of-n`, `expert-iteration`); a run without one of them makes the claims that read it inconclusive.
    static func evidence(_ results: [SeedResult], methods: [String]) -> [String: ClaimEvidence] {
        func win(_ r: SeedResult, _ m: String) -> Double? { r.chosen(m)?.scores.testGoldWinRate }
        func perSeed(_ f: (SeedResult) -> Double?) -> ClaimEvidence {
            .perSeed(values: results.map(f), preconditionFailed: results.map { _ in nil })
        }
        func withReason(_ f: (SeedResult) -> (Double?, String?)) -> ClaimEvidence {
            let v = results.map(f)
            return .perSeed(values: v.map(\.0), preconditionFailed: v.map(\.1))
        }
        func difference(_ a: String, _ b: String) -> ClaimEvidence {
            ClaimEvidence.comparing([a, b], in: methods) { perSeed { r in win(r, a).flatMap { x in win(r, b).map { x - $0 } } } }
        }
        var e: [String: ClaimEvidence] = [:]
        e["1a"] = ClaimEvidence.comparing(["ppo", "binary-feedme", "reward-conditioning"], in: methods) {
            perSeed { r in
                guard let p = win(r, "ppo"), let f = win(r, "binary-feedme"), let rc = win(r, "reward-conditioning") else { return nil }
                return p - Swift.max(f, rc)
            }
        }
        e["1b"] = difference("best-of-n", "binary-feedme")
        e["1c"] = difference("expert-iteration", "binary-feedme")
        e["1d"] = difference("ppo", "expert-iteration")
        e["2a"] = ClaimEvidence.comparing(["best-of-n"], in: methods) {
            perSeed { r in
                let proxy = r.bestOfNCurve.map(\.scores.proxyTest)
                return zip(proxy.dropFirst(), proxy).map { $0 - $1 }.min()
            }
        }
        e["2b"] = ClaimEvidence.comparing(["best-of-n"], in: methods) { withReason { dropFromPeak($0.bestOfNCurve.map(\.scores.goldTest)) } }
        e["2c"] = ClaimEvidence.comparing(["ppo"], in: methods) { withReason { largestFall($0.ppoCurve.map(\.scores.proxyTest)) } }
        e["2d"] = ClaimEvidence.comparing(["ppo"], in: methods) { withReason { dropFromPeak($0.ppoCurve.map(\.scores.goldTest)) } }
        return e
    }

    /// (max − last) ÷ (max − min) of a curve: how far it ends below its peak, as a share of its range; nil with a reason
    /// when the curve is flat.
    static func dropFromPeak(_ ys: [Double]) -> (Double?, String?) {
        guard let lo = ys.min(), let hi = ys.max(), hi > lo else { return (nil, "the curve is flat") }
        return ((hi - ys.last!) / (hi - lo), nil)
    }

    /// The largest fall of a curve from any point to a later one, as a share of its range (0 for a non-decreasing
    /// curve); nil with a reason when the curve is flat.
    static func largestFall(_ ys: [Double]) -> (Double?, String?) {
        guard let lo = ys.min(), let hi = ys.max(), hi > lo else { return (nil, "the curve is flat") }
        var runningMax = -Double.infinity, fall = 0.0
        for y in ys { runningMax = Swift.max(runningMax, y); fall = Swift.max(fall, runningMax - y) }
        return (fall / (hi - lo), nil)
    }
}
