/// `nn.Linear`: y (…, out) = x (…, in) · Wᵀ + b, W (out, in). Rows split across the pool.
///
/// With both widths multiples of 8 the rows run through the channel-blocked 1×1 kernel,
/// each row a pixel (`PointwiseBlocked.rows`): the restorer's latent tokens are 1,024
/// rows of 48, where OpenBLAS packs both operands again on every call and spends more
/// time packing than multiplying. Other widths take SGEMM.
public struct Linear: Sendable {
    public let weight: Tensor   // (out, in)
    public let bias: Tensor?    // (out)
    public var inFeatures: Int { weight.dim(1) }
    public var outFeatures: Int { weight.dim(0) }
    /// The weights packed for the blocked kernel, when the widths allow it.
    let blocked: PointwiseBlocked?

    public init(weight: Tensor, bias: Tensor?) {
        (self.weight, self.bias) = (weight, bias)
        let (o, i) = (weight.dim(0), weight.dim(1))
        blocked = o % 8 == 0 && i % 8 == 0
            ? PointwiseBlocked(ConvParameters(weight: weight.reshaped([o, i, 1, 1]), bias: bias)) : nil
    }

    public init(_ vb: VarBuilder, in i: Int, out o: Int, bias: Bool = true) throws(TensorError) {
        self.init(weight: try vb.get("weight", shape: [o, i]), bias: bias ? try vb.get("bias", shape: [o]) : nil)
    }

    /// y = act(x · Wᵀ + b), plus `residual` (the output's shape) when given: a transformer's
    /// skip added in the same pass over the rows, while they are in cache.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, adding residual: Tensor? = nil,
                               arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (i, o) = (inFeatures, outFeatures)
        precondition(x.dim(-1) == i, "linear: input \(x.shape), layer \(i) → \(o)")
        let rows = x.count / i
        var shape = x.shape
        shape[shape.count - 1] = o
        let y = arena.tensor(shape)
        precondition(residual.map { $0.count == y.count } ?? true, "linear: residual \(residual?.shape ?? []) for output \(shape)")
        /// The activation, then the residual, on rows r of y.
        @inline(__always) func finish(_ r: Range<Int>) {
            let (out, n) = (y.data + r.lowerBound * o, r.count * o)
            activation.applyInPlace(out, n)
            if let residual {
                let add = UnsafePointer(residual.data + r.lowerBound * o)
                eightAtATime(0..<n) { k in vstore(vload(out + k) + vload(add + k), out + k) } tail: { k in out[k] += add[k] }
            }
        }
        if let blocked {
            pool.parallelRanges(rows, minimum: 16) { r in
                blocked.rows(x: x.data + r.lowerBound * i, y: y.data + r.lowerBound * o, count: r.count)
                finish(r)
            }
            return y
        }
        pool.parallelRanges(rows, minimum: 16) { r in
            let out = y.data + r.lowerBound * o
            // Rows start as the bias; the product accumulates onto it (beta = 1).
            for row in 0..<r.count {
                if let bias { (out + row * o).update(from: bias.data, count: o) } else { (out + row * o).initialize(repeating: 0, count: o) }
            }
            BLAS.sgemm(transB: true, m: r.count, n: o, k: i, a: x.data + r.lowerBound * i, lda: i,
                       b: weight.data, ldb: i, beta: 1, c: out, ldc: o)
            finish(r)
        }
        return y
    }
}

/// `nn.Embedding`: rows of a table by index.
public struct Embedding: Sendable {
    public let weight: Tensor   // (count, dim)

    public init(_ vb: VarBuilder, count: Int, dim: Int) throws(TensorError) {
        weight = try vb.get("weight", shape: [count, dim])
    }

    /// indices (…) → (…, dim)
    public func callAsFunction(_ indices: [Int32], shape: [Int], arena: Arena) -> Tensor {
        let d = weight.dim(1)
        let y = arena.tensor(shape + [d])
        for (i, k) in indices.enumerated() { (y.data + i * d).update(from: weight.data + Int(k) * d, count: d) }
        return y
    }
}

/// Index of the largest value along the last axis, per row (ties: the first; NaNs are
/// never the largest). Rows split across the pool, each row's maximum in eight lanes
/// first and then its first position: a branch per element took a core for 0.2 ms on
/// the restorer's 1,024 × 256 code logits.
public func argmaxLastAxis(_ x: Tensor, pool: ThreadPool = .shared) -> [Int32] {
    let d = x.dim(-1), rows = x.count / d
    var out = [Int32](repeating: 0, count: rows)
    out.withUnsafeMutableBufferPointer { out in
        let best = out.baseAddress!
        pool.parallelRanges(rows, minimum: 64) { range in
            for r in range {
                let p = x.data + r * d
                var (lanes, i) = (SIMD8<Float>(repeating: -.infinity), 0)
                while i + 8 <= d {
                    let v = vload(p + i)
                    lanes.replace(with: v, where: v .> lanes)
                    i += 8
                }
                var m = lanes.max()
                while i < d { if p[i] > m { m = p[i] }; i += 1 }
                var at = 0
                while at < d && !(p[at] == m) { at += 1 }
                best[r] = Int32(at < d ? at : 0)
            }
        }
    }
    return out
}
