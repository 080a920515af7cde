import SwiftVRTensor

/// One layer (or a group of layers run as one) of the restorer's causal pass, on its own:
/// what it computes, how often one face-frame runs it, its FLOPs (2 × multiply-adds of
/// its products; norms, gates and softmaxes left out) and the bytes it must move at least
/// (its input, output and weights once each, as floats), and a closure that runs it once
/// on inputs prepared from a real pass. `swiftvr-bench layers` times the closures.
public struct ProfiledLayer {
    public let name: String
    public let count: Int
    public let flops: Double, bytes: Double
    public let run: () -> Void
}

extension Restorer {
    /// The NAF backbone's layers and the latent stages, at crop R, as the element runs the
    /// model: one frame per call with a cache of `context` earlier frames (filled by a few
    /// passes first). Empty for the older conv backbone. The closures reset `work` before
    /// each run; inputs live in their own arena.
    public func profiledLayers(crop r: Int, context: Int = 3) -> [ProfiledLayer] {
        guard case .naf(let encoder, let decoder, _) = backbone, let enc = encoder.packed, let dec = decoder.packed else { return [] }
        let c = config, ch = c.channels, d = Double(c.dim)
        let (input, work) = (Arena(), Arena())
        let state = RunState()
        let frame = Tensor(shape: [1, 3, r, r]), mask = Tensor(shape: [1, 1, r, r])
        for i in 0..<frame.count { frame.data[i] = Float(i % 251) / 251 }
        var cache: TemporalCache?
        for _ in 0...context { cache = self(frames: frame, mask: mask, tasks: [1, 0, 0], cache: cache, context: context, state: state).nextCache }

        var layers: [ProfiledLayer] = []
        func add(_ name: String, count: Int = 1, flops: Double, bytes: Double, _ body: @escaping () -> Void) {
            layers.append(ProfiledLayer(name: name, count: count, flops: flops, bytes: 4 * bytes, run: { work.reset(); body() }))
        }
        let px = { (s: Int) in Double((r >> s) * (r >> s)) }                      // pixels at R/2^s
        // A NAF block of C channels over P pixels: expand C→2C, depthwise 3×3 on 2C,
        // proj C→C, ffn1 C→2C, ffn2 C→C.
        let naf = { (cc: Int, p: Double) in 2 * p * Double(6 * cc * cc + 18 * cc) }
        let nafBytes = { (cc: Int, p: Double) in 2 * p * Double(cc) + Double(6 * cc * cc + 18 * cc) }

        // Encoder.
        let one = ShapeOps.concat([frame, mask], axis: 1, arena: input)           // (1, 4, R, R)
        add("encoder stem: space-to-depth + conv_in 1×1 (16→\(ch[0])) into blocks", flops: 2 * px(1) * Double(16 * ch[0]),
            bytes: px(0) * 4 + px(1) * Double(ch[0]) + Double(16 * ch[0])) { _ = enc.stem(one, arena: work) }
        // Each level's first NAF block (the others cost the same), then its down-sampling.
        let (levels, downs) = ([encoder.level0, encoder.level1, encoder.level2], [enc.down1, enc.down2])
        var x = enc.stem(one, arena: input)                                         // (1, c0/8, R/2, R/2, 8)
        var skips: [Tensor] = []
        for i in 0..<3 {
            let (level, into, p) = (levels[i], x, px(i + 1))
            add("encoder NAF block, \(ch[i]) ch at R/\(2 << i)", count: c.encBlocks[i], flops: naf(ch[i], p),
                bytes: nafBytes(ch[i], p)) { _ = level[0].blocked!(into, arena: work) }
            let s = level.blocked(into, arena: input)
            skips.append(s)
            guard i < 2 else { break }
            let down = downs[i]
            add("encoder down\(i + 1): space-to-depth + 1×1 (\(4 * ch[i])→\(ch[i + 1]))", flops: 2 * px(i + 2) * Double(4 * ch[i] * ch[i + 1]),
                bytes: p * Double(ch[i]) + px(i + 2) * Double(ch[i + 1]) + Double(4 * ch[i] * ch[i + 1])) { _ = down(s, arena: work) }
            x = down(s, arena: input)
        }
        let (s1, s2) = (skips[1], skips[2])
        add("encoder conv_out: to NCHW, 1×1 (\(ch[2])→\(c.latent))", flops: 2 * px(3) * Double(ch[2] * c.latent),
            bytes: px(3) * Double(ch[2] + c.latent)) {
            _ = encoder.convOut(ChannelBlocked.toNCHW(s2, arena: work), arena: work)
        }

        // Latent stages on N tokens of D: a transformer layer is qkv, proj and the MLP
        // (16·N·D²) plus attention inside windows of w² tokens (4·N·w²·D).
        let z = encoder.convOut(ChannelBlocked.toNCHW(s2, arena: input), arena: input)
        let (h, n) = (r / 8, (r / 8) * (r / 8))
        let nd = Double(n) * d, win = Double(c.window * c.window)
        let layer = 16 * nd * d + 4 * nd * win
        let tokens = inProj(ShapeOps.swapLastAxes(z.reshaped([1, c.latent, n]), arena: input), arena: input)   // (1, N, D)
        let (plain, shifted) = layouts(h: h, w: h, state: state)
        add("spatial prior: transformer layer, logits, code mix, residual",
            flops: layer + 4 * nd * Double(c.spatialCodes) + 2 * nd * d, bytes: 2 * nd) {
            _ = self.spatial(tokens, layout: plain, arena: work)
        }
        let kept = Double(context + 1)
        add("temporal prior: difference, attention over \(context) cached frames, code mix",
            flops: 4 * nd * d + 2 * nd * d * 3 + 4 * nd * kept * d + 2 * nd * d + 4 * nd * Double(c.temporalCodes) + 2 * nd * d,
            bytes: 2 * nd + 2 * nd * Double(context)) {
            _ = self.temporal(tokens, cache: cache, context: context, arena: work)
        }
        let (fs, _, _) = spatial(tokens, layout: plain, arena: input)
        let (ft, _, _, _) = temporal(tokens, cache: cache, context: context, arena: input)
        if let past {
            add("past features: gate from f_t, 1×1 on the R/4 difference, merge", flops: 2 * px(2) * Double(ch[1] * ch[1]) + 2 * nd * Double(ch[1]),
                bytes: 3 * px(2) * Double(ch[1])) {
                let skip = copy(s1, arena: work)
                _ = past.merge(skip, channels: ch[1], size: r / 4, blocked: true, ft: ft, previous: cache?.past, arena: work)
            }
        }
        let mod = Tensor(shape: [1, 2 * c.dim])
        let (gamma, beta) = (ShapeOps.narrow(mod, axis: 1, range: 0..<c.dim, arena: input),
                             ShapeOps.narrow(mod, axis: 1, range: c.dim..<(2 * c.dim), arena: input))
        for (i, block) in blocks.enumerated() {
            add("fusion block \(i): cross-attention to the priors, transformer layer",
                flops: 2 * nd * d * 4 + 4 * nd * win + layer, bytes: 4 * nd) {
                _ = block(copy(tokens, arena: work), fs: fs, ft: ft, gamma: gamma, beta: beta,
                          layout: i % 2 == 1 ? shifted : plain, arena: work)
            }
        }

        // Decoder.
        let mods = Tensor(shape: [2 * ch.reduce(0, +)])
        let x2 = ChannelBlocked.from(decoder.convIn(z, arena: input), arena: input)
        add("decoder conv_in 1×1 (\(c.latent)→\(ch[2])), to blocked, skip, scale", flops: 2 * px(3) * Double(c.latent * ch[2]),
            bytes: px(3) * Double(c.latent + 2 * ch[2])) {
            let x = ChannelBlocked.from(decoder.convIn(z, arena: work), arena: work)
            addInPlace(x, s2)
            fuseScale(x, mods.data, blocked: true)
        }
        add("decoder NAF block, \(ch[2]) ch at R/8", count: c.decBlocks[2], flops: naf(ch[2], px(3)), bytes: nafBytes(ch[2], px(3))) {
            _ = decoder.level2[0].blocked!(x2, arena: work)
        }
        add("decoder up1: 1×1 (\(ch[2])→\(4 * ch[1])) + depth-to-space", flops: 2 * px(3) * Double(ch[2] * 4 * ch[1]),
            bytes: px(3) * Double(ch[2]) + px(2) * Double(ch[1]) + Double(4 * ch[1] * ch[2])) { _ = dec.up1(x2, arena: work) }
        let x1 = dec.up1(x2, arena: input)
        add("decoder NAF block, \(ch[1]) ch at R/4", count: c.decBlocks[1], flops: naf(ch[1], px(2)), bytes: nafBytes(ch[1], px(2))) {
            _ = decoder.level1[0].blocked!(x1, arena: work)
        }
        add("decoder up2: 1×1 (\(ch[1])→\(4 * ch[0])) + depth-to-space", flops: 2 * px(2) * Double(ch[1] * 4 * ch[0]),
            bytes: px(2) * Double(ch[1]) + px(1) * Double(ch[0]) + Double(4 * ch[0] * ch[1])) { _ = dec.up2(x1, arena: work) }
        let x0 = dec.up2(x1, arena: input)
        add("decoder NAF block, \(ch[0]) ch at R/2", count: c.decBlocks[0], flops: naf(ch[0], px(1)), bytes: nafBytes(ch[0], px(1))) {
            _ = decoder.level0[0].blocked!(x0, arena: work)
        }
        add("decoder conv_out: 1×1 (\(ch[0])→12) + depth-to-space out of blocks, add input", flops: 2 * px(1) * Double(ch[0] * 12),
            bytes: px(1) * Double(ch[0]) + 2 * px(0) * 3) {
            addInPlace(dec.out(x0, arena: work), frame)
        }
        return layers
    }
}
