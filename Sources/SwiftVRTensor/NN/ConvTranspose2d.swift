/// Transposed 2-D convolution over NCHW tensors, PyTorch's `nn.ConvTranspose2d`
/// (groups = 1): one SGEMM to columns, then col2im adds each column into the output.
public struct ConvTranspose2d: Sendable {
    public var weight: Tensor  // (in, out, kh, kw)
    public var bias: Tensor?   // (out)
    public let inChannels: Int, outChannels: Int
    public let kernel: (h: Int, w: Int)
    public let stride: Int, padding: Int, outputPadding: Int, dilation: Int

    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1) {
        self.weight = weight
        self.bias = bias
        inChannels = weight.dim(0)
        outChannels = weight.dim(1)
        kernel = (weight.dim(2), weight.dim(3))
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
    }

    public init(_ vb: VarBuilder, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1,
                padding: Int = 0, outputPadding: Int = 0, bias: Bool = true) throws(TensorError) {
        let w = try vb.get("weight", shape: [inChannels, outChannels, kernel, kernel])
        let b = bias ? try vb.get("bias", shape: [outChannels]) : nil
        self.init(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding)
    }

    public func outputSize(_ h: Int, _ w: Int) -> (h: Int, w: Int) {
        ((h - 1) * stride - 2 * padding + dilation * (kernel.h - 1) + outputPadding + 1,
         (w - 1) * stride - 2 * padding + dilation * (kernel.w - 1) + outputPadding + 1)
    }

    /// Folds an inference-mode BatchNorm that follows this layer into its weight and bias.
    public mutating func fold(_ bn: BatchNormParameters) {
        let kk = kernel.h * kernel.w
        let folded = bn.scaleAndShift()
        let b = bias ?? Tensor(shape: [outChannels])
        for co in 0..<outChannels {
            let (s, t) = (folded.scale[co], folded.shift[co])
            for ci in 0..<inChannels {
                let p = weight.data + (ci * outChannels + co) * kk
                for k in 0..<kk { p[k] *= s }
            }
            b.data[co] = b.data[co] * s + t
        }
        bias = b
    }

    /// The plain NCHW path: the reference the blocked kernel (`ConvTransposeBlocked`) is tested against.
    func callAsFunction(_ x: Tensor, activation: Activation = .none, arena: Arena) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.dim(1) == inChannels, "deconv: input has \(x.dim(1)) channels, layer wants \(inChannels)")
        let (oh, ow) = outputSize(h, w)
        let y = arena.tensor([n, outChannels, oh, ow])
        let rows = outChannels * kernel.h * kernel.w, hw = h * w
        arena.scoped {
            let col = arena.scratch(rows * hw)
            for b in 0..<n {
                let xb = x.data + b * inChannels * hw
                let yb = y.data + b * outChannels * oh * ow
                // col(rows × hw) = Wᵀ(rows × in) · x(in × hw)
                BLAS.sgemm(transA: true, m: rows, n: hw, k: inChannels, a: weight.data, lda: rows,
                           b: xb, ldb: hw, c: col, ldc: hw)
                yb.initialize(repeating: 0, count: outChannels * oh * ow)
                for co in 0..<outChannels {
                    let dst = yb + co * oh * ow
                    for ki in 0..<kernel.h {
                        for kj in 0..<kernel.w {
                            let src = col + ((co * kernel.h + ki) * kernel.w + kj) * hw
                            for iy in 0..<h {
                                let oy = iy * stride - padding + ki * dilation
                                guard oy >= 0, oy < oh else { continue }
                                for ix in 0..<w {
                                    let ox = ix * stride - padding + kj * dilation
                                    if ox >= 0, ox < ow { dst[oy * ow + ox] += src[iy * w + ix] }
                                }
                            }
                        }
                    }
                    if let bias {
                        let v = bias.data[co]
                        for i in 0..<(oh * ow) { dst[i] += v }
                    }
                    activation.applyInPlace(dst, oh * ow)
                }
            }
        }
        return y
    }
}
