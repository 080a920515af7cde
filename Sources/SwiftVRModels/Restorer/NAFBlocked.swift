import SwiftVRTensor

/// NAFNet's block in the channel-blocked layout, on the engine's blocked kernels:
///
///   y   = gate(dw3×3(expand(norm1(x))))            gate: first half × second half
///   mid = x + β ⊙ proj(y ⊙ sca(mean(y)))
///   out = mid + γ ⊙ ffn2(gate(ffn1(norm2(mid))))
///
/// (restorer/naf.py `NAFBlock`). β and γ are folded into proj's and
/// ffn2's weights at load, and each norm's scale and shift into the 1×1 layer after it
/// (W·(n⊙w + b) + c = (W·diag w)·n + (W·b + c)), so the norms only normalise. Two passes: the first sweeps bands of rows as
/// InvertedResidual does — each input row normalised and expanded once into a ring of a
/// few rows that stays in cache, the depthwise rows made from it and gated at once —
/// and sums y per channel for the channel scale (a mean over the whole image, so it
/// must finish before anything can be projected); the second is pixelwise: chunks of
/// pixels scaled, projected, normalised, expanded, gated and projected again without
/// leaving cache.
/// SAFETY: a band's rows live in a per-thread ring of slots sized from `bandBudget` and
/// the row width at the call, rows outside the image are the shared zero row, and the
/// input's block count is checked (precondition) (NAFBlockedTests: odd sizes, one-row bands).
public struct NAFBlocked: Sendable {
    public typealias Vector = ChannelBlocked.Vector
    public let channels: Int
    let eps: Float
    let expand: PointwiseBlocked, depthwise: DepthwiseBlocked, sca: Linear
    let proj: PointwiseBlocked, ffn1: PointwiseBlocked, ffn2: PointwiseBlocked
    /// Floats of per-thread buffer a band may use: about a core's L2 cache.
    var bandBudget = 64 * 1024
    /// Pixels per chunk of the pixelwise pass.
    static let chunk = 96

    /// Whether a block of `c` channels runs blocked: both halves of the gate whole blocks.
    public static func fits(channels c: Int) -> Bool { c > 0 && c % 8 == 0 }

    /// sca: the 1×1 convolution of the pooled vector as a linear map (c → c).
    public init(norm1: (weight: Tensor, bias: Tensor), expand: Conv2d, depthwise: Conv2d, sca: Linear, proj: Conv2d,
                beta: Tensor, norm2: (weight: Tensor, bias: Tensor), ffn1: Conv2d, ffn2: Conv2d, gamma: Tensor, eps: Float) {
        let c = proj.outChannels
        precondition(Self.fits(channels: c) && expand.outChannels == 2 * c && DepthwiseBlocked.fits(depthwise),
                     "blocked NAF block: channels a multiple of 8, expansion 2, a 3×3 depthwise")
        channels = c
        (self.eps, self.sca) = (eps, sca)
        self.expand = PointwiseBlocked(Self.afterNorm(expand, norm1))
        self.depthwise = DepthwiseBlocked(depthwise)
        self.ffn1 = PointwiseBlocked(gating: Self.afterNorm(ffn1, norm2).parameters)
        self.proj = PointwiseBlocked(Self.scaled(proj, by: beta))
        self.ffn2 = PointwiseBlocked(Self.scaled(ffn2, by: gamma))
    }

    /// The 1×1 layer whose output channel o is multiplied by s[o].
    private static func scaled(_ conv: Conv2d, by s: Tensor) -> Conv2d {
        let (o, i) = (conv.outChannels, conv.inChannels)
        let w = Tensor(shape: conv.weight.shape), b = Tensor(shape: [o])
        for r in 0..<o {
            for k in 0..<i { w.data[r * i + k] = conv.weight.data[r * i + k] * s.data[r] }
            b.data[r] = (conv.bias?.data[r] ?? 0) * s.data[r]
        }
        return Conv2d(weight: w, bias: b)
    }

    /// The 1×1 layer applied to n⊙w + b, as one layer applied to n.
    private static func afterNorm(_ conv: Conv2d, _ norm: (weight: Tensor, bias: Tensor)) -> Conv2d {
        let (o, i) = (conv.outChannels, conv.inChannels)
        let w = Tensor(shape: conv.weight.shape), b = Tensor(shape: [o])
        for r in 0..<o {
            var acc = conv.bias?.data[r] ?? 0
            for k in 0..<i {
                w.data[r * i + k] = conv.weight.data[r * i + k] * norm.weight.data[k]
                acc += conv.weight.data[r * i + k] * norm.bias.data[k]
            }
            b.data[r] = acc
        }
        return Conv2d(weight: w, bias: b)
    }

