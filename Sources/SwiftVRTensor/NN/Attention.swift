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
    if lq * lk <= smallAttention && (lq < 4 || !attendWindowFits(keys: lk, d: d, dv: dv)) {
        attendDirectly(q, k, v, into: y, causalOffset: causalOffset, pool: pool)
        return y
    }
    if attendWindowFits(keys: lk, d: d, dv: dv) {
        attendWindows(q, k, v, into: y, causalOffset: causalOffset, arena: arena, pool: pool)
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
/// multiply-adds. Those with four queries or more (the shifted layout's 4×4 corner
/// windows) go to `attendWindows`, whose scores take eight keys per vector.
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
                        var (lanes, c) = (SIMD8<Float>(), 0)
                        while c &+ 8 <= d { lanes += vload(qr + c) * vload(kj + c); c &+= 8 }
                        var dot = lanes.sum()
                        while c < d { dot += qr[c] * kj[c]; c &+= 1 }
                        s[j] = dot * scale
                    }
                    softmaxRow(s.baseAddress!, seen)
                    let out = yd + (b &* lq &+ r) &* dv
                    out.initialize(repeating: 0, count: dv)
                    for j in 0..<seen {
                        let (pj, vj) = (s[j], vd + (b &* lk &+ j) &* dv)
                        var c = 0
                        while c &+ 8 <= dv { vstore(vload(out + c) + pj * vload(vj + c), out + c); c &+= 8 }
                        while c < dv { out[c] += pj * vj[c]; c &+= 1 }
                    }
                }
            }
        }
    }
}

/// Windows with at most this many keys (the latent transformer's 8×8 windows) are
/// attended by `attendWindows`: two SGEMM calls of 64×64×24 spend more time in OpenBLAS's
/// packing and dispatch than in their multiply-adds.
let windowKeys = 128

/// scaledDotProductAttention for windows of up to `windowKeys` keys, head sizes a
/// multiple of 8 (values up to 32): `attendWindow` per window, the windows split across
/// the pool.
private func attendWindows(_ q: Tensor, _ k: Tensor, _ v: Tensor, into y: Tensor, causalOffset: Int?,
                           arena: Arena, pool: ThreadPool) {
    let (lq, d) = (q.dim(-2), q.dim(-1))
    let (lk, dv) = (k.dim(-2), v.dim(-1))
    let batch = q.count / (lq * d)
    let perThread = windowAttentionScratch(keys: lk, d: d)
    let parts = max(1, min(pool.threads, batch))
    let (qd, kd, vd, yd) = (q.data, k.data, v.data, y.data)
    arena.scoped {
        let scratch = arena.scratch(parts * perThread)
        pool.parallelFor(parts) { part in
            for b in (batch * part / parts)..<(batch * (part + 1) / parts) {
                attendWindow(q: qd + b &* lq &* d, k: kd + b &* lk &* d, v: vd + b &* lk &* dv, into: yd + b &* lq &* dv,
                             queries: lq, keys: lk, d: d, dv: dv, causalOffset: causalOffset, scratch: scratch + part * perThread)
            }
        }
    }
}

/// Whether `attendWindow` takes windows of `keys` keys with heads of d (queries and keys)
/// and dv (values) channels.
public func attendWindowFits(keys: Int, d: Int, dv: Int) -> Bool {
    keys <= windowKeys && d % 8 == 0 && dv % 8 == 0 && dv <= 32
}

/// Floats of scratch one `attendWindow` call needs.
public func windowAttentionScratch(keys lk: Int, d: Int) -> Int {
    let lk8 = (lk + 7) / 8 * 8
    return d * lk8 + 4 * lk8
}

