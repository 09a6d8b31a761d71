import Testing
import Foundation
@testable import Engine
@testable import Models

func tinyConfig(_ pe: PositionEncoding) -> TransformerConfig {
    TransformerConfig(vocabularySize: 11, contextLength: 12, modelWidth: 8, layers: 2, heads: 2, positionEncoding: pe)
}

func randomTokens(_ n: Int, vocabulary: Int, seed: Int) -> [Int32] {
    var r = RandomStream(seed: 77).child(seed)
    return (0..<n).map { _ in Int32(r.int(vocabulary)) }
}

@Suite struct ModelShapes {
    @Test func referenceParameterCounts() {
        var rng = RandomStream(seed: 0)
        let store = ParameterStore()
        _ = MLP(store, "mlp", sizes: [784, 256, 256, 10], rng: &rng)
        #expect(store.count == 269_322)
        for (d, expected) in [(64, 110_336), (128, 417_280)] {
            let t = Transformer(TransformerConfig(vocabularySize: 48, contextLength: 64, modelWidth: d, layers: 2, heads: 4), rng: &rng)
            #expect(t.parameters.count == expected)
        }
    }

    @Test func linearComputesXWPlusB() {
        var rng = RandomStream(seed: 1)
        let store = ParameterStore()
        let layer = Linear(store, "l", inputs: 2, outputs: 3, rng: &rng)
        store.setValues([1, 2, 3, 4, 5, 6, 0.5, -0.5, 1])   // W = [[1,2,3],[4,5,6]], b = [0.5,-0.5,1]
        let y = layer(Graph().constant([1, -1], Shape(1, 2))).scalars
        #expect(y == [-2.5, -3.5, -2])
    }
}

/// Whole-model finite differences: every parameter of a tiny transformer (both position encodings, left-padded
/// rows), loss = mean next-token cross-entropy. Float32, h = 1e-2, |analytic − numeric| ≤ 2e-3 + 2e-2·|numeric|.
@Suite struct TransformerGradients {
    @Test(arguments: [PositionEncoding.learned, .rotary])
    func everyParameterMatchesFiniteDifferences(pe: PositionEncoding) {
        var rng = RandomStream(seed: 5)
        let model = Transformer(tinyConfig(pe), rng: &rng)
        // make the model far from its tiny-init regime so every path carries gradient
        var values = model.parameters.flatValues
        for i in values.indices { values[i] += rng.normal() * 0.3 }
        model.parameters.setValues(values)
        let (b, t) = (2, 6)
        let tokens = randomTokens(b * t, vocabulary: 11, seed: 1)
        let padding = [0, 2]
        var targets = randomTokens(b * t, vocabulary: 11, seed: 2)
        for c in 0..<padding[1] { targets[t + c] = -1 }              // no loss on pad columns
        func loss(_ g: Graph) -> Tensor {
            model.logits(tokens, batch: b, graph: g, padding: padding).crossEntropy(targets: g.indices(targets)).mean()
        }
        model.parameters.zeroGradients()
        let g = Graph()
        g.backward(loss(g))
        let analytic = model.parameters.flatGradients
        let h: Float = 1e-2
        var worst = 0.0, at = 0
        for i in 0..<model.parameters.count {
            let x = model.parameters.values[i]
            model.parameters.values[i] = x + h
            let up = loss(Graph(recording: false)).item
            model.parameters.values[i] = x - h
            let down = loss(Graph(recording: false)).item
            model.parameters.values[i] = x
            let numeric = (Double(up) - Double(down)) / (2 * Double(h))
            let ratio = Swift.abs(Double(analytic[i]) - numeric) / (2e-3 + 2e-2 * Swift.abs(numeric))
            if ratio > worst { worst = ratio; at = i }
        }
        #expect(worst <= 1, "\(pe): worst ratio \(worst) at parameter \(at)")
    }
}

