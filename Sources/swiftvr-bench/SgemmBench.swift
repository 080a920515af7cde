import SwiftVRTensor

/// `swiftvr-bench sgemm`: OpenBLAS SGEMM GFLOP/s (the best decile of the runs: what the
/// machine can do, less the host's noise) at the shapes the models use, split
/// across the engine's thread pool exactly as Conv2d splits them (by output columns).
/// Prints `sgemm M N K gflops what`; for the detector's 1×1 shapes also
/// `blocked M N K gflops what`: the engine's own channel-blocked kernel (PointwiseBlocked,
/// weights packed once) on the same shape, split by pixels as InvertedResidual splits it.
enum SgemmBench {
    static let shapes: [(String, Int, Int, Int)] = [
        ("CenterFace expand 16→96 @160×96", 96, 15360, 16),
        ("CenterFace project 144→24 @160×96", 24, 15360, 144),
        ("CenterFace expand 64→384 @40×24", 384, 960, 64),
        ("Restorer qkv 64→192, 1024 tokens", 1024, 192, 64),
        ("Restorer conv 48→32 3×3 @128²", 32, 16384, 432),
        ("square 512", 512, 512, 512),
    ]

    static func run(runs: Int) {
        let pool = ThreadPool.shared
        for (name, m, n, k) in shapes {
            let (gflops, a) = rate(m: m, n: n, k: k, runs: runs)
            print("sgemm \(m) \(n) \(k) \(fmt(gflops)) \(name)")
            guard name.hasPrefix("CenterFace") else { continue }
            let kernel = PointwiseBlocked(Conv2d(weight: a.reshaped([m, k, 1, 1]), bias: nil))
            let x = Tensor(shape: [k / 8, n, 8]), y = Tensor(shape: [m / 8, n, 8])
            for i in 0..<x.count { x.data[i] = Float(i % 5) * 0.1 }
            let tb = measure(runs: runs) {
                pool.parallelRanges(n, minimum: 256) { px in
                    kernel(x: x.data + px.lowerBound * 8, xStride: n * 8, pixels: px.count,
                           y: y.data + px.lowerBound * 8, yStride: n * 8, relu: false)
                }
            }
            print("blocked \(m) \(n) \(k) \(fmt(2.0 * Double(m * n * k) / (tb.p10 * 1e6))) \(name), channel-blocked kernel")
        }
        depthwise(runs: runs, pool: pool)
        attention(runs: runs)
        for (name, m, n, k) in cachedShapes { cached(name: name, out: m, pixels: n, in: k, runs: runs) }
    }

    /// The restorer's 1×1 layers as it runs them: a chunk of pixels (or tokens) already
    /// in cache, one core. (out, pixels, in).
    static let cachedShapes: [(String, Int, Int, Int)] = [
        ("NAF ffn1 16→32 at R/2, a 96-pixel chunk", 32, 96, 16),
        ("NAF proj 16→16 at R/2, a 96-pixel chunk", 16, 96, 16),
        ("NAF ffn1 32→64 at R/4, a 96-pixel chunk", 64, 96, 32),
        ("latent qkv 48→144, 64 tokens", 144, 64, 48),
        ("latent logits 48→256, 64 tokens", 256, 64, 48),
        ("latent code mix 256→48, 64 tokens", 48, 64, 256),
    ]

    /// GFLOP/s of the channel-blocked kernel on one core with its operands in cache:
    /// `cached OUT PIXELS IN gflops what`.
    static func cached(name: String, out m: Int, pixels n: Int, in k: Int, runs: Int) {
        let w = Tensor(shape: [m, k, 1, 1])
        for i in 0..<w.count { w.data[i] = Float(i % 7) * 0.1 }
        let kernel = PointwiseBlocked(Conv2d(weight: w, bias: nil))
        let x = Tensor(shape: [k / 8, n, 8]), y = Tensor(shape: [m / 8, n, 8])
        for i in 0..<x.count { x.data[i] = Float(i % 5) * 0.1 }
        let repeats = max(1, 4_000_000 / (m * n * k))
        let t = measure(runs: runs) {
            for _ in 0..<repeats { kernel(x: x.data, xStride: n * 8, pixels: n, y: y.data, yStride: n * 8, relu: false) }
        }
        print("cached \(m) \(n) \(k) \(fmt(2.0 * Double(repeats * m * n * k) / (t.p10 * 1e6))) \(name), one core, channel-blocked kernel")
    }

