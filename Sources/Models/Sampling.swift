import Foundation
import Engine

/// How to draw responses.
public struct SamplingOptions: Codable, Equatable, Sendable {
    /// Most tokens generated per row (the end token included).
    public var maxNewTokens: Int
    /// Logits are divided by this before top-k / top-p (ignored when greedy).
    public var temperature: Float
    /// Keep only the k most likely tokens (ties broken toward the lower id).
    public var topK: Int?
    /// Keep the smallest most-likely set whose probability reaches p (nucleus sampling).
    public var topP: Float?
    /// Take the arg-max (lowest id among ties); behaviour log-probabilities are then 0.
    public var greedy: Bool
    /// A row stops after emitting this token; nil = always generate maxNewTokens.
    public var endToken: Int32?
    /// Fills left padding of prompts and the columns after a row stopped.
    public var padToken: Int32

    public init(maxNewTokens: Int, temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, greedy: Bool = false,
                endToken: Int32? = nil, padToken: Int32 = 0) {
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.greedy = greedy; self.endToken = endToken; self.padToken = padToken
    }
}

/// A batch of sampled responses: what every RL objective consumes.
///
/// Padding and position convention: prompts are **left-padded** to a common `promptColumns` P, so every response
/// starts at column P. Row b has `padding[b]` pad columns first; a real token at column c has position
/// c − padding[b], and pad columns are never attended to. After a row emits the end token (kept, mask 1), its
/// remaining columns hold the pad token with mask 0. `tokens` is [batch, P + G] with G = `responseColumns`;
/// `responseMask` and `behaviourLogProbs` are [batch, G], aligned with columns P..<P+G.
public struct Rollout: Equatable, Sendable {
    public var batch: Int
    public var promptColumns: Int
    public var responseColumns: Int
    public var tokens: [Int32]
    public var padding: [Int]
    /// 1 for generated tokens (up to and including the end token), else 0.
    public var responseMask: [Float]
    /// log-probability of each sampled token under the distribution it was drawn from (after temperature, top-k,
    /// top-p); 0 where masked and for greedy decoding.
    public var behaviourLogProbs: [Float]
    /// Whether each row stopped at the end token (false: it hit maxNewTokens).
    public var finished: [Bool]

    public var columns: Int { promptColumns + responseColumns }
    public func responseLength(_ b: Int) -> Int { Int((0..<responseColumns).reduce(Float(0)) { $0 + responseMask[b * responseColumns + $1] }) }
    /// The prompt of row b without padding.
    public func prompt(_ b: Int) -> [Int32] { Array(tokens[(b * columns + padding[b])..<(b * columns + promptColumns)]) }
    /// The response of row b (end token included, trailing padding excluded).
    public func response(_ b: Int) -> [Int32] {
        let start = b * columns + promptColumns
        return Array(tokens[start..<(start + responseLength(b))])
    }
}

extension Transformer {
    /// Samples a response for each prompt with a KV cache. Every draw comes from `rng`, in row order at each step,
    /// so the same stream gives the same rollout on every machine and thread count.
    public func sample(prompts: [[Int32]], options: SamplingOptions, rng: inout RandomStream, graph: Graph? = nil) -> Rollout {
        require(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "sample: every prompt needs at least one token")
        require(options.maxNewTokens >= 0 && (options.greedy || options.temperature > 0), "sample: bad options")
        let g = graph ?? Graph(recording: false)
        let wasRecording = g.isRecording
        g.isRecording = false
        defer { g.isRecording = wasRecording; g.reset() }
        let b = prompts.count, p = prompts.map(\.count).max()!, n = options.maxNewTokens, v = config.vocabularySize
        let cols = p + n
        var tokens = [Int32](repeating: options.padToken, count: b * cols)
        let padding = prompts.map { p - $0.count }
        for (i, pr) in prompts.enumerated() { for (j, tok) in pr.enumerated() { tokens[i * cols + padding[i] + j] = tok } }
        var mask = [Float](repeating: 0, count: b * n), logProbs = [Float](repeating: 0, count: b * n)
        var finished = [Bool](repeating: false, count: b)
        guard n > 0 else {
            return Rollout(batch: b, promptColumns: p, responseColumns: 0, tokens: tokens, padding: padding,
                           responseMask: [], behaviourLogProbs: [], finished: finished)
        }
        let cache = makeCache(batch: b, capacity: cols)
        var probs = [Float](repeating: 0, count: v), order = [Int](repeating: 0, count: v)
        g.reset()
        var input = (0..<b).flatMap { tokens[($0 * cols)..<($0 * cols + p)] }
        var last = logits(input, batch: b, graph: g, padding: padding, cache: cache, outputFrom: p - 1)   // [B, 1, V]
        for step in 0..<n {
            input = [Int32](repeating: options.padToken, count: b)
            for row in 0..<b where !finished[row] {
                let (tok, lp) = drawToken(last.value + row * v, v, options, &probs, &order, &rng)
                tokens[row * cols + p + step] = tok
                mask[row * n + step] = 1
                logProbs[row * n + step] = lp
                input[row] = tok
                if let end = options.endToken, tok == end { finished[row] = true }
            }
            if step == n - 1 || finished.allSatisfy({ $0 }) { break }
            g.reset()
            last = logits(input, batch: b, graph: g, padding: padding, cache: cache)                    // [B, 1, V]
        }
        return Rollout(batch: b, promptColumns: p, responseColumns: n, tokens: tokens, padding: padding,
                       responseMask: mask, behaviourLogProbs: logProbs, finished: finished)
    }

