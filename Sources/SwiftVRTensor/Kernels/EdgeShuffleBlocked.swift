/// The two ends of a NAFNet-style backbone that works in the channel-blocked layout on
/// images with a few NCHW channels: space-to-depth then a 1×1 convolution from an NCHW
/// image straight into blocks, and a 1×1 convolution then depth-to-space from blocks
/// straight into an NCHW image.
///
/// Why: done as pixel_unshuffle, an NCHW 1×1 convolution and a transpose into blocks
/// (or the reverse), each end moves the full-resolution image three times and runs a
/// product with K = 16 through SGEMM; here every output pixel gathers its 2×2×C input
/// values (or its input block) once and keeps its outputs in registers.
/// SAFETY: both kernels check their input's channel count and even sides (precondition);
/// a pixel reads the 2×2 cell (or the one input pixel) it owns and writes only its own
/// output, so every access stays inside tensors sized from the input's shape
/// (EdgeShuffleBlockedTests: against pixel_unshuffle / pixel_shuffle and Conv2d).
public struct UnshuffleStemBlocked: ConvKernel, Sendable {
    typealias V8 = SIMD8<Float>
    /// Input channels (NCHW) and output channels (a multiple of 8).
    public let inChannels: Int, outChannels: Int
    /// (out/8, 4·in, 8): tap k = phase·in + ch, phase = 2·dy + dx.
    let packed: Tensor
    let bias: Tensor

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.isPointwise && conv.inChannels % 4 == 0 && conv.inChannels <= 64 && conv.outChannels % 8 == 0
    }

    /// conv: 4·C → C′, 1×1, on pixel_unshuffle(x, 2) in PyTorch's channel order (4·ch + phase).
    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "unshuffle stem: a 1×1 convolution of 4·C ≤ 64 channels to a multiple of 8")
        let (taps, cout, c) = (conv.inChannels, conv.outChannels, conv.inChannels / 4)
        packed = Tensor(shape: [cout / 8, taps, 8])
        for o in 0..<cout { for ch in 0..<c { for phase in 0..<4 {
            packed.data[((o / 8) * taps + phase * c + ch) * 8 + o % 8] = conv.weight.data[o * taps + ch * 4 + phase]
        } } }
        bias = Tensor(shape: [cout])
        if let b = conv.bias { bias.data.update(from: b.data, count: cout) }
        (inChannels, outChannels) = (c, cout)
    }

    /// x (N, C, H, W), H and W even → (N, C′/8, H/2, W/2, 8) from the arena.
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 4 && c == inChannels && h % 2 == 0 && w % 2 == 0,
                     "unshuffle stem: input \(x.shape), layer wants \(inChannels) channels and even sides")
        let (oh, ow, ob, taps) = (h / 2, w / 2, outChannels / 8, 4 * c)
        let y = arena.tensor([n, ob, oh, ow, 8])
        let (wd, bd, xd, yd) = (packed.data, bias.data, x.data, y.data)
        let plane = h * w
        pool.parallelRanges(n * oh, minimum: 4) { rows in
            for row in rows {
                let (b, oy) = (row / oh, row % oh)
                let image = xd + b * c * plane
                var ox = 0
                while ox < ow {
                    // Four output pixels at a time, each weight vector loaded once for four;
                    // their taps read where they lie (pixel p two columns after pixel p − 1).
                    // A short group reads its last pixel again in the unused lanes.
                    let count = min(4, ow - ox)
                    let (p1, p2, p3) = (min(1, count - 1) &* 2, min(2, count - 1) &* 2, min(3, count - 1) &* 2)
                    for o in 0..<ob {
                        let bv = UnsafeRawPointer(bd + o * 8).loadUnaligned(as: V8.self)
                        var (a0, a1, a2, a3) = (bv, bv, bv, bv)
                        let wo = wd + o * taps * 8
                        for phase in 0..<4 {
                            let at = (2 * oy + phase / 2) * w + 2 * ox + phase % 2
                            for ch in 0..<c {
                                let t = image + (ch &* plane &+ at)
                                let wv = UnsafeRawPointer(wo + (phase &* c &+ ch) &* 8).loadUnaligned(as: V8.self)
                                a0 += V8(repeating: t[0]) * wv
                                a1 += V8(repeating: t[p1]) * wv
                                a2 += V8(repeating: t[p2]) * wv
                                a3 += V8(repeating: t[p3]) * wv
                            }
                        }
                        let out = UnsafeMutableRawPointer(yd + (((b * ob + o) * oh + oy) * ow + ox) * 8)
                        out.storeBytes(of: a0, as: V8.self)
                        if count > 1 { out.storeBytes(of: a1, toByteOffset: 32, as: V8.self) }
                        if count > 2 { out.storeBytes(of: a2, toByteOffset: 64, as: V8.self) }
                        if count > 3 { out.storeBytes(of: a3, toByteOffset: 96, as: V8.self) }
                    }
                    ox += count
                }
            }
        }
        return y
    }
}

