// Shape ops: reshape, permute / transpose, slice, concat, gather (embedding lookup), stop-gradient.

extension Tensor {
    /// Same values, new shape (same count). Shares the value buffer; no copy.
    public func reshaped(_ newShape: Shape) -> Tensor {
        require(newShape.count == count, "reshape: \(shape) has \(count) values, \(newShape) needs \(newShape.count)")
        return graph.aliasNode(newShape, of: self, .reshape(id), needsGrad: graph.needsGrad(self))
    }

    public func reshaped(_ dims: Int...) -> Tensor { reshaped(Shape(dims)) }

    /// The same values with no gradient flowing back through them (sg(x) in the objectives).
    public func detached() -> Tensor { graph.aliasNode(shape, of: self, .leaf, needsGrad: false) }

    /// Reorders axes: out.shape[i] = shape[axes[i]].
    public func permuted(_ axes: [Int]) -> Tensor {
        require(axes.count == rank && Set(axes) == Set(0..<rank), "permute: \(axes) is not a permutation of \(rank) axes")
        var p = SIMD4<Int32>(0, 1, 2, 3)
        let shift = 4 - rank
        for i in 0..<rank { p[shift + i] = Int32(axes[i] + shift) }
        let outShape = Shape(axes.map { shape[$0] })
        let out = graph.node(outShape, .permute(id, p), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value
        permuteRuns(shape, p) { o, i, n in for j in 0..<n { y[o + j] = x[i + j] } }
        return out
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(shape.axis(a), shape.axis(b))
        return permuted(axes)
    }

    /// x[..., start ..< start + length, ...] along `axis`.
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        let ax = shape.axis(axis)
        require(start >= 0 && length >= 0 && start + length <= shape[ax], "slice: \(start)..<\(start + length) outside axis \(ax) of \(shape)")
        var dims = shape.dims; dims[ax] = length
        let out = graph.node(Shape(dims), .slice(id, ax, start), needsGrad: graph.needsGrad(self))
        let (outer, size, inner) = shape.split(at: ax)
        let x = value, y = out.value
        for o in 0..<outer {
            (y + o * length * inner).update(from: x + (o * size + start) * inner, count: length * inner)
        }
        return out
    }

    /// Looks up rows of this [V, C] table: indices of shape `indexShape` (count = indices.count) → indexShape + [C].
    public func gatherRows(_ indices: IndexBuffer, shape indexShape: Shape) -> Tensor {
        require(rank == 2, "gatherRows: table must be [V, C], got \(shape)")
        require(indexShape.count == indices.count && indexShape.rank < Shape.maxRank, "gatherRows: index shape \(indexShape)")
        let v = shape[0], c = shape[1]
        let out = graph.node(Shape(indexShape.dims + [c]), .gather(id, indices), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value
        for r in 0..<indices.count {
            let row = indices[r]
            require(row >= 0 && row < v, "gatherRows: index \(row) outside 0..<\(v)")
            (y + r * c).update(from: x + row * c, count: c)
        }
        return out
    }

    /// Picks one entry per row along the last axis: out[r] = x[r, index[r]] (log-probability of a token).
    public func gatherLast(_ indices: IndexBuffer) -> Tensor {
        let v = shape.last, rows = shape.rows
        require(indices.count == rows, "gatherLast: \(indices.count) indices for \(rows) rows of \(shape)")
        let outShape = rank <= 1 ? Shape(rows) : shape.removing(axis: rank - 1)
        let out = graph.node(outShape, .gatherLast(id, indices), needsGrad: graph.needsGrad(self))
        let x = value, y = out.value
        for r in 0..<rows {
            let j = indices[r]
            require(j >= 0 && j < v, "gatherLast: index \(j) outside 0..<\(v)")
            y[r] = x[r * v + j]
        }
        return out
    }
}

/// Concatenates tensors along `axis` (all other axes equal).
public func concat(_ parts: [Tensor], axis: Int) -> Tensor {
    require(!parts.isEmpty, "concat: no tensors")
    let first = parts[0], g = first.graph
    let ax = first.shape.axis(axis)
    var total = 0
    for p in parts {
        require(p.graph === g && p.rank == first.rank, "concat: mismatched tensors")
        for i in 0..<p.rank where i != ax { require(p.shape[i] == first.shape[i], "concat: \(p.shape) vs \(first.shape) off axis \(ax)") }
        total += p.shape[ax]
    }
    var dims = first.shape.dims; dims[ax] = total
    let ids = g.indices(parts.map { Int32($0.id) })
    let needs = g.isRecording && parts.contains { $0.requiresGrad }
    let out = g.node(Shape(dims), .concat(ids, ax), needsGrad: needs)
    let (outer, _, inner) = out.shape.split(at: ax)
    var offset = 0
    for p in parts {
        let len = p.shape[ax], x = p.value
        for o in 0..<outer {
            (out.value + (o * total + offset) * inner).update(from: x + o * len * inner, count: len * inner)
        }
        offset += len
    }
    return out
}

/// Visits a permutation of `shape` (padded to 4 axes) as runs: body(outputStart, inputStart, length) with output
/// index outputStart + j reading input index inputStart + j for j in 0..<length. When the last axis stays last, a
/// run is a whole row of it (contiguous on both sides); otherwise every run is one element.
@inline(__always)
func permuteRuns(_ shape: Shape, _ p: SIMD4<Int32>, _ body: (Int, Int, Int) -> Void) {
    let d = shape.padded4, st = shape.strides
    let dims = SIMD4<Int>(d.0, d.1, d.2, d.3), strides = SIMD4<Int>(st.0, st.1, st.2, st.3)   // no heap arrays
    let od = SIMD4<Int>(dims[Int(p[0])], dims[Int(p[1])], dims[Int(p[2])], dims[Int(p[3])])
    let os = SIMD4<Int>(strides[Int(p[0])], strides[Int(p[1])], strides[Int(p[2])], strides[Int(p[3])])
    let rows = p[3] == 3
    var o = 0
    for i0 in 0..<od[0] {
        for i1 in 0..<od[1] {
            for i2 in 0..<od[2] {
                let base = i0 * os[0] + i1 * os[1] + i2 * os[2]
                if rows { body(o, base, od[3]); o += od[3]; continue }
                for i3 in 0..<od[3] { body(o, base + i3 * os[3], 1); o += 1 }
            }
        }
    }
}

extension Graph {
    func backwardReshape(_ x: Int, _ g: UnsafeMutablePointer<Float>, count: Int) {
        guard let (gx, overwrite) = gradForWrite(x) else { return }
        if overwrite { gx.update(from: g, count: count) } else { addInto(gx, g, count) }
    }

