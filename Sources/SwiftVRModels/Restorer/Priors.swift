import SwiftVRTensor

/// A learned codebook (K, D), and the same entries as a linear layer D × K: the soft mix
/// softmax(logits / τ) · C is a linear map of the weights, and as a `Linear` its rows split
/// across the pool and run through the blocked kernel (a single SGEMM call ran the
/// 1,024 × 256 × 48 product on one core).
struct Codebook {
    let table: Embedding   // (K, D)
    let mix: Linear        // weight (D, K) = tableᵀ, no bias

    init(_ vb: VarBuilder, count: Int, dim: Int) throws(TensorError) {
        table = try Embedding(vb, count: count, dim: dim)
        let t = Tensor(shape: [dim, count])
        for k in 0..<count { for d in 0..<dim { t.data[d * count + k] = table.weight.data[k * dim + d] } }
        mix = Linear(weight: t, bias: nil)
    }
}

/// The codebook entries the logits (…, K) pick: with τ > 0 the softmax(logits / τ) mix of
/// all entries, else the best entry (`indices`). restorer/priors.py `lookup`.
func lookup(_ logits: Tensor, _ indices: [Int32], codebook: Codebook, temperature: Float, shape: [Int], arena: Arena,
            pool: ThreadPool = .shared) -> Tensor {
    guard temperature > 0 else { return codebook.table(indices, shape: shape, arena: arena) }
    let k = logits.dim(-1)
    let p = arena.tensor(logits.shape)
    let inv = 1 / temperature
    pool.parallelRanges(p.count / k, minimum: 64) { rows in
        for r in rows {
            let (src, dst) = (logits.data + r * k, p.data + r * k)
            for i in 0..<k { dst[i] = src[i] * inv }
            softmaxRow(dst, k)
        }
    }
    return codebook.mix(p, arena: arena, pool: pool).reshaped(shape + [codebook.mix.outFeatures])
}

/// Tokens → indices of a learned spatial codebook → f_s. With `spatialResidual`, f_s also
/// carries the features through `residual`. restorer/priors.py `SpatialPrior`.
struct SpatialPrior {
    let layer: TransformerLayer, norm: LayerNorm, logits: Linear, codebook: Codebook
    let residual: Linear?
    let temperature: Float

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        layer = try TransformerLayer(vb.pp("layer"), dim: c.dim, heads: c.heads, mlpRatio: c.mlpRatio)
        norm = try LayerNorm(vb.pp("norm"), dim: c.dim)
        logits = try Linear(vb.pp("logits"), in: c.dim, out: c.spatialCodes)
        codebook = try Codebook(vb.pp("codebook"), count: c.spatialCodes, dim: c.dim)
        residual = c.spatialResidual ? try Linear(vb.pp("residual"), in: c.dim, out: c.dim) : nil
        temperature = c.codeTemperature
    }

    /// x (T, N, D) → f_s (T, N, D), indices (T·N), logits (T, N, Ks)
    func callAsFunction(_ x: Tensor, layout: AttentionLayout, arena: Arena) -> (Tensor, [Int32], Tensor) {
        let h = layer(x, layout: layout, arena: arena)
        norm.normalizeInPlace(h)
        let l = logits(h, arena: arena)
        let idx = argmaxLastAxis(l)
        let fs = lookup(l, idx, codebook: codebook, temperature: temperature, shape: [x.dim(0), x.dim(1)], arena: arena)
        return (residual.map { $0(h, adding: fs, arena: arena) } ?? fs, idx, l)
    }
}

/// What a face's next window needs from its previous one (causal chunk-wise streaming).
public struct TemporalCache: Sendable {
    let last: Tensor     // (N, D) tokens of the previous window's last frame
    /// (N, Tc, 2D) the keys and values (projected, not yet rotated) of the last Tc frames
    /// seen: attention along time reads them again, so they are projected once.
    let keysValues: Tensor
    var past: Tensor?    // (c1, R/4, R/4) the last frame's merged R/4 skip (`PastFeatures`)
}

