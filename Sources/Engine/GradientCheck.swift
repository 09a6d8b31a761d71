/// Finite-difference gradient checking, shared by the engine's tests and the objectives' tests.
///
/// `build` makes a scalar loss from freshly bound input leaves. The check computes the analytic gradient with one
/// backward pass, then for every input element the central difference (L(x + h) − L(x − h)) / 2h in Float32, and
/// reports the largest violation of |analytic − numeric| ≤ absoluteTolerance + relativeTolerance · |numeric|.
/// Float32 central differences carry rounding error ≈ ε_mach · |L| / h, so h = 1e-2 … 1e-3 with tolerances of a
/// few 1e-3 are the meaningful precision; inputs must sit farther than h from any kink (relu 0, clamp bounds).
public enum GradientCheck {
    public struct Result: CustomStringConvertible {
        /// Largest |analytic − numeric| / (absoluteTolerance + relativeTolerance · |numeric|); passes when ≤ 1.
        public var worstRatio: Double
        public var worstInput: Int, worstIndex: Int
        public var analytic: Float, numeric: Float
        public var checked: Int
        public var passes: Bool { worstRatio <= 1 }
        public var description: String {
            "worst ratio \(worstRatio) at input \(worstInput)[\(worstIndex)]: analytic \(analytic), numeric \(numeric) (\(checked) entries)"
        }
    }

    public static func check(inputs: [(values: [Float], shape: Shape)],
                             step h: Float = 1e-2, absoluteTolerance: Double = 2e-3, relativeTolerance: Double = 1e-2,
                             _ build: ([Tensor]) -> Tensor) -> Result {
        func loss(_ vals: [[Float]], grads: Bool) -> (Float, [[Float]]) {
            let g = Graph(recording: grads)
            let leaves = zip(vals, inputs).map { g.variable($0.0, $0.1.shape) }
            let l = build(leaves)
            require(l.count == 1, "GradientCheck: loss must be a scalar, got \(l.shape)")
            if grads {
                g.backward(l)
                return (l.item, leaves.map { $0.gradient ?? [Float](repeating: 0, count: $0.count) })
            }
            return (l.item, [])
        }
        var vals = inputs.map { $0.values }
        let (_, analytic) = loss(vals, grads: true)
        var result = Result(worstRatio: 0, worstInput: 0, worstIndex: 0, analytic: 0, numeric: 0, checked: 0)
        for (n, input) in inputs.enumerated() {
            for i in 0..<input.values.count {
                let x = vals[n][i]
                vals[n][i] = x + h
                let up = loss(vals, grads: false).0
                vals[n][i] = x - h
                let down = loss(vals, grads: false).0
                vals[n][i] = x
                let numeric = (Double(up) - Double(down)) / (2 * Double(h))
                let a = Double(analytic[n][i])
                let ratio = Swift.abs(a - numeric) / (absoluteTolerance + relativeTolerance * Swift.abs(numeric))
                result.checked += 1
                if ratio > result.worstRatio || !ratio.isFinite {
                    result.worstRatio = ratio.isFinite ? ratio : .infinity
                    result.worstInput = n; result.worstIndex = i
                    result.analytic = Float(a); result.numeric = Float(numeric)
                }
            }
        }
        return result
    }
}