    /// The latent transformer's window attention: 16 windows of 8×8 tokens × 2 heads of
    /// 24 (a 256² crop): `attention B L d gflops`, FLOPs of QKᵀ and PV.
    static func attention(runs: Int) {
        let (b, l, d) = (32, 64, 24)
        let q = Tensor(shape: [b, l, d]), k = Tensor(shape: [b, l, d]), v = Tensor(shape: [b, l, d])
        for i in 0..<q.count { (q.data[i], k.data[i], v.data[i]) = (Float(i % 7) * 0.1, Float(i % 5) * 0.1, Float(i % 3) * 0.1) }
        let arena = Arena()
        let t = measure(runs: runs * 5) {
            arena.reset()
            _ = scaledDotProductAttention(q, k, v, arena: arena)
        }
        print("attention \(b) \(l) \(d) \(fmt(4.0 * Double(b * l * l * d) / (t.p10 * 1e6))) latent window attention, \(b) windows × heads of \(l) tokens")
    }

    /// GFLOP/s of SGEMM (M×K)·(K×N) at its best decile, split as Conv2d splits it, and
    /// the A operand it used.
    static func rate(m: Int, n: Int, k: Int, runs: Int, pool: ThreadPool = .shared) -> (Double, Tensor) {
        let a = Tensor(shape: [m, k]), b = Tensor(shape: [k, n]), c = Tensor(shape: [m, n])
        for i in 0..<a.count { a.data[i] = Float(i % 7) * 0.1 }
        for i in 0..<b.count { b.data[i] = Float(i % 5) * 0.1 }
        let t = measure(runs: runs) {
            pool.parallelRanges(n, minimum: 256) { cols in
                BLAS.sgemm(m: m, n: cols.count, k: k, a: a.data, lda: k, b: b.data + cols.lowerBound, ldb: n,
                           c: c.data + cols.lowerBound, ldc: n)
            }
        }
        return (2.0 * Double(m * n * k) / (t.p10 * 1e6), a)
    }

    /// The blocked depthwise 3×3 (DepthwiseBlocked.row) over cache-resident rows of
    /// CenterFace's 144-channel stride-1 layer at 160 pixels wide: `depthwise C W gflops`.
    static func depthwise(runs: Int, pool: ThreadPool) {
        let (c, w, rows) = (144, 160, 16)
        let conv = Conv2d(weight: Tensor(shape: [c, 1, 3, 3]), bias: nil, padding: 1, groups: c)
        for i in 0..<conv.weight.count { conv.weight.data[i] = Float(i % 9) * 0.1 }
        let layer = DepthwiseBlocked(conv)
        let x = Tensor(shape: [c / 8, rows + 2, w, 8]), y = Tensor(shape: [c / 8, rows, w, 8])
        for i in 0..<x.count { x.data[i] = Float(i % 5) * 0.1 }
        let t = measure(runs: runs) {
            pool.parallelRanges(c / 8) { blocks in
                for b in blocks {
                    let plane = UnsafePointer(x.data + b * (rows + 2) * w * 8)
                    for r in 0..<rows {
                        layer.row(block: b, plane + r * w * 8, plane + (r + 1) * w * 8, plane + (r + 2) * w * 8, w: w, ow: w,
                                  into: y.data + (b * rows + r) * w * 8, relu: true)
                    }
                }
            }
        }
        print("depthwise \(c) \(w) \(fmt(2.0 * 9 * Double(c * rows * w) / (t.p10 * 1e6))) CenterFace depthwise 3×3, \(c) channels, \(rows) rows of \(w), channel-blocked kernel")
    }
}
