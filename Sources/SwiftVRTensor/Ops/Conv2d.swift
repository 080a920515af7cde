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

    var isPointwise: Bool { kernel == (1, 1) && stride == 1 && padding == 0 && groups == 1 }
    var isDepthwise: Bool { groups == inChannels && groups == outChannels && groups > 1 }

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
                    depthwise(xb, h, w, yb, oh, ow, activation: activation, arena: arena, pool: pool)
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
        for c in 0..<m { activation.apply(y + c * hw + cols.lowerBound, cols.count) }
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
                    for c in 0..<coutG { activation.apply(out + c * cols, n) }
                    band += 1
                }
            }
        }
    }

    /// Floats of im2col columns per thread and band: about half of a 512 KB L2.
    nonisolated(unsafe) public static var im2colBudget = 64 * 1024

    /// Depthwise convolution with bias and activation, channels split across the pool;
    /// the activation is applied row by row while the row is in cache. For stride > 1
    /// each input plane is first split into `stride` column phases, so every inner loop
    /// is contiguous and vectorises.
    private func depthwise(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                           _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int,
                           activation: Activation, arena: Arena, pool: ThreadPool) {
        let phaseLength = (w + stride - 1) / stride
        let parts = max(1, min(pool.threads, outChannels))
        // 3×3 stride-2 layers read their strided rows directly (SIMD de-interleave);
        // other strided kernels split each plane into column phases first.
        let direct2 = stride == 2 && kernel == (3, 3) && dilation == 1
        let usePhases = stride > 1 && !direct2
        let phaseSize = usePhases ? stride * h * phaseLength : 0
        let scratch = arena.scratch(max(1, parts * phaseSize))
        // Tap kj reads input column ox*stride + off = (ox + shift)*stride + phase.
        let taps = (0..<kernel.w).map { kj -> (phase: Int, shift: Int, valid: ClosedRange<Int>?) in
            let off = kj * dilation - padding
            let phase = ((off % stride) + stride) % stride
            return (phase, (off - phase) / stride, validColumns(off: off, w: w, ow: ow))
        }
        // Output columns every tap can read without leaving the row, and the rest.
        let lo = taps.map { $0.valid?.lowerBound ?? ow }.max() ?? 0
        let hi = taps.map { $0.valid.map { $0.upperBound + 1 } ?? 0 }.min() ?? ow
        let interior = lo < hi ? lo..<hi : 0..<0
        let border = (0..<ow).filter { !interior.contains($0) }
        let kk = kernel.h * kernel.w
        let tapRows = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: parts * kk)
        defer { tapRows.deallocate() }
        let zeroCount = w + 2 * (kernel.w * dilation + padding) + 16
        let zeros = arena.scratch(zeroCount) + kernel.w * dilation + padding
        (zeros - kernel.w * dilation - padding).initialize(repeating: 0, count: zeroCount)
        // For the direct stride-2 path: the last block start whose 8-float loads stay in the row.
        let maxOff = kernel.w - 1 - padding
        let lastBlock = (w - 8 - maxOff) / 2
        pool.parallelFor(parts) { part in
            let phases = scratch + part * phaseSize
            for c in (outChannels * part / parts)..<(outChannels * (part + 1) / parts) {
                var src = x + c * h * w
                var rowStride = w
                if usePhases {
                    for r in 0..<stride {
                        let n = (w - r + stride - 1) / stride
                        for iy in 0..<h {
                            let from = src + iy * w + r, to = phases + (r * h + iy) * phaseLength
                            for i in 0..<n { to[i] = from[i * stride] }
                        }
                    }
                    src = UnsafePointer(phases)
                    rowStride = phaseLength
                }
                let dst = y + c * oh * ow
                dst.initialize(repeating: bias?.data[c] ?? 0, count: oh * ow)
                let wk = weight.data + c * kernel.h * kernel.w
                for oy in 0..<oh {
                    let d = dst + oy * ow
                    // One input pointer per tap, so that output column ox reads tap[t][ox];
                    // rows above or below the image read a row of zeros.
                    for ki in 0..<kernel.h {
                        let iy = oy * stride - padding + ki * dilation
                        for kj in 0..<kernel.w {
                            let t = ki * kernel.w + kj
                            let base = iy >= 0 && iy < h ? src + (usePhases ? taps[kj].phase * h + iy : iy) * rowStride : UnsafePointer(zeros)
                            tapRows[part * kk + t] = direct2 ? base + (kj - padding) : base + taps[kj].shift
                        }
                    }
                    let rows = UnsafePointer(tapRows + part * kk)
                    if direct2 {
                        accumulate3x3Stride2(d, rows, wk, interior, lastBlock: lastBlock)
                        for ox in border {
                            for t in 0..<kk where taps[t % kernel.w].valid?.contains(ox) == true { d[ox] += wk[t] * rows[t][2 * ox] }
                        }
                    } else {
                        if kk == 9 {
                            accumulate3x3(d, rows, wk, interior)
                        } else {
                            for t in 0..<kk { let (p, wv) = (rows[t], wk[t]); for ox in interior { d[ox] += wv * p[ox] } }
                        }
                        // Border columns: only the taps that stay inside the row.
                        for ox in border {
                            for t in 0..<kk where taps[t % kernel.w].valid?.contains(ox) == true { d[ox] += wk[t] * rows[t][ox] }
                        }
                    }
                    activation.apply(d, ow)
                }
            }
        }
    }
}

/// The 3×3 depthwise inner loop: all nine taps in one pass over the output row, so
/// the row is loaded and stored once (this loop dominates MobileNet-style networks).
@inline(__always)
func accumulate3x3(_ d: UnsafeMutablePointer<Float>, _ r: UnsafePointer<UnsafePointer<Float>>,
                           _ w: UnsafePointer<Float>, _ columns: Range<Int>) {
    let (r0, r1, r2, r3, r4, r5, r6, r7, r8) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
    let (w0, w1, w2, w3, w4, w5, w6, w7, w8) = (w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8])
    var ox = columns.lowerBound
    let end = columns.upperBound
    while ox < end {
        var acc = d[ox] + w0 * r0[ox] + w1 * r1[ox] + w2 * r2[ox]
        acc += w3 * r3[ox] + w4 * r4[ox] + w5 * r5[ox]
        acc += w6 * r6[ox] + w7 * r7[ox] + w8 * r8[ox]
        d[ox] = acc
        ox += 1
    }
}

/// The 3×3 stride-2 inner loop, four outputs at a time: each tap loads eight
/// consecutive inputs and keeps the even ones. `r[t][2*ox]` is tap t's input for ox.
/// Blocks start at most at `lastBlock`, so no load leaves the row; the rest is scalar.
@inline(__always)
func accumulate3x3Stride2(_ d: UnsafeMutablePointer<Float>, _ r: UnsafePointer<UnsafePointer<Float>>,
                                  _ w: UnsafePointer<Float>, _ columns: Range<Int>, lastBlock: Int) {
    var ox = columns.lowerBound
    while ox + 4 <= columns.upperBound, ox <= lastBlock {
        var acc = UnsafeRawPointer(d + ox).loadUnaligned(as: SIMD4<Float>.self)
        for t in 0..<9 {
            let v = UnsafeRawPointer(r[t] + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
            acc += w[t] * v.evenHalf
        }
        UnsafeMutableRawPointer(d + ox).storeBytes(of: acc, as: SIMD4<Float>.self)
        ox += 4
    }
    while ox < columns.upperBound {
        var acc = d[ox]
        for t in 0..<9 { acc += w[t] * r[t][2 * ox] }
        d[ox] = acc
        ox += 1
    }
}
