import Testing
import Foundation
import Engine
@testable import Objectives

/// The supervised and distillation objectives as values compute exactly what their functions compute (whose values
/// and gradients the other suites check against hand computations and finite differences), and round-trip as JSON.
@Suite struct TokenObjectiveTests {
    @Test func distillationValuesAreTheirFunctions() throws {
        let g = Graph()
        let s = g.constant(distillRandoms(24, seed: 1), Shape(2, 3, 4)), t = g.constant(distillRandoms(24, seed: 2), Shape(2, 3, 4))
        let m = g.constant([1, 1, 0, 1, 0, 1], Shape(2, 3))
        #expect(DistillationObjective.forwardKL(temperature: 0.7).loss(studentLogits: s, teacherLogits: t, mask: m).item
                == forwardKLDistillationLoss(studentLogits: s, teacherLogits: t, mask: m, temperature: 0.7).item)
        #expect(DistillationObjective.reverseKL(temperature: 1).loss(studentLogits: s, teacherLogits: t, mask: m, aggregation: .sequenceMeanOfTokenMeans).item
                == reverseKLDistillationLoss(studentLogits: s, teacherLogits: t, mask: m, aggregation: .sequenceMeanOfTokenMeans).item)
        #expect(DistillationObjective.generalizedJSD(beta: 0.3, temperature: 1).loss(studentLogits: s, teacherLogits: t, mask: m).item
                == generalizedJSDLoss(studentLogits: s, teacherLogits: t, mask: m, beta: 0.3).item)
        #expect(DistillationObjective.generalizedJSD(beta: 2, temperature: 1).problem() != nil)
        #expect(DistillationObjective.forwardKL(temperature: 0).problem() != nil)
        let json = try JSONEncoder().encode(DistillationObjective.generalizedJSD(beta: 0.3, temperature: 1))
        #expect(try JSONDecoder().decode(DistillationObjective.self, from: json) == .generalizedJSD(beta: 0.3, temperature: 1))
    }

    @Test func supervisedValuesAreTheirFunctions() throws {
        let g = Graph()
        let lp = g.constant([-0.5, -1, -2, -0.1, -3, -0.7], Shape(2, 3)), m = g.constant([1, 1, 0, 1, 1, 1], Shape(2, 3))
        #expect(SupervisedObjective.sft.loss(logProbs: lp, mask: m).item == sftLoss(logProbs: lp, mask: m).item)
        #expect(SupervisedObjective.dft.loss(logProbs: lp, mask: m, aggregation: .sequenceMeanOfTokenSums).item
                == dftLoss(logProbs: lp, mask: m, aggregation: .sequenceMeanOfTokenSums).item)
        let json = try JSONEncoder().encode([SupervisedObjective.sft, .dft])
        #expect(try JSONDecoder().decode([SupervisedObjective].self, from: json) == [.sft, .dft])
    }
}