    func backwardPermute(_ x: Int, _ p: SIMD4<Int32>, _ g: UnsafeMutablePointer<Float>) {
        guard let (gx, overwrite) = gradForWrite(x) else { return }
        let shape = nodes[x].shape
        if overwrite { permuteRuns(shape, p) { o, i, n in for j in 0..<n { gx[i + j] = g[o + j] } } }
        else { permuteRuns(shape, p) { o, i, n in for j in 0..<n { gx[i + j] += g[o + j] } } }
    }

    func backwardSlice(_ x: Int, axis: Int, start: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        guard let (gx, overwrite) = gradForWrite(x) else { return }
        let (outer, size, inner) = nodes[x].shape.split(at: axis)
        let length = nodes[out].shape[axis]
        for o in 0..<outer {
            let row = gx + o * size * inner
            let dst = row + start * inner, src = g + o * length * inner
            if overwrite {
                // a fresh buffer: the slice's part is copied, the rest of the row zeroed
                row.initialize(repeating: 0, count: start * inner)
                dst.update(from: src, count: length * inner)
                (dst + length * inner).initialize(repeating: 0, count: (size - start - length) * inner)
            } else {
                for i in 0..<(length * inner) { dst[i] += src[i] }
            }
        }
    }

    func backwardConcat(_ ids: IndexBuffer, axis: Int, out: Int, _ g: UnsafeMutablePointer<Float>) {
        let (outer, total, inner) = nodes[out].shape.split(at: axis)
        var offset = 0
        for n in 0..<ids.count {
            let id = ids[n], len = nodes[id].shape[axis]
            if let gx = grad(id) {
                for o in 0..<outer {
                    let dst = gx + o * len * inner, src = g + (o * total + offset) * inner
                    for i in 0..<(len * inner) { dst[i] += src[i] }
                }
            }
            offset += len
        }
    }

    func backwardGather(_ table: Int, _ idx: IndexBuffer, _ g: UnsafeMutablePointer<Float>) {
        guard let gt = grad(table) else { return }
        let c = nodes[table].shape[1]
        for r in 0..<idx.count {
            let dst = gt + idx[r] * c, src = g + r * c
            for j in 0..<c { dst[j] += src[j] }
        }
    }

    func backwardGatherLast(_ x: Int, _ idx: IndexBuffer, _ g: UnsafeMutablePointer<Float>) {
        guard let gx = grad(x) else { return }
        let v = nodes[x].shape.last
        for r in 0..<idx.count { gx[r * v + idx[r]] += g[r] }
    }
}
