import Engine

/// How token positions enter the model.
public enum PositionEncoding: String, Codable, Sendable {
    /// A learned table of `contextLength` position vectors added to the token embeddings (GPT-2).
    case learned
    /// Rotary embeddings on queries and keys (relative positions: use when lengths or depths must generalise).
    case rotary
}

/// A decoder-only transformer's shape.
public struct TransformerConfig: Codable, Equatable, Sendable {
    /// Number of token ids.
    public var vocabularySize: Int
    /// Longest sequence (prompt + response) the model handles; sizes the learned position table.
    public var contextLength: Int
    /// Residual stream width d_model.
    public var modelWidth: Int
    /// Number of transformer blocks.
    public var layers: Int
    /// Attention heads per block (modelWidth must be divisible by it).
    public var heads: Int
    public var positionEncoding: PositionEncoding
    /// MLP hidden width = mlpRatio · modelWidth (4 in GPT-2).
    public var mlpRatio: Int

    public init(vocabularySize: Int, contextLength: Int, modelWidth: Int, layers: Int, heads: Int,
                positionEncoding: PositionEncoding = .learned, mlpRatio: Int = 4) {
        require(modelWidth % heads == 0, "TransformerConfig: width \(modelWidth) not divisible by \(heads) heads")
        self.vocabularySize = vocabularySize; self.contextLength = contextLength; self.modelWidth = modelWidth
        self.layers = layers; self.heads = heads; self.positionEncoding = positionEncoding; self.mlpRatio = mlpRatio
    }

    public var headSize: Int { modelWidth / heads }
}

/// Per-forward facts every attention layer needs.
struct AttentionContext {
    var batch: Int, length: Int
    /// Positions already in the KV cache (0 without a cache).
    var offset: Int
    /// Leading pad columns per row (also the first key each row may attend to), or nil.
    var padding: IndexBuffer?
    var cache: KVCache?
}

/// Multi-head causal self-attention: qkv projection, optional RoPE, fused attention, output projection.
struct CausalSelfAttention {
    let qkv: Linear, proj: Linear
    let heads: Int, rotary: Bool

    func callAsFunction(_ x: Tensor, _ ctx: AttentionContext, layer: Int) -> Tensor {
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let d = c / heads
        let qkv = self.qkv(x)                                                       // [B, T, 3C]
        func split(_ i: Int) -> Tensor {
            qkv.slice(axis: 2, start: i * c, length: c).reshaped(b, t, heads, d).permuted([0, 2, 1, 3])  // [B, H, T, D]
        }
        var q = split(0), k = split(1)
        let v = split(2)
        if rotary {
            q = q.rope(offset: ctx.offset, padding: ctx.padding)
            k = k.rope(offset: ctx.offset, padding: ctx.padding)
        }
        let y: Tensor
        if let cache = ctx.cache {
            cache.write(layer: layer, keys: k, values: v, at: ctx.offset)
            let (ck, cv) = cache.tensors(layer: layer, in: x.graph)                // [B, H, capacity, D]
            y = causalAttention(q, ck, cv, keyLength: ctx.offset + t, keyStart: ctx.padding)
        } else {
            y = causalAttention(q, k, v, keyStart: ctx.padding)                     // [B, H, T, D]
        }
        return proj(y.permuted([0, 2, 1, 3]).reshaped(b, t, c))                   // [B, T, C]
    }
}

/// A pre-LayerNorm block: x = x + attn(ln1(x)); x = x + mlp(ln2(x)).
struct Block {
    let ln1: LayerNorm, attention: CausalSelfAttention, ln2: LayerNorm
    let fc: Linear, fcProj: Linear

    func callAsFunction(_ x: Tensor, _ ctx: AttentionContext, layer: Int) -> Tensor {
        let x = x + attention(ln1(x), ctx, layer: layer)
        return x + fcProj(fc(ln2(x)).gelu())
    }
}

