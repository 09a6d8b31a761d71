import Foundation
import Harness
import Training

extension MinimalistRL: CountdownExperiment {
    public typealias SeedResult = CountdownSeedResult
    /// Each run from the base (the frozen base is the reference its KL is measured against).
    public static let measuresKLToBase = true
}
