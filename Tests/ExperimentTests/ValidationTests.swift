import Testing
import Foundation
@testable import Harness

/// Values out of range stop a run before any work, with a usage error (exit status 2), never a trap or a hang.
@Suite struct ValidationTests {
    @Test(arguments: [
        ["rl-razor", "pixelNoise=-1"], ["rl-razor", "bootstrapResamples=-5"], ["rl-razor", "equivalenceMargin=0"],
        ["composition", "base.heads=7"], ["composition", "base.heads=0"], ["composition", "base.environment.testReservationPeriod=1"],
        ["composition", "base.mix.auxiliaryShare=2"], ["negative-reinforcement", "base.heads=7"], ["minimalist-rl", "base.heads=7"],
        ["kl-modes", "samples=0"], ["dpo-family", "methods=[]"], ["arena-tournaments", "topologies=[]"],
    ])
    func outOfRangeValuesAreUsageErrors(_ args: [String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("validation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(CLI.main([args[0], "--quick", "--set", args[1], "--out", out], registry: everyExperiment) == 2, "\(args)")
        #expect(!FileManager.default.fileExists(atPath: out + "/" + args[0] + "/claims.csv"), "\(args): a rejected run wrote results")
    }
}
