import Foundation
import Engine
import Environments
import Harness

// ArenaRL's five tournament topologies over a group of N samples with latent gold qualities, judged by the noisy,
// position-biased `PreferenceBanditPairwiseJudge`. The rules follow the ArenaRL release's group reward models
// (round_robin, anchor, single_elimination, double_elimination, swiss), with our judge's binary verdicts in place of
// its rubric scores:
//
// - a comparison of a and b returns scores (s_a, s_b) with s_a + s_b = 1: one-directional judging is one call in a
//   random orientation (the winner scores 1); bidirectional judging is two calls, the random primary orientation then
//   the reverse (each sample scores the share of the two verdicts it won: 0, ½ or 1);
// - round-robin: every pair once; a win (s_a > s_b) is worth 1, a tie ½ each; ranked by wins (ties stay tied);
// - anchor-based: every sample against sample 0 (the anchor); a sample's score is its score against the anchor, the
//   anchor's is the mean of its scores; ranked by score (ties stay tied);
// - seeded single-elimination: anchor-based seeding (N − 1 comparisons), then a standard seeded bracket (seed 1 meets
//   seed N in round one, …; byes for a group that is not a power of two) in which the earlier bracket slot advances
//   on a tie (s₁ ≥ s₂); final order: champion, then the losers of each round from the final backwards, within a round
//   by their mean score over all their comparisons (seeding included); exactly equal keys stay tied. N − 1 seeding
//   plus N − 1 match comparisons: 2N − 2 calls one-directionally;
// - double-elimination: a winners' bracket with random pairings every round, its losers dropping into a losers'
//   bracket (random pairings, byes), and a grand final between the two bracket champions (no reset); final order:
//   grand-final winner, grand-final loser, then the losers' bracket eliminations from last to first, within a round
//   by mean score. (N − 1) + (N − 2) + 1 = 2N − 2 comparisons;
// - Swiss: ⌈log₂ N⌉ rounds (at most N − 1); each round shuffles, sorts by points (stable) and pairs greedily down the
//   table avoiding rematches where possible (an odd group gives the last player a bye worth 1 point); a win is worth
//   1, a tie ½ each; ranked by (points, Buchholz = sum of opponents' points), ties stay tied.
//
// Every tournament returns a rank score per sample (higher = better; equal = tied), the number of judge calls, and
// each sample's exposure: how many of its pairings put it first in the primary orientation.

/// Which topology ranks the group.
public enum Topology: String, CaseIterable, Codable, Sendable {
    case roundRobin = "round-robin"
    case anchor = "anchor-based"
    case singleElimination = "seeded-single-elimination"
    case doubleElimination = "double-elimination"
    case swiss = "swiss"
}

/// One judge call per comparison (random orientation) or two (both orders).
public enum Judging: String, CaseIterable, Codable, Sendable {
    case oneDirectional = "one-directional"
    case bidirectional = "bidirectional"
    /// Judge calls per comparison.
    public var callsPerComparison: Int { self == .oneDirectional ? 1 : 2 }
}

/// A tournament's outcome for one group.
public struct TournamentResult: Sendable {
    /// Higher = better; equal values are tied ranks.
    public var rankScore: [Double]
    /// Judge calls spent.
    public var calls: Int
    /// Per sample: comparisons it took part in, and how many of them showed it first in the primary orientation.
    public var pairings: [Int], shownFirst: [Int]

    /// Share of a sample's comparisons in which the primary orientation showed it first (0 for none).
    public var firstShare: [Double] { zip(shownFirst, pairings).map { $1 > 0 ? Double($0) / Double($1) : 0 } }

    /// ArenaRL's reward r_i = 1 − rank_i / (N − 1), with 0-based ranks from the best down and tied samples given the
    /// mean of the ranks they span.
    public var rewards: [Double] { Tournaments.rankRewards(rankScore) }
}

/// One group's judging session: the gold qualities, the judge, the judging mode, the call count and exposures.
public struct Arena {
    public let qualities: [Double]
    public let judge: PreferenceBanditPairwiseJudge
    public let judging: Judging
    public var rng: RandomStream
    public private(set) var calls = 0
    public private(set) var pairings: [Int], shownFirst: [Int]

    public init(qualities: [Double], judge: PreferenceBanditPairwiseJudge, judging: Judging, rng: RandomStream) {
        self.qualities = qualities; self.judge = judge; self.judging = judging; self.rng = rng
        pairings = [Int](repeating: 0, count: qualities.count); shownFirst = pairings
    }

    /// Compares samples a and b: (score of a, score of b), summing to 1.
    public mutating func compare(_ a: Int, _ b: Int) -> (Double, Double) {
        require(a != b, "Arena.compare: a sample cannot meet itself")
        let aFirst = rng.bernoulli(0.5)
        let (first, second) = aFirst ? (a, b) : (b, a)
        pairings[a] += 1; pairings[b] += 1; shownFirst[first] += 1
        var firstScore = judge.firstWins(first: qualities[first], second: qualities[second], rng: &rng) ? 1.0 : 0.0
        calls += 1
        if judging == .bidirectional {
            let reverse = judge.firstWins(first: qualities[second], second: qualities[first], rng: &rng) ? 0.0 : 1.0
            calls += 1
            firstScore = (firstScore + reverse) / 2
        }
        return aFirst ? (firstScore, 1 - firstScore) : (1 - firstScore, firstScore)
    }

