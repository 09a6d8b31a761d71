import Foundation
import Engine

/// Evaluation helpers shared by every experiment: accuracy, pass@k, entropy, KL and total variation of categorical
/// distributions. Distributions are arrays of probabilities (they need not be normalised exactly; nothing is
/// renormalised).
public enum Evaluation {
    /// Share of predictions equal to their labels (0 for empty input).
    public static func accuracy(_ predictions: [Int], _ labels: [Int]) -> Double {
        require(predictions.count == labels.count, "accuracy: \(predictions.count) predictions for \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// The unbiased pass@k estimator (Chen et al. 2021): 1 − C(n−c, k)/C(n, k) for n samples of which c are correct,
    /// computed stably as 1 − Π_{i=n−c+1}^{n} (1 − k/i); 1 when n − c < k. Requires 0 ≤ c ≤ n and 1 ≤ k ≤ n.
    public static func passAtK(samples n: Int, correct c: Int, k: Int) -> Double {
        require(c >= 0 && c <= n, "passAtK: need 0 ≤ c ≤ n, got n = \(n), c = \(c)")
        require(k >= 1 && k <= n, "passAtK: need 1 ≤ k ≤ n, got n = \(n), k = \(k)")
        if n - c < k { return 1 }
        var product = 1.0
        var i = n - c + 1
        while i <= n { product *= 1 - Double(k) / Double(i); i += 1 }
        return 1 - product
    }

    /// The k of a pass@k curve from n samples per problem: 1, 2, 4, … below n, then n.
    public static func passAtKs(upTo n: Int) -> [Int] {
        var ks: [Int] = [], k = 1
        while k < n { ks.append(k); k *= 2 }
        return ks + [n]
    }

    /// Mean pass@k over problems, each with `samples` samples and `correctCounts[p]` correct ones.
    public static func passAtK(correctCounts: [Int], samples: Int, k: Int) -> Double {
        guard !correctCounts.isEmpty else { return 0 }
        return correctCounts.reduce(0.0) { $0 + passAtK(samples: samples, correct: $1, k: k) } / Double(correctCounts.count)
    }

    /// Shannon entropy −Σ p log p (natural log; 0 log 0 = 0).
    public static func entropy(_ p: [Double]) -> Double {
        -p.reduce(0.0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) }
    }

    /// KL(p ‖ q) = Σ p log(p/q) (0 log 0 = 0; +∞ when some q = 0 < p).
    public static func kl(_ p: [Double], _ q: [Double]) -> Double {
        require(p.count == q.count, "kl: distributions of sizes \(p.count) and \(q.count)")
        var s = 0.0
        for (a, b) in zip(p, q) where a > 0 {
            if b <= 0 { return .infinity }
            s += a * Foundation.log(a / b)
        }
        return s
    }

    /// Total variation ½ Σ |p − q|.
    public static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        require(p.count == q.count, "totalVariation: distributions of sizes \(p.count) and \(q.count)")
        return 0.5 * zip(p, q).reduce(0.0) { $0 + Swift.abs($1.0 - $1.1) }
    }

    /// Mean over inputs of a divergence between row-wise distributions.
    public static func mean(_ p: [[Double]], _ q: [[Double]], _ divergence: ([Double], [Double]) -> Double) -> Double {
        require(p.count == q.count, "mean divergence: \(p.count) vs \(q.count) rows")
        guard !p.isEmpty else { return 0 }
        return zip(p, q).reduce(0.0) { $0 + divergence($1.0, $1.1) } / Double(p.count)
    }
}
