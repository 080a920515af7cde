/// NAFNet's down- and up-sampling in the channel-blocked layout: space-to-depth then a
/// 1×1 convolution (a 2×2 stride-2 convolution), and a 1×1 convolution then
/// depth-to-space, each one gather or scatter of whole eight-channel blocks around a
/// PointwiseBlocked whose weights were put in phase-major order at load.
///
/// PyTorch's pixel_unshuffle puts input channel ch at phase (dy, dx) in channel
/// 4·ch + 2·dy + dx; here it is channel phase·C + ch, so each block of eight gathered
/// channels is one input block at one phase (a single 32-byte copy per pixel).
/// SAFETY: gathers and scatters move whole 8-float blocks between (H, W) and (H/2, W/2)
/// grids whose sides are checked even (precondition), so each source and destination
/// pixel exists (NAFBlockedTests runs the backbone blocked against layer by layer).
public struct UnshufflePointwiseBlocked: ConvKernel, Sendable {
    let conv: PointwiseBlocked
    public let inChannels: Int, outChannels: Int

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.isPointwise && conv.inChannels % 4 == 0 && ChannelBlocked.fits(conv.inChannels / 4, conv.outChannels)
    }

    /// conv: 4·C → C′, 1×1, on pixel_unshuffle(x, 2) in PyTorch's channel order.
    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked unshuffle: a 1×1 convolution of 4·C channels, C and its outputs multiples of 8")
        let (cin, cout, c) = (conv.inChannels, conv.outChannels, conv.inChannels / 4)
        let w = Tensor(shape: conv.weight.shape)
        for o in 0..<cout { for ch in 0..<c { for phase in 0..<4 {
            w.data[o * cin + phase * c + ch] = conv.weight.data[o * cin + ch * 4 + phase]
        } } }
        self.conv = PointwiseBlocked(ConvParameters(weight: w, bias: conv.bias))
        (inChannels, outChannels) = (c, cout)
    }

    /// x (N, C/8, H, W, 8), H and W even → (N, C′/8, H/2, W/2, 8) from the arena.
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && cb * 8 == inChannels && h % 2 == 0 && w % 2 == 0,
                     "blocked unshuffle: input \(x.shape), layer wants \(inChannels) channels and even sides")
        let (oh, ow) = (h / 2, w / 2)
        return arena.scoped {
            let g = arena.tensor([n, 4 * cb, oh, ow, 8])
            pool.parallelRanges(n * 4 * cb, minimum: 1) { blocks in
                for gb in blocks {
                    let (b, phase, k) = (gb / (4 * cb), gb % (4 * cb) / cb, gb % cb)
                    let (dy, dx) = (phase / 2, phase % 2)
                    let src = x.data + (b * cb + k) * h * w * 8, dst = g.data + gb * oh * ow * 8
                    for y in 0..<oh {
                        let row = src + ((2 * y + dy) * w + dx) * 8, out = dst + y * ow * 8
                        for px in 0..<ow { vstore(vload(row + px &* 16), out + px &* 8) }   // not a memcpy call per pixel
                    }
                }
            }
            return conv(g, relu: false, arena: arena, pool: pool)
        }
    }
}

/// A 1×1 convolution C → 4·C′ then pixel_shuffle(·, 2), blocked; the convolution's
/// outputs in phase-major order (phase·C′ + ch′ for PyTorch's 4·ch′ + phase).
public struct PointwiseShuffleBlocked: ConvKernel, Sendable {
    let conv: PointwiseBlocked
    public let inChannels: Int, outChannels: Int

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.isPointwise && conv.outChannels % 4 == 0 && ChannelBlocked.fits(conv.inChannels, conv.outChannels / 4)
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked shuffle: a 1×1 convolution to 4·C′ channels, its input and C′ multiples of 8")
        let (cin, cout, c) = (conv.inChannels, conv.outChannels, conv.outChannels / 4)
        let w = Tensor(shape: conv.weight.shape), bias = Tensor(shape: [cout])
        for ch in 0..<c { for phase in 0..<4 {
            let (dst, src) = (phase * c + ch, ch * 4 + phase)
            (w.data + dst * cin).update(from: conv.weight.data + src * cin, count: cin)
            bias.data[dst] = conv.bias?.data[src] ?? 0
        } }
        self.conv = PointwiseBlocked(ConvParameters(weight: w, bias: bias))
        (inChannels, outChannels) = (cin, c)
    }

    /// x (N, C/8, H, W, 8) → (N, C′/8, 2H, 2W, 8) from the arena.
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        let cb = outChannels / 8
        let y = arena.tensor([n, cb, 2 * h, 2 * w, 8])
        arena.scoped {
            let e = conv(x, relu: false, arena: arena, pool: pool)            // (N, 4·C′/8, H, W, 8)
            pool.parallelRanges(n * 4 * cb, minimum: 1) { blocks in
                for gb in blocks {
                    let (b, phase, k) = (gb / (4 * cb), gb % (4 * cb) / cb, gb % cb)
                    let (dy, dx) = (phase / 2, phase % 2)
                    let src = e.data + gb * h * w * 8, dst = y.data + (b * cb + k) * 4 * h * w * 8
                    for yy in 0..<h {
                        let row = dst + ((2 * yy + dy) * 2 * w + dx) * 8, input = src + yy * w * 8
                        for px in 0..<w { vstore(vload(input + px &* 8), row + px &* 16) }   // not a memcpy call per pixel
                    }
                }
            }
        }
        return y
    }
}
