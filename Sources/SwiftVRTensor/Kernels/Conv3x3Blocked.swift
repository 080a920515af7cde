import Glibc

/// A 3×3 convolution (padding 1, stride 1 or 2, groups 1) in the channel-blocked layout,
/// run by the blocked 1×1 kernel: the input is copied once into a zero-bordered buffer,
/// and the kernel's "input channels" are the nine shifted views of it (tap-major, then
/// channel), found through a table of block offsets instead of one stride — an im2col
/// that is never written out. Channel counts that are not multiples of 8 are padded
/// with zero weights (the extra output channels are zeros and stay so through ReLU or
/// SiLU), so any layer fits.
/// SAFETY: the input is copied into a buffer with one zero pixel on every side, so the
/// nine tap offsets of any output pixel (row ≤ (oh−1)·s + 2 ≤ H + 1) land inside it; the
/// input's block count is checked (precondition) (ChannelBlockedTests: odd sizes, stride 2).
public struct Conv3x3Blocked: ConvKernel, Sendable {
    public let inChannels: Int, outChannels: Int, stride: Int
    let kernel: PointwiseBlocked  // over 9·in' inputs (in' = in rounded up to 8): tap t = 3·ky + kx, then channel

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.kernel == (3, 3) && (conv.stride == 1 || conv.stride == 2) && conv.padding == 1 && conv.dilation == 1
            && conv.groups == 1
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked 3×3 conv: stride 1 or 2, padding 1, groups 1")
        let (cin, cout) = (conv.inChannels, conv.outChannels)
        let (pin, pout) = (ChannelBlocked.blocks(cin) * 8, ChannelBlocked.blocks(cout) * 8)
        (inChannels, outChannels, stride) = (cin, cout, conv.stride)
        let w = Tensor(shape: [pout, 9 * pin, 1, 1])
        for o in 0..<cout {
            for t in 0..<9 {
                for c in 0..<cin { w.data[o * 9 * pin + t * pin + c] = conv.weight.data[(o * cin + c) * 9 + t] }
            }
        }
        let bias = Tensor(shape: [pout])
        if let b = conv.bias { bias.data.update(from: b.data, count: cout) }
        kernel = PointwiseBlocked(ConvParameters(weight: w, bias: bias))
    }

    public func outputSize(_ h: Int, _ w: Int) -> (h: Int, w: Int) { ((h - 1) / stride + 1, (w - 1) / stride + 1) }

    /// act(conv(x)) for x (N, ⌈in/8⌉, H, W, 8) → (N, ⌈out/8⌉, OH, OW, 8) from the arena:
    /// ReLU fused into the kernel, any other activation applied to each output row while
    /// it is in cache.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && cb == ChannelBlocked.blocks(inChannels), "blocked 3×3 conv: input \(x.shape), layer wants \(inChannels) channels")
        let (ph, pw) = (h + 2, w + 2), (oh, ow) = outputSize(h, w), s = stride
        let ob = ChannelBlocked.blocks(outChannels)
        let y = arena.tensor([n, ob, oh, ow, 8])
        let relu = activation == .relu
        let other = relu || activation == .none ? nil : activation
        return arena.scoped {
            // The input with a border of one zero pixel; only the border is written as zeros.
            let padded = arena.scratch(n * cb * ph * pw * 8)
            for plane in 0..<n * cb {
                let p = padded + plane * ph * pw * 8
                p.initialize(repeating: 0, count: pw * 8)                       // the top row
                (p + (ph - 1) * pw * 8).initialize(repeating: 0, count: pw * 8)  // the bottom row
                for iy in 0..<h {
                    let row = p + (iy + 1) * pw * 8
                    row.initialize(repeating: 0, count: 8)
                    memcpy(row + 8, x.data + (plane * h + iy) * w * 8, w * 8 * 4)
                    (row + (pw - 1) * 8).initialize(repeating: 0, count: 8)
                }
            }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 9 * cb) { offsets in
                for t in 0..<9 {
                    for c in 0..<cb { offsets[t * cb + c] = (c * ph * pw + (t / 3) * pw + t % 3) * 8 }
                }
                let table = UnsafePointer(offsets.baseAddress!)
                for b in 0..<n {
                    let xb = UnsafePointer(padded + b * cb * ph * pw * 8), yb = y.data + b * ob * oh * ow * 8
                    pool.parallelRanges(oh) { rows in
                        for oy in rows {
                            // Output row oy reads padded rows oy·s … oy·s + 2 (the taps' offsets add ky·pw),
                            // pixel ox columns ox·s … ox·s + 2.
                            kernel.run(.init(x: xb + oy * s * pw * 8, xStride: 0, xBlocks: table, xPixelStride: s * 8,
                                             y: yb + oy * ow * 8, yStride: oh * ow * 8, yPixelStride: 8, relu: relu,
                                             r: nil, rStride: 0),
                                       pixels: ow)
                            if let other { for o in 0..<ob { other.applyInPlace(yb + (o * oh + oy) * ow * 8, ow * 8) } }
                        }
                    }
                }
            }
            return y
        }
    }
}
