import Foundation
import Testing
@testable import Objectives

// The unbiased pass@k estimator (Chen et al. 2021) on hand values and exact combinatorics.

private func close(_ a: Double, _ b: Double, abs: Double) -> Bool { Swift.abs(a - b) <= abs }

@Suite struct PassAtKTests {
    @Test func handValues() {
        #expect(close(Evaluation.passAtK(samples: 10, correct: 3, k: 1), 0.3, abs: 1e-15))  // c/n
        #expect(Evaluation.passAtK(samples: 10, correct: 0, k: 1) == 0)
        #expect(Evaluation.passAtK(samples: 10, correct: 0, k: 5) == 0)
        #expect(Evaluation.passAtK(samples: 10, correct: 10, k: 1) == 1)
        #expect(Evaluation.passAtK(samples: 10, correct: 10, k: 10) == 1)
        // 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7
        #expect(close(Evaluation.passAtK(samples: 5, correct: 2, k: 2), 0.7, abs: 1e-15))
        // n − c < k ⇒ 1: n = 20, c = 1, k = 20; and n − c = k: 1 − C(19,19)/C(20,19) = 1 − 1/20 = 0.95.
        #expect(Evaluation.passAtK(samples: 20, correct: 1, k: 20) == 1)
        #expect(close(Evaluation.passAtK(samples: 20, correct: 1, k: 19), 0.95, abs: 1e-15))
        // pass@1 is always c/n (would fail for an off-by-one product range).
        for (n, c) in [(7, 2), (100, 37), (3, 1)] {
            #expect(close(Evaluation.passAtK(samples: n, correct: c, k: 1), Double(c) / Double(n), abs: 1e-15))
        }
    }

    @Test func largerCasesVsExactCombinatorics() {
        // python: float(1 − Fraction(math.comb(n − c, k), math.comb(n, k)))
        #expect(close(Evaluation.passAtK(samples: 200, correct: 17, k: 10), 0.5974489015799118, abs: 1e-14))
        #expect(close(Evaluation.passAtK(samples: 100, correct: 50, k: 20), 0.9999999120696371, abs: 1e-14))
        #expect(close(Evaluation.passAtK(samples: 1000, correct: 3, k: 100), 0.2712433876762534, abs: 1e-14))
    }
}

@Suite struct PassAtKArgumentTests {
    // The package builds with -Ounchecked, where `precondition` is skipped; these confirm the checks still stop.
    @Test func invalidArgumentsStop() async {
        await #expect(processExitsWith: .failure) { _ = Evaluation.passAtK(samples: 5, correct: 6, k: 1) }
        await #expect(processExitsWith: .failure) { _ = Evaluation.passAtK(samples: 5, correct: 2, k: 0) }
    }
}
