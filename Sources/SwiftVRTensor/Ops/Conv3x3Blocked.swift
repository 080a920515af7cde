import Glibc

/// A 3×3 convolution (stride 1, padding 1, groups 1) in the channel-blocked layout,
/// run by the blocked 1×1 kernel: the input is copied once into a zero-bordered buffer,
/// and the kernel's "input channels" are the nine shifted views of it (tap-major, then
/// channel), found through a table of block offsets instead of one stride — an im2col
/// that is never written out.
public struct Conv3x3Blocked: Sendable {
    public let inChannels: Int, outChannels: Int
    let kernel: PointwiseBlocked  // over 9·in inputs: tap t = 3·ky + kx, then channel

    public static func fits(_ conv: Conv2d) -> Bool {
        conv.kernel == (3, 3) && conv.stride == 1 && conv.padding == 1 && conv.dilation == 1 && conv.groups == 1
            && ChannelBlocked.fits(conv.inChannels, conv.outChannels)
    }

    public init(_ conv: Conv2d) {
        precondition(Self.fits(conv), "blocked 3×3 conv: stride 1, padding 1, groups 1, channels multiples of 8")
        let (cin, cout) = (conv.inChannels, conv.outChannels)
        (inChannels, outChannels) = (cin, cout)
        let w = Tensor(shape: [cout, 9 * cin, 1, 1])
        for o in 0..<cout {
            for t in 0..<9 {
                for c in 0..<cin { w.data[o * 9 * cin + t * cin + c] = conv.weight.data[(o * cin + c) * 9 + t] }
            }
        }
        kernel = PointwiseBlocked(Conv2d(weight: w, bias: conv.bias))
    }

    /// act(conv(x)) for x (N, in/8, H, W, 8) → (N, out/8, H, W, 8) from the arena;
    /// `activation` is .relu or .none.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        precondition(activation == .relu || activation == .none, "blocked 3×3 conv: ReLU or none")
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && cb * 8 == inChannels, "blocked 3×3 conv: input \(x.shape)")
        let (ph, pw) = (h + 2, w + 2)
        let y = arena.tensor([n, outChannels / 8, h, w, 8])
        return arena.scoped {
            let padded = arena.scratch(n * cb * ph * pw * 8)
            padded.initialize(repeating: 0, count: n * cb * ph * pw * 8)
            for plane in 0..<n * cb {
                for iy in 0..<h {
                    memcpy(padded + ((plane * ph + iy + 1) * pw + 1) * 8, x.data + (plane * h + iy) * w * 8, w * 8 * 4)
                }
            }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 9 * cb) { offsets in
                for t in 0..<9 {
                    for c in 0..<cb { offsets[t * cb + c] = (c * ph * pw + (t / 3) * pw + t % 3) * 8 }
                }
                let table = UnsafePointer(offsets.baseAddress!)
                for b in 0..<n {
                    let xb = UnsafePointer(padded + b * cb * ph * pw * 8), yb = y.data + b * outChannels * h * w
                    pool.parallelRanges(h) { rows in
                        for oy in rows {
                            // Output row oy reads padded rows oy…oy+2: the taps' offsets add ky·pw.
                            kernel.run(.init(x: xb + oy * pw * 8, xStride: 0, xBlocks: table, y: yb + oy * w * 8,
                                             yStride: h * w * 8, yPixelStride: 8, relu: activation == .relu, r: nil, rStride: 0),
                                       pixels: w)
                        }
                    }
                }
            }
            return y
        }
    }
}
