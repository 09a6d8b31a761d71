import Engine

/// A batch of ParityDigits inputs with their labels, laid out for the engine:
/// `graph.constant(batch.inputs, Shape(batch.count, batch.inputWidth))`.
///
/// Row i is image i's pixels (row-major, each in [0, 1], no normalisation) followed by its task indicator
/// (+1 parity, −1 prior). `classes[i]` is the digit (parity rows) or the texture class (prior rows), always 0…9.
/// Per-row answers are checked with `isCorrect(row:label:)`; every function taking a label or a row index is total
/// (out of range ⇒ incorrect / 0). Matrix arguments (`probabilities`, `scores`, `base`) are [count, 10] row-major;
/// a wrong size is a programmer error and traps with a message.
public struct ParityDigitsBatch: Equatable, Sendable {
    /// Values per row: pixels then the task indicator (imageSide² + 1).
    public let inputWidth: Int
    /// [count, inputWidth] row-major.
    public private(set) var inputs: [Float]
    /// The task of each row.
    public private(set) var tasks: [ParityDigitsTask]
    /// The digit (parity rows) or texture class (prior rows) of each row, in 0…9.
    public private(set) var classes: [Int]

    /// Checks that `inputs` holds `classes.count` rows of `inputWidth` values, one task per row, classes in 0…9.
    public init(inputWidth: Int, inputs: [Float], tasks: [ParityDigitsTask], classes: [Int]) {
        require(inputWidth >= 1, "ParityDigitsBatch: inputWidth must be ≥ 1")
        require(inputs.count == classes.count * inputWidth && tasks.count == classes.count,
                "ParityDigitsBatch: \(inputs.count) input values and \(tasks.count) tasks for \(classes.count) rows "
                + "of \(inputWidth)")
        require(classes.allSatisfy(ParityDigits.isClass), "ParityDigitsBatch: classes must be in 0…9")
        self.inputWidth = inputWidth; self.inputs = inputs; self.tasks = tasks; self.classes = classes
    }

    /// Number of rows.
    public var count: Int { classes.count }
    /// Labels per row (10), the width of every [count, 10] matrix below.
    private var k: Int { ParityDigits.classCount }
    /// Pixels per row (inputWidth − 1).
    public var pixelCount: Int { inputWidth - 1 }
    /// The engine shape of `inputs`: [count, inputWidth].
    public var shape: Shape { Shape(count, inputWidth) }

    /// Row `row`'s pixels (without the indicator); empty when `row` is out of range.
    public func pixels(row: Int) -> ArraySlice<Float> {
        guard row >= 0 && row < count else { return [] }
        return inputs[(row * inputWidth)..<(row * inputWidth + pixelCount)]
    }

    // MARK: Correctness and rewards

    /// Whether `label` is a correct answer for row `row`: parity rows accept the five labels of the digit's parity,
    /// prior rows only the class. False when `row` or `label` is out of range.
    @inline(__always)
    public func isCorrect(row: Int, label: Int) -> Bool {
        guard row >= 0 && row < count else { return false }
        return tasks[row] == .parity ? ParityDigits.isCorrect(label: label, digit: classes[row])
                                     : ParityDigits.isCorrect(label: label, textureClass: classes[row])
    }

    /// The binary reward of answering `label` on row `row`: 1 correct, 0 otherwise (0 out of range).
    @inline(__always)
    public func reward(row: Int, label: Int) -> Float { isCorrect(row: row, label: label) ? 1 : 0 }

    /// Binary rewards for one label per row (any integers; out-of-range labels score 0).
    public func rewards(labels: [Int]) -> [Float] {
        require(labels.count == count, "ParityDigitsBatch.rewards: \(labels.count) labels for \(count) rows")
        return labels.indices.map { reward(row: $0, label: labels[$0]) }
    }

    /// [count, 10] correctness masks: parity rows five ones on the digit's parity, prior rows one-hot on the class.
    public func correctMasks() -> [Float] {
        var m = [Float](repeating: 0, count: count * ParityDigits.classCount)
        for r in 0..<count {
            for y in 0..<k where isCorrect(row: r, label: y) { m[r * k + y] = 1 }
        }
        return m
    }

    // MARK: Targets

    /// [count, 10] pretraining targets: parity rows uniform (0.2) over the correct-parity labels, prior rows one-hot.
    public func targetDistributions() -> [Float] {
        var t = [Float](repeating: 0, count: count * ParityDigits.classCount)
        for r in 0..<count {
            let share: Float = tasks[r] == .parity ? 0.2 : 1
            for y in 0..<ParityDigits.classCount where isCorrect(row: r, label: y) { t[r * k + y] = share }
        }
        return t
    }

    /// One label per row for hard-label pretraining: parity rows a correct label drawn uniformly (from `rng`,
    /// in row order), prior rows the class.
    public func sampledLabels(rng: inout RandomStream) -> [Int] {
        (0..<count).map { r in
            tasks[r] == .parity ? ParityDigits.sampleCorrectLabel(digit: classes[r], rng: &rng) : classes[r]
        }
    }