    func result(_ rankScore: [Double]) -> TournamentResult {
        TournamentResult(rankScore: rankScore, calls: calls, pairings: pairings, shownFirst: shownFirst)
    }
}

public enum Tournaments {
    /// Runs `topology` over the group.
    public static func run(_ topology: Topology, qualities: [Double], judge: PreferenceBanditPairwiseJudge, judging: Judging,
                           rng: RandomStream) -> TournamentResult {
        require(qualities.count >= 2, "Tournaments.run: a group needs at least 2 samples")
        var arena = Arena(qualities: qualities, judge: judge, judging: judging, rng: rng)
        switch topology {
        case .roundRobin: return roundRobin(&arena)
        case .anchor: return anchorBased(&arena)
        case .singleElimination: return singleElimination(&arena)
        case .doubleElimination: return doubleElimination(&arena)
        case .swiss: return swiss(&arena)
        }
    }

    /// Comparisons each topology makes on a group of n (judge calls = this × calls per comparison).
    public static func comparisons(_ topology: Topology, n: Int) -> Int {
        switch topology {
        case .roundRobin: return n * (n - 1) / 2
        case .anchor: return n - 1
        case .singleElimination: return 2 * n - 2
        case .doubleElimination: return 2 * n - 2
        case .swiss: return swissRounds(n) * (n / 2)
        }
    }

    static func swissRounds(_ n: Int) -> Int {
        var r = 0
        while (1 << r) < n { r += 1 }
        return Swift.min(r, n - 1)
    }

    /// r_i = 1 − rank_i / (N − 1), 0-based ranks from the best, ties at their mean rank.
    public static func rankRewards(_ rankScore: [Double]) -> [Double] {
        let n = rankScore.count
        guard n >= 2 else { return [Double](repeating: 0, count: n) }
        let ascending = Statistics.ranks(rankScore)                 // 1 = worst
        return ascending.map { 1 - (Double(n) - $0) / Double(n - 1) }
    }

