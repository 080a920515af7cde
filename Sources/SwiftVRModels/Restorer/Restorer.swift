import SwiftVRTensor

/// One restoration block: asymmetric fusion of the priors, then window attention and an
/// MLP (restorer/restorer.py `FusionBlock`):
///   x̃ = (1 + γ)·x + β;  Δx = Attn(Q = W_q f_t, K = W_k f_s, V = W_v f_s);  x' = x̃ + Proj(Δx)
struct FusionBlock {
    let fuse: WindowAttention
    let layer: TransformerLayer

    init(_ vb: VarBuilder, _ c: RestorerConfig) throws(TensorError) {
        fuse = try WindowAttention(vb.pp("fuse"), dim: c.dim, heads: c.heads, cross: true)
        layer = try TransformerLayer(vb.pp("layer"), dim: c.dim, heads: c.heads, mlpRatio: c.mlpRatio)
    }

    func callAsFunction(_ x: Tensor, fs: Tensor, ft: Tensor, gamma: Tensor, beta: Tensor,
                        layout: AttentionLayout, arena: Arena) -> Tensor {
        let (t, n, d) = (x.dim(0), x.dim(1), x.dim(2))
        for f in 0..<t {
            let (g, b) = (UnsafePointer(gamma.data + f * d), UnsafePointer(beta.data + f * d))
            ThreadPool.shared.parallelRanges(n, minimum: 64) { tokens in
                for i in tokens {
                    let p = x.data + (f * n + i) * d
                    for k in 0..<d { p[k] = (1 + g[k]) * p[k] + b[k] }
                }
            }
        }
        return layer(fuse(ft, layout: layout, context: fs, adding: x, arena: arena), layout: layout, arena: arena)
    }
}

/// The restoration model (restorer/restorer.py `Restorer`): encode a window of
/// T aligned crops, predict spatial and temporal codebook priors, run the fusion blocks
/// once, step z_hq = z_lq − t*·v, decode the correction and add it to the input. Built
/// from the configuration in the weights file's metadata.
///
/// As in llama2.c: `RestorerConfig` is the architecture (checked completely at load),
/// this class the weights — immutable once loaded, so one instance serves any number of
/// callers and threads — and `RunState` one caller's memory. A forward pass returns its
/// output, the face's next temporal cache and its stage timings; the stage-by-stage
/// trace only when asked.
public final class Restorer: Sendable {
    public let config: RestorerConfig
    /// The down and up paths (config `backbone`).
    enum Backbone {
        case conv(Encoder, Decoder)
        case naf(NAFEncoder, NAFDecoder, scaleModulation: Linear)
    }
    let backbone: Backbone
    let inProj: Linear
    let spatial: SpatialPrior, temporal: TemporalPrior
    let modulation0: Linear, modulation2: Linear
    let taskEmbed: Linear
    let stepEmbed: Tensor              // (D)
    let blocks: [FusionBlock]
    let outNorm: LayerNorm, outProj: Linear
    /// The previous frame's R/4 features into this frame's skip (config `past_features`).
    let past: PastFeatures?

    /// One caller's memory for forward passes: outputs live in its arenas until its next pass.
    public final class RunState {
        let arena = Arena()
        /// The autoencoder runs one frame at a time in its own arena, reset per frame: its
        /// full-resolution activations then stay in cache and are never held T times over.
        let frameArena = Arena()
        /// Window groups and rotary tables depend only on the latent grid: built once per size.
        var layouts: [Int: (plain: AttentionLayout, shifted: AttentionLayout)] = [:]
        public init() {}
    }

    /// Every stage's output of one pass, for tests and diagnostics (`trace: true`).
    public struct Trace {
        public var z: Tensor, tokens: Tensor, zHQ: Tensor
        public var spatialLogits: Tensor, spatialIndices: [Int32]
        public var temporalLogits: Tensor, temporalIndices: [Int32]
    }

    /// Milliseconds of one pass: encoder + priors, restoration blocks, decoder.
    public struct Timings: Sendable {
        public var priors = 0.0, restoration = 0.0, decode = 0.0
    }

    public struct Output {
        /// (T, 3, R, R) in [0, 1], valid until the state's next pass.
        public let frames: Tensor
        /// What the same face's next window passes as `cache` (causal streaming).
        public let nextCache: TemporalCache?
        public let timings: Timings
        public let trace: Trace?
    }

    func layouts(h: Int, w: Int, state: RunState) -> (plain: AttentionLayout, shifted: AttentionLayout) {
        if let cached = state.layouts[h * 100_000 + w] { return cached }
        let c = config
        let rope = Windows.rope(positions: Windows.gridPositions(h: h, w: w), headDim: c.headDim)
        let made = (AttentionLayout(groups: Windows.groups(h: h, w: w, window: c.window, shift: 0), cos: rope.cos, sin: rope.sin),
                    AttentionLayout(groups: Windows.groups(h: h, w: w, window: c.window, shift: c.window / 2), cos: rope.cos, sin: rope.sin))
        state.layouts[h * 100_000 + w] = made
        return made
    }

