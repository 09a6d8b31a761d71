import Foundation
import Engine
import Environments


// The Retaining-by-Doing grid toy (Chen et al. 2025, official code `simulation/`), in Double precision.
//
// Target p = 0.75·N(−3, 1) + 0.25·N(3.5, 0.7): the left mode is the old task T′, the right mode the new task T.
// Bimodal model q = π₁·N(μ₁, σ₁) + (1 − π₁)·N(μ₂, σ₂), starting at π₁ = 0.75, N(−3.5, 1), N(0.5, 0.7); the old-mode
// parameters (π₁, μ₁, σ₁) learn `slowFactor` times slower. Uni-modal model q = N(μ, σ) starting at N(−3.5, 1).

/// A learner of the grid toy, as a value.
public enum KLLearner: Codable, Hashable, Sendable {
    /// SFT-like: gradient descent on the mixture's negative log-likelihood of samples from p's right mode.
    case forward
    /// RL-like: samples from q's right component, reward log(p₂ / (β·q₂)), importance weight q / q₂, score-function
    /// gradient ascent (paper: β = 0.1).
    case reverse(beta: Double)

    var isForward: Bool { if case .forward = self { return true } else { return false } }
}

/// One run's path: index 0 is the initial model.
struct Trajectory: Sendable {
    var gain: [Double] = [], drop: [Double] = []
    var params: [GridModelParams] = []
}

/// Hyper-parameters shared by every run.
struct RunSettings {
    var samples: Int, iterations: Int, slowFactor: Double
}

/// Runs one learner from one initial model. Throws `DivergenceError` (from the harness) via `check` when a
/// parameter stops being finite.
func simulate(_ model: GridInitialModel, _ learner: KLLearner, learningRate lr: Double, settings: RunSettings, grid: GridDensity,
              rng: inout RandomStream, check: (GridModelParams, Int) throws -> Void) rethrows -> Trajectory {
    var q = model.start
    let acc0 = grid.accuracies(q, model)
    var t = Trajectory()
    func record() {
        let acc = grid.accuracies(q, model)
        t.gain.append(acc.new - acc0.new)     // Gain: rise of new-mode accuracy
        t.drop.append(acc0.old - acc.old)     // Drop: fall of old-mode accuracy
        t.params.append(q)
    }
    record()
    let n = settings.samples, slow = settings.slowFactor
    var xs = [Double](repeating: 0, count: n)
    for step in 1...settings.iterations {
        switch (model, learner) {
        case (.bimodal, .forward):
            for i in 0..<n { xs[i] = GridTarget.m2 + GridTarget.s2 * rng.gaussian() }
            var g = (pi1: 0.0, mu1: 0.0, s1: 0.0, mu2: 0.0, s2: 0.0)
            for x in xs {
                let n1 = gridNormalPDF(x, q.mu1, q.s1), n2 = gridNormalPDF(x, q.mu2, q.s2)
                let qx = q.pi1 * n1 + (1 - q.pi1) * n2 + 1e-12
                let r1 = q.pi1 * n1 / qx, r2 = (1 - q.pi1) * n2 / qx
                g.pi1 -= (n1 - n2) / qx
                g.mu1 -= r1 * (x - q.mu1) / (q.s1 * q.s1)
                g.mu2 -= r2 * (x - q.mu2) / (q.s2 * q.s2)
                g.s1 -= r1 * (-1 / q.s1 + (x - q.mu1) * (x - q.mu1) / (q.s1 * q.s1 * q.s1))
                g.s2 -= r2 * (-1 / q.s2 + (x - q.mu2) * (x - q.mu2) / (q.s2 * q.s2 * q.s2))
            }
            let m = 1 / Double(n)
            q.pi1 -= lr * g.pi1 * m * slow; q.mu1 -= lr * g.mu1 * m * slow; q.s1 -= lr * g.s1 * m * slow
            q.mu2 -= lr * g.mu2 * m; q.s2 -= lr * g.s2 * m
        case let (.bimodal, .reverse(beta)):
            for i in 0..<n { xs[i] = q.mu2 + q.s2 * rng.gaussian() }
            var g = (pi1: 0.0, mu1: 0.0, s1: 0.0, mu2: 0.0, s2: 0.0)
            for x in xs {
                let n1 = gridNormalPDF(x, q.mu1, q.s1), n2 = gridNormalPDF(x, q.mu2, q.s2)
                let q1 = q.pi1 * n1, q2 = (1 - q.pi1) * n2
                let qx = q1 + q2 + 1e-12
                let r1 = q1 / qx
                let p2 = gridNormalPDF(x, GridTarget.m2, GridTarget.s2)
                let reward = Foundation.log(p2 / q2 / beta + 1e-12)
                let w = qx / (q2 + 1e-12)                               // importance weight q / q₂
                g.pi1 += reward * w * (n1 - n2) / qx
                g.mu1 += reward * w * r1 * (x - q.mu1) / (q.s1 * q.s1)
                g.mu2 += reward * w * (1 - r1) * (x - q.mu2) / (q.s2 * q.s2)
                g.s1 += reward * w * r1 * (-1 / q.s1 + (x - q.mu1) * (x - q.mu1) / (q.s1 * q.s1 * q.s1))
                g.s2 += reward * w * (1 - r1) * (-1 / q.s2 + (x - q.mu2) * (x - q.mu2) / (q.s2 * q.s2 * q.s2))
            }
            let m = 1 / Double(n)
            q.pi1 += lr * g.pi1 * m * slow; q.mu1 += lr * g.mu1 * m * slow; q.s1 += lr * g.s1 * m * slow
            q.mu2 += lr * g.mu2 * m; q.s2 += lr * g.s2 * m
        case (.unimodal, .forward):
            for i in 0..<n { xs[i] = GridTarget.m2 + GridTarget.s2 * rng.gaussian() }
            var gmu = 0.0, gs = 0.0
            for x in xs {
                gmu -= (x - q.mu1) / (q.s1 * q.s1)
                gs -= -1 / q.s1 + (x - q.mu1) * (x - q.mu1) / (q.s1 * q.s1 * q.s1)
            }
            q.mu1 -= lr * gmu / Double(n); q.s1 -= lr * gs / Double(n)
        case let (.unimodal, .reverse(beta)):
            for i in 0..<n { xs[i] = q.mu1 + q.s1 * rng.gaussian() }
            var gmu = 0.0, gs = 0.0
            for x in xs {
                let qx = gridNormalPDF(x, q.mu1, q.s1) + 1e-12
                let reward = Foundation.log(gridNormalPDF(x, GridTarget.m2, GridTarget.s2) / qx / beta + 1e-12)
                gmu += reward * (x - q.mu1) / (q.s1 * q.s1)
                gs += reward * (-1 / q.s1 + (x - q.mu1) * (x - q.mu1) / (q.s1 * q.s1 * q.s1))
            }
            q.mu1 += lr * gmu / Double(n); q.s1 += lr * gs / Double(n)
        }
        if model == .bimodal { q.pi1 = Swift.min(Swift.max(q.pi1, 1e-3), 1 - 1e-3) }
        q.s1 = Swift.max(q.s1, 1e-3); q.s2 = Swift.max(q.s2, 1e-3)
        try check(q, step)
        record()
    }
    return t
}
