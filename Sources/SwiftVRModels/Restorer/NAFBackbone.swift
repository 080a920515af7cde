import SwiftVRTensor

/// LayerNorm over the channels of each pixel of (B, C, H, W). restorer/naf.py `LayerNorm2d`.
struct LayerNorm2d {
    let weight: Tensor, bias: Tensor   // (C), (C)
    let eps: Float = 1e-6

    init(_ vb: VarBuilder, channels c: Int) throws(TensorError) {
        weight = try vb.get("weight", shape: [c])
        bias = try vb.get("bias", shape: [c])
    }

    /// A new normalised tensor; pixels split across the pool (each pixel's channels are
    /// a column of the plane stack, so the loops run along contiguous pixel rows).
    func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, hw) = (x.dim(0), x.dim(1), x.dim(2) * x.dim(3))
        let y = arena.tensor(x.shape)
        let stats = arena.tensor([2, hw])
        let inv = 1 / Float(c)
        for b in 0..<n {
            let (xb, yb) = (x.data + b * c * hw, y.data + b * c * hw)
            pool.parallelRanges(hw, minimum: 512) { r in
                let (mean, rstd) = (stats.data + r.lowerBound, stats.data + hw + r.lowerBound)
                mean.initialize(repeating: 0, count: r.count)
                rstd.initialize(repeating: 0, count: r.count)
                for ch in 0..<c { let p = xb + ch * hw + r.lowerBound; for i in 0..<r.count { mean[i] += p[i] } }
                for i in 0..<r.count { mean[i] *= inv }
                for ch in 0..<c {
                    let p = xb + ch * hw + r.lowerBound
                    for i in 0..<r.count { let d = p[i] - mean[i]; rstd[i] += d * d }
                }
                for i in 0..<r.count { rstd[i] = 1 / (rstd[i] * inv + eps).squareRoot() }
                for ch in 0..<c {
                    let (p, q) = (xb + ch * hw + r.lowerBound, yb + ch * hw + r.lowerBound)
                    let (w, bb) = (weight.data[ch], bias.data[ch])
                    for i in 0..<r.count { q[i] = (p[i] - mean[i]) * rstd[i] * w + bb }
                }
            }
        }
        return y
    }
}

