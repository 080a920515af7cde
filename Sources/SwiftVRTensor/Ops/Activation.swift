import Glibc

/// Point-wise activations, applied in place (fused into conv epilogues where possible);
/// the exponential ones four at a time (VectorMath.swift).
public enum Activation: Sendable, Equatable {
    case none, relu, sigmoid, tanh, silu, gelu
    case leakyRelu(Float)

    @inline(__always)
    public func apply(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .none: return
        case .relu: for i in 0..<n { p[i] = max(p[i], 0) }
        case .leakyRelu(let slope): for i in 0..<n { let v = p[i]; p[i] = v < 0 ? v * slope : v }
        case .sigmoid: map4(p, n) { 1 / (1 + exp4(-$0)) }
        case .tanh: for i in 0..<n { p[i] = tanhf(p[i]) }
        case .silu: map4(p, n) { $0 / (1 + exp4(-$0)) }
        case .gelu: map4(p, n) { 0.5 * $0 * (1 + erf4($0 * 0.70710678118654752)) }
        }
    }

    public func apply(_ t: Tensor) { apply(t.data, t.count) }
}

/// PReLU with one slope per channel, on an NCHW tensor, in place.
public func prelu(_ x: Tensor, slopes: Tensor) {
    let (n, c) = (x.dim(0), x.dim(1))
    let hw = x.count / max(n * c, 1)
    for b in 0..<n {
        for ch in 0..<c {
            let a = slopes.data[ch]
            let p = x.data + (b * c + ch) * hw
            for i in 0..<hw where p[i] < 0 { p[i] *= a }
        }
    }
}

/// y += x element-wise (shapes must match), then the activation.
public func addInPlace(_ y: Tensor, _ x: Tensor, activation: Activation = .none, pool: ThreadPool = .shared) {
    precondition(y.shape == x.shape, "add: \(y.shape) vs \(x.shape)")
    let (py, px) = (y.data, x.data)
    pool.parallelRanges(y.count, minimum: 16384) { r in
        for i in r { py[i] += px[i] }
        activation.apply(py + r.lowerBound, r.count)
    }
}
