import SwiftVRTensor

/// Position and window layout shared by every attention call on one token grid.
public struct AttentionLayout {
    public let groups: [(count: Int, length: Int, indices: [Int])]
    public let cos: [Float], sin: [Float]   // (N, headDim/2)
}

/// Multi-head attention inside index groups (windows) with rotary positions; queries and
/// keys/values may come from different inputs. restorer/attention.py `Attention`.
struct WindowAttention {
    let heads: Int
    let qkv: Linear?          // self-attention: (D → 3D)
    let q: Linear?, kv: Linear?  // cross-attention: (D → D), (D → 2D)
    let proj: Linear

    init(_ vb: VarBuilder, dim: Int, heads: Int, cross: Bool = false) throws(TensorError) {
        self.heads = heads
        if cross {
            q = try Linear(vb.pp("q"), in: dim, out: dim)
            kv = try Linear(vb.pp("kv"), in: dim, out: 2 * dim)
            qkv = nil
        } else {
            qkv = try Linear(vb.pp("qkv"), in: dim, out: 3 * dim)
            q = nil
            kv = nil
        }
        proj = try Linear(vb.pp("proj"), in: dim, out: dim)
    }

    /// x (B, N, D) [context (B, N, D)] → (B, N, D), plus `residual` (B, N, D) when given
    /// (added in the output projection's pass).
    func callAsFunction(_ x: Tensor, layout: AttentionLayout, context: Tensor? = nil, adding residual: Tensor? = nil,
                        arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (b, n, d) = (x.dim(0), x.dim(1), x.dim(2))
        let hd = d / heads
        // Packed projections: q, k, v each read with a row stride of `stride` floats.
        let qSrc: Tensor, kvSrc: Tensor, qOff: Int, kOff: Int, vOff: Int, qStride: Int, kvStride: Int
        if let qkv {
            let t = qkv(x, arena: arena)                      // (B, N, 3D)
            (qSrc, kvSrc, qOff, kOff, vOff, qStride, kvStride) = (t, t, 0, d, 2 * d, 3 * d, 3 * d)
        } else {
            let tq = q!(x, arena: arena)                      // (B, N, D)
            let tkv = kv!(context!, arena: arena)             // (B, N, 2D)
            (qSrc, kvSrc, qOff, kOff, vOff, qStride, kvStride) = (tq, tkv, 0, 0, d, d, 2 * d)
        }
        let out = arena.tensor([b, n, d])
        if layout.groups.allSatisfy({ attendWindowFits(keys: $0.length, d: hd, dv: hd) }) {
            attendEachWindow(qSrc.data + qOff, qStride, kvSrc.data + kOff, kvSrc.data + vOff, kvStride,
                             batch: b, tokens: n, d: d, layout: layout, into: out.data, pool: pool)
            return proj(out, adding: residual, arena: arena)
        }
        for g in layout.groups {
            let l = g.length
            let batch = b * g.count * heads
            let qg = arena.tensor([batch, l, hd]), kg = arena.tensor([batch, l, hd]), vg = arena.tensor([batch, l, hd])
            /// Visits every (batch, window, head, position): the row of the token in the
            /// (B·N) token rows, the token index, the head, and the offset in (batch, L,
            /// hd). Windows are split across the pool: each one's slots and tokens are its own.
            func forEachSlot(_ body: @escaping (_ row: Int, _ token: Int, _ head: Int, _ offset: Int) -> Void) {
                pool.parallelRanges(b * g.count, minimum: 4) { range in
                    g.indices.withUnsafeBufferPointer { indices in
                        for bw in range {
                            let (bi, wi) = bw.quotientAndRemainder(dividingBy: g.count)
                            for h in 0..<heads {
                                let slot = bw * heads + h
                                for li in 0..<l {
                                    let token = indices[wi * l + li]
                                    body(bi * n + token, token, h, (slot * l + li) * hd)
                                }
                            }
                        }
                    }
                }
            }
            // Gather (B, windows, heads, L, hd), rotating q and k by their token's position.
            forEachSlot { row, token, h, dst in
                let qp = qSrc.data + row * qStride + qOff + h * hd
                let kp = kvSrc.data + row * kvStride + kOff + h * hd
                let vp = kvSrc.data + row * kvStride + vOff + h * hd
                rotateHead(qp, into: qg.data + dst, hd, cos: layout.cos, sin: layout.sin, token)
                rotateHead(kp, into: kg.data + dst, hd, cos: layout.cos, sin: layout.sin, token)
                (vg.data + dst).update(from: vp, count: hd)
            }
            let o = scaledDotProductAttention(qg, kg, vg, arena: arena)   // (batch, L, hd)
            forEachSlot { row, _, h, src in
                (out.data + row * d + h * hd).update(from: o.data + src, count: hd)
            }
        }
        return proj(out, adding: residual, arena: arena)
    }
}

