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
            if isPointwise {
                BLAS.sgemm(m: outChannels, n: h * w, k: inChannels, a: weight.data, lda: inChannels,
                           b: xb, ldb: h * w, c: yb, ldc: h * w)
            } else if isDepthwise {
                depthwise(xb, h, w, yb, oh, ow)
            } else {
                im2colGemm(xb, h, w, yb, oh, ow, arena: arena)
            }
            epilogue(yb, oh * ow, activation)
        }
        return y
    }

    private func epilogue(_ y: UnsafeMutablePointer<Float>, _ hw: Int, _ activation: Activation) {
        for c in 0..<outChannels {
            let p = y + c * hw
            if let bias {
                let v = bias.data[c]
                for i in 0..<hw { p[i] += v }
            }
            activation.apply(p, hw)
        }
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
                        for oy in 0..<oh {
                            let iy = oy * stride - padding + ki * dilation
                            let row = dst + oy * ow
                            guard iy >= 0, iy < h else { row.initialize(repeating: 0, count: ow); continue }
                            let src = plane + iy * w
                            for ox in 0..<ow {
                                let ix = ox * stride - padding + kj * dilation
                                row[ox] = (ix >= 0 && ix < w) ? src[ix] : 0
                            }
                        }
                    }
                }
            }
            BLAS.sgemm(m: coutG, n: cols, k: rows, a: weight.data + g * coutG * rows, lda: rows,
                       b: col, ldb: cols, c: y + g * coutG * cols, ldc: cols)
        }
    }

    private func depthwise(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int,
                           _ y: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int) {
        let kk = kernel.h * kernel.w
        for c in 0..<outChannels {
            let src = x + c * h * w
            let dst = y + c * oh * ow
            dst.initialize(repeating: 0, count: oh * ow)
            let wk = weight.data + c * kk
            for ki in 0..<kernel.h {
                for kj in 0..<kernel.w {
                    let wv = wk[ki * kernel.w + kj]
                    let off = kj * dilation - padding
                    // Output columns whose input column ox*stride+off lies inside the row.
                    let oxLo = max(0, (-off + stride - 1) / stride)
                    let oxHi = min(ow - 1, off > w - 1 ? -1 : (w - 1 - off) / stride)
                    guard oxLo <= oxHi else { continue }
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ki * dilation
                        guard iy >= 0, iy < h else { continue }
                        let s = src + iy * w + off
                        let d = dst + oy * ow
                        if stride == 1 {
                            for ox in oxLo...oxHi { d[ox] += wv * s[ox] }
                        } else {
                            for ox in oxLo...oxHi { d[ox] += wv * s[ox * stride] }
                        }
                    }
                }
            }
        }
    }
}
