import Foundation
import Engine
import Objectives
import Harness

/// The per-step policy diagnostics every RL experiment writes beside its training curve (cleanrl's policy/… logs):
/// the update's mean importance ratio, clip fraction, approximate KL to the behaviour policy (k3) and entropy, and
/// the share of samples in groups with mixed rewards.
public struct StepDiagnostics: Equatable, Sendable {
    public var meanRatio: Double
    public var clipFraction: Double
    public var approxKL: Double
    public var entropy: Double
    public var mixedGroupShare: Double

    public init(meanRatio: Double, clipFraction: Double, approxKL: Double, entropy: Double, mixedGroupShare: Double) {
        self.meanRatio = meanRatio; self.clipFraction = clipFraction; self.approxKL = approxKL; self.entropy = entropy
        self.mixedGroupShare = mixedGroupShare
    }

    public init(_ s: SequenceRLStats) {
        self.init(meanRatio: s.update.diagnostics.meanRatio, clipFraction: s.update.diagnostics.clipFraction,
                  approxKL: s.update.diagnostics.approxKL, entropy: s.update.diagnostics.entropy, mixedGroupShare: s.mixedGroupShare)
    }

    public init(_ s: BanditRLStats) {
        self.init(meanRatio: s.update.diagnostics.meanRatio, clipFraction: s.update.diagnostics.clipFraction,
                  approxKL: s.update.diagnostics.approxKL, entropy: s.update.diagnostics.entropy, mixedGroupShare: s.mixedGroupShare)
    }

    /// The CSV columns, in the order of `cells`.
    public static let columns = ["mean_ratio", "clip_fraction", "approx_kl", "update_entropy", "mixed_group_share"]
    public var cells: [CSVValue] { [.double(meanRatio), .double(clipFraction), .double(approxKL), .double(entropy), .double(mixedGroupShare)] }

    /// Share of the samples whose group (rows i·G … i·G+G−1) has at least two different rewards.
    public static func mixedGroupShare(rewards: [Float], groupSize g: Int) -> Double {
        guard g > 0, !rewards.isEmpty else { return 0 }
        var mixed = 0
        for start in stride(from: 0, to: rewards.count, by: g) {
            let group = rewards[start..<Swift.min(rewards.count, start + g)]
            if let first = group.first, group.contains(where: { $0 != first }) { mixed += group.count }
        }
        return Double(mixed) / Double(rewards.count)
    }
}
