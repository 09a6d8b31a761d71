// The divergence guard's error: thrown by training loops, caught by the harness, which stops that run and reports it
// as diverged (never written as numbers).

/// NaN or Inf in a loss or parameter.
public struct DivergenceError: Error, CustomStringConvertible, Equatable, Sendable {
    public var experiment = "", variant = "", seed = 0
    public var step: Int
    public var quantity: String
    public var value: Double
    public var description: String {
        "\(experiment): run diverged (variant \(variant), seed \(seed), step \(step): \(quantity) = \(value)); reported as diverged"
    }

    public init(step: Int, quantity: String, value: Double) { self.step = step; self.quantity = quantity; self.value = value }

    /// Throws when a parameter value is not finite (after an optimizer step); `first` is the store's
    /// `firstNonFiniteValue()`.
    public static func check(parameters first: (parameter: String, value: Float)?, step: Int) throws {
        if let (name, value) = first { throw DivergenceError(step: step, quantity: "parameter \(name)", value: Double(value)) }
    }

    /// Throws when any value is not finite.
    public static func check(_ values: Double..., names: String, step: Int) throws {
        for v in values where !v.isFinite { throw DivergenceError(step: step, quantity: names, value: v) }
    }
}

