import Engine

/// y = x W + b, with W stored [in, out] so the forward product needs no transpose.
public struct Linear {
    public let store: ParameterStore
    public let weight: Parameter
    public let bias: Parameter?

    /// Default initialisation is PyTorch's nn.Linear: W, b ~ U(−1/√in, 1/√in).
    public init(_ store: ParameterStore, _ name: String, inputs: Int, outputs: Int, bias: Bool = true,
                weightInit: Initializer? = nil, biasInit: Initializer? = nil, rng: inout RandomStream) {
        let bound = 1 / Float(inputs).squareRoot()
        self.store = store
        weight = store.add("\(name).weight", Shape(inputs, outputs), weightInit ?? .uniform(bound: bound), rng: &rng)
        self.bias = bias ? store.add("\(name).bias", Shape(outputs), biasInit ?? .uniform(bound: bound), rng: &rng) : nil
    }

    /// [..., in] → [..., out]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let bias else { return matmul(x, store.bind(weight, in: x.graph)) }
        return matmul(x, store.bind(weight, in: x.graph), bias: store.bind(bias, in: x.graph))
    }
}

/// A lookup table of `count` rows of width `width`.
public struct Embedding {
    public let store: ParameterStore
    public let table: Parameter

    public init(_ store: ParameterStore, _ name: String, count: Int, width: Int, initializer: Initializer = .normal(std: 1),
                rng: inout RandomStream) {
        self.store = store
        table = store.add("\(name).weight", Shape(count, width), initializer, rng: &rng)
    }

    /// indices (shape `shape`) → shape + [width]
    public func callAsFunction(_ indices: IndexBuffer, shape: Shape, in graph: Graph) -> Tensor {
        store.bind(table, in: graph).gatherRows(indices, shape: shape)
    }
}

/// Layer normalisation over the last axis with learned γ (ones) and β (zeros).
public struct LayerNorm {
    public let store: ParameterStore
    public let gamma: Parameter, beta: Parameter
    public let epsilon: Float

    public init(_ store: ParameterStore, _ name: String, width: Int, epsilon: Float = 1e-5, rng: inout RandomStream) {
        self.store = store
        self.epsilon = epsilon
        gamma = store.add("\(name).weight", Shape(width), .ones, rng: &rng)
        beta = store.add("\(name).bias", Shape(width), .zeros, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(gamma: store.bind(gamma, in: x.graph), beta: store.bind(beta, in: x.graph), epsilon: epsilon)
    }
}

public enum Activation: String, Codable, Sendable {
    case relu, gelu, tanh

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .tanh: return x.tanh()
        }
    }
}

/// A multilayer perceptron: Linear → activation → … → Linear (no activation after the last layer).
public struct MLP {
    public let layers: [Linear]
    public let activation: Activation

    /// sizes = [inputs, hidden…, outputs], e.g. [784, 256, 256, 10].
    public init(_ store: ParameterStore, _ name: String, sizes: [Int], activation: Activation = .relu, rng: inout RandomStream) {
        require(sizes.count >= 2, "MLP needs at least input and output sizes")
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Linear(store, "\(name).\(i)", inputs: sizes[i], outputs: sizes[i + 1], rng: &rng))
        }
        self.layers = layers
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = activation(h) }
        }
        return h
    }
}