    static func roundRobin(_ a: inout Arena) -> TournamentResult {
        let n = a.qualities.count
        var wins = [Double](repeating: 0, count: n)
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n {
                let (si, sj) = a.compare(i, j)
                if si > sj { wins[i] += 1 } else if sj > si { wins[j] += 1 } else { wins[i] += 0.5; wins[j] += 0.5 }
            }
        }
        return a.result(wins)
    }

    /// Every sample against the anchor (sample 0): (scores, the anchor's per-comparison scores).
    static func anchorScores(_ a: inout Arena) -> [Double] {
        let n = a.qualities.count
        var score = [Double](repeating: 0, count: n)
        var anchorSum = 0.0
        for i in 1..<n {
            let (si, s0) = a.compare(i, 0)
            score[i] = si; anchorSum += s0
        }
        score[0] = anchorSum / Double(n - 1)
        return score
    }

    static func anchorBased(_ a: inout Arena) -> TournamentResult {
        let s = anchorScores(&a)
        return a.result(s)
    }

    /// Standard seeded bracket order for a group of n: slots of seeds (0 = top seed), byes (seeds ≥ n) removed.
    public static func bracketOrder(_ n: Int) -> [Int] {
        var power = 1
        while power < n { power *= 2 }
        var order = [0], count = 1
        while count < power {
            var next: [Int] = []
            for i in order { next.append(i); next.append(2 * count - 1 - i) }
            order = next; count *= 2
        }
        return order.filter { $0 < n }
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    /// Plays one elimination round over `players` in order (pairs of neighbours; a trailing odd player gets a bye):
    /// (winners in order, losers). The first of a pair advances on a tie.
    static func eliminationRound(_ players: [Int], _ a: inout Arena, _ points: inout [[Double]]) -> (winners: [Int], losers: [Int]) {
        var winners: [Int] = [], losers: [Int] = [], byes: [Int] = []
        var i = 0
        while i < players.count {
            if i + 1 < players.count {
                let p1 = players[i], p2 = players[i + 1]
                let (s1, s2) = a.compare(p1, p2)
                points[p1].append(s1); points[p2].append(s2)
                if s1 >= s2 { winners.append(p1); losers.append(p2) } else { winners.append(p2); losers.append(p1) }
                i += 2
            } else { byes.append(players[i]); i += 1 }
        }
        return (byes + winners, losers)
    }

    static func singleElimination(_ a: inout Arena) -> TournamentResult {
        let n = a.qualities.count
        let seedScore = anchorScores(&a)
        var points = seedScore.map { [$0] }
        // seeds by seeding score, best first (stable: ties keep sample order)
        let seeds = (0..<n).sorted { seedScore[$0] > seedScore[$1] || (seedScore[$0] == seedScore[$1] && $0 < $1) }
        var active = bracketOrder(n).map { seeds[$0] }
        var stage = [Int](repeating: 0, count: n)
        var round = 0
        while active.count > 1 {
            round += 1
            // pair neighbours in bracket order; byes (a trailing odd player) advance, keeping bracket order
            var next: [Int] = [], i = 0
            while i < active.count {
                if i + 1 < active.count {
                    let p1 = active[i], p2 = active[i + 1]
                    let (s1, s2) = a.compare(p1, p2)
                    points[p1].append(s1); points[p2].append(s2)
                    if s1 >= s2 { next.append(p1); stage[p2] = round } else { next.append(p2); stage[p1] = round }
                    i += 2
                } else { next.append(active[i]); i += 1 }
            }
            active = next
        }
        stage[active[0]] = round + 1
        return a.result((0..<n).map { Double(stage[$0]) * 2 + mean(points[$0]) })
    }

    static func doubleElimination(_ a: inout Arena) -> TournamentResult {
        let n = a.qualities.count
        var points = [[Double]](repeating: [], count: n)
        func shuffled(_ xs: [Int], _ a: inout Arena) -> [Int] { var p = xs; a.rng.shuffle(&p); return p }
        // winners' bracket
        var active = Array(0..<n)
        var drops: [[Int]] = []
        while active.count > 1 {
            let r = eliminationRound(shuffled(active, &a), &a, &points)
            active = r.winners
            if !r.losers.isEmpty { drops.append(r.losers) }
        }
        let wbChampion = active[0]
        // losers' bracket
        var lb: [Int] = [], eliminated: [[Int]] = []
        for dropped in drops {
            lb += dropped
            if lb.count >= 2 {
                let r = eliminationRound(shuffled(lb, &a), &a, &points)
                lb = r.winners
                if !r.losers.isEmpty { eliminated.append(r.losers) }
            }
        }
        while lb.count > 1 {
            let r = eliminationRound(shuffled(lb, &a), &a, &points)
            lb = r.winners
            if !r.losers.isEmpty { eliminated.append(r.losers) }
        }
        // grand final
        var key = [Double](repeating: 0, count: n)
        let top = Double(eliminated.count + 2)
        if let lbChampion = lb.first {
            let r = eliminationRound(shuffled([wbChampion, lbChampion], &a), &a, &points)
            key[r.winners[0]] = (top + 1) * 2; key[r.losers[0]] = top * 2
        } else { key[wbChampion] = (top + 1) * 2 }
        for (k, group) in eliminated.enumerated() { for p in group { key[p] = Double(k + 1) * 2 } }
        return a.result((0..<n).map { key[$0] + mean(points[$0]) })
    }

    static func swiss(_ a: inout Arena) -> TournamentResult {
        let n = a.qualities.count
        var points = [Double](repeating: 0, count: n)
        var opponents = [Set<Int>](repeating: [], count: n)
        for _ in 0..<swissRounds(n) {
            var order = Array(0..<n)
            a.rng.shuffle(&order)
            // stable sort by points, best first
            order = order.enumerated().sorted { points[$0.element] > points[$1.element] || (points[$0.element] == points[$1.element] && $0.offset < $1.offset) }.map(\.element)
            var bye: Int? = nil
            if order.count % 2 == 1 { bye = order.removeLast() }
            var done = [Bool](repeating: false, count: order.count)
            var pairs: [(Int, Int)] = []
            for i in 0..<order.count where !done[i] {
                let p1 = order[i]
                var j = (i + 1..<order.count).first { !done[$0] && !opponents[p1].contains(order[$0]) }
                if j == nil { j = (i + 1..<order.count).first { !done[$0] } }
                guard let jj = j else { continue }
                done[i] = true; done[jj] = true
                pairs.append((p1, order[jj]))
            }
            for (i, j) in pairs {
                let (si, sj) = a.compare(i, j)
                if si > sj { points[i] += 1 } else if sj > si { points[j] += 1 } else { points[i] += 0.5; points[j] += 0.5 }
                opponents[i].insert(j); opponents[j].insert(i)
            }
            if let bye { points[bye] += 1 }
        }
        let buchholz = (0..<n).map { p in opponents[p].reduce(0.0) { $0 + points[$1] } }
        return a.result((0..<n).map { points[$0] * 1000 + buchholz[$0] })
    }

    /// Group-normalised advantages (x − mean) / (std + 1e-6), std with n − 1 (ArenaRL / GRPO); zeros when n < 2.
    public static func groupAdvantages(_ x: [Double]) -> [Double] {
        let n = x.count
        guard n >= 2 else { return [Double](repeating: 0, count: n) }
        let m = x.reduce(0, +) / Double(n)
        let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
        let s = v.squareRoot() + 1e-6
        return x.map { ($0 - m) / s }
    }
}
