import Foundation
import Engine
import Models

// Supervised next-token training on (prompt, target) sequences: the loss on target tokens only, sequences packed
// from several examples, batches right-padded, micro-batches of similar lengths. Shared by the experiments that
// train a base model from scratch (composition's Stage 1).

/// A training sequence and which of its tokens carry loss (each predicted from everything before it).
public struct SupervisedSequence {
    public var tokens: [Int32]
    public var trained: [Bool]

    /// prompt + target, the loss on the target tokens.
    public init(prompt: [Int32], target: [Int32]) {
        tokens = prompt + target
        trained = [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: target.count)
    }

    /// Appends prompt + target (the loss on the target tokens).
    public mutating func append(prompt: [Int32], target: [Int32]) {
        tokens += prompt + target
        trained += [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: target.count)
    }
}

/// One supervised batch: sequences right-padded (with `pad`) to a common length.
public struct SupervisedBatch {
    public var inputs: [Int32]
    public var targets: [Int32]      // −1 = no loss at this position
    public var batch: Int
    public var targetCount: Int

    public init(_ sequences: [SupervisedSequence], pad: Int32 = 0) {
        let length = sequences.map(\.tokens.count).max() ?? 1
        batch = sequences.count
        inputs = []; targets = []; targetCount = 0
        inputs.reserveCapacity(batch * (length - 1)); targets.reserveCapacity(batch * (length - 1))
        for s in sequences {
            for c in 0..<(length - 1) {
                inputs.append(c < s.tokens.count ? s.tokens[c] : pad)
                // column c predicts token c + 1
                let t = c + 1
                if t < s.tokens.count && s.trained[t] { targets.append(s.tokens[t]); targetCount += 1 } else { targets.append(-1) }
            }
        }
    }

    /// Summed next-token cross-entropy over the trained tokens.
    public func summedLoss(_ model: Transformer, graph: Graph) -> Tensor {
        model.logits(inputs, batch: batch, graph: graph).crossEntropy(targets: graph.indices(targets)).sum()
    }

    /// Mean next-token cross-entropy over all trained tokens of `sequences`, computed in micro-batches of similar
    /// lengths (sorted by length, ties by position) so that short sequences are not padded to the longest one.
    public static func loss(_ sequences: [SupervisedSequence], model: Transformer, graph: Graph, microBatch: Int, pad: Int32 = 0) -> Tensor {
        let order = sequences.indices.sorted {
            let a = sequences[$0].tokens.count, b = sequences[$1].tokens.count
            return a != b ? a < b : $0 < $1
        }
        var total: Tensor? = nil, tokens = 0
        var i = 0
        while i < order.count {
            let part = SupervisedBatch(order[i..<Swift.min(order.count, i + microBatch)].map { sequences[$0] }, pad: pad)
            let l = part.summedLoss(model, graph: graph)
            total = total.map { $0 + l } ?? l
            tokens += part.targetCount
            i += microBatch
        }
        return total! * (1 / Float(Swift.max(1, tokens)))
    }
}
