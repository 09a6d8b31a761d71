import Foundation
import Engine
import Environments
import Harness

extension ArenaTournaments {
    public struct SeedResult: Sendable {
        var cells: [CellReading]
        var pointwise: [PointwiseReading]
        var curves: [RLCurve?]
    }

    /// The RL bandit of a seed: each context's response qualities and its mean (the same for every advantage source).
    static func rlBandit(_ c: Config, root: RandomStream) -> (contexts: [[Double]], means: [Double]) {
        var brng = root.child("rl/bandit")
        var contexts: [[Double]] = [], means: [Double] = []
        for _ in 0..<c.rlContexts {
            let mu = c.contextSpread * brng.gaussian()
            means.append(mu)
            contexts.append((0..<c.rlResponses).map { _ in mu + c.withinGroupSpread * brng.gaussian() })
        }
        return (contexts, means)
    }

    /// One group per group size through every (noise, judging, topology) cell and the pointwise judge, the RL bandit,
    /// and one RL step per advantage source.
    public static func construct(config c: Config, seed: Int) throws {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        var one = c
        one.groups = 1; one.rlSteps = 1; one.rlEvalEvery = 1
        _ = sweep(one, root: root.child("sweep")) {}
        let (contexts, means) = rlBandit(c, root: root)
        for source in c.advantageSources { _ = try trainPolicy(one, source: source, contexts: contexts, means: means, rng: root.child("rl/\(source.rawValue)")) }
    }

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let s = sweep(c, root: root.child("sweep")) { context.progress.advance(metric: "sweep") }
        // RL: the same bandit for every advantage source (paired)
        let (contexts, means) = rlBandit(c, root: root)
        var curves: [RLCurve?] = []
        for source in c.advantageSources {
            let curve = try context.guarded(variant: "rl/\(source.rawValue)", seed: seed) {
                try trainPolicy(c, source: source, contexts: contexts, means: means, rng: root.child("rl/\(source.rawValue)"))
            }
            curves.append(curve)
            context.progress.advance(metric: "rl/\(source.rawValue)")
        }
        return SeedResult(cells: s.cells, pointwise: s.pointwise, curves: curves)
    }

    static func cell(_ r: SeedResult, n: Int, noise: Double, _ j: Judging, _ t: Topology) -> CellReading? {
        r.cells.first { $0.n == n && $0.noise == noise && $0.judging == j && $0.topology == t }
    }

}