    public convenience init(path: String) throws(TensorError) {
        let store = try WeightStore(path: path)
        guard store.metadata["architecture"] == "swiftvr-restorer" else {
            throw .badMetadata("'\(path)' is not a swiftvr restoration model (architecture: \(store.metadata["architecture"] ?? "none"))")
        }
        guard let json = store.metadata["config"] else { throw .badMetadata("'\(path)' has no config in its metadata") }
        try self.init(store.root, config: try RestorerConfig(json: json))
        try store.finish()
    }

    public init(_ vb: VarBuilder, config c: RestorerConfig) throws(TensorError) {
        config = c
        switch c.backbone {
        case .conv: backbone = .conv(try Encoder(vb.pp("encoder"), c), try Decoder(vb.pp("decoder"), c))
        case .naf:
            backbone = .naf(try NAFEncoder(vb.pp("encoder"), c), try NAFDecoder(vb.pp("decoder"), c),
                            scaleModulation: try Linear(vb.pp("scale_modulation"), in: c.dim, out: 2 * c.channels.reduce(0, +)))
        }
        inProj = try Linear(vb.pp("in_proj"), in: c.latent, out: c.dim)
        spatial = try SpatialPrior(vb.pp("spatial"), c)
        temporal = try TemporalPrior(vb.pp("temporal"), c)
        modulation0 = try Linear(vb.pp("modulation.0"), in: c.dim, out: c.dim)
        modulation2 = try Linear(vb.pp("modulation.2"), in: c.dim, out: 2 * c.dim)
        taskEmbed = try Linear(vb.pp("task_embed"), in: 3, out: c.dim)
        stepEmbed = try vb.get("step_embed", shape: [c.dim])
        var blocks: [FusionBlock] = []
        for i in 0..<c.blocks { blocks.append(try FusionBlock(vb.pp("blocks.\(i)"), c)) }
        self.blocks = blocks
        outNorm = try LayerNorm(vb.pp("out_norm"), dim: c.dim)
        outProj = try Linear(vb.pp("out_proj"), in: c.dim, out: c.latent)
        past = c.pastFeatures ? try PastFeatures(vb.pp("past"), c) : nil
    }

