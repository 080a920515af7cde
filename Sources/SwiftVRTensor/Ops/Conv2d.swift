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

    /// y = act(conv(x) + bias), with y taken from the arena.
    public func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.dim(1) == inChannels, "conv: input has \(x.dim(1)) channels, layer wants \(inChannels)")
        let (oh, ow) = outputSize(h, w)
        let y = arena.tensor([n, outChannels, oh, ow])
        for b in 0..<n {
            let xb = x.data + b * inChannels * h * w
            let yb = y.data + b * outChannels * oh * ow
            // The output starts as the bias and the product is accumulated onto it
            // (beta = 1): no separate zeroing pass and no separate bias pass.
            fillBias(yb, oh * ow)
            if isPointwise {
                BLAS.sgemm(m: outChannels, n: h * w, k: inChannels, a: weight.data, lda: inChannels,
                           b: xb, ldb: h * w, beta: 1, c: yb, ldc: h * w)
                activation.apply(yb, outChannels * oh * ow)
            } else if isDepthwise {
                depthwise(xb, h, w, yb, oh, ow, activation: activation, arena: arena)
            } else {
                im2colGemm(xb, h, w, yb, oh, ow, arena: arena)
                activation.apply(yb, outChannels * oh * ow)
            }
        }
        return y
    }

    private func fillBias(_ y: UnsafeMutablePointer<Float>, _ hw: Int) {
        guard let bias else { y.initialize(repeating: 0, count: outChannels * hw); return }
        for c in 0..<outChannels { (y + c * hw).initialize(repeating: bias.data[c], count: hw) }
    }

    /// Output columns `ox` whose input column `ox*stride + off` lies in 0..<w.
    @inline(__always)
    private func validColumns(off: Int, w: Int, ow: Int) -> ClosedRange<Int>? {
        let lo = max(0, (-off + stride - 1) / stride)
        let hi = off > w - 1 ? -1 : min(ow - 1, (w - 1 - off) / stride)
        return lo <= hi ? lo...hi : nil
    }

    private func im2colGemm(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                            _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int, arena: Arena) {
        let cinG = inChannels / groups, coutG = outChannels / groups
        let kk = kernel.h * kernel.w
        let rows = cinG * kk, cols = oh * ow
        let col = arena.scratch(rows * cols)
        for g in 0..<groups {
            for c in 0..<cinG {
                let plane = x + (g * cinG + c) * h * w
                for ki in 0..<kernel.h {
                    for kj in 0..<kernel.w {
                        let dst = col + ((c * kernel.h + ki) * kernel.w + kj) * cols
                        let off = kj * dilation - padding
                        let valid = validColumns(off: off, w: w, ow: ow)
                        for oy in 0..<oh {
                            let iy = oy * stride - padding + ki * dilation
                            let row = dst + oy * ow
                            guard iy >= 0, iy < h, let valid else { row.initialize(repeating: 0, count: ow); continue }
                            if valid.lowerBound > 0 { row.initialize(repeating: 0, count: valid.lowerBound) }
                            if valid.upperBound < ow - 1 { (row + valid.upperBound + 1).initialize(repeating: 0, count: ow - 1 - valid.upperBound) }
                            let src = plane + iy * w + off
                            if stride == 1 {
                                (row + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                            } else {
                                for ox in valid { row[ox] = src[ox * stride] }
                            }
                        }
                    }
                }
            }
            BLAS.sgemm(m: coutG, n: cols, k: rows, a: weight.data + g * coutG * rows, lda: rows,
                       b: col, ldb: cols, beta: 1, c: y + g * coutG * cols, ldc: cols)
        }
    }

    /// Depthwise convolution accumulated onto `y` (which holds the bias), activation
    /// applied row by row while the row is in cache. For stride > 1 each input plane is
    /// first split into `stride` column phases, so every inner loop is contiguous and
    /// vectorises.
    private func depthwise(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                           _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int,
                           activation: Activation, arena: Arena) {
        let phaseLength = (w + stride - 1) / stride
        let phases = stride > 1 ? arena.scratch(stride * h * phaseLength) : nil
        let taps = (0..<kernel.w).map { kj -> (off: Int, valid: ClosedRange<Int>?) in
            let off = kj * dilation - padding
            return (off, validColumns(off: off, w: w, ow: ow))
        }
        for c in 0..<outChannels {
            var src = x + c * h * w
            var rowStride = w
            if let phases {
                for r in 0..<stride {
                    for iy in 0..<h {
                        let from = src + iy * w + r, to = phases + (r * h + iy) * phaseLength
                        var i = 0
                        while i * stride + r < w { to[i] = from[i * stride]; i += 1 }
                    }
                }
                src = UnsafePointer(phases)
                rowStride = phaseLength
            }
            let dst = y + c * oh * ow
            let wk = weight.data + c * kernel.h * kernel.w
            for oy in 0..<oh {
                let d = dst + oy * ow
                for ki in 0..<kernel.h {
                    let iy = oy * stride - padding + ki * dilation
                    guard iy >= 0, iy < h else { continue }
                    for kj in 0..<kernel.w {
                        guard let valid = taps[kj].valid else { continue }
                        let wv = wk[ki * kernel.w + kj]
                        let off = taps[kj].off
                        // Input column of output ox is ox*stride + off = (ox + q)*stride + r.
                        let r = ((off % stride) + stride) % stride, q = (off - r) / stride
                        let s = src + (r * h + iy) * rowStride + q
                        var ox = valid.lowerBound
                        let end = valid.upperBound + 1
                        while ox < end { d[ox] += wv * s[ox]; ox += 1 }
                    }
                }
                activation.apply(d, ow)
            }
        }
    }
}