/// The first half of each (B, 2C, H, W) image times its second half → (B, C, H, W):
/// NAFNet's simple gate.
func simpleGate(_ x: Tensor, arena: Arena) -> Tensor {
    let (n, c2, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
    let half = c2 / 2 * h * w
    let y = arena.tensor([n, c2 / 2, h, w])
    for b in 0..<n {
        let (a, g, o) = (x.data + b * 2 * half, x.data + b * 2 * half + half, y.data + b * half)
        for i in 0..<half { o[i] = a[i] * g[i] }
    }
    return y
}

/// NAFNet's block (restorer/naf.py `NAFBlock`): norm → 1×1 expand → depthwise 3×3 → simple
/// gate → channel scale → 1×1, added through the per-channel scale β; then norm → 1×1
/// expand → simple gate → 1×1, added through γ.
struct NAFBlock {
    let norm1: LayerNorm2d, expand: Conv2d, dw: Conv2d, sca: Linear, proj: Conv2d
    let norm2: LayerNorm2d, ffn1: Conv2d, ffn2: Conv2d
    let beta: Tensor, gamma: Tensor    // (C), (C)
    /// The same block on the channel-blocked kernels (nil when C is not a multiple of 8).
    let blocked: NAFBlocked?

    init(_ vb: VarBuilder, channels c: Int) throws(TensorError) {
        norm1 = try LayerNorm2d(vb.pp("norm1"), channels: c)
        expand = try Conv2d(vb.pp("expand"), inChannels: c, outChannels: 2 * c, kernel: 1)
        dw = try Conv2d(vb.pp("dw"), inChannels: 2 * c, outChannels: 2 * c, kernel: 3, padding: 1, groups: 2 * c)
        // A 1×1 convolution of the pooled (C, 1, 1) vector is a linear map.
        let scaConv = try Conv2d(vb.pp("sca"), inChannels: c, outChannels: c, kernel: 1)
        sca = Linear(weight: scaConv.weight.reshaped([c, c]), bias: scaConv.bias)
        proj = try Conv2d(vb.pp("proj"), inChannels: c, outChannels: c, kernel: 1)
        norm2 = try LayerNorm2d(vb.pp("norm2"), channels: c)
        ffn1 = try Conv2d(vb.pp("ffn1"), inChannels: c, outChannels: 2 * c, kernel: 1)
        ffn2 = try Conv2d(vb.pp("ffn2"), inChannels: c, outChannels: c, kernel: 1)
        beta = try vb.get("beta", shape: [c])
        gamma = try vb.get("gamma", shape: [c])
        blocked = NAFBlocked.fits(channels: c)
            ? NAFBlocked(norm1: (norm1.weight, norm1.bias), expand: expand, depthwise: dw, sca: sca, proj: proj, beta: beta,
                         norm2: (norm2.weight, norm2.bias), ffn1: ffn1, ffn2: ffn2, gamma: gamma, eps: norm1.eps)
            : nil
    }

    /// x (B, C, H, W) → (B, C, H, W), a new tensor: the plain NCHW evaluation, layer by
    /// layer (the reference the blocked path is tested against).
    func callAsFunction(_ x: Tensor, arena: Arena) -> Tensor {
        let (n, c, hw) = (x.dim(0), x.dim(1), x.dim(2) * x.dim(3))
        let y = simpleGate(dw(expand(norm1(x, arena: arena), arena: arena), arena: arena), arena: arena)  // (B, C, H, W)
        let pooled = arena.tensor([n, c])
        for b in 0..<n {
            for ch in 0..<c {
                let p = y.data + (b * c + ch) * hw
                var s: Float = 0
                for i in 0..<hw { s += p[i] }
                pooled.data[b * c + ch] = s / Float(hw)
            }
        }
        let scale = sca(pooled, arena: arena)                                       // (B, C)
        for b in 0..<n { for ch in 0..<c {
            let (p, s) = (y.data + (b * c + ch) * hw, scale.data[b * c + ch])
            for i in 0..<hw { p[i] *= s }
        } }
        let mid = proj(y, arena: arena)
        addScaled(mid, residual: x, scale: beta)                                    // x + proj(y)·β
        let f = ffn2(simpleGate(ffn1(norm2(mid, arena: arena), arena: arena), arena: arena), arena: arena)
        addScaled(f, residual: mid, scale: gamma)                                   // mid + ffn(mid)·γ
        return f
    }

    /// y = residual + y · scale[channel], in place.
    private func addScaled(_ y: Tensor, residual: Tensor, scale: Tensor) {
        let (n, c, hw) = (y.dim(0), y.dim(1), y.dim(2) * y.dim(3))
        for b in 0..<n { for ch in 0..<c {
            let (p, r, s) = (y.data + (b * c + ch) * hw, residual.data + (b * c + ch) * hw, scale.data[ch])
            for i in 0..<hw { p[i] = r[i] + p[i] * s }
        } }
    }
}

func nafStack(_ vb: VarBuilder, channels c: Int, count: Int) throws(TensorError) -> [NAFBlock] {
    var blocks: [NAFBlock] = []
    for i in 0..<count { blocks.append(try NAFBlock(vb.pp("\(i)"), channels: c)) }
    return blocks
}

extension Array where Element == NAFBlock {
    /// The stack layer by layer on (B, C, H, W).
    func callAsFunction(_ x: Tensor, arena: Arena) -> Tensor { reduce(x) { h, block in block(h, arena: arena) } }

    /// The stack on a channel-blocked (B, C/8, H, W, 8) tensor; every block must have its
    /// blocked form (`runsBlocked`).
    func blocked(_ x: Tensor, arena: Arena) -> Tensor {
        // `blocked` is set for every block: callers check `runsBlocked` when the model loads.
        reduce(x) { h, block in block.blocked!(h, arena: arena) }
    }

    var runsBlocked: Bool { allSatisfy { $0.blocked != nil } }
}

/// x·(1 + γ[c]) + β[c] in place, x (1, C, H, W) or blocked (1, C/8, H, W, 8); m holds γ (C)
/// then β (C). The decoder's asymmetric fusion at each scale.
func fuseScale(_ x: Tensor, _ m: UnsafePointer<Float>, blocked: Bool) {
    if blocked {
        let (cb, hw) = (x.dim(1), x.dim(2) * x.dim(3)), c = cb * 8
        for k in 0..<cb {
            var (g, b) = (SIMD8<Float>(repeating: 1), SIMD8<Float>())
            for j in 0..<8 { g[j] += m[k * 8 + j]; b[j] = m[c + k * 8 + j] }
            let p = UnsafeMutableRawPointer(x.data + k * hw * 8)
            for i in 0..<hw {
                let v = p.loadUnaligned(fromByteOffset: i &* 32, as: SIMD8<Float>.self)
                p.storeBytes(of: v * g + b, toByteOffset: i &* 32, as: SIMD8<Float>.self)
            }
        }
        return
    }
    let (c, hw) = (x.dim(1), x.dim(2) * x.dim(3))
    for ch in 0..<c {
        let (p, g, b) = (x.data + ch * hw, 1 + m[ch], m[c + ch])
        for i in 0..<hw { p[i] = p[i] * g + b }
    }
}

/// (B, 4, R, R) → latent (B, L, R/8, R/8) and the skips at R/2, R/4, R/8; down-sampling
/// is space-to-depth then 1×1. restorer/naf.py `NAFEncoder`.
struct NAFEncoder {
    let convIn: Conv2d, level0: [NAFBlock], down1: Conv2d, level1: [NAFBlock], down2: Conv2d, level2: [NAFBlock]
    let convOut: Conv2d
    /// The down-sampling layers on the blocked kernels; nil when a width is not a
    /// multiple of 8 (the backbone then runs layer by layer in NCHW).
    let packed: (stem: UnshuffleStemBlocked, down1: UnshufflePointwiseBlocked, down2: UnshufflePointwiseBlocked)?

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        let (ch, n) = (c.channels, c.encBlocks)
        convIn = try Conv2d(vb.pp("conv_in"), inChannels: 4 * c.inChannels, outChannels: ch[0], kernel: 1)
        level0 = try nafStack(vb.pp("level0"), channels: ch[0], count: n[0])
        down1 = try Conv2d(vb.pp("down1"), inChannels: 4 * ch[0], outChannels: ch[1], kernel: 1)
        level1 = try nafStack(vb.pp("level1"), channels: ch[1], count: n[1])
        down2 = try Conv2d(vb.pp("down2"), inChannels: 4 * ch[1], outChannels: ch[2], kernel: 1)
        level2 = try nafStack(vb.pp("level2"), channels: ch[2], count: n[2])
        convOut = try Conv2d(vb.pp("conv_out"), inChannels: ch[2], outChannels: c.latent, kernel: 1)
        packed = [level0, level1, level2].allSatisfy(\.runsBlocked) && UnshuffleStemBlocked.fits(convIn)
            && UnshufflePointwiseBlocked.fits(down1) && UnshufflePointwiseBlocked.fits(down2)
            ? (UnshuffleStemBlocked(convIn), UnshufflePointwiseBlocked(down1), UnshufflePointwiseBlocked(down2)) : nil
    }

    /// x (1, 4, R, R) → z (1, L, R/8, R/8) and the skips at R/2, R/4, R/8: channel-blocked
    /// (1, c/8, h, w, 8) when the backbone runs blocked, else NCHW.
    func callAsFunction(_ x: Tensor, arena: Arena, reference: Bool = false) -> (Tensor, [Tensor]) {
        guard let packed, !reference else { return layerByLayer(x, arena: arena) }
        let s0 = level0.blocked(packed.stem(x, arena: arena), arena: arena)             // (1, c0/8, R/2, R/2, 8)
        let s1 = level1.blocked(packed.down1(s0, arena: arena), arena: arena)           // (1, c1/8, R/4, R/4, 8)
        let s2 = level2.blocked(packed.down2(s1, arena: arena), arena: arena)           // (1, c2/8, R/8, R/8, 8)
        return (convOut(ChannelBlocked.toNCHW(s2, arena: arena), arena: arena), [s0, s1, s2])
    }

    private func layerByLayer(_ x: Tensor, arena: Arena) -> (Tensor, [Tensor]) {
        let s0 = level0(convIn(ShapeOps.pixelUnshuffle(x, 2, arena: arena), arena: arena), arena: arena)    // (B, c0, R/2, R/2)
        let s1 = level1(down1(ShapeOps.pixelUnshuffle(s0, 2, arena: arena), arena: arena), arena: arena)   // (B, c1, R/4, R/4)
        let s2 = level2(down2(ShapeOps.pixelUnshuffle(s1, 2, arena: arena), arena: arena), arena: arena)   // (B, c2, R/8, R/8)
        return (convOut(s2, arena: arena), [s0, s1, s2])
    }
}