    /// Per-token log-probabilities and entropies of the tokens in columns start..<L of `tokens` ([batch, L]) under the
    /// model at `temperature`: logProbs[b, j] = log π(tokens[b, start + j] | tokens[b, ..<start + j]); entropies[b, j]
    /// is the entropy of that next-token distribution. Both [batch, L − start]; differentiable when `graph` records.
    public func tokenLogProbs(_ tokens: [Int32], batch: Int, start: Int, padding: [Int]? = nil, temperature: Float = 1,
                              graph: Graph) -> (logProbs: Tensor, entropies: Tensor) {
        let l = tokens.count / batch
        require(start >= 1 && start < l, "tokenLogProbs: start \(start) must lie in 1..<\(l)")
        var inputs = [Int32](), targets = [Int32]()
        inputs.reserveCapacity(batch * (l - 1)); targets.reserveCapacity(batch * (l - start))
        for b in 0..<batch {
            inputs += tokens[(b * l)..<(b * l + l - 1)]
            targets += tokens[(b * l + start)..<(b * l + l)]
        }
        var z = logits(inputs, batch: batch, graph: graph, padding: padding, outputFrom: start - 1)   // [B, L − start, V]
        if temperature != 1 { z = z * (1 / temperature) }
        let logp = z.logSoftmax()
        let entropies = -(logp.exp() * logp).sum(axis: 2)                                              // [B, L − start]
        return (logp.gatherLast(graph.indices(targets)), entropies)
    }

    /// `tokenLogProbs` of a rollout's response columns: [batch, responseColumns] (use `responseMask` to weight).
    public func tokenLogProbs(_ rollout: Rollout, temperature: Float = 1, graph: Graph) -> (logProbs: Tensor, entropies: Tensor) {
        tokenLogProbs(rollout.tokens, batch: rollout.batch, start: rollout.promptColumns, padding: rollout.padding,
                      temperature: temperature, graph: graph)
    }
}

/// Draws one token from a row of logits under `options`; returns it with its log-probability under the distribution
/// actually sampled from. `probs` and `order` are scratch of the vocabulary's size. A row whose logits are not finite
/// (a diverged model) draws the end token (0 without one) with log-probability NaN, never a trap: the trainer's
/// divergence guard then stops on the NaN loss it produces.
func drawToken(_ logits: UnsafePointer<Float>, _ v: Int, _ options: SamplingOptions,
               _ probs: inout [Float], _ order: inout [Int], _ rng: inout RandomStream) -> (Int32, Float) {
    if options.greedy {
        var best = 0
        for j in 1..<v where logits[j] > logits[best] { best = j }
        return (Int32(best), 0)
    }
    let invT = 1 / options.temperature
    var m = -Float.infinity
    for j in 0..<v { m = Swift.max(m, logits[j] * invT) }
    var total: Double = 0
    for j in 0..<v { let e = Foundation.exp(logits[j] * invT - m); probs[j] = e; total += Double(e) }
    guard total.isFinite && total > 0 else { return (options.endToken ?? 0, .nan) }
    for j in 0..<v { probs[j] = Float(Double(probs[j]) / total) }
    if options.topK != nil || options.topP != nil {
        // rank tokens by probability, ties toward the lower id
        for j in 0..<v { order[j] = j }
        order.sort { probs[$0] != probs[$1] ? probs[$0] > probs[$1] : $0 < $1 }
        var keep = Swift.min(v, Swift.max(1, options.topK ?? v))
        if let topP = options.topP {
            var cumulative: Float = 0
            for r in 0..<keep {
                cumulative += probs[order[r]]
                if cumulative >= topP { keep = r + 1; break }
            }
        }
        var kept: Double = 0
        for r in 0..<keep { kept += Double(probs[order[r]]) }
        for r in keep..<v { probs[order[r]] = 0 }
        for r in 0..<keep { probs[order[r]] = Float(Double(probs[order[r]]) / kept) }
    }
    let tok = probs.withUnsafeBufferPointer { rng.categorical($0) }
    return (Int32(tok), Foundation.log(probs[tok]))
}
