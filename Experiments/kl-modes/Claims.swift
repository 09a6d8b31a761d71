import Foundation
import Environments
import Harness

extension KLModes {
    public static let claims: [ClaimSpec] = [
        ClaimSpec(id: "1", description: "Bimodal initial model, at matched Gain 0.9: reverse KL (RL) drops the old mode less than forward KL (SFT)",
                  statistic: "Drop(reverse) − Drop(forward) at Gain 0.9, each learner at its best learning rate",
                  direction: .below(0), kind: .perSeed, precondition: "both learners reach Gain 0.9 at some learning rate"),
        ClaimSpec(id: "2", description: "Uni-modal initial model, at matched Gain 0.9: forward KL (SFT) drops the old mode less than reverse KL (RL)",
                  statistic: "Drop(forward) − Drop(reverse) at Gain 0.9, each learner at its best learning rate",
                  direction: .below(0), kind: .perSeed, precondition: "both learners reach Gain 0.9 at some learning rate"),
        ClaimSpec(id: "3", description: "Bimodal initial model, at Gain 0.9: forward KL drains the old mode's weight π₁ more than reverse KL (the mechanism)",
                  statistic: "fall of π₁ (forward) − fall of π₁ (reverse) at Gain 0.9, same runs as claim 1",
                  direction: .above(0), kind: .perSeed, precondition: "both learners reach Gain 0.9 at some learning rate"),
    ]

    /// Every claim compares the learners named `forward` and `reverse`; a run without one of them makes the claims
    /// inconclusive.
    static func evidence(config c: Config, results: [SeedResult], learners: [String]) -> [String: ClaimEvidence] {
        func perSeed(_ m: GridInitialModel, _ value: @escaping (Reading, Reading) -> Double?) -> ClaimEvidence {
            .comparing(["forward", "reverse"], in: learners) {
                var values: [Double?] = [], failed: [String?] = []
                for res in results {
                    let f = best(res, m, "forward"), r = best(res, m, "reverse")
                    if let f, let r { values.append(value(f, r)); failed.append(nil) } else {
                        values.append(nil)
                        failed.append("\(f == nil ? "forward" : "reverse") KL never reached Gain \(c.gainLevel) from the \(m.rawValue) init")
                    }
                }
                return .perSeed(values: values, preconditionFailed: failed)
            }
        }
        let start = GridInitialModel.bimodal.start.pi1
        return ["1": perSeed(.bimodal) { f, r in r.dropAtLevel! - f.dropAtLevel! },
                "2": perSeed(.unimodal) { f, r in f.dropAtLevel! - r.dropAtLevel! },
                "3": perSeed(.bimodal) { f, r in (start - f.pi1AtLevel!) - (start - r.pi1AtLevel!) }]
    }
}
