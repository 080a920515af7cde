import Glibc

/// Point-wise activations, applied in place (fused into conv epilogues where possible);
/// the exponential ones eight at a time (VectorMath.swift).
public enum Activation: Sendable, Equatable {
    case none, relu, sigmoid, silu, gelu

    @inline(__always)
    public func applyInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .none: return
        case .relu: for i in 0..<n { p[i] = max(p[i], 0) }
        case .sigmoid: mapLanes(p, n) { 1 / (1 + expLanes(-$0)) }
        case .silu: mapLanes(p, n) { $0 / (1 + expLanes(-$0)) }
        case .gelu: mapLanes(p, n) { 0.5 * $0 * (1 + erfLanes($0 * 0.70710678118654752)) }
        }
    }

    public func applyInPlace(_ t: Tensor) { applyInPlace(t.data, t.count) }
}

/// y += x element-wise (shapes must match), then the activation.
public func addInPlace(_ y: Tensor, _ x: Tensor, activation: Activation = .none, pool: ThreadPool = .shared) {
    precondition(y.shape == x.shape, "add: \(y.shape) vs \(x.shape)")
    let (py, px) = (y.data, x.data)
    pool.parallelRanges(y.count, minimum: 16384) { r in
        for i in r { py[i] += px[i] }
        activation.applyInPlace(py + r.lowerBound, r.count)
    }
}
