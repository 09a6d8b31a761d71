import Testing
import Foundation
@testable import Environments

@Suite struct GridDensityEnvironment {
    @Test func gridAndOverlapsMatchThePapersSetup() {
        let grid = GridDensity(.bimodal, points: 500)
        // the target's components integrate to their weights on [−8, 8]
        #expect(Swift.abs(grid.area1 - 0.75) < 1e-4 && Swift.abs(grid.area2 - 0.25) < 1e-4)
        // a model equal to the target has accuracy 1 on both modes
        let perfect = GridModelParams(pi1: 0.75, mu1: -3, s1: 1, mu2: 3.5, s2: 0.7)
        let acc = grid.accuracies(perfect, .bimodal)
        #expect(Swift.abs(acc.old - 1) < 1e-9 && Swift.abs(acc.new - 1) < 1e-9)
        // the initial bimodal model: old mode shifted by 0.5 ⇒ overlap 2Φ(−0.25) ≈ 0.8026; new mode far away
        let start = grid.accuracies(.bimodalStart, .bimodal)
        #expect(Swift.abs(start.old - 0.8026) < 2e-3)
        #expect(start.new < 0.05)
        #expect(Swift.abs(GridDensity.trapezoid(grid.density(.bimodalStart, .bimodal), grid.xs) - 1) < 1e-9)
    }

}
