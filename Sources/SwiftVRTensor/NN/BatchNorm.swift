import Glibc

/// Inference-mode batch normalisation parameters, PyTorch's `nn.BatchNorm2d` buffers.
/// swiftvr never runs BatchNorm as an op: it is folded into the convolution before it
/// at load time (`Conv2d.fold`, `ConvTranspose2d.fold`).
public struct BatchNormParameters: Sendable {
    public let weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, eps: Float = 1e-5) {
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVar = runningVar
        self.eps = eps
    }

    public init(_ vb: VarBuilder, channels: Int, eps: Float = 1e-5) throws(TensorError) {
        weight = try vb.get("weight", shape: [channels])
        bias = try vb.get("bias", shape: [channels])
        runningMean = try vb.get("running_mean", shape: [channels])
        runningVar = try vb.get("running_var", shape: [channels])
        self.eps = eps
    }

    /// y = x·scale + shift per channel.
    public func scaleAndShift() -> (scale: [Float], shift: [Float]) {
        let c = weight.count
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            scale[i] = weight.data[i] / sqrtf(runningVar.data[i] + eps)
            shift[i] = bias.data[i] - runningMean.data[i] * scale[i]
        }
        return (scale, shift)
    }
}

extension Conv2d {
    /// Folds an inference-mode BatchNorm that follows this layer into its weight and bias.
    public mutating func fold(_ bn: BatchNormParameters) {
        let per = weight.count / outChannels
        let folded = bn.scaleAndShift()
        let b = bias ?? Tensor(shape: [outChannels])
        for co in 0..<outChannels {
            let p = weight.data + co * per
            for k in 0..<per { p[k] *= folded.scale[co] }
            b.data[co] = b.data[co] * folded.scale[co] + folded.shift[co]
        }
        bias = b
    }
}
