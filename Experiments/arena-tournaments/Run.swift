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

    public static func runSeed(config c: Config, seed: Int, context: RunContext) throws -> SeedResult {
        let root = RandomStream(seed: UInt64(seed)).child(name)
        let s = sweep(c, root: root.child("sweep")) { context.progress.advance(metric: "sweep") }
        // RL: the same bandit for every advantage source (paired)
        var brng = root.child("rl/bandit")
        var contexts: [[Double]] = [], means: [Double] = []
        for _ in 0..<c.rlContexts {
            let mu = c.contextSpread * brng.gaussian()
            means.append(mu)
            contexts.append((0..<c.rlResponses).map { _ in mu + c.withinGroupSpread * brng.gaussian() })
        }
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