@Suite struct KVCacheDecoding {
    /// Prefill the prompts, then feed one column at a time through the cache: every real token's logits equal the
    /// full forward's on the same left-padded sequence.
    @Test(arguments: [PositionEncoding.learned, .rotary])
    func incrementalLogitsEqualFullForward(pe: PositionEncoding) {
        var rng = RandomStream(seed: 9)
        let model = Transformer(tinyConfig(pe), rng: &rng)
        let (b, total, promptColumns) = (3, 10, 4)
        let padding = [0, 1, 3]
        let tokens = randomTokens(b * total, vocabulary: 11, seed: 3)
        let full = model.logits(tokens, batch: b, graph: Graph(recording: false), padding: padding).scalars   // [B, total, V]
        let cache = model.makeCache(batch: b, capacity: total)
        let v = 11
        var incremental = [Float](repeating: 0, count: b * total * v)
        let prompt = (0..<b).flatMap { tokens[($0 * total)..<($0 * total + promptColumns)] }
        let pre = model.logits(prompt, batch: b, graph: Graph(recording: false), padding: padding, cache: cache).scalars
        for r in 0..<b { for c in 0..<promptColumns { for j in 0..<v { incremental[(r * total + c) * v + j] = pre[(r * promptColumns + c) * v + j] } } }
        for c in promptColumns..<total {
            let step = model.logits((0..<b).map { tokens[$0 * total + c] }, batch: b, graph: Graph(recording: false), padding: padding, cache: cache).scalars
            for r in 0..<b { for j in 0..<v { incremental[(r * total + c) * v + j] = step[r * v + j] } }
        }
        #expect(cache.length == total)
        var worst: Float = 0
        for r in 0..<b { for c in padding[r]..<total { for j in 0..<v {
            worst = Swift.max(worst, Swift.abs(incremental[(r * total + c) * v + j] - full[(r * total + c) * v + j]))
        } } }
        #expect(worst <= 1e-5, "\(pe): max |cached − full| = \(worst)")
    }

    @Test func leftPaddingDoesNotChangeARowsLogits() {
        // the same prompt alone and padded inside a batch gives the same next-token logits
        var rng = RandomStream(seed: 10)
        let model = Transformer(tinyConfig(.learned), rng: &rng)
        let alone = model.logits([3, 4, 5], batch: 1, graph: Graph(recording: false)).scalars
        let padded = model.logits([1, 2, 3, 4, 5, 0, 0, 3, 4, 5], batch: 2, graph: Graph(recording: false), padding: [0, 2]).scalars
        let v = 11
        let a = Array(alone[(2 * v)..<(3 * v)]), p = Array(padded[(9 * v)..<(10 * v)])
        #expect(zip(a, p).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
    }
}

