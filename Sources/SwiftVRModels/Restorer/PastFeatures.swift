import SwiftVRTensor

/// Past pixels in (restorer/past_features.py `PastFeatures`): the face's previous frame's R/4 encoder
/// features enter this frame's R/4 skip, per channel and location, gated by f_t and by
/// the R/4 difference itself:
///   g  = σ(Up₂(W_t f_t) + W_d (p − s));   s' = s + α ⊙ g ⊙ (p − s)
/// p is the previous frame's s', so the blend is recurrent: artefacts that differ from
/// frame to frame average out where the face holds still, and the gate closes where it
/// moves. Causal: frame t sees frames < t only.
struct PastFeatures {
    let gate: Linear          // D → c1, on f_t's tokens
    let diff: Conv2d          // 1×1, c1 → c1
    let scale: Tensor         // α (c1)
    /// `diff` on the channel-blocked kernels, for skips in the encoder's blocked layout.
    let diffBlocked: PointwiseBlocked?

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        let c1 = c.channels[1]
        gate = try Linear(vb.pp("gate"), in: c.dim, out: c1)
        diff = try Conv2d(vb.pp("diff"), inChannels: c1, outChannels: c1, kernel: 1)
        scale = try vb.get("scale", shape: [c1])
        diffBlocked = c1 % 8 == 0 ? PointwiseBlocked(diff) : nil
    }

    /// skip (T, c1, R/4, R/4) in NCHW, or (T, c1/8, R/4, R/4, 8) when `blocked` (the
    /// encoder's layout), merged in place; ft (T, N, D) on the R/8 grid; previous: the
    /// face's last merged skip in the same layout, or nil (frame 0 then keeps its own);
    /// shift: (dx, dy) in crop pixels with previous crop(p + shift) ≈ this crop(p) (the
    /// temporal blend measures it: landmark alignment leaves crops a pixel or two apart),
    /// so `previous` is first moved by shift / 4 onto this frame's R/4 grid.
    /// Returns the last merged frame, a copy outside the arena (the face's next cache).
    func merge(_ skip: Tensor, channels c1: Int, size hh: Int, blocked: Bool, ft: Tensor, previous: Tensor?,
               shift: (Float, Float)? = nil, arena: Arena) -> Tensor {
        let (t, ww, plane) = (skip.dim(0), hh, hh * hh)
        let (w8, frameCount) = (ww / 2, c1 * plane)
        // Where channel k's plane starts and how far apart its pixels lie, in the skip's layout.
        let base = { (k: Int) in blocked ? (k >> 3) * plane * 8 + (k & 7) : k * plane }
        let step = blocked ? 8 : 1
        // A cache made at another crop size is not this face's previous frame.
        var previous = previous?.count == frameCount ? previous : nil
        if let p = previous, let (dx, dy) = shift, dx != 0 || dy != 0 {
            let moved = arena.tensor(p.shape)
            if blocked {
                Self.translateBlocked(p.data, by: dx / 4, dy / 4, into: moved.data, blocks: c1 / 8, size: hh)
            } else {
                Self.translate(p.data, by: dx / 4, dy / 4, into: moved.data, channels: c1, size: hh, base: base, step: step)
            }
            previous = moved
        }
        let gt = gate(ft, arena: arena)                                      // (T, N, c1)
        if blocked, let diffBlocked {
            mergeBlocked(skip, channels: c1, size: hh, gates: gt, previous: previous, diff: diffBlocked, arena: arena)
            let last = Tensor(shape: Array(skip.shape.dropFirst()))
            last.data.update(from: skip.data + (t - 1) * frameCount, count: frameCount)
            return last
        }
        let d = arena.tensor([1, c1, hh, ww])                               // p − s, NCHW
        for f in 0..<t {
            let s = skip.data + f * frameCount
            let p = f > 0 ? UnsafePointer(s - frameCount) : previous.map { UnsafePointer($0.data) } ?? UnsafePointer(s)
            for k in 0..<c1 {
                let (o, dk) = (base(k), d.data + k * plane)
                for i in 0..<plane { dk[i] = p[o + i * step] - s[o + i * step] }
            }
            let g = diff(d, arena: arena)                                    // (1, c1, R/4, R/4)
            let gf = gt.data + f * (hh / 2) * w8 * c1                       // frame f's (N, c1)
            for k in 0..<c1 {
                let gk = g.data + k * plane
                for y in 0..<hh { for x in 0..<ww { gk[y * ww + x] += gf[((y / 2) * w8 + x / 2) * c1 + k] } }
            }
            Activation.sigmoid.applyInPlace(g)
            for k in 0..<c1 {
                let (alpha, o, gk, dk) = (scale.data[k], base(k), g.data + k * plane, d.data + k * plane)
                for i in 0..<plane { s[o + i * step] += alpha * gk[i] * dk[i] }
            }
        }
        let last = Tensor(shape: Array(skip.shape.dropFirst()))
        last.data.update(from: skip.data + (t - 1) * frameCount, count: frameCount)
        return last
    }

    /// `merge` on skips in the blocked layout (T, c1/8, R/4, R/4, 8), eight channels per
    /// vector: d = p − s, g = σ(W_d d + Up₂(gates)), s += α ⊙ g ⊙ d, a band of rows per
    /// part of the pool, each row done start to end while it is in cache.
    /// SAFETY: d and g are (1, c1/8, R/4, R/4, 8) like one frame of the skip, and pixel
    /// (y, x) reads gate token (y/2, x/2) of the R/8 grid, c1 floats of the frame's
    /// (N, c1) gates (N = (R/8)², R/4 even: the caller's crop is a multiple of 8).
    private func mergeBlocked(_ skip: Tensor, channels c1: Int, size hh: Int, gates gt: Tensor, previous: Tensor?,
                              diff: PointwiseBlocked, arena: Arena, pool: ThreadPool = .shared) {
        let (t, cb, plane, w8) = (skip.dim(0), c1 / 8, hh * hh, hh / 2)
        let frameCount = c1 * plane
        let d = arena.tensor([1, cb, hh, hh, 8]), g = arena.tensor([1, cb, hh, hh, 8])
        let (dd, gd, alpha) = (d.data, g.data, UnsafePointer(scale.data))
        for f in 0..<t {
            let s = skip.data + f * frameCount
            let p = f > 0 ? UnsafePointer(s - frameCount) : previous.map { UnsafePointer($0.data) } ?? UnsafePointer(s)
            let gf = UnsafePointer(gt.data + f * w8 * w8 * c1)
            pool.parallelRanges(hh, minimum: 4) { rows in
                let (first, count) = (rows.lowerBound * hh, rows.count * hh)   // pixels of the band
                for k in 0..<cb {
                    let at = k * plane * 8 + first * 8
                    for i in stride(from: at, to: at + count * 8, by: 8) { vstore(vload(p + i) - vload(s + i), dd + i) }
                }
                diff(x: dd + first * 8, xStride: plane * 8, pixels: count, y: gd + first * 8, yStride: plane * 8, relu: false)
                for k in 0..<cb {
                    let a = vload(alpha + k * 8)
                    for y in rows {
                        for x in 0..<hh {
                            let i = k * plane * 8 + (y * hh + x) * 8
                            let up = vload(gf + ((y / 2) * w8 + x / 2) * c1 + k * 8)
                            let gate = 1 / (1 + expLanes(-(vload(gd + i) + up)))
                            vstore(vload(s + i) + a * gate * vload(dd + i), s + i)
                        }
                    }
                }
            }
        }
    }

    /// `translate` for the blocked layout (blocks, n, n, 8): the eight channels of a block
    /// share their taps, one vector per tap; rows split across the pool.
    static func translateBlocked(_ x: UnsafePointer<Float>, by dx: Float, _ dy: Float, into y: UnsafeMutablePointer<Float>,
                                 blocks: Int, size n: Int, pool: ThreadPool = .shared) {
        let (cols, rows) = (taps(dx, n), taps(dy, n))
        withUnsafePointers(cols, rows) { cols, rows in
            pool.parallelRanges(n, minimum: 4) { band in
                for k in 0..<blocks {
                    let (src, dst) = (x + k * n * n * 8, y + k * n * n * 8)
                    for i in band {
                        let (r0, r1, fy) = rows[i]
                        for j in 0..<n {
                            let (q0, q1, fx) = cols[j]
                            let (p00, p01) = (vload(src + (r0 * n + q0) * 8), vload(src + (r0 * n + q1) * 8))
                            let (p10, p11) = (vload(src + (r1 * n + q0) * 8), vload(src + (r1 * n + q1) * 8))
                            let a = p00 + fx * (p01 - p00), b = p10 + fx * (p11 - p10)
                            vstore(a + fy * (b - a), dst + (i * n + j) * 8)
                        }
                    }
                }
            }
        }
    }

    /// Per output index of an n-pixel axis moved by d: its two taps (clamped to the plane)
    /// and the second one's weight.
    static func taps(_ d: Float, _ n: Int) -> [(Int, Int, Float)] {
        (0..<n).map { i in
            let c = min(max(Float(i) + d, 0), Float(n - 1))
            let i0 = min(Int(c), max(n - 2, 0))
            return (i0, min(i0 + 1, n - 1), c - Float(i0))
        }
    }

    /// y(i, j) = x(i + dy, j + dx) for each channel's n × n plane, bilinear, the sample
    /// point clamped to the plane (restorer/past_features.py `translate`); base(k) and step place channel
    /// k's pixels in the layout. One set of taps per column and per row: a translation.
    /// SAFETY: every tap is clamped to 0..<n before use, and `base`/`step` address the n²
    /// plane of channel k inside x and y, whose layouts the callers built for c1 channels.
    static func translate(_ x: UnsafePointer<Float>, by dx: Float, _ dy: Float, into y: UnsafeMutablePointer<Float>,
                          channels c1: Int, size n: Int, base: (Int) -> Int, step: Int) {
        let (cols, rows) = (taps(dx, n), taps(dy, n))
        for k in 0..<c1 {
            let (src, dst) = (x + base(k), y + base(k))
            for (i, (r0, r1, fy)) in rows.enumerated() {
                for (j, (q0, q1, fx)) in cols.enumerated() {
                    let (p00, p01) = (src[(r0 * n + q0) * step], src[(r0 * n + q1) * step])
                    let (p10, p11) = (src[(r1 * n + q0) * step], src[(r1 * n + q1) * step])
                    let a = p00 + fx * (p01 - p00), b = p10 + fx * (p11 - p10)
                    dst[(i * n + j) * step] = a + fy * (b - a)
                }
            }
        }
    }
}
