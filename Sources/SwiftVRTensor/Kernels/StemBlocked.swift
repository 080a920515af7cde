/// A network's first layer: a dense 3×3 convolution (padding 1, stride 1 or 2) from an
/// NCHW image with a few channels (RGB) straight to the channel-blocked layout.
///
/// Why: with three input channels the layer is too thin for SGEMM — im2col copies 27
/// floats per output pixel for a product with K = 27, and the NCHW result must then be
/// transposed to the blocked layout the rest of the network runs in. Here each input row
/// is interleaved once into a padded pixel-major row (kept in a ring of three while the
/// rows below it need it), where an output pixel's 3×3×C patch is three runs of 3·C
/// consecutive floats; a register tile of 4 output blocks × 3 pixels then takes each
/// patch value as one broadcast against four weight vectors, and writes the blocked
/// output directly.
/// SAFETY: each input row is copied into a row buffer with a zero pixel at each end (all
/// zeros above and below the image), so a 3×3 patch never reads outside the copies; the
/// NCHW input's channel count is checked (precondition) (ChannelBlockedTests: odd sizes).
public struct StemBlocked: ConvKernel, Sendable {
    public typealias Vector = ChannelBlocked.Vector
    public let inChannels: Int, stride: Int
    /// Output channels rounded up to a multiple of 8 (the extra ones are zeros).
    public let outChannels: Int
    /// (out/8, 9·in, 8): tap k = (3·ky + kx)·in + c, the order of a patch's floats.
    let packed: Tensor
    let bias: Tensor  // (out), zeros when the layer has none
    static let maxInChannels = 4

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.kernel == (3, 3) && conv.padding == 1 && conv.dilation == 1 && conv.groups == 1
            && (conv.stride == 1 || conv.stride == 2) && conv.inChannels <= maxInChannels
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked stem: a 3×3 convolution, padding 1, stride 1 or 2, at most \(Self.maxInChannels) input channels")
        let (cin, cout) = (conv.inChannels, conv.outChannels)
        inChannels = cin
        stride = conv.stride
        outChannels = ChannelBlocked.blocks(cout) * 8
        let taps = 9 * cin
        packed = Tensor(shape: [outChannels / 8, taps, 8])
        for o in 0..<cout {
            for c in 0..<cin {
                for t in 0..<9 {  // PyTorch's (out, in, ky, kx) → patch order
                    packed.data[((o / 8) * taps + t * cin + c) * 8 + o % 8] = conv.weight.data[(o * cin + c) * 9 + t]
                }
            }
        }
        bias = Tensor(shape: [outChannels])
        if let b = conv.bias { bias.data.update(from: b.data, count: cout) }
    }

    public func outputSize(_ h: Int, _ w: Int) -> (h: Int, w: Int) { ((h - 1) / stride + 1, (w - 1) / stride + 1) }

    /// (N, in, H, W) → (N, out/8, OH, OW, 8) from the arena, output rows split across the pool.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.shape.count == 4 && x.dim(1) == inChannels, "blocked stem: input \(x.shape), layer wants \(inChannels) channels")
        let (oh, ow) = outputSize(h, w)
        let y = arena.tensor([n, outChannels / 8, oh, ow, 8])
        let rowFloats = (w + 2) * inChannels  // a padded interleaved row: column −1 … w
        let parts = max(1, min(pool.threads, oh))
        return arena.scoped {
            let rings = arena.scratch(parts * 3 * rowFloats)
            for b in 0..<n {
                let xb = x.data + b * inChannels * h * w, yb = y.data + b * outChannels * oh * ow
                pool.parallelFor(parts) { part in
                    let ring = rings + part * 3 * rowFloats
                    var holds = (-2, -2, -2)  // the input row each ring slot holds (−1 and h: padding)
                    // Input row iy (−1 … h) as a padded interleaved row, from the ring.
                    func row(_ iy: Int) -> UnsafePointer<Float> {
                        let slot = (iy + 3) % 3, p = ring + slot * rowFloats
                        let held = slot == 0 ? holds.0 : slot == 1 ? holds.1 : holds.2
                        if held != iy {
                            interleave(row: iy, of: xb, h: h, w: w, into: p)
                            if slot == 0 { holds.0 = iy } else if slot == 1 { holds.1 = iy } else { holds.2 = iy }
                        }
                        return UnsafePointer(p)
                    }
                    for oy in (oh * part / parts)..<(oh * (part + 1) / parts) {
                        let iy = oy * stride - 1
                        outputRow(row(iy), row(iy + 1), row(iy + 2), ow: ow, into: yb + oy * ow * 8, blockStride: oh * ow * 8,
                                  activation: activation)
                    }
                }
            }
            return y
        }
    }

    /// Input row iy of every channel as pixel-major floats with a zero pixel at each end
    /// (all zeros above and below the image).
    private func interleave(row iy: Int, of x: UnsafePointer<Float>, h: Int, w: Int, into d: UnsafeMutablePointer<Float>) {
        let cin = inChannels
        guard iy >= 0 && iy < h else { d.initialize(repeating: 0, count: (w + 2) * cin); return }
        for c in 0..<cin {
            d[c] = 0
            d[(w + 1) * cin + c] = 0
            let src = x + (c * h + iy) * w
            for i in 0..<w { d[(i + 1) * cin + c] = src[i] }
        }
    }

    /// One output row of every block; pixel ox's patch row ky starts at r_ky + ox·s·in.
    private func outputRow(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>, ow: Int,
                           into y: UnsafeMutablePointer<Float>, blockStride: Int, activation: Activation) {
        let blocks = outChannels / 8, relu = activation == .relu
        var o = 0
        while o + 4 <= blocks {
            var ox = 0
            while ox < ow { tile4(o, r0, r1, r2, ox, ow, y, blockStride, relu); ox += 3 }
            o += 4
        }
        while o < blocks {  // blocks beyond a multiple of four, one at a time
            var ox = 0
            while ox < ow { tile1(o, r0, r1, r2, ox, ow, y, blockStride, relu); ox += 3 }
            o += 1
        }
        if relu || activation == .none { return }
        for b in 0..<blocks { activation.applyInPlace(y + b * blockStride, ow * 8) }
    }

    /// Four output blocks × pixels ox, ox+1, ox+2 in twelve registers (pixels past the row
    /// end are computed on the last pixel's patch and not stored): per patch value one
    /// broadcast per pixel and one weight load per block feed twelve multiply-adds.
    @inline(never)
    private func tile4(_ o: Int, _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
                       _ ox: Int, _ ow: Int, _ y: UnsafeMutablePointer<Float>, _ blockStride: Int, _ relu: Bool) {
        let cin = inChannels, run = 3 * cin, taps = 9 * cin, step = stride * cin
        let (p0, p1, p2) = (ox * step, min(ox + 1, ow - 1) * step, min(ox + 2, ow - 1) * step)
        let w0 = packed.data + o * taps * 8, w1 = w0 + taps * 8, w2 = w1 + taps * 8, w3 = w2 + taps * 8
        let bb = bias.data + o * 8
        var (a00, a01, a02) = (load(bb), load(bb), load(bb))
        var (a10, a11, a12) = (load(bb + 8), load(bb + 8), load(bb + 8))
        var (a20, a21, a22) = (load(bb + 16), load(bb + 16), load(bb + 16))
        var (a30, a31, a32) = (load(bb + 24), load(bb + 24), load(bb + 24))
        // Pointers stepped per tap and wrapping offsets: checked index arithmetic put an
        // overflow branch beside every load (as in PointwiseBlocked.tile).
        var k = 0
        for ky in 0..<3 {
            let row = ky == 0 ? r0 : ky == 1 ? r1 : r2
            let (x0, x1, x2) = (row + p0, row + p1, row + p2)
            for j in 0..<run {
                let (v0, v1, v2) = (Vector(repeating: x0[j]), Vector(repeating: x1[j]), Vector(repeating: x2[j]))
                let c0 = load(w0 + k)
                a00 = madd(a00, c0, v0); a01 = madd(a01, c0, v1); a02 = madd(a02, c0, v2)
                let c1 = load(w1 + k)
                a10 = madd(a10, c1, v0); a11 = madd(a11, c1, v1); a12 = madd(a12, c1, v2)
                let c2 = load(w2 + k)
                a20 = madd(a20, c2, v0); a21 = madd(a21, c2, v1); a22 = madd(a22, c2, v2)
                let c3 = load(w3 + k)
                a30 = madd(a30, c3, v0); a31 = madd(a31, c3, v1); a32 = madd(a32, c3, v2)
                k &+= 8
            }
        }
        let count = min(3, ow - ox), d = y + o * blockStride + ox * 8
        put(a00, a01, a02, d, count, relu)
        put(a10, a11, a12, d + blockStride, count, relu)
        put(a20, a21, a22, d + 2 * blockStride, count, relu)
        put(a30, a31, a32, d + 3 * blockStride, count, relu)
    }

    /// One output block × three pixels (the blocks left over from tile4).
    @inline(never)
    private func tile1(_ o: Int, _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
                       _ ox: Int, _ ow: Int, _ y: UnsafeMutablePointer<Float>, _ blockStride: Int, _ relu: Bool) {
        let cin = inChannels, run = 3 * cin, taps = 9 * cin, step = stride * cin
        let (p0, p1, p2) = (ox * step, min(ox + 1, ow - 1) * step, min(ox + 2, ow - 1) * step)
        let w0 = packed.data + o * taps * 8, bb = bias.data + o * 8
        var (a0, a1, a2) = (load(bb), load(bb), load(bb))
        var k = 0
        for ky in 0..<3 {
            let row = ky == 0 ? r0 : ky == 1 ? r1 : r2
            let (x0, x1, x2) = (row + p0, row + p1, row + p2)
            for j in 0..<run {
                let c = load(w0 + k)
                a0 = madd(a0, c, Vector(repeating: x0[j]))
                a1 = madd(a1, c, Vector(repeating: x1[j]))
                a2 = madd(a2, c, Vector(repeating: x2[j]))
                k &+= 8
            }
        }
        put(a0, a1, a2, y + o * blockStride + ox * 8, min(3, ow - ox), relu)
    }

    @inline(__always)
    private func put(_ a0: Vector, _ a1: Vector, _ a2: Vector, _ d: UnsafeMutablePointer<Float>, _ count: Int, _ relu: Bool) {
        @inline(__always) func one(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
            var v = v
            if relu { v.replace(with: 0, where: v .< 0) }
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
        }
        one(a0, d)
        if count > 1 { one(a1, d + 8) }
        if count > 2 { one(a2, d + 16) }
    }
}