/// softmax(Q·Kᵀ / √d) · V for one window, on one thread: q (lq, d), k (lk, d), v (lk, dv)
/// → y (lq, dv), rows contiguous. The keys transposed once into 8-key columns, then four
/// query rows at a time — their scores against 8 keys at once in SIMD lanes, the
/// softmax, and the weighted sum of the values in registers. `causalOffset` as in
/// scaledDotProductAttention. Needs `attendWindowFits` and
/// `windowAttentionScratch(keys: lk, d: d)` floats of scratch.
/// SAFETY: the scratch holds d · ⌈lk/8⌉·8 transposed keys and 4 rows of as many scores
/// (precondition on the fit); key columns past lk are zeroed here and never enter a
/// softmax or a sum; rows past lq are never stored (a group's missing rows repeat its
/// last row).
public func attendWindow(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         into y: UnsafeMutablePointer<Float>, queries lq: Int, keys lk: Int, d: Int, dv: Int,
                         causalOffset: Int?, scratch: UnsafeMutablePointer<Float>) {
    typealias V8 = SIMD8<Float>
    precondition(attendWindowFits(keys: lk, d: d, dv: dv) && lq > 0 && lk > 0, "attendWindow: \(lq)×\(lk) keys, d \(d), dv \(dv)")
    let lk8 = (lk + 7) / 8 * 8, scale = 1 / sqrtf(Float(d))
    let kt = scratch, scores = kt + d * lk8
    for c in 0..<d {                                                    // (d, lk8), padding zero
        let col = kt + c &* lk8
        for j in 0..<lk { col[j] = k[j &* d &+ c] }
        for j in lk..<lk8 { col[j] = 0 }
    }
    var r0 = 0
    while r0 < lq {
        let rows = min(4, lq - r0)
        // Rows past lq repeat the last one (computed, never stored).
        let row = { (i: Int) in q + (r0 &+ min(i, rows - 1)) &* d }
        let (q0, q1, q2, q3) = (row(0), row(1), row(2), row(3))
        for jb in stride(from: 0, to: lk8, by: 8) {
            var (s0, s1, s2, s3) = (V8(), V8(), V8(), V8())
            for c in 0..<d {
                let kv = UnsafeRawPointer(kt + (c &* lk8 &+ jb)).loadUnaligned(as: V8.self)
                s0 += V8(repeating: q0[c]) * kv
                s1 += V8(repeating: q1[c]) * kv
                s2 += V8(repeating: q2[c]) * kv
                s3 += V8(repeating: q3[c]) * kv
            }
            let out = UnsafeMutableRawPointer(scores + jb), rowBytes = lk8 &* 4
            out.storeBytes(of: s0 * scale, as: V8.self)
            out.storeBytes(of: s1 * scale, toByteOffset: rowBytes, as: V8.self)
            out.storeBytes(of: s2 * scale, toByteOffset: 2 &* rowBytes, as: V8.self)
            out.storeBytes(of: s3 * scale, toByteOffset: 3 &* rowBytes, as: V8.self)
        }
        var seenMax = 0
        for i in 0..<4 {
            let r = r0 + min(i, rows - 1)
            let seen = causalOffset.map { max(1, min(lk, r + $0 + 1)) } ?? lk
            softmaxRow(scores + i &* lk8, seen)
            (scores + i &* lk8 + seen).update(repeating: 0, count: lk8 - seen)
            seenMax = max(seenMax, seen)
        }
        for c0 in stride(from: 0, to: dv, by: 8) {
            var (o0, o1, o2, o3) = (V8(), V8(), V8(), V8())
            for j in 0..<seenMax {
                let vv = UnsafeRawPointer(v + (j &* dv &+ c0)).loadUnaligned(as: V8.self)
                o0 += V8(repeating: scores[j]) * vv
                o1 += V8(repeating: scores[lk8 &+ j]) * vv
                o2 += V8(repeating: scores[2 &* lk8 &+ j]) * vv
                o3 += V8(repeating: scores[3 &* lk8 &+ j]) * vv
            }
            let out = UnsafeMutableRawPointer(y + (r0 &* dv &+ c0)), rowBytes = dv &* 4
            out.storeBytes(of: o0, as: V8.self)
            if rows > 1 { out.storeBytes(of: o1, toByteOffset: rowBytes, as: V8.self) }
            if rows > 2 { out.storeBytes(of: o2, toByteOffset: 2 &* rowBytes, as: V8.self) }
            if rows > 3 { out.storeBytes(of: o3, toByteOffset: 3 &* rowBytes, as: V8.self) }
        }
        r0 += rows
    }
}
