/// 2-D convolution over NCHW tensors, PyTorch's `nn.Conv2d`.
///
/// Three kernels, chosen by shape: 1×1 stride-1 convolutions are one SGEMM over the
/// feature map; depthwise convolutions (groups == in == out channels) run a direct
/// loop, where im2col would only copy; everything else goes through im2col + SGEMM
/// per group. Bias and activation are applied in one pass after the product.
public struct Conv2d: Sendable {
    public var weight: Tensor  // (out, in / groups, kh, kw)
    public var bias: Tensor?   // (out)
    public let inChannels: Int, outChannels: Int
    public let kernel: (h: Int, w: Int)
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.weight = weight
        self.bias = bias
        outChannels = weight.dim(0)
        inChannels = weight.dim(1) * groups
        kernel = (weight.dim(2), weight.dim(3))
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// Loads `prefix.weight` (and `prefix.bias`) with the shapes this layer needs.
    public init(_ vb: VarBuilder, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws(TensorError) {
        let w = try vb.get("weight", shape: [outChannels, inChannels / groups, kernel, kernel])
        let b = bias ? try vb.get("bias", shape: [outChannels]) : nil
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public func outputSize(_ h: Int, _ w: Int) -> (h: Int, w: Int) {
        ((h + 2 * padding - dilation * (kernel.h - 1) - 1) / stride + 1,
         (w + 2 * padding - dilation * (kernel.w - 1) - 1) / stride + 1)
    }

    public var isPointwise: Bool { kernel == (1, 1) && stride == 1 && padding == 0 && groups == 1 }
    public var isDepthwise: Bool { groups == inChannels && groups == outChannels && groups > 1 }

    /// y = act(conv(x) + bias), with y taken from the arena. Work is split across the
    /// shared thread pool: GEMMs by output columns, depthwise loops by channels.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.dim(1) == inChannels, "conv: input has \(x.dim(1)) channels, layer wants \(inChannels)")
        let (oh, ow) = outputSize(h, w)
        let y = arena.tensor([n, outChannels, oh, ow])
        for b in 0..<n {
            arena.scoped {  // each image's im2col columns are reused by the next
                let xb = x.data + b * inChannels * h * w
                let yb = y.data + b * outChannels * oh * ow
                if isPointwise {
                    pool.parallelRanges(h * w, minimum: 256) { cols in
                        gemmColumns(a: weight.data, k: inChannels, b: xb, y: yb, hw: h * w, cols: cols, rowsPerGroup: outChannels, activation: activation)
                    }
                } else if isDepthwise {
                    depthwise(xb, h, w, yb, oh, ow, activation: activation, pool: pool)
                } else {
                    im2colGemm(xb, h, w, yb, oh, ow, activation: activation, arena: arena, pool: pool)
                }
            }
        }
        return y
    }

    /// Columns `cols` of y(m × hw) = bias + W(m × k) · B(k × hw), then the activation.
    /// The output starts as the bias and the product accumulates onto it (beta = 1):
    /// no separate zeroing or bias pass.
    @inline(__always)
    private func gemmColumns(a: UnsafePointer<Float>, k: Int, b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                             hw: Int, cols: Range<Int>, rowsPerGroup m: Int, activation: Activation) {
        for c in 0..<m {
            let row = y + c * hw + cols.lowerBound
            row.initialize(repeating: bias?.data[c] ?? 0, count: cols.count)
        }
        BLAS.sgemm(m: m, n: cols.count, k: k, a: a, lda: k, b: b + cols.lowerBound, ldb: hw,
                   beta: 1, c: y + cols.lowerBound, ldc: hw)
        for c in 0..<m { activation.applyInPlace(y + c * hw + cols.lowerBound, cols.count) }
    }

    /// Output columns `ox` whose input column `ox*stride + off` lies in 0..<w.
    @inline(__always)
    func validColumns(off: Int, w: Int, ow: Int) -> ClosedRange<Int>? {
        let lo = max(0, (-off + stride - 1) / stride)
        let hi = off > w - 1 ? -1 : min(ow - 1, (w - 1 - off) / stride)
        return lo <= hi ? lo...hi : nil
    }

    /// im2col + SGEMM in bands of output rows, each thread taking whole bands: a band's
    /// columns (cin·kh·kw rows × the band's pixels) are built in the thread's scratch,
    /// sized to stay in L2, and multiplied straight into the output. The whole-image
    /// column matrix would be up to 28 MB (the restorer's decoder at R/2), written out
    /// to memory and read back by the GEMM.
    /// SAFETY: a band's scratch is rows × (band rows · ow) floats from the arena, taps
    /// outside the padded input are written as zeros, not read, and the GEMM writes the
    /// band's own output rows (OpParityTests: strides, padding, dilation and groups).
    private func im2colGemm(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                            _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int,
                            activation: Activation, arena: Arena, pool: ThreadPool) {
        let cinG = inChannels / groups, coutG = outChannels / groups
        let rows = cinG * kernel.h * kernel.w, cols = oh * ow
        let bandRows = max(1, min(oh, Self.im2colBudget / max(1, rows * ow)))
        let bands = (oh + bandRows - 1) / bandRows
        let parts = max(1, min(pool.threads, bands))
        let scratch = arena.scratch(parts * rows * bandRows * ow)
        let valid = (0..<kernel.w).map { validColumns(off: $0 * dilation - padding, w: w, ow: ow) }
        for g in 0..<groups {
            let a = weight.data + g * coutG * rows
            pool.parallelFor(parts) { part in
                let col = scratch + part * rows * bandRows * ow
                var band = bands * part / parts
                while band < bands * (part + 1) / parts {
                    let oy0 = band * bandRows, oy1 = min(oh, oy0 + bandRows)
                    let n = (oy1 - oy0) * ow
                    for c in 0..<cinG {
                        let plane = x + (g * cinG + c) * h * w
                        for ki in 0..<kernel.h {
                            for kj in 0..<kernel.w {
                                let dst = col + ((c * kernel.h + ki) * kernel.w + kj) * n
                                let off = kj * dilation - padding
                                for oy in oy0..<oy1 {
                                    let iy = oy * stride - padding + ki * dilation
                                    let row = dst + (oy - oy0) * ow
                                    guard iy >= 0, iy < h, let v = valid[kj] else { row.initialize(repeating: 0, count: ow); continue }
                                    if v.lowerBound > 0 { row.initialize(repeating: 0, count: v.lowerBound) }
                                    if v.upperBound < ow - 1 { (row + v.upperBound + 1).initialize(repeating: 0, count: ow - 1 - v.upperBound) }
                                    let src = plane + iy * w + off
                                    if stride == 1 {
                                        (row + v.lowerBound).update(from: src + v.lowerBound, count: v.count)
                                    } else {
                                        // A pointer walk: `src[ox * stride]` checked each product for overflow.
                                        var from = src + v.lowerBound * stride
                                        for ox in v { row[ox] = from.pointee; from += stride }
                                    }
                                }
                            }
                        }
                    }
                    let out = y + g * coutG * cols + oy0 * ow
                    for c in 0..<coutG { (out + c * cols).initialize(repeating: bias?.data[g * coutG + c] ?? 0, count: n) }
                    BLAS.sgemm(m: coutG, n: n, k: rows, a: a, lda: rows, b: col, ldb: n, beta: 1, c: out, ldc: cols)
                    for c in 0..<coutG { activation.applyInPlace(out + c * cols, n) }
                    band += 1
                }
            }
        }
    }

    /// Floats of im2col columns per thread and band: about half of a 512 KB L2.
    static let im2colBudget = 64 * 1024

    /// Depthwise convolution with bias and activation, channels split across the pool:
    /// the plain loop. The models run their depthwise layers in the channel-blocked
    /// layout (DepthwiseBlocked, NAFBlocked); this serves any other shape and is the
    /// reference the blocked kernels are tested against.
    private func depthwise(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                           _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int,
                           activation: Activation, pool: ThreadPool) {
        pool.parallelRanges(outChannels) { channels in
            for c in channels {
                let src = x + c * h * w, dst = y + c * oh * ow
                let wk = weight.data + c * kernel.h * kernel.w
                let b = bias?.data[c] ?? 0
                for oy in 0..<oh {
                    let d = dst + oy * ow
                    for ox in 0..<ow {
                        var acc = b
                        for ki in 0..<kernel.h {
                            let iy = oy * stride - padding + ki * dilation
                            guard iy >= 0 && iy < h else { continue }
                            for kj in 0..<kernel.w {
                                let ix = ox * stride - padding + kj * dilation
                                if ix >= 0 && ix < w { acc += wk[ki * kernel.w + kj] * src[iy * w + ix] }
                            }
                        }
                        d[ox] = acc
                    }
                    activation.applyInPlace(d, ow)
                }
            }
        }
    }
}
