/// A transposed convolution whose kernel equals its stride (no padding, no overlap —
/// the ×2 upsampling of FPN-style necks) in the channel-blocked layout: every input
/// pixel paints its own k×k patch, so the layer is k² 1×1 layers, one per patch
/// position, each writing every k-th pixel of every k-th output row.
/// SAFETY: the output is (k·H, k·W) from the input's shape, and tap (a, b) writes pixel
/// (k·y + a, k·x + b) for y < H, x < W only; the input's block count is checked
/// (precondition) (ChannelBlockedTests compares it with the NCHW layer).
public struct ConvTransposeBlocked: Sendable {
    public let inChannels: Int, outChannels: Int, k: Int
    let taps: [PointwiseBlocked]  // patch position (a, b) at a·k + b: out = W[:, :, a, b]ᵀ · in

    public static func fits(_ layer: ConvParameters) -> Bool {
        layer.kernel.h == layer.stride && layer.kernel.w == layer.stride && layer.padding == 0
            && layer.outputPadding == 0 && layer.dilation == 1 && ChannelBlocked.fits(layer.inChannels, layer.outChannels)
    }

    public init(_ layer: ConvParameters) {
        precondition(Self.fits(layer), "blocked transposed conv: kernel = stride, no padding, channels multiples of 8")
        let (cin, cout, k) = (layer.inChannels, layer.outChannels, layer.stride)
        (inChannels, outChannels, self.k) = (cin, cout, k)
        taps = (0..<k * k).map { t in
            let w = Tensor(shape: [cout, cin, 1, 1])
            for o in 0..<cout {
                for i in 0..<cin { w.data[o * cin + i] = layer.weight.data[(i * cout + o) * k * k + t] }
            }
            return PointwiseBlocked(ConvParameters(weight: w, bias: layer.bias))
        }
    }

    /// act(convT(x)) for x (N, in/8, H, W, 8) → (N, out/8, kH, kW, 8) from the arena;
    /// `activation` is .relu or .none.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        precondition(activation == .relu || activation == .none, "blocked transposed conv: ReLU or none")
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && x.dim(1) * 8 == inChannels, "blocked transposed conv: input \(x.shape)")
        let y = arena.tensor([n, outChannels / 8, k * h, k * w, 8])
        let (inBlock, outBlock) = (h * w * 8, k * k * h * w * 8)
        for b in 0..<n {
            let xb = x.data + b * inChannels * h * w, yb = y.data + b * outChannels * k * k * h * w
            pool.parallelRanges(h) { rows in
                for iy in rows {
                    for t in 0..<k * k {
                        let (a, c) = (t / k, t % k)
                        taps[t](x: xb + iy * w * 8, xStride: inBlock, pixels: w,
                                y: yb + ((k * iy + a) * k * w + c) * 8, yStride: outBlock, yPixelStride: k * 8,
                                relu: activation == .relu)
                    }
                }
            }
        }
        return y
    }
}