extension WindowAttention {
    /// Every window of every group and batch, all heads, in one parallel region (where
    /// gathering, attending and scattering each group in turn took nine: the shifted
    /// layout has three window sizes): a window's queries and keys gathered and rotated
    /// into its thread's buffer, attended (`attendWindow`), the output rows written
    /// straight to their tokens.
    /// q, k, v: head h of token row r at base + r·stride + h·hd.
    func attendEachWindow(_ q: UnsafePointer<Float>, _ qStride: Int, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                          _ kvStride: Int, batch b: Int, tokens n: Int, d: Int, layout: AttentionLayout,
                          into out: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let hd = d / heads
        // Job i: group g, batch bi, window wi, counted group by group. The groups' token
        // indices and the rotary tables are read through raw pointers inside the jobs: an
        // array touched from both threads bounces its reference count between the cores.
        var firstJob = [0], firstIndex = [0]
        for g in layout.groups {
            firstJob.append(firstJob.last! + b * g.count)
            firstIndex.append(firstIndex.last! + g.indices.count)
        }
        let indices = layout.groups.flatMap(\.indices), lengths = layout.groups.map(\.length), counts = layout.groups.map(\.count)
        // SAFETY: every token index names one of the n rows and one row of the rotary
        // tables, and each window's buffer holds four (L, hd) blocks and its scratch.
        precondition(indices.allSatisfy { (0..<n).contains($0) } && min(layout.cos.count, layout.sin.count) >= n * (hd / 2),
                     "window attention: the layout does not match \(n) tokens")
        guard let longest = lengths.max(), firstJob.last! > 0 else { return }   // no window: nothing to attend
        let buffer = 4 * longest * hd + windowAttentionScratch(keys: longest, d: hd)
        let jobs = firstJob.last!
        withUnsafePointers(firstJob, firstIndex, lengths, counts) { firstJob, firstIndex, lengths, counts in
            withUnsafePointers(indices, layout.cos, layout.sin) { indices, cos, sin in
                pool.parallelFor(jobs) { job in                       // claimed one by one: sizes differ
                    var gi = 0
                    while firstJob[gi + 1] <= job { gi += 1 }
                    let (l, (bi, wi)) = (lengths[gi], (job - firstJob[gi]).quotientAndRemainder(dividingBy: counts[gi]))
                    let window = indices + firstIndex[gi] + wi * l
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: buffer) { stack in
                        let base = stack.baseAddress!
                        let (qg, kg, vg, og) = (base, base + l * hd, base + 2 * l * hd, base + 3 * l * hd)
                        for h in 0..<heads {
                            for li in 0..<l {
                                let token = window[li], row = bi * n + token
                                rotateHead(q + row * qStride + h * hd, into: qg + li * hd, hd, cos: cos, sin: sin, token)
                                rotateHead(k + row * kvStride + h * hd, into: kg + li * hd, hd, cos: cos, sin: sin, token)
                                (vg + li * hd).update(from: v + row * kvStride + h * hd, count: hd)
                            }
                            attendWindow(q: qg, k: kg, v: vg, into: og, queries: l, keys: l, d: hd, dv: hd, causalOffset: nil,
                                         scratch: base + 4 * longest * hd)
                            for li in 0..<l { (out + (bi * n + window[li]) * d + h * hd).update(from: og + li * hd, count: hd) }
                        }
                    }
                }
            }
        }
    }
}

/// Pre-norm transformer layer: x + Attn(LN(x)), then x + MLP(LN(x)). restorer/attention.py `TransformerLayer`.
struct TransformerLayer {
    let norm1: LayerNorm, attn: WindowAttention, norm2: LayerNorm
    let fc1: Linear, fc2: Linear

    init(_ vb: VarBuilder, dim: Int, heads: Int, mlpRatio: Int) throws(TensorError) {
        norm1 = try LayerNorm(vb.pp("norm1"), dim: dim)
        attn = try WindowAttention(vb.pp("attn"), dim: dim, heads: heads)
        norm2 = try LayerNorm(vb.pp("norm2"), dim: dim)
        fc1 = try Linear(vb.pp("mlp.fc1"), in: dim, out: dim * mlpRatio)
        fc2 = try Linear(vb.pp("mlp.fc2"), in: dim * mlpRatio, out: dim)
    }

    /// x (B, N, D) → (B, N, D), a new tensor. Each skip is added in the pass of the layer
    /// before it (the attention's projection, fc2).
    func callAsFunction(_ x: Tensor, layout: AttentionLayout, arena: Arena) -> Tensor {
        let y = attn(norm1(x, arena: arena), layout: layout, adding: x, arena: arena)
        return fc2(fc1(norm2(y, arena: arena), activation: .gelu, arena: arena), adding: y, arena: arena)
    }
}

func copy(_ x: Tensor, arena: Arena) -> Tensor {
    let y = arena.tensor(x.shape)
    y.data.update(from: x.data, count: x.count)
    return y
}
