import Testing
@testable import Engine
@testable import Models

/// Training steps reuse their buffers: after warm-up, 1,000 steps allocate no new tensor storage (the graph's arena
/// neither grows nor hands out more bytes per step). `swift run -c release Bench --only memory` shows the process's
/// resident set staying flat over the same 1,000 steps.
@Suite struct StepsReuseTheirBuffers {
    /// Runs `step` (which resets and rebuilds `graph`) 1,000 times; after the first two the arena must stay put.
    func expectArenaStable(_ graph: Graph, _ step: () -> Void) {
        var capacity = 0, inUse = 0
        for n in 0..<1000 {
            step()
            if n == 1 { capacity = graph.arena.capacity; inUse = graph.arena.bytesInUse }
            if n > 1 && (graph.arena.capacity != capacity || graph.arena.bytesInUse != inUse) {
                Issue.record("step \(n): arena \(graph.arena.capacity) B (\(graph.arena.bytesInUse) in use), after warm-up \(capacity) B (\(inUse))")
                return
            }
        }
    }

    @Test(arguments: [PositionEncoding.learned, .rotary])
    func transformerTrainingSteps(positions: PositionEncoding) {
        var rng = RandomStream(seed: 3)
        let model = Transformer(TransformerConfig(vocabularySize: 16, contextLength: 12, modelWidth: 16, layers: 2, heads: 2,
                                                  positionEncoding: positions), rng: &rng)
        let tokens = (0..<(4 * 12)).map { _ in Int32(rng.int(16)) }
        let inputs = (0..<4).flatMap { tokens[($0 * 12)..<($0 * 12 + 11)] }
        let targets = (0..<4).flatMap { tokens[($0 * 12 + 1)..<($0 * 12 + 12)] }
        let opt = AdamW(), g = Graph()
        expectArenaStable(g) {
            g.reset(); model.parameters.zeroGradients()
            g.backward(model.logits(inputs, batch: 4, graph: g).crossEntropy(targets: g.indices(targets)).mean())
            opt.step(model.parameters, learningRate: 1e-3)
        }
    }

    @Test func mlpTrainingSteps() {
        var rng = RandomStream(seed: 4)
        let store = ParameterStore()
        let mlp = MLP(store, "mlp", sizes: [20, 32, 5], activation: .gelu, rng: &rng)
        let x = (0..<(8 * 20)).map { _ in rng.normal() }, y = (0..<8).map { _ in Int32(rng.int(5)) }
        let opt = AdamW(), g = Graph()
        expectArenaStable(g) {
            g.reset(); store.zeroGradients()
            g.backward(mlp(g.constant(x, Shape(8, 20))).crossEntropy(targets: g.indices(y)).mean())
            opt.step(store, learningRate: 1e-3)
        }
    }
}

/// Ops that store their first gradient contribution (instead of zeroing then adding) must write every element: a
/// graph whose arena is full of NaN from an earlier step gives exactly the same gradients as a fresh one.
@Suite struct GradientsDoNotReadStaleMemory {
    @Test(arguments: [PositionEncoding.learned, .rotary])
    func poisonedArenaGivesTheSameGradients(positions: PositionEncoding) {
        var rng = RandomStream(seed: 5)
        let model = Transformer(TransformerConfig(vocabularySize: 12, contextLength: 10, modelWidth: 24, layers: 2, heads: 2,
                                                  positionEncoding: positions), rng: &rng)
        let tokens = (0..<(3 * 9)).map { _ in Int32(rng.int(12)) }
        let targets = (0..<(3 * 9)).map { i in i % 9 < 2 ? Int32(-1) : Int32(rng.int(12)) }   // some ignored rows
        func gradients(_ g: Graph) -> [Float] {
            model.parameters.zeroGradients()
            // left padding: the first rows of batch entries 1 and 2 see no key (a query with nothing to attend to)
            let logits = model.logits(tokens, batch: 3, graph: g, padding: [0, 2, 5])
            g.backward(logits.crossEntropy(targets: g.indices(targets)).mean())
            return Array(UnsafeBufferPointer(start: model.parameters.grads, count: model.parameters.count))
        }
        let fresh = gradients(Graph())
        let poisoned = Graph()
        let junk = poisoned.arena.allocate(Float.self, count: 1 << 20)
        junk.initialize(repeating: .nan, count: 1 << 20)
        poisoned.reset()
        let again = gradients(poisoned)
        #expect(fresh.allSatisfy { $0.isFinite })
        #expect(zip(fresh, again).allSatisfy { $0.0.bitPattern == $0.1.bitPattern }, "gradients differ after reusing a NaN-filled arena")
    }
}