    /// x (N, C/8, H, W, 8) → (N, C/8, H, W, 8) from the arena.
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && cb * 8 == channels, "blocked NAF block: input \(x.shape), block wants \(channels) channels")
        let out = arena.tensor(x.shape)
        // y, one image at a time, is scratch: every block of a pass gates into the same memory,
        // which stays in cache, where a tensor per block added a megabyte each at R/2.
        arena.scoped {
            let y = arena.scratch(channels * h * w)
            for b in 0..<n {
                let off = b * channels * h * w
                let mean = gated(x.data + off, h: h, w: w, into: y, arena: arena, pool: pool)
                let s = sca(mean, arena: arena)                                  // (1, C)
                pixelwise(x.data + off, y, scale: s.data, pixels: h * w, into: out.data + off, arena: arena, pool: pool)
            }
        }
        return out
    }

    /// Pass one: y = gate(dw(expand(norm1(x)))) for one image, and y's mean per channel (1, C).
    private func gated(_ x: UnsafeMutablePointer<Float>, h: Int, w: Int, into y: UnsafeMutablePointer<Float>,
                       arena: Arena, pool: ThreadPool) -> Tensor {
        let c = channels, hidden = 2 * c, cb = c / 8
        let perBandRow = hidden * 2 * w
        let rowsPerBand = max(1, min(h, (bandBudget - hidden * 3 * w) / max(1, perBandRow) + 1))
        let heldRows = rowsPerBand + 2
        let parts = max(1, min(pool.threads, h))
        let ringSize = hidden * heldRows * w, dwSize = hidden * rowsPerBand * w, normSize = c * w
        let perThread = ringSize + dwSize + normSize + c
        let scratch = arena.scratch(parts * perThread)
        let zeroRow = UnsafePointer(arena.scratch(w * 8))
        UnsafeMutablePointer(mutating: zeroRow).initialize(repeating: 0, count: w * 8)
        let (plane, ringBlock) = (h * w * 8, heldRows * w * 8)
        pool.parallelFor(parts) { part in
            let ring = scratch + part * perThread
            let dwRows = ring + ringSize, normRow = dwRows + dwSize, sums = normRow + normSize
            sums.initialize(repeating: 0, count: c)
            var held = 0..<0
            @inline(__always) func slot(_ iy: Int) -> Int { iy % heldRows }
            var o0 = h * part / parts
            let end = h * (part + 1) / parts
            while o0 < end {
                let o1 = min(o0 + rowsPerBand, end)
                let need = max(0, o0 - 1)..<min(h, o1 + 1)
                held = held.contains(need.lowerBound) ? need.lowerBound..<held.upperBound : need.lowerBound..<need.lowerBound
                for iy in held.upperBound..<need.upperBound {                    // normalise and expand new rows
                    normalise(x + iy * w * 8, stride: plane, pixels: w, into: normRow, outStride: w * 8)
                    expand(x: normRow, xStride: w * 8, pixels: w, y: ring + slot(iy) * w * 8, yStride: ringBlock, relu: false)
                }
                held = need
                for k in 0..<hidden / 8 {                                          // depthwise rows of the band
                    let base = UnsafePointer(ring + k * ringBlock)
                    for oy in o0..<o1 {
                        let r0 = oy >= 1 ? base + slot(oy - 1) * w * 8 : zeroRow
                        let r2 = oy + 1 < h ? base + slot(oy + 1) * w * 8 : zeroRow
                        depthwise.row(block: k, r0, base + slot(oy) * w * 8, r2, w: w, ow: w,
                                      into: dwRows + (k * rowsPerBand + oy - o0) * w * 8, relu: false)
                    }
                }
                let count = (o1 - o0) * w                                          // gate, and sum per channel
                for k in 0..<cb {
                    let (a, g) = (dwRows + k * rowsPerBand * w * 8, dwRows + (k + cb) * rowsPerBand * w * 8)
                    let dst = y + k * plane + o0 * w * 8
                    var acc = Vector()
                    for p in 0..<count {
                        let v = vload(a + p &* 8) * vload(g + p &* 8)
                        acc += v
                        vstore(v, dst + p &* 8)
                    }
                    vstore(vload(sums + k * 8) + acc, sums + k * 8)
                }
                o0 = o1
            }
        }
        let mean = arena.tensor([1, c])
        mean.data.initialize(repeating: 0, count: c)
        for part in 0..<parts { for k in 0..<c { mean.data[k] += scratch[part * perThread + perThread - c + k] } }
        for k in 0..<c { mean.data[k] /= Float(h * w) }
        return mean
    }

    /// Pass two, chunks of pixels: mid = x + proj(y ⊙ s) (β folded), out = mid + ffn2(gate(ffn1(norm2(mid)))) (γ folded).
    private func pixelwise(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, scale s: UnsafePointer<Float>,
                           pixels hw: Int, into out: UnsafeMutablePointer<Float>, arena: Arena, pool: ThreadPool) {
        let c = channels, cb = c / 8, q = Self.chunk, plane = hw * 8
        let parts = max(1, min(pool.threads, (hw + q - 1) / q))
        let perThread = c * q + c * q
        let scratch = arena.scratch(parts * perThread)
        pool.parallelFor(parts) { part in
            let scaled = scratch + part * perThread, gatedBuf = scaled + c * q
            var p0 = hw * part / parts
            let end = hw * (part + 1) / parts
            while p0 < end {
                let count = min(q, end - p0)
                for k in 0..<cb {
                    let sv = vload(s + k * 8)
                    let (src, dst) = (y + k * plane + p0 * 8, scaled + k * q * 8)
                    for p in 0..<count { vstore(vload(src + p &* 8) * sv, dst + p &* 8) }
                }
                let mid = out + p0 * 8
                proj(x: scaled, xStride: q * 8, pixels: count, y: mid, yStride: plane, relu: false,
                     residual: UnsafePointer(x + p0 * 8), rStride: plane)
                normalise(mid, stride: plane, pixels: count, into: scaled, outStride: q * 8)
                ffn1(x: scaled, xStride: q * 8, pixels: count, y: gatedBuf, yStride: q * 8, relu: false)   // gated
                ffn2(x: gatedBuf, xStride: q * 8, pixels: count, y: mid, yStride: plane, relu: false,
                     residual: UnsafePointer(mid), rStride: plane)
                p0 += count
            }
        }
    }

    /// (x − mean)/√(var + ε) over the channels of `pixels` consecutive pixels (LayerNorm
    /// without its scale and shift, which the next layer holds): block k of pixel p at
    /// src + k·stride + 8p → dst + k·outStride + 8p. One pass for Σx and Σx².
    private func normalise(_ src: UnsafeMutablePointer<Float>, stride: Int, pixels: Int,
                           into dst: UnsafeMutablePointer<Float>, outStride: Int) {
        let cb = channels / 8, inv = 1 / Float(channels)
        @inline(__always) func moments(_ p: Int) -> (Vector, Vector) {   // Σx, Σx² over the blocks, per lane
            var (sum, sq) = (Vector(), Vector())
            for k in 0..<cb { let v = vload(src + k * stride + p &* 8); sum += v; sq += v * v }
            return (sum, sq)
        }
        var p0 = 0
        while p0 + 8 <= pixels {                                  // eight pixels' statistics in lanes
            let (s0, q0) = moments(p0), (s1, q1) = moments(p0 + 1), (s2, q2) = moments(p0 + 2), (s3, q3) = moments(p0 + 3)
            let (s4, q4) = moments(p0 + 4), (s5, q5) = moments(p0 + 5), (s6, q6) = moments(p0 + 6), (s7, q7) = moments(p0 + 7)
            let mean = laneSums(s0, s1, s2, s3, s4, s5, s6, s7) * inv
            let variance = laneSums(q0, q1, q2, q3, q4, q5, q6, q7) * inv - mean * mean
            let rstd = 1 / (variance.replacing(with: 0, where: variance .< 0) + eps).squareRoot()
            let shift = -mean * rstd
            for i in 0..<8 {
                let (r, sh, p) = (Vector(repeating: rstd[i]), Vector(repeating: shift[i]), p0 + i)
                for k in 0..<cb { vstore(vload(src + k * stride + p &* 8) * r + sh, dst + k * outStride + p &* 8) }
            }
            p0 += 8
        }
        for p in p0..<pixels {
            var (sum, sq) = (Vector(), Vector())
            for k in 0..<cb { let v = vload(src + k * stride + p &* 8); sum += v; sq += v * v }
            let mean = sum.sum() * inv
            let rstd = 1 / (max(0, sq.sum() * inv - mean * mean) + eps).squareRoot()
            let shift = Vector(repeating: -mean * rstd)
            for k in 0..<cb { vstore(vload(src + k * stride + p &* 8) * rstd + shift, dst + k * outStride + p &* 8) }
        }
    }
}