/// A 1×1 convolution from blocks to 4·C′ channels, then pixel_shuffle(·, 2) into an NCHW
/// image of C′ channels (a backbone's last layer).
public struct PointwiseShuffleNCHW: ConvKernel, Sendable {
    typealias V8 = SIMD8<Float>
    /// Input channels (a multiple of 8) and NCHW output channels C′.
    public let inChannels: Int, outChannels: Int
    /// (in, ⌈4·C′/8⌉·8): for input channel i, the 4·C′ weights in PyTorch's order (4·ch′ + phase), zero-padded.
    let packed: Tensor
    let bias: Tensor   // (⌈4·C′/8⌉·8)

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.isPointwise && conv.inChannels % 8 == 0 && conv.outChannels % 4 == 0 && conv.outChannels <= 32
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "shuffle to NCHW: a 1×1 convolution from a multiple of 8 to 4·C′ ≤ 32 channels")
        let (cin, cout) = (conv.inChannels, conv.outChannels)
        let width = (cout + 7) / 8 * 8
        packed = Tensor(shape: [cin, width])
        for o in 0..<cout { for i in 0..<cin { packed.data[i * width + o] = conv.weight.data[o * cin + i] } }
        bias = Tensor(shape: [width])
        if let b = conv.bias { bias.data.update(from: b.data, count: cout) }
        (inChannels, outChannels) = (cin, cout / 4)
    }

    /// x (N, C/8, H, W, 8) → (N, C′, 2H, 2W) from the arena.
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && cb * 8 == inChannels, "shuffle to NCHW: input \(x.shape), layer wants \(inChannels) channels")
        let (c, width, cin) = (outChannels, packed.dim(1), inChannels)
        let y = arena.tensor([n, c, 2 * h, 2 * w])
        let (wd, bd, xd, yd) = (packed.data, bias.data, x.data, y.data)
        let (plane, blocks) = (h * w * 8, cin / 8)
        pool.parallelRanges(n * h, minimum: 4) { rows in
            // Four pixels at a time: each weight vector loaded once for four, their outputs
            // (4, width) in a buffer, then each channel's 2×2 cells written two floats at a time.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * width) { buffer in
                let out = buffer.baseAddress!
                for row in rows {
                    let (b, iy) = (row / h, row % h)
                    let image = yd + b * c * 4 * h * w
                    var ix = 0
                    while ix < w {
                        let count = min(4, w - ix)
                        let px = xd + ((b * cb) * h * w + iy * w + ix) * 8
                        // A short group reads its last pixel again in the unused lanes.
                        let (p1, p2, p3) = (min(1, count - 1) &* 8, min(2, count - 1) &* 8, min(3, count - 1) &* 8)
                        for v in stride(from: 0, to: width, by: 8) {
                            let bv = UnsafeRawPointer(bd + v).loadUnaligned(as: V8.self)
                            var (a0, a1, a2, a3) = (bv, bv, bv, bv)
                            for blk in 0..<blocks {
                                let x0 = px + blk &* plane, wb = wd + (blk &* 8 &* width &+ v)
                                for j in 0..<8 {
                                    let wv = UnsafeRawPointer(wb + j &* width).loadUnaligned(as: V8.self)
                                    a0 += V8(repeating: x0[j]) * wv
                                    a1 += V8(repeating: x0[p1 &+ j]) * wv
                                    a2 += V8(repeating: x0[p2 &+ j]) * wv
                                    a3 += V8(repeating: x0[p3 &+ j]) * wv
                                }
                            }
                            let o = UnsafeMutableRawPointer(out + v), rowBytes = width &* 4
                            o.storeBytes(of: a0, as: V8.self)
                            o.storeBytes(of: a1, toByteOffset: rowBytes, as: V8.self)
                            o.storeBytes(of: a2, toByteOffset: 2 &* rowBytes, as: V8.self)
                            o.storeBytes(of: a3, toByteOffset: 3 &* rowBytes, as: V8.self)
                        }
                        for ch in 0..<c {
                            let first: Int = ((ch * 2 * h + 2 * iy) * 2 * w) + 2 * ix
                            let top = image + first                                      // the first pixel's 2×2 cell
                            for p in 0..<count {
                                let cell = UnsafeRawPointer(out + (p &* width &+ ch &* 4))
                                let (upper, lower) = (cell.loadUnaligned(as: SIMD2<Float>.self),
                                                      cell.loadUnaligned(fromByteOffset: 8, as: SIMD2<Float>.self))
                                UnsafeMutableRawPointer(top + 2 &* p).storeBytes(of: upper, as: SIMD2<Float>.self)
                                UnsafeMutableRawPointer(top + (2 &* w &+ 2 &* p)).storeBytes(of: lower, as: SIMD2<Float>.self)
                            }
                        }
                        ix += count
                    }
                }
            }
        }
        return y
    }
}
