// The channel-blocked kernels built from NN layers: each layer hands over its weights and
// geometry (`parameters`); the kernels themselves know no NN type.

extension Conv2d {
    public var parameters: ConvParameters {
        ConvParameters(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

extension ConvTranspose2d {
    public var parameters: ConvParameters {
        ConvParameters(transposedWeight: weight, bias: bias, stride: stride, padding: padding,
                       outputPadding: outputPadding, dilation: dilation)
    }
}

extension ConvKernel {
    public init(_ conv: Conv2d) { self.init(conv.parameters) }
    public static func fits(_ conv: Conv2d) -> Bool { fits(conv.parameters) }
}

extension ConvTransposeBlocked {
    public init(_ layer: ConvTranspose2d) { self.init(layer.parameters) }
    public static func fits(_ layer: ConvTranspose2d) -> Bool { fits(layer.parameters) }
}