    /// One label per row under an SFT convention: parity rows `variant.sampleLabel` (SFT-2 draws from `rng` in row
    /// order), prior rows the class.
    public func sftLabels(_ variant: ParityDigitsSFTVariant, rng: inout RandomStream) -> [Int] {
        (0..<count).map { r in
            tasks[r] == .parity ? variant.sampleLabel(digit: classes[r], rng: &rng) : classes[r]
        }
    }

    /// [count, 10] Oracle-SFT targets q*(y|x) ∝ π₀(y|x)·1[y correct] from the base policy's probabilities `base`
    /// ([count, 10]); see `ParityDigits.oracleTarget`. Prior rows get their one-hot target.
    public func oracleTargets(base: [Float]) -> [Float] {
        requireMatrix(base, "oracleTargets")
        var t = [Float](); t.reserveCapacity(count * k)
        for r in 0..<count {
            if tasks[r] == .parity {
                t += ParityDigits.oracleTarget(digit: classes[r], base: Array(base[(r * k)..<(r * k + k)]))
            } else {
                t += ParityDigits.oneHot(classes[r])
            }
        }
        return t
    }

    // MARK: Accuracy

    /// Per row, the probability mass on correct labels (the expected binary reward of sampling from the row's
    /// distribution). `probabilities` is [count, 10]; non-finite entries count as 0.
    public func correctMass(probabilities: [Float]) -> [Float] {
        requireMatrix(probabilities, "correctMass")
        return (0..<count).map { r in
            var s: Float = 0
            for y in 0..<ParityDigits.classCount where isCorrect(row: r, label: y) {
                let p = probabilities[r * k + y]
                if p.isFinite { s += p }
            }
            return s
        }
    }

    /// Mean over rows of `correctMass` (0 for an empty batch): the accuracy of sampling from the policy.
    public func meanCorrectMass(probabilities: [Float]) -> Double {
        guard count > 0 else { return 0 }
        return correctMass(probabilities: probabilities).reduce(0.0) { $0 + Double($1) } / Double(count)
    }

    /// The greedy label of each row of `scores` ([count, 10] logits or probabilities): the first index of the
    /// maximum; NaN entries are skipped, and a row with no comparable entry gives −1 (never correct).
    public func argmaxLabels(scores: [Float]) -> [Int] {
        requireMatrix(scores, "argmaxLabels")
        return (0..<count).map { r in
            var best = -1, bestValue = -Float.infinity
            for y in 0..<ParityDigits.classCount {
                let v = scores[r * k + y]
                if !v.isNaN && (best < 0 || v > bestValue) { best = y; bestValue = v }
            }
            return best
        }
    }

    /// Fraction of rows whose greedy label is correct (0 for an empty batch).
    public func argmaxAccuracy(scores: [Float]) -> Double {
        guard count > 0 else { return 0 }
        let labels = argmaxLabels(scores: scores)
        return Double(labels.indices.filter { isCorrect(row: $0, label: labels[$0]) }.count) / Double(count)
    }

    func requireMatrix(_ m: [Float], _ name: String) {
        require(m.count == count * ParityDigits.classCount,
                "ParityDigitsBatch.\(name): expected [\(count), 10] = \(count * 10) values, got \(m.count)")
    }

    // MARK: Selecting and joining rows

    /// The rows at `indices`, in that order (repeats allowed; each index must be in 0..<count).
    public func rows(_ indices: [Int]) -> ParityDigitsBatch {
        require(indices.allSatisfy { $0 >= 0 && $0 < count }, "ParityDigitsBatch.rows: index out of 0..<\(count)")
        var x = [Float](); x.reserveCapacity(indices.count * inputWidth)
        for i in indices { x += inputs[(i * inputWidth)..<((i + 1) * inputWidth)] }
        return ParityDigitsBatch(inputWidth: inputWidth, inputs: x, tasks: indices.map { tasks[$0] },
                                 classes: indices.map { classes[$0] })
    }

    /// The rows in `range` (clamped to 0..<count).
    public func rows(_ range: Range<Int>) -> ParityDigitsBatch {
        let lo = Swift.min(Swift.max(range.lowerBound, 0), count)
        let hi = Swift.min(Swift.max(range.upperBound, lo), count)
        return ParityDigitsBatch(inputWidth: inputWidth, inputs: Array(inputs[(lo * inputWidth)..<(hi * inputWidth)]),
                                 tasks: Array(tasks[lo..<hi]), classes: Array(classes[lo..<hi]))
    }

    /// The rows of `batches` one after another (all must share one inputWidth; at least one batch).
    public static func concatenation(_ batches: [ParityDigitsBatch]) -> ParityDigitsBatch {
        require(!batches.isEmpty, "ParityDigitsBatch.concatenation: no batches")
        let width = batches[0].inputWidth
        require(batches.allSatisfy { $0.inputWidth == width }, "ParityDigitsBatch.concatenation: input widths differ")
        return ParityDigitsBatch(inputWidth: width, inputs: batches.flatMap(\.inputs), tasks: batches.flatMap(\.tasks),
                                 classes: batches.flatMap(\.classes))
    }
}