/// Attention along the window at each latent location plus the difference to the
/// previous frame → indices of a learned temporal codebook → f_t. With a cache from the
/// face's previous window, the first difference is taken to that window's last frame
/// and queries also attend to its keys and values. With `temporalResidual`, f_t also
/// carries the features themselves through `residual` (the chosen code alone is nearly
/// constant on real clips). restorer/priors.py `TemporalPrior`.
struct TemporalPrior {
    let diff: Linear, norm1: LayerNorm, attn: WindowAttention, norm: LayerNorm, logits: Linear, codebook: Codebook
    let residual: Linear?
    let heads: Int
    /// Frame i of a window sees the cache and frames ≤ i only: a frame's features never
    /// wait for later frames (config `causal_temporal`).
    let causal: Bool
    let temperature: Float

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        diff = try Linear(vb.pp("diff"), in: 2 * c.dim, out: c.dim)
        norm1 = try LayerNorm(vb.pp("norm1"), dim: c.dim)
        attn = try WindowAttention(vb.pp("attn"), dim: c.dim, heads: c.heads)
        norm = try LayerNorm(vb.pp("norm"), dim: c.dim)
        logits = try Linear(vb.pp("logits"), in: c.dim, out: c.temporalCodes)
        codebook = try Codebook(vb.pp("codebook"), count: c.temporalCodes, dim: c.dim)
        residual = c.temporalResidual ? try Linear(vb.pp("residual"), in: c.dim, out: c.dim) : nil
        heads = c.heads
        causal = c.causalTemporal
        temperature = c.codeTemperature
    }

    /// x (T, N, D) → f_t (T, N, D), indices (T·N), logits (T, N, Kt), the cache for the next
    /// window: this window's frames, or with `context` the last `context` frames seen; none
    /// with context 0 (the next frame is then restored as a first frame: keeping only its
    /// last tokens would hand it a frame difference with nothing to attend to, a state
    /// training never produces).
    func callAsFunction(_ x: Tensor, cache: TemporalCache?, context: Int?, arena: Arena) -> (Tensor, [Int32], Tensor, TemporalCache?) {
        let (t, n, d) = (x.dim(0), x.dim(1), x.dim(2))
        let pair = arena.tensor([t, n, 2 * d])                       // [x_t, x_t − x_{t−1}]
        for f in 0..<t {
            for i in 0..<n {
                let src = x.data + (f * n + i) * d
                let before = f > 0 ? x.data + ((f - 1) * n + i) * d : (cache.map { $0.last.data + i * d } ?? src)
                let dst = pair.data + (f * n + i) * 2 * d
                dst.update(from: src, count: d)
                for k in 0..<d { dst[d + k] = src[k] - before[k] }
            }
        }
        let features = ShapeOps.swapFirstAxes(diff(pair, arena: arena), arena: arena)   // (N, T, D)
        let qIn = norm1(features, arena: arena)
        let (h, kv) = attendAlongTime(qIn, cached: cache?.keysValues, adding: features, arena: arena)   // features + attention
        // Keep what the next window needs, outside the arena (it is reused every call).
        let tk = kv.dim(1), kept = min(tk, context ?? t)
        let last = Tensor(shape: [n, d]), keysValues = Tensor(shape: [n, kept, 2 * d])
        last.data.update(from: x.data + (t - 1) * n * d, count: n * d)
        for i in 0..<n {                                                         // the last `kept` frames
            (keysValues.data + i * kept * 2 * d).update(from: kv.data + (i * tk + tk - kept) * 2 * d, count: kept * 2 * d)
        }
        let back = ShapeOps.swapFirstAxes(h, arena: arena)                       // (T, N, D)
        norm.normalizeInPlace(back)
        let l = logits(back, arena: arena)
        let idx = argmaxLastAxis(l)
        let codes = lookup(l, idx, codebook: codebook, temperature: temperature, shape: [t, n], arena: arena)
        let ft = residual.map { $0(back, adding: codes, arena: arena) } ?? codes
        return (ft, idx, l, context == 0 ? nil : TemporalCache(last: last, keysValues: keysValues, past: nil))
    }

    /// Queries from the window's frames (positions Tc…Tc+T−1), keys and values from the
    /// cached and current frames (0…Tc+T−1), per location and head. Only the window's
    /// frames are projected; the cached frames' keys and values come projected from
    /// `cached` (N, Tc, 2D). Returns `residual` + the attention's output (N, T, D) and the
    /// keys and values of all Tc+T frames (N, Tc+T, 2D), unrotated: positions move as
    /// frames age.
    private func attendAlongTime(_ q: Tensor, cached: Tensor?, adding residual: Tensor, arena: Arena,
                                 pool: ThreadPool = .shared) -> (Tensor, Tensor) {
        let (n, t, d) = (q.dim(0), q.dim(1), q.dim(2))
        let tc = cached?.dim(1) ?? 0, tk = tc + t
        let hd = d / heads
        let qp = attn.qkv!(q, arena: arena)                          // (N, T, 3D)
        let kv = arena.tensor([n, tk, 2 * d])                        // cached frames, then the window's
        let ropeQ = Windows.rope(positions: (tc..<tk).map { [$0] }, headDim: hd)
        let ropeK = Windows.rope(positions: (0..<tk).map { [$0] }, headDim: hd)
        let qs = arena.tensor([n * heads, t, hd]), ks = arena.tensor([n * heads, tk, hd]), vs = arena.tensor([n * heads, tk, hd])
        pool.parallelRanges(n, minimum: 64) { locations in
            for i in locations {
                if let cached { (kv.data + i * tk * 2 * d).update(from: cached.data + i * tc * 2 * d, count: tc * 2 * d) }
                for f in 0..<t { (kv.data + (i * tk + tc + f) * 2 * d).update(from: qp.data + (i * t + f) * 3 * d + d, count: 2 * d) }
                for h in 0..<heads {
                    let slot = i * heads + h
                    for f in 0..<t {
                        rotateHead(qp.data + (i * t + f) * 3 * d + h * hd, into: qs.data + (slot * t + f) * hd, hd, cos: ropeQ.cos, sin: ropeQ.sin, f)
                    }
                    for f in 0..<tk {
                        let row = kv.data + (i * tk + f) * 2 * d
                        rotateHead(row + h * hd, into: ks.data + (slot * tk + f) * hd, hd, cos: ropeK.cos, sin: ropeK.sin, f)
                        (vs.data + (slot * tk + f) * hd).update(from: row + d + h * hd, count: hd)
                    }
                }
            }
        }
        let o = scaledDotProductAttention(qs, ks, vs, causalOffset: causal ? tc : nil, arena: arena)  // (N·H, T, hd)
        let merged = arena.tensor([n, t, d])
        pool.parallelRanges(n, minimum: 64) { locations in
            for i in locations { for h in 0..<heads { for f in 0..<t {
                (merged.data + (i * t + f) * d + h * hd).update(from: o.data + ((i * heads + h) * t + f) * hd, count: hd)
            } } }
        }
        return (attn.proj(merged, adding: residual, arena: arena), kv)
    }
}
