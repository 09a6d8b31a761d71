import Testing
import Foundation
import Engine
import Environments
@testable import Harness
@testable import ArenaTournamentsExperiment

/// Unit tests of the tournament machinery of arena-tournaments (fast: small groups, a few hundred comparisons).
struct ArenaTournamentsTests {
    static func group(_ n: Int, seed: UInt64) -> [Double] {
        var rng = RandomStream(seed: seed)
        return (0..<n).map { _ in rng.gaussian() }
    }

    @Test func callCountsMatchEachTopology() {
        let judge = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0.5)
        for n in [2, 3, 5, 8, 13, 16] {
            let swissRounds = Int(Foundation.ceil(Foundation.log2(Double(n))))
            let expected: [Topology: Int] = [.roundRobin: n * (n - 1) / 2, .anchor: n - 1, .singleElimination: 2 * n - 2,
                                             .doubleElimination: 2 * n - 2, .swiss: Swift.min(swissRounds, n - 1) * (n / 2)]
            for j in Judging.allCases {
                for t in Topology.allCases {
                    let r = Tournaments.run(t, qualities: Self.group(n, seed: UInt64(n)), judge: judge, judging: j, rng: RandomStream(seed: 7))
                    #expect(r.calls == expected[t]! * j.callsPerComparison, "\(t) \(j) N=\(n): \(r.calls) calls")
                    #expect(Tournaments.comparisons(t, n: n) == expected[t]!)
                    if t == .singleElimination { #expect(r.calls <= (2 * n - 2) * j.callsPerComparison) }
                }
            }
        }
    }

    @Test func everySampleIsRankedAndJudged() {
        let judge = PreferenceBanditPairwiseJudge(noise: 0.7, positionBias: 0.3)
        for n in [2, 5, 8, 16] {
            for t in Topology.allCases {
                let r = Tournaments.run(t, qualities: Self.group(n, seed: 3), judge: judge, judging: .oneDirectional, rng: RandomStream(seed: 11))
                #expect(r.rankScore.count == n && r.rankScore.allSatisfy(\.isFinite))
                #expect(r.pairings.allSatisfy { $0 > 0 }, "\(t): a sample was never compared")
                let rewards = r.rewards
                #expect(rewards.allSatisfy { $0 >= 0 && $0 <= 1 })
                // ranks 0…N−1 (ties at their mean) always sum to N(N−1)/2, so the rewards sum to N/2
                #expect(Swift.abs(rewards.reduce(0, +) - Double(n) / 2) < 1e-9)
            }
        }
    }

    @Test func rankRewardsAndBracketOrder() {
        #expect(Tournaments.rankRewards([3, 1, 2, 2]) == [1, 0, 0.5, 0.5])
        #expect(Tournaments.bracketOrder(8) == [0, 7, 3, 4, 1, 6, 2, 5])
        #expect(Tournaments.bracketOrder(5) == [0, 3, 4, 1, 2])
        let a = Tournaments.groupAdvantages([1, 2, 3])
        #expect(Swift.abs(a[0] + 1) < 1e-5 && Swift.abs(a[1]) < 1e-12 && Swift.abs(a[2] - 1) < 1e-5)
    }

    @Test func noiselessUnbiasedRoundRobinIsExact() {
        let judge = PreferenceBanditPairwiseJudge(noise: 0, positionBias: 0)
        for seed in 0..<20 {
            let q = Self.group(16, seed: UInt64(seed))
            for j in Judging.allCases {
                let r = Tournaments.run(.roundRobin, qualities: q, judge: judge, judging: j, rng: RandomStream(seed: UInt64(seed)))
                #expect(Statistics.kendallTau(r.rankScore, q) == 1)
            }
            // and the noiseless bracket crowns the best sample
            let se = Tournaments.run(.singleElimination, qualities: q, judge: judge, judging: .oneDirectional, rng: RandomStream(seed: 1))
            #expect(se.rankScore.firstIndex(of: se.rankScore.max()!) == q.firstIndex(of: q.max()!))
        }
    }

    /// Two samples of equal quality, a strong position bias: one-directionally the sample shown first wins far more
    /// often; bidirectionally its expected score does not depend on the primary orientation.
    @Test func bidirectionalJudgingRemovesPositionBiasInExpectation() {
        let judge = PreferenceBanditPairwiseJudge(noise: 0.5, positionBias: 1)
        for j in Judging.allCases {
            var arena = Arena(qualities: [0.3, 0.3], judge: judge, judging: j, rng: RandomStream(seed: 5))
            var first: [Double] = [], second: [Double] = []
            for _ in 0..<4000 {
                let before = arena.shownFirst[0]
                let (s0, _) = arena.compare(0, 1)
                if arena.shownFirst[0] > before { first.append(s0) } else { second.append(s0) }
            }
            let gap = Statistics.mean(first) - Statistics.mean(second)
            if j == .oneDirectional { #expect(gap > 0.5, "one-directional gap \(gap)") } else { #expect(Swift.abs(gap) < 0.04, "bidirectional gap \(gap)") }
        }
    }

    @Test func tournamentsAreDeterministic() {
        let judge = PreferenceBanditPairwiseJudge(noise: 1, positionBias: 0.5)
        let q = Self.group(16, seed: 9)
        for t in Topology.allCases {
            let a = Tournaments.run(t, qualities: q, judge: judge, judging: .bidirectional, rng: RandomStream(seed: 42))
            let b = Tournaments.run(t, qualities: q, judge: judge, judging: .bidirectional, rng: RandomStream(seed: 42))
            #expect(a.rankScore == b.rankScore && a.calls == b.calls && a.shownFirst == b.shownFirst)
        }
    }
}

/// Topologies and advantage sources are values set from the command line; claims naming an absent one are inconclusive.
@Suite struct ArenaTournamentsDeclarationTests {
    @Test func aSubsetOfTopologiesLeavesTheClaimsThatNeedOthersInconclusive() throws {
        let e = AnyExperiment(ArenaTournaments.self)
        #expect(e.methodNames == ["round-robin", "anchor-based", "seeded-single-elimination", "double-elimination", "swiss",
                                  "rl/tournament", "rl/pointwise", "rl/gold"])
        let run = try CLI.execute(e, quick: true, seeds: [0], overrides: ["topologies=[\"round-robin\",\"swiss\"]", "advantageSources=[\"gold\"]",
                                                                           "groups=20", "rlSteps=5"])
        let verdicts = Dictionary(uniqueKeysWithValues: run.claims.map { ($0.spec.id, $0) })
        for id in ["1a", "1b", "1c", "2a", "2b", "3a"] {
            #expect(verdicts[id]?.verdict == .inconclusive)
            #expect(verdicts[id]?.note.contains("seeded-single-elimination") == true)
        }
        #expect(verdicts["3b"]?.note.contains("'tournament', 'pointwise'") == true)
        let tau = run.files.first { $0.name == "tau_vs_calls.csv" }!.text
        #expect(tau.contains("\nround-robin,") && tau.contains("\nswiss,") && !tau.contains("\nanchor-based,"))
        #expect(throws: UsageError.self) { _ = try CLI.execute(e, quick: true, seeds: [0], overrides: ["topologies=[\"swiss\",\"swiss\"]"]) }
    }
}
