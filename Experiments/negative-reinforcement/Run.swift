import Foundation
import Harness
import Training

extension NegativeReinforcement: CountdownExperiment {
    public typealias SeedResult = CountdownSeedResult
    /// Each run from the base (no reference model: the KL to the base is not measured here).
    public static let measuresKLToBase = false
}
