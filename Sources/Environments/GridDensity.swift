import Foundation

// The kl-modes grid density (Chen et al. 2025, "Retaining by Doing", official code `simulation/`): a 1-D bandit with a
// continuous-looking action space. A density on a grid; target p = 0.75·N(−3, 1) + 0.25·N(3.5, 0.7), whose left mode
// is the old task T′ and right mode the new task T; the model is a two-component Gaussian mixture (or one Gaussian).
// Accuracy of a mode = ∫ min(p_i, q_i) / ∫ p_i with weighted components, so losing mass counts as forgetting.

/// One Gaussian component's density.
@inline(__always) public func gridNormalPDF(_ x: Double, _ mean: Double, _ std: Double) -> Double {
    let z = (x - mean) / std
    return Foundation.exp(-0.5 * z * z) / (std * 2.5066282746310002)
}

/// The target mixture.
public enum GridTarget {
    public static let w1 = 0.75, m1 = -3.0, s1 = 1.0
    public static let w2 = 0.25, m2 = 3.5, s2 = 0.7
}

/// The model's parameters. The uni-modal model uses (μ₁, σ₁) with π₁ = 1.
public struct GridModelParams: Equatable, Sendable {
    public var pi1: Double, mu1: Double, s1: Double, mu2: Double, s2: Double

    public static let bimodalStart = GridModelParams(pi1: 0.75, mu1: -3.5, s1: 1.0, mu2: 0.5, s2: 0.7)
    public static let unimodalStart = GridModelParams(pi1: 1.0, mu1: -3.5, s1: 1.0, mu2: 0, s2: 1)
}

public enum GridInitialModel: String, CaseIterable, Codable, Sendable {
    case bimodal, unimodal
    public var start: GridModelParams { self == .bimodal ? .bimodalStart : .unimodalStart }
    /// The paper's grid: [−8, 8] for the bimodal setting, [−10, 10] for the uni-modal one, 500 points.
    public var gridRange: (Double, Double) { self == .bimodal ? (-8, 8) : (-10, 10) }
}

/// The grid on which densities and overlaps are computed, with the target's weighted components precomputed.
public struct GridDensity: Sendable {
    public let xs: [Double]
    public let p1: [Double], p2: [Double]
    public let area1: Double, area2: Double

    public init(_ model: GridInitialModel, points: Int) {
        let (lo, hi) = model.gridRange
        xs = (0..<points).map { lo + (hi - lo) * Double($0) / Double(points - 1) }
        p1 = xs.map { GridTarget.w1 * gridNormalPDF($0, GridTarget.m1, GridTarget.s1) }
        p2 = xs.map { GridTarget.w2 * gridNormalPDF($0, GridTarget.m2, GridTarget.s2) }
        area1 = GridDensity.trapezoid(p1, xs); area2 = GridDensity.trapezoid(p2, xs)
    }

    public static func trapezoid(_ y: [Double], _ x: [Double]) -> Double {
        var s = 0.0
        for i in 1..<x.count { s += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]) }
        return s
    }

    /// The model's weighted components on the grid: q₁ = π₁·N(μ₁, σ₁), q₂ = (1 − π₁)·N(μ₂, σ₂); the uni-modal model
    /// is one unweighted Gaussian, compared with both target modes.
    public func components(_ q: GridModelParams, _ model: GridInitialModel) -> ([Double], [Double]) {
        if model == .unimodal {
            let v = xs.map { gridNormalPDF($0, q.mu1, q.s1) }
            return (v, v)
        }
        return (xs.map { q.pi1 * gridNormalPDF($0, q.mu1, q.s1) }, xs.map { (1 - q.pi1) * gridNormalPDF($0, q.mu2, q.s2) })
    }

    /// Accuracy of each mode: ∫ min(p_i, q_i) / ∫ p_i with weighted components, so losing mass counts as forgetting.
    public func accuracies(_ q: GridModelParams, _ model: GridInitialModel) -> (old: Double, new: Double) {
        let (q1, q2) = components(q, model)
        return (GridDensity.trapezoid(zip(p1, q1).map { Swift.min($0, $1) }, xs) / area1,
                GridDensity.trapezoid(zip(p2, q2).map { Swift.min($0, $1) }, xs) / area2)
    }

    /// The normalised mixture density of the model (for figures).
    public func density(_ q: GridModelParams, _ model: GridInitialModel) -> [Double] {
        let v = model == .unimodal ? xs.map { gridNormalPDF($0, q.mu1, q.s1) }
                                   : xs.map { q.pi1 * gridNormalPDF($0, q.mu1, q.s1) + (1 - q.pi1) * gridNormalPDF($0, q.mu2, q.s2) }
        let z = GridDensity.trapezoid(v, xs)
        return v.map { $0 / z }
    }

    public var targetDensity: [Double] {
        let v = zip(p1, p2).map { $0 + $1 }
        let z = GridDensity.trapezoid(v, xs)
        return v.map { $0 / z }
    }
}

