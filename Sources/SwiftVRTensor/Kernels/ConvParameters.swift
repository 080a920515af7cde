/// What a kernel needs of a convolution: its weights, in PyTorch's layout, and its
/// geometry. Kernels take this value, never an NN layer; the layers hand theirs over
/// (`Conv2d.parameters`, `ConvTranspose2d.parameters`).
public struct ConvParameters: Sendable {
    /// (out, in / groups, kh, kw); a transposed convolution's is (in, out, kh, kw).
    public let weight: Tensor
    public let bias: Tensor?   // (out)
    public let inChannels: Int, outChannels: Int
    public let kernel: (h: Int, w: Int)
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    /// A transposed convolution's extra output rows and columns.
    public let outputPadding: Int

    /// A convolution's parameters; the channel counts and kernel size are read from `weight`.
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        (self.weight, self.bias) = (weight, bias)
        (outChannels, inChannels) = (weight.dim(0), weight.dim(1) * groups)
        kernel = (weight.dim(2), weight.dim(3))
        (self.stride, self.padding, self.dilation, self.groups, outputPadding) = (stride, padding, dilation, groups, 0)
    }

    /// A transposed convolution's parameters (weight (in, out, kh, kw)).
    public init(transposedWeight weight: Tensor, bias: Tensor?, stride: Int, padding: Int, outputPadding: Int, dilation: Int) {
        (self.weight, self.bias) = (weight, bias)
        (inChannels, outChannels) = (weight.dim(0), weight.dim(1))
        kernel = (weight.dim(2), weight.dim(3))
        (self.stride, self.padding, self.dilation, groups, self.outputPadding) = (stride, padding, dilation, 1, outputPadding)
    }

    public var isPointwise: Bool { kernel == (1, 1) && stride == 1 && padding == 0 && groups == 1 }
    public var isDepthwise: Bool { groups == inChannels && groups == outChannels && groups > 1 }
}

/// A kernel built from a convolution's parameters, for the shapes `fits` accepts.
public protocol ConvKernel {
    init(_ parameters: ConvParameters)
    static func fits(_ parameters: ConvParameters) -> Bool
}
