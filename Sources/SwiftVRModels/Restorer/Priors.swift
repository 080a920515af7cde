import SwiftVRTensor

/// Tokens → indices of a learned spatial codebook → f_s. model.py `SpatialPrior`.
struct SpatialPrior {
    let layer: TransformerLayer, norm: LayerNorm, logits: Linear, codebook: Embedding

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        layer = try TransformerLayer(vb.pp("layer"), dim: c.dim, heads: c.heads, mlpRatio: c.mlpRatio)
        norm = try LayerNorm(vb.pp("norm"), dim: c.dim)
        logits = try Linear(vb.pp("logits"), in: c.dim, out: c.spatialCodes)
        codebook = try Embedding(vb.pp("codebook"), count: c.spatialCodes, dim: c.dim)
    }

    /// x (T, N, D) → f_s (T, N, D), indices (T·N), logits (T, N, Ks)
    func callAsFunction(_ x: Tensor, layout: AttentionLayout, arena: Arena) -> (Tensor, [Int32], Tensor) {
        let h = layer(x, layout: layout, arena: arena)
        norm(h)
        let l = logits(h, arena: arena)
        let idx = argmaxLastAxis(l)
        return (codebook(idx, shape: [x.dim(0), x.dim(1)], arena: arena), idx, l)
    }
}

/// Attention along the window at each latent location plus the difference to the
/// previous frame → indices of a learned temporal codebook → f_t. model.py `TemporalPrior`.
struct TemporalPrior {
    let diff: Linear, norm1: LayerNorm, attn: WindowAttention, norm: LayerNorm, logits: Linear, codebook: Embedding
    let heads: Int

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        diff = try Linear(vb.pp("diff"), in: 2 * c.dim, out: c.dim)
        norm1 = try LayerNorm(vb.pp("norm1"), dim: c.dim)
        attn = try WindowAttention(vb.pp("attn"), dim: c.dim, heads: c.heads)
        norm = try LayerNorm(vb.pp("norm"), dim: c.dim)
        logits = try Linear(vb.pp("logits"), in: c.dim, out: c.temporalCodes)
        codebook = try Embedding(vb.pp("codebook"), count: c.temporalCodes, dim: c.dim)
        heads = c.heads
    }

    /// x (T, N, D) → f_t (T, N, D), indices (T·N), logits (T, N, Kt)
    func callAsFunction(_ x: Tensor, arena: Arena) -> (Tensor, [Int32], Tensor) {
        let (t, n, d) = (x.dim(0), x.dim(1), x.dim(2))
        let pair = arena.tensor([t, n, 2 * d])                       // [x_t, x_t − x_{t−1}]
        for f in 0..<t {
            let prev = max(f - 1, 0)
            for i in 0..<n {
                let src = x.data + (f * n + i) * d, before = x.data + (prev * n + i) * d
                let dst = pair.data + (f * n + i) * 2 * d
                dst.update(from: src, count: d)
                for k in 0..<d { dst[d + k] = src[k] - before[k] }
            }
        }
        let h = ShapeOps.swapFirstAxes(diff(pair, arena: arena), arena: arena)   // (N, T, D)
        let rope = Windows.rope(positions: (0..<t).map { [$0] }, headDim: d / heads)
        let layout = AttentionLayout(groups: [(1, t, Array(0..<t))], cos: rope.cos, sin: rope.sin)
        let a = copy(h, arena: arena)
        norm1(a)
        addInPlace(h, attn(a, layout: layout, arena: arena))
        let back = ShapeOps.swapFirstAxes(h, arena: arena)                       // (T, N, D)
        norm(back)
        let l = logits(back, arena: arena)
        let idx = argmaxLastAxis(l)
        return (codebook(idx, shape: [t, n], arena: arena), idx, l)
    }
}
