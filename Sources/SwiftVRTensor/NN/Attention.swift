import Glibc

/// softmax(Q·Kᵀ / √d) · V for many small windows at once: q (B, Lq, d), k (B, Lk, d),
/// v (B, Lk, dv) → (B, Lq, dv), B being batch × heads × windows. Windows are gathered
/// into dense tensors by index beforehand (SwiftVR's mask-free shifted windows), so no
/// mask is needed for space. Along time, `causalOffset` c lets query row r see keys
/// 0 … r + c only (keys of cached frames first, then the window's own): the one mask
/// kept, and it costs nothing — the softmax just stops early.
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, causalOffset: Int? = nil,
                                      arena: Arena, pool: ThreadPool = .shared) -> Tensor {
    let (lq, d) = (q.dim(-2), q.dim(-1))
    let (lk, dv) = (k.dim(-2), v.dim(-1))
    let batch = q.count / (lq * d)
    precondition(k.count == batch * lk * d && v.count == batch * lk * dv, "sdpa: \(q.shape) \(k.shape) \(v.shape)")
    var shape = q.shape
    shape[shape.count - 1] = dv
    let y = arena.tensor(shape)                                 // (…, Lq, dv)
    if lq * lk <= smallAttention {
        attendDirectly(q, k, v, into: y, causalOffset: causalOffset, pool: pool)
        return y
    }
    arena.scoped {
        let scores = arena.scratch(pool.threads * lq * lk)          // one (Lq, Lk) block per worker
        let scale = 1 / sqrtf(Float(d))
        let parts = max(1, min(pool.threads, batch))
        pool.parallelFor(parts) { part in
            let s = scores + part * lq * lk
            for b in (batch * part / parts)..<(batch * (part + 1) / parts) {
                BLAS.sgemm(transB: true, m: lq, n: lk, k: d, alpha: scale, a: q.data + b * lq * d, lda: d,
                           b: k.data + b * lk * d, ldb: d, c: s, ldc: lk)
                for r in 0..<lq {
                    let seen = causalOffset.map { max(1, min(lk, r + $0 + 1)) } ?? lk
                    softmaxRow(s + r * lk, seen)
                    (s + r * lk + seen).update(repeating: 0, count: lk - seen)
                }
                BLAS.sgemm(m: lq, n: dv, k: lk, a: s, lda: lk, b: v.data + b * lk * dv, ldb: dv,
                           c: y.data + b * lq * dv, ldc: dv)
            }
        }
    }
    return y
}

/// Windows of at most this many query × key pairs are attended without BLAS: the
/// temporal prior's per-location attention (1 query frame, ≤ 16 keys, 2 048 windows at
/// 256²) spent most of its time in two SGEMM calls per window, each of a few hundred
/// multiply-adds.
let smallAttention = 256

/// scaledDotProductAttention for small windows: per query row, its scores, softmax and
/// the weighted sum of values, in loops over contiguous floats.
private func attendDirectly(_ q: Tensor, _ k: Tensor, _ v: Tensor, into y: Tensor, causalOffset: Int?, pool: ThreadPool) {
    let (lq, d) = (q.dim(-2), q.dim(-1))
    let (lk, dv) = (k.dim(-2), v.dim(-1))
    let batch = q.count / (lq * d)
    let scale = 1 / sqrtf(Float(d))
    let (qd, kd, vd, yd) = (q.data, k.data, v.data, y.data)
    pool.parallelRanges(batch, minimum: 64) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: lk) { s in  // on the stack: no allocation per call
            for b in range {
                for r in 0..<lq {
                    let seen = causalOffset.map { max(1, min(lk, r + $0 + 1)) } ?? lk
                    let qr = qd + (b &* lq &+ r) &* d
                    for j in 0..<seen {
                        let kj = kd + (b &* lk &+ j) &* d
                        var dot: Float = 0
                        for c in 0..<d { dot += qr[c] * kj[c] }
                        s[j] = dot * scale
                    }
                    softmaxRow(s.baseAddress!, seen)
                    let out = yd + (b &* lq &+ r) &* dv
                    out.initialize(repeating: 0, count: dv)
                    for j in 0..<seen {
                        let (pj, vj) = (s[j], vd + (b &* lk &+ j) &* dv)
                        for c in 0..<dv { out[c] += pj * vj[c] }
                    }
                }
            }
        }
    }
}