/// A GPT-style decoder-only transformer: token (+ learned position) embeddings, pre-LayerNorm blocks with biases
/// and an exact-GELU MLP, a final LayerNorm and an untied output head without bias (the reference workloads' model).
///
/// Initialisation follows GPT-2 / nanoGPT: weights and embeddings N(0, 0.02), residual output projections
/// N(0, 0.02/√(2·layers)), biases 0, LayerNorm γ = 1, β = 0.
public final class Transformer {
    public let config: TransformerConfig
    public let parameters: ParameterStore
    let tokenEmbedding: Embedding
    let positionEmbedding: Embedding?
    let blocks: [Block]
    let finalNorm: LayerNorm
    let head: Linear

    public init(_ config: TransformerConfig, rng: inout RandomStream) {
        self.config = config
        let store = ParameterStore()
        parameters = store
        let d = config.modelWidth, std: Float = 0.02
        let residualStd = std / (2 * Float(config.layers)).squareRoot()
        tokenEmbedding = Embedding(store, "wte", count: config.vocabularySize, width: d, initializer: .normal(std: std), rng: &rng)
        positionEmbedding = config.positionEncoding == .learned
            ? Embedding(store, "wpe", count: config.contextLength, width: d, initializer: .normal(std: std), rng: &rng) : nil
        var blocks: [Block] = []
        for l in 0..<config.layers {
            let p = "h.\(l)"
            let hidden = config.mlpRatio * d
            blocks.append(Block(
                ln1: LayerNorm(store, "\(p).ln1", width: d, rng: &rng),
                attention: CausalSelfAttention(
                    qkv: Linear(store, "\(p).attn.qkv", inputs: d, outputs: 3 * d, weightInit: .normal(std: std), biasInit: .zeros, rng: &rng),
                    proj: Linear(store, "\(p).attn.proj", inputs: d, outputs: d, weightInit: .normal(std: residualStd), biasInit: .zeros, rng: &rng),
                    heads: config.heads, rotary: config.positionEncoding == .rotary),
                ln2: LayerNorm(store, "\(p).ln2", width: d, rng: &rng),
                fc: Linear(store, "\(p).mlp.fc", inputs: d, outputs: hidden, weightInit: .normal(std: std), biasInit: .zeros, rng: &rng),
                fcProj: Linear(store, "\(p).mlp.proj", inputs: hidden, outputs: d, weightInit: .normal(std: residualStd), biasInit: .zeros, rng: &rng)))
        }
        self.blocks = blocks
        finalNorm = LayerNorm(store, "ln_f", width: d, rng: &rng)
        head = Linear(store, "lm_head", inputs: d, outputs: config.vocabularySize, bias: false, weightInit: .normal(std: std), rng: &rng)
    }

    /// Logits for `tokens` ([batch, T], row-major).
    ///
    /// - padding: leading pad columns per row (prompts are left-padded); a pad column is never attended to, and a
    ///   real token at column c of row b has position c − padding[b]. Pad columns' own outputs are meaningless.
    /// - cache: incremental decoding (graph must not record). The tokens are appended after the `cache.length`
    ///   columns already cached, and the cache advances by T.
    /// - outputFrom: only columns outputFrom..<T go through the final norm and head (saves work when only response
    ///   logits are needed). Result: [batch, T − outputFrom, vocabularySize].
    public func logits(_ tokens: [Int32], batch: Int, graph: Graph, padding: [Int]? = nil, cache: KVCache? = nil,
                       outputFrom: Int = 0) -> Tensor {
        head(features(tokens, batch: batch, graph: graph, padding: padding, cache: cache, outputFrom: outputFrom))  // [B, T', V]
    }

