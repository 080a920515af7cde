import SwiftVRTensor

/// x + conv2(silu(conv1(silu(x)))). restorer/autoencoder.py `ResBlock`.
struct ResBlock {
    let conv1: Conv2d, conv2: Conv2d

    init(_ vb: VarBuilder, channels c: Int) throws(TensorError) {
        conv1 = try Conv2d(vb.pp("conv1"), inChannels: c, outChannels: c, kernel: 3, padding: 1)
        conv2 = try Conv2d(vb.pp("conv2"), inChannels: c, outChannels: c, kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor, arena: Arena) -> Tensor {
        let a = copy(x, arena: arena)
        Activation.silu.applyInPlace(a)
        let y = conv2(conv1(a, activation: .silu, arena: arena), arena: arena)
        addInPlace(y, x)
        return y
    }
}

/// (B, 4, R, R) in [0, 1] → (B, latent, R/8, R/8); space-to-depth first. restorer/autoencoder.py `Encoder`.
struct Encoder {
    let convIn: Conv2d, down1: Conv2d, down2: Conv2d, res: ResBlock, convOut: Conv2d

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        let ch = c.channels
        convIn = try Conv2d(vb.pp("conv_in"), inChannels: 4 * c.inChannels, outChannels: ch[0], kernel: 3, padding: 1)
        down1 = try Conv2d(vb.pp("down1"), inChannels: ch[0], outChannels: ch[1], kernel: 3, stride: 2, padding: 1)
        down2 = try Conv2d(vb.pp("down2"), inChannels: ch[1], outChannels: ch[2], kernel: 3, stride: 2, padding: 1)
        res = try ResBlock(vb.pp("res"), channels: ch[2])
        convOut = try Conv2d(vb.pp("conv_out"), inChannels: ch[2], outChannels: c.latent, kernel: 1)
    }

    /// → latent (B, latent, R/8, R/8) and the skip features for the decoder:
    /// (B, c0, R/2, R/2) and (B, c1, R/4, R/4).
    func callAsFunction(_ x: Tensor, arena: Arena) -> (Tensor, [Tensor]) {
        let h = ShapeOps.pixelUnshuffle(x, 2, arena: arena)        // (B, 16, R/2, R/2)
        let s0 = convIn(h, activation: .silu, arena: arena)        // (B, c0, R/2, R/2)
        let s1 = down1(s0, activation: .silu, arena: arena)        // (B, c1, R/4, R/4)
        let h2 = down2(s1, activation: .silu, arena: arena)        // (B, c2, R/8, R/8)
        return (convOut(res(h2, arena: arena), arena: arena), [s0, s1])   // (B, latent, R/8, R/8)
    }
}

/// (B, latent, R/8, R/8) → (B, 3, R, R), the correction to the input, with the encoder's
/// R/4 and R/2 features added back on the way up; depth-to-space last. restorer/autoencoder.py `Decoder`.
struct Decoder {
    let convIn: Conv2d, res: ResBlock, up1: Conv2d, up2: Conv2d, convOut: Conv2d

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        let ch = c.channels
        convIn = try Conv2d(vb.pp("conv_in"), inChannels: c.latent, outChannels: ch[2], kernel: 3, padding: 1)
        res = try ResBlock(vb.pp("res"), channels: ch[2])
        up1 = try Conv2d(vb.pp("up1"), inChannels: ch[2], outChannels: ch[1], kernel: 3, padding: 1)
        up2 = try Conv2d(vb.pp("up2"), inChannels: ch[1], outChannels: ch[0], kernel: 3, padding: 1)
        convOut = try Conv2d(vb.pp("conv_out"), inChannels: ch[0], outChannels: 12, kernel: 3, padding: 1)
    }

    func callAsFunction(_ z: Tensor, skips: [Tensor], arena: Arena) -> Tensor {
        var h = res(convIn(z, arena: arena), arena: arena)                                   // (B, c2, R/8, R/8)
        h = up1(Upsample.nearest(h, scale: 2, arena: arena), activation: .silu, arena: arena) // (B, c1, R/4, R/4)
        addInPlace(h, skips[1])
        h = up2(Upsample.nearest(h, scale: 2, arena: arena), activation: .silu, arena: arena) // (B, c0, R/2, R/2)
        addInPlace(h, skips[0])
        return ShapeOps.pixelShuffle(convOut(h, arena: arena), 2, arena: arena)              // (B, 3, R, R)
    }
}