    /// frames (T, 3, R, R) in [0, 1]; mask (T, 1, R, R), 1 = missing; tasks: restore,
    /// colorize, inpaint flags; cache: `nextCache` of the same face's previous pass;
    /// context: how many frames `nextCache` keeps (nil: this window's) — a causal model
    /// restores frames one at a time, each seeing the `context` frames before it;
    /// pastShift: (dx, dy) in crop pixels, how far the cached frame's crop lies from this
    /// window's first (previous(p + shift) ≈ this(p)), for the past features (nil: none).
    /// R must be a multiple of 8.
    public func callAsFunction(frames input: Tensor, mask: Tensor, tasks: [Float], cache: TemporalCache? = nil,
                               context: Int? = nil, pastShift: (Float, Float)? = nil, state: RunState,
                               trace wantsTrace: Bool = false) -> Output {
        let (arena, frameArena) = (state.arena, state.frameArena)
        arena.reset()
        let start = Stopwatch.now()
        let c = config
        let frames = c.prefill ? fillMissing(input, missing: mask, arena: arena) : input
        let (t, r) = (frames.dim(0), frames.dim(2))
        let (h, w) = (r / 8, r / 8)
        // Frame f of a (T, …) tensor; with T = 1 (a causal model in the element, one frame
        // per call) the tensor itself, not a copy of it (the skips are 3 MB at 256²).
        func frame(_ x: Tensor, _ f: Int) -> Tensor { t == 1 ? x : ShapeOps.narrow(x, axis: 0, range: f..<(f + 1), arena: frameArena) }
        // z (T, L, h, w) and the skips kept for the decoder, (T, c_i, R/2^(i+1), R/2^(i+1)),
        // two or three scales. One frame is encoded straight into the pass's arena; a
        // window frame by frame, each copied out of the frame arena.
        let z: Tensor, skips: [Tensor]
        if t == 1 {
            (z, skips) = encode(ShapeOps.concat([frames, mask], axis: 1, arena: arena), arena: arena)
        } else {
            z = arena.tensor([t, c.latent, h, w])
            let scales = c.backbone == .naf ? 3 : 2
            skips = (0..<scales).map { i in arena.tensor([t, c.channels[i], r >> (i + 1), r >> (i + 1)]) }
            for f in 0..<t {
                frameArena.reset()
                let one = ShapeOps.concat([frame(frames, f), frame(mask, f)], axis: 1, arena: frameArena)  // (1, 4, R, R)
                let (zf, s) = encode(one, arena: frameArena)                       // (1, L, h, w)
                (z.data + f * zf.count).update(from: zf.data, count: zf.count)
                for (dst, src) in zip(skips, s) { (dst.data + f * src.count).update(from: src.data, count: src.count) }
            }
        }
        let n = h * w
        let tokens = inProj(ShapeOps.swapLastAxes(z.reshaped([t, c.latent, n]), arena: arena), arena: arena)  // (T, N, D)
        let (plain, shifted) = layouts(h: h, w: w, state: state)
        let (fs, idxS, logitsS) = spatial(tokens, layout: plain, arena: arena)
        let (ft, idxT, logitsT, temporalNext) = temporal(tokens, cache: cache, context: context, arena: arena)
        var next = temporalNext
        if let past {
            let last = past.merge(skips[1], channels: c.channels[1], size: r / 4, blocked: encodesBlocked, ft: ft,
                                  previous: cache?.past, shift: pastShift, arena: arena)
            next?.past = last
        }
        // (γ, β) = MLP(Pool(f_t)), one pair per frame, shared by every block.
        let pooled = arena.tensor([t, c.dim])
        for f in 0..<t {
            let dst = pooled.data + f * c.dim
            dst.initialize(repeating: 0, count: c.dim)
            for i in 0..<n { for k in 0..<c.dim { dst[k] += ft.data[(f * n + i) * c.dim + k] } }
            for k in 0..<c.dim { dst[k] /= Float(n) }
        }
        let mod = modulation2(modulation0(pooled, activation: .silu, arena: arena), arena: arena)   // (T, 2D)
        let gamma = ShapeOps.narrow(mod, axis: 1, range: 0..<c.dim, arena: arena)
        let beta = ShapeOps.narrow(mod, axis: 1, range: c.dim..<(2 * c.dim), arena: arena)
        let taskTensor = Tensor(shape: [1, 3], values: tasks)
        let task = taskEmbed(taskTensor, arena: arena)                             // (1, D)
        let afterPriors = Stopwatch.now()
        var x = copy(tokens, arena: arena)
        for i in 0..<(t * n) { for k in 0..<c.dim { x.data[i * c.dim + k] += task.data[k] + stepEmbed.data[k] } }
        for (i, block) in blocks.enumerated() {
            x = block(x, fs: fs, ft: ft, gamma: gamma, beta: beta, layout: i % 2 == 1 ? shifted : plain, arena: arena)
        }
        outNorm.normalizeInPlace(x)
        let v = ShapeOps.swapLastAxes(outProj(x, arena: arena), arena: arena)     // (T, L, N)
        let zHQ = arena.tensor([t, c.latent, h, w])
        for i in 0..<zHQ.count { zHQ.data[i] = z.data[i] - c.tStar * v.data[i] }   // the one step
        let trace = wantsTrace ? Trace(z: z, tokens: tokens, zHQ: zHQ, spatialLogits: logitsS, spatialIndices: idxS,
                                       temporalLogits: logitsT, temporalIndices: idxT) : nil
        let afterBlocks = Stopwatch.now()
        // The decoder predicts the correction to the input frames (restorer/restorer.py).
        var scaleMods: Tensor?                                                     // (T, 2·Σc): (γ, β) per scale
        if case .naf(_, _, let scaleModulation) = backbone { scaleMods = scaleModulation(pooled, arena: arena) }
        func decoded(_ f: Int, arena: Arena) -> Tensor {
            decode(frame(zHQ, f), skips: skips.map { frame($0, f) }, mods: scaleMods.map { $0.data + f * $0.dim(1) }, arena: arena)
        }
        let out: Tensor                                                            // (T, 3, R, R)
        if t == 1 {
            out = decoded(0, arena: arena)
        } else {
            out = arena.tensor([t, 3, r, r])
            for f in 0..<t {
                frameArena.reset()
                let d = decoded(f, arena: frameArena)
                (out.data + f * d.count).update(from: d.data, count: d.count)
            }
        }
        addInPlace(out, frames)
        let timings = Timings(priors: afterPriors - start, restoration: afterBlocks - afterPriors, decode: Stopwatch.now() - afterBlocks)
        return Output(frames: out, nextCache: next, timings: timings, trace: trace)
    }

    /// Whether the encoder's skips are channel-blocked (see `NAFEncoder`).
    private var encodesBlocked: Bool {
        if case .naf(let encoder, _, _) = backbone { encoder.packed != nil } else { false }
    }

    private func encode(_ x: Tensor, arena frameArena: Arena) -> (Tensor, [Tensor]) {
        switch backbone {
        case .conv(let encoder, _): encoder(x, arena: frameArena)
        case .naf(let encoder, _, _): encoder(x, arena: frameArena)
        }
    }

    /// One frame's correction; `mods` points at the frame's (γ, β) for R/8, R/4, R/2.
    private func decode(_ z: Tensor, skips: [Tensor], mods: UnsafeMutablePointer<Float>?, arena frameArena: Arena) -> Tensor {
        switch backbone {
        case .conv(_, let decoder): return decoder(z, skips: skips, arena: frameArena)
        case .naf(_, let decoder, _):
            let ch = config.channels
            let m = UnsafePointer(mods!)  // set whenever the backbone is .naf (above)
            return decoder(z, skips: skips, mods: [m, m + 2 * ch[2], m + 2 * (ch[2] + ch[1])], arena: frameArena)
        }
    }
}