    /// The final-LayerNorm hidden states of columns outputFrom..<T: [batch, T − outputFrom, modelWidth] (what the
    /// output head reads; a value head reads them too). Arguments as in `logits`.
    public func features(_ tokens: [Int32], batch: Int, graph: Graph, padding: [Int]? = nil, cache: KVCache? = nil,
                         outputFrom: Int = 0) -> Tensor {
        require(batch > 0 && tokens.count % batch == 0, "logits: \(tokens.count) tokens for batch \(batch)")
        let t = tokens.count / batch
        require(padding == nil || padding!.count == batch, "logits: padding needs one entry per row")
        require(cache == nil || !graph.isRecording, "logits: a KV cache is for inference (graph must not record)")
        require(outputFrom >= 0 && outputFrom < t, "logits: outputFrom \(outputFrom) outside 0..<\(t)")
        let offset = cache?.length ?? 0
        if let cache {
            require(cache.batch == batch && offset + t <= cache.capacity, "logits: KV cache too small or wrong batch")
        }
        let v = config.vocabularySize
        for tok in tokens { require(tok >= 0 && Int(tok) < v, "logits: token \(tok) outside vocabulary 0..<\(v)") }
        let pad = padding.map { graph.indices($0) }
        let ids = graph.indices(tokens)
        var x = tokenEmbedding(ids, shape: Shape(batch, t), in: graph)             // [B, T, C]
        if let positionEmbedding {
            var positions = [Int32](repeating: 0, count: batch * t)
            for b in 0..<batch {
                for c in 0..<t {
                    let p = Swift.max(0, offset + c - (padding?[b] ?? 0))
                    require(p < config.contextLength, "logits: position \(p) beyond context length \(config.contextLength)")
                    positions[b * t + c] = Int32(p)
                }
            }
            x = x + positionEmbedding(graph.indices(positions), shape: Shape(batch, t), in: graph)
        } else {
            require(offset + t <= config.contextLength, "logits: \(offset + t) columns beyond context length \(config.contextLength)")
        }
        let ctx = AttentionContext(batch: batch, length: t, offset: offset, padding: pad, cache: cache)
        for (l, block) in blocks.enumerated() { x = block(x, ctx, layer: l) }
        cache?.advance(by: t)
        if outputFrom > 0 { x = x.slice(axis: 1, start: outputFrom, length: t - outputFrom) }
        return finalNorm(x)                                                         // [B, T', C]
    }

    /// A fresh cache for decoding `batch` rows of up to `capacity` columns.
    public func makeCache(batch: Int, capacity: Int) -> KVCache {
        KVCache(layers: config.layers, batch: batch, heads: config.heads, capacity: capacity, headSize: config.headSize)
    }
}

/// Keys and values of every layer for incremental decoding: [batch, heads, capacity, headSize] per layer.
public final class KVCache {
    public let layers: Int, batch: Int, heads: Int, capacity: Int, headSize: Int
    /// Columns cached so far.
    public private(set) var length = 0
    private let keys: [UnsafeMutablePointer<Float>]
    private let values: [UnsafeMutablePointer<Float>]

    public init(layers: Int, batch: Int, heads: Int, capacity: Int, headSize: Int) {
        self.layers = layers; self.batch = batch; self.heads = heads; self.capacity = capacity; self.headSize = headSize
        let n = batch * heads * capacity * headSize
        keys = (0..<layers).map { _ in let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p }
        values = (0..<layers).map { _ in let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p }
    }

    deinit { keys.forEach { $0.deallocate() }; values.forEach { $0.deallocate() } }

    public func reset() { length = 0 }

    func advance(by t: Int) { length += t }

    /// Copies k, v ([B, H, T, D]) into columns at..<at+T.
    func write(layer: Int, keys k: Tensor, values v: Tensor, at: Int) {
        let t = k.shape[2], d = headSize
        for bh in 0..<(batch * heads) {
            (keys[layer] + (bh * capacity + at) * d).update(from: k.value + bh * t * d, count: t * d)
            (values[layer] + (bh * capacity + at) * d).update(from: v.value + bh * t * d, count: t * d)
        }
    }

    func tensors(layer: Int, in graph: Graph) -> (Tensor, Tensor) {
        let s = Shape(batch, heads, capacity, headSize)
        return (graph.bind(value: keys[layer], grad: nil, s), graph.bind(value: values[layer], grad: nil, s))
    }
}
