import Testing
import Foundation
import Engine
@testable import Harness
@testable import RLRazorExperiment

@Suite struct RLRazorConfiguration {
    @Test func configurationsAreValidated() {
        #expect(RLRazor.validate(RLRazor.defaultConfig) == nil && RLRazor.validate(RLRazor.quickConfig) == nil)
        var c = RLRazor.defaultConfig
        c.learningRates = [1e-3]
        #expect(RLRazor.validate(c) != nil)
        c = RLRazor.defaultConfig
        c.groupSize = 1
        #expect(RLRazor.validate(c) != nil)
        #expect(RLRazor.defaultConfig.learningRates.count >= 8)
        let r = RLRazor.defaultConfig.learningRates
        #expect(Swift.abs(r.first! - 3e-6) < 1e-12 && Swift.abs(r.last! - 1e-3) < 1e-12)
        #expect(zip(r, r.dropFirst()).allSatisfy { Swift.abs($1 / $0 - r[1] / r[0]) < 1e-9 })   // log-spaced
    }
}
