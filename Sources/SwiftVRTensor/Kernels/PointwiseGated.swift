/// NAFNet's FFN expansion and simple gate in one pass of the blocked 1×1 kernel: the
/// layer's output blocks k and k + C/8 are packed side by side, so the tile that computes
/// the pair (`PointwiseBlocked.tiles`) stores only their product and the 2C expanded
/// channels are never written. The sums and the product are the plain kernel's then the
/// gate's, bit for bit (ChannelBlockedTests).
extension PointwiseBlocked {
    /// A 1×1 convolution to 2C channels followed by the simple gate (first C channels times
    /// the last C): C/8 output blocks, each the product of the pair of blocks the tile
    /// computes together, so the 2C channels are never stored. C must be a multiple of 8.
    public init(gating conv: ConvParameters) {
        precondition(Self.fits(conv) && conv.outChannels % 16 == 0 && conv.inChannels % 8 == 0,
                     "gated pointwise: a 1×1 convolution to a multiple of 16 channels")
        let plain = PointwiseBlocked(conv)
        let (k, half) = (plain.inChannels, plain.outChannels / 16)
        inChannels = k
        outChannels = plain.outChannels / 2
        packed = Tensor(shape: plain.packed.shape)
        bias = Tensor(shape: plain.bias.shape)
        for b in 0..<2 * half {                         // block b of the layer → slot 2(b mod half) + b / half
            let slot = 2 * (b % half) + b / half
            (packed.data + slot * k * 8).update(from: plain.packed.data + b * k * 8, count: k * 8)
            (bias.data + slot * 8).update(from: plain.bias.data + b * 8, count: 8)
        }
        gated = true
    }
}