/// z_hq (B, L, R/8, R/8) → the correction (B, 3, R, R): at each scale the skip is merged,
/// the frame's (γ, β) from Pool(f_t) scale and shift the features, then the NAF blocks;
/// up-sampling is 1×1 then depth-to-space. restorer/naf.py `NAFDecoder`.
struct NAFDecoder {
    let convIn: Conv2d, level2: [NAFBlock], up1: Conv2d, level1: [NAFBlock], up2: Conv2d, level0: [NAFBlock]
    let convOut: Conv2d
    let packed: (up1: PointwiseShuffleBlocked, up2: PointwiseShuffleBlocked, out: PointwiseShuffleNCHW)?
    let channels: [Int]

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        let (ch, n) = (c.channels, c.decBlocks)
        channels = ch
        convIn = try Conv2d(vb.pp("conv_in"), inChannels: c.latent, outChannels: ch[2], kernel: 1)
        level2 = try nafStack(vb.pp("level2"), channels: ch[2], count: n[2])
        up1 = try Conv2d(vb.pp("up1"), inChannels: ch[2], outChannels: 4 * ch[1], kernel: 1)
        level1 = try nafStack(vb.pp("level1"), channels: ch[1], count: n[1])
        up2 = try Conv2d(vb.pp("up2"), inChannels: ch[1], outChannels: 4 * ch[0], kernel: 1)
        level0 = try nafStack(vb.pp("level0"), channels: ch[0], count: n[0])
        convOut = try Conv2d(vb.pp("conv_out"), inChannels: ch[0], outChannels: 12, kernel: 1)
        packed = [level0, level1, level2].allSatisfy(\.runsBlocked) && PointwiseShuffleBlocked.fits(up1)
            && PointwiseShuffleBlocked.fits(up2) && PointwiseShuffleNCHW.fits(convOut)
            ? (PointwiseShuffleBlocked(up1), PointwiseShuffleBlocked(up2), PointwiseShuffleNCHW(convOut)) : nil
    }

    /// One frame: z (1, L, h, w), the encoder's skips at R/2, R/4, R/8 (in its layout;
    /// only their element counts are relied on), mods (2·c) per scale for R/8, R/4, R/2
    /// (γ then β) → (1, 3, R, R).
    func callAsFunction(_ z: Tensor, skips: [Tensor], mods: [UnsafePointer<Float>], arena: Arena, reference: Bool = false) -> Tensor {
        guard let packed, !reference else { return layerByLayer(z, skips: skips, mods: mods, arena: arena) }
        let (h, w) = (z.dim(2), z.dim(3))
        let skip = { (i: Int) in skips[i].reshaped([1, self.channels[i] / 8, h << (2 - i), w << (2 - i), 8]) }
        var x = ChannelBlocked.from(convIn(z, arena: arena), arena: arena)
        addInPlace(x, skip(2))
        fuseScale(x, mods[0], blocked: true)
        x = packed.up1(level2.blocked(x, arena: arena), arena: arena)                    // (1, c1/8, R/4, R/4, 8)
        addInPlace(x, skip(1))
        fuseScale(x, mods[1], blocked: true)
        x = packed.up2(level1.blocked(x, arena: arena), arena: arena)                    // (1, c0/8, R/2, R/2, 8)
        addInPlace(x, skip(0))
        fuseScale(x, mods[2], blocked: true)
        return packed.out(level0.blocked(x, arena: arena), arena: arena)               // (1, 3, R, R)
    }

    private func layerByLayer(_ z: Tensor, skips: [Tensor], mods: [UnsafePointer<Float>], arena: Arena) -> Tensor {
        var x = convIn(z, arena: arena)
        addInPlace(x, skips[2])
        fuse(x, mods[0])
        x = level2(x, arena: arena)                                                  // (1, c2, R/8, R/8)
        x = ShapeOps.pixelShuffle(up1(x, arena: arena), 2, arena: arena)
        addInPlace(x, skips[1])
        fuse(x, mods[1])
        x = level1(x, arena: arena)                                                  // (1, c1, R/4, R/4)
        x = ShapeOps.pixelShuffle(up2(x, arena: arena), 2, arena: arena)
        addInPlace(x, skips[0])
        fuse(x, mods[2])
        x = level0(x, arena: arena)                                                  // (1, c0, R/2, R/2)
        return ShapeOps.pixelShuffle(convOut(x, arena: arena), 2, arena: arena)     // (1, 3, R, R)
    }

    private func fuse(_ x: Tensor, _ m: UnsafePointer<Float>) { fuseScale(x, m, blocked: false) }
}