@Suite struct Sampling {
    func model(_ pe: PositionEncoding = .learned) -> Transformer {
        var rng = RandomStream(seed: 21)
        let m = Transformer(tinyConfig(pe), rng: &rng)
        var values = m.parameters.flatValues
        for i in values.indices { values[i] += rng.normal() * 0.5 }   // a peaked, non-uniform policy
        m.parameters.setValues(values)
        return m
    }
    let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6]]

    @Test(arguments: [PositionEncoding.learned, .rotary])
    func behaviourLogProbsEqualRecomputedLogProbs(pe: PositionEncoding) {
        let m = model(pe)
        for temperature: Float in [1, 0.7] {
            var rng = RandomStream(seed: 1)
            let r = m.sample(prompts: prompts, options: SamplingOptions(maxNewTokens: 6, temperature: temperature, endToken: 10), rng: &rng)
            let (lp, _) = m.tokenLogProbs(r, temperature: temperature, graph: Graph(recording: false))
            let recomputed = lp.scalars
            for i in 0..<r.responseMask.count where r.responseMask[i] == 1 {
                #expect(Swift.abs(recomputed[i] - r.behaviourLogProbs[i]) <= 1e-4, "T=\(temperature) entry \(i)")
            }
        }
    }

    @Test func rolloutLayoutAndStopping() {
        let m = model()
        var rng = RandomStream(seed: 2)
        let r = m.sample(prompts: prompts, options: SamplingOptions(maxNewTokens: 8, endToken: 10, padToken: 0), rng: &rng)
        #expect(r.promptColumns == 3 && r.responseColumns == 8 && r.padding == [0, 2, 1])
        for b in 0..<3 {
            #expect(r.prompt(b) == prompts[b])
            let resp = r.response(b)
            #expect(resp.count == r.responseLength(b))
            if r.finished[b] {
                #expect(resp.last == 10 && !resp.dropLast().contains(10))
            } else {
                #expect(resp.count == 8 && !resp.contains(10))
            }
            for j in resp.count..<8 { #expect(r.tokens[b * r.columns + 3 + j] == 0 && r.responseMask[b * 8 + j] == 0) }
        }
        var again = RandomStream(seed: 2)
        #expect(m.sample(prompts: prompts, options: SamplingOptions(maxNewTokens: 8, endToken: 10), rng: &again) == r)
    }

    @Test func greedyAndTopKOne() {
        let m = model()
        var rng = RandomStream(seed: 3)
        let greedy = m.sample(prompts: prompts, options: SamplingOptions(maxNewTokens: 5, greedy: true), rng: &rng)
        let top1 = m.sample(prompts: prompts, options: SamplingOptions(maxNewTokens: 5, topK: 1), rng: &rng)
        #expect(greedy.tokens == top1.tokens)
        #expect(greedy.behaviourLogProbs.allSatisfy { $0 == 0 } && top1.behaviourLogProbs.allSatisfy { $0 == 0 })
        // greedy's first token is the arg-max of the prompt's next-token logits
        let logits = m.logits([1, 2, 3], batch: 1, graph: Graph(recording: false)).scalars.suffix(11)
        #expect(Int(greedy.tokens[3]) == Array(logits).indices.max { logits[logits.startIndex + $0] < logits[logits.startIndex + $1] }!)
    }

    @Test func topKAndTopPTruncateAndRenormalise() {
        // probabilities 0.5, 0.3, 0.15, 0.05
        let logits: [Float] = [log(0.5), log(0.3), log(0.15), log(0.05)]
        var probs = [Float](repeating: 0, count: 4), order = [Int](repeating: 0, count: 4)
        var rng = RandomStream(seed: 4)
        var counts = [0, 0, 0, 0]
        for _ in 0..<20_000 {
            let (tok, lp) = logits.withUnsafeBufferPointer { drawToken($0.baseAddress!, 4, SamplingOptions(maxNewTokens: 1, topP: 0.7), &probs, &order, &rng) }
            counts[Int(tok)] += 1
            #expect(Swift.abs(lp - log(tok == 0 ? 0.625 : 0.375)) < 1e-5)
        }
        #expect(counts[2] == 0 && counts[3] == 0 && Swift.abs(Double(counts[0]) / 20_000 - 0.625) < 0.015)
        for _ in 0..<2000 {
            let (tok, lp) = logits.withUnsafeBufferPointer { drawToken($0.baseAddress!, 4, SamplingOptions(maxNewTokens: 1, topK: 3), &probs, &order, &rng) }
            #expect(tok != 3)
            #expect(Swift.abs(lp - log([0.5, 0.3, 0.15][Int(tok)] / 0.95)) < 1e-5)
        }
    }

    @Test func entropiesMatchDefinition() {
        let m = model()
        let tokens: [Int32] = [1, 2, 3, 4, 5]
        let g = Graph(recording: false)
        let (lp, ent) = m.tokenLogProbs(tokens, batch: 1, start: 2, graph: g)
        let logits = m.logits(Array(tokens.prefix(4)), batch: 1, graph: g).scalars
        for (j, col) in (1...3).enumerated() {
            let row = Array(logits[(col * 11)..<(col * 11 + 11)])
            let mx = row.max()!
            let z = row.reduce(0) { $0 + exp(Double($1 - mx)) }
            let logp = row.map { Double($0 - mx) - log(z) }
            #expect(Swift.abs(Double(lp.scalars[j]) - logp[Int(tokens[col + 1])]) < 1e-5)
            #expect(Swift.abs(Double(ent.scalars[j]) + logp.reduce(0) { $0 + exp($1) * $1 }) < 1e-4)
        }
    }
}
