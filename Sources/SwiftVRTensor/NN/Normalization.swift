import Glibc

/// Softmax over the last axis, in place (max-subtracted, so large logits do not overflow).
public func softmaxLastAxisInPlace(_ x: Tensor, pool: ThreadPool = .shared) {
    let d = x.dim(-1), rows = x.count / max(d, 1)
    pool.parallelRanges(rows, minimum: 64) { range in
        for r in range { softmaxRow(x.data + r * d, d) }
    }
}

/// One row's softmax in place (d floats at p). The maximum and the sum run in eight
/// lanes (scalar loops of `max` and `+=` did not vectorise: half the softmax's time).
@inline(__always)
public func softmaxRow(_ p: UnsafeMutablePointer<Float>, _ d: Int) {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= d {
        let v = load(p + i)
        lanes.replace(with: v, where: v .> lanes)
        i += 8
    }
    var m = -Float.infinity
    for j in 0..<8 where lanes[j] > m { m = lanes[j] }
    for j in i..<d where p[j] > m { m = p[j] }
    let shift = SIMD8<Float>(repeating: m)
    mapLanes(p, d) { expLanes($0 - shift) }
    var sums = SIMD8<Float>()
    i = 0
    while i + 8 <= d {
        sums += load(p + i)
        i += 8
    }
    var sum = sums.sum()
    for j in i..<d { sum += p[j] }
    let inv = 1 / sum
    for j in 0..<d { p[j] *= inv }
}

/// `nn.LayerNorm(d)` over the last axis, in place or into a new tensor.
public struct LayerNorm: Sendable {
    public let weight: Tensor, bias: Tensor  // (d), (d)
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, eps: Float = 1e-5) { (self.weight, self.bias, self.eps) = (weight, bias, eps) }

    public init(_ vb: VarBuilder, dim: Int, eps: Float = 1e-5) throws(TensorError) {
        self.init(weight: try vb.get("weight", shape: [dim]), bias: try vb.get("bias", shape: [dim]), eps: eps)
    }

    public func normalizeInPlace(_ x: Tensor, pool: ThreadPool = .shared) { normalize(x, into: x, pool: pool) }

    /// LayerNorm(x) as a new tensor from the arena (x is left as it is).
    public func callAsFunction(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let y = arena.tensor(x.shape)
        normalize(x, into: y, pool: pool)
        return y
    }

    /// Rows of x normalised into the same rows of y (y may be x).
    private func normalize(_ x: Tensor, into y: Tensor, pool: ThreadPool) {
        let d = x.dim(-1), rows = x.count / max(d, 1)
        precondition(y.count == x.count && weight.count == d && bias.count == d, "layer norm: \(x.shape) into \(y.shape), \(weight.count) weights")
        let (w, b) = (UnsafePointer(weight.data), UnsafePointer(bias.data))
        pool.parallelRanges(rows, minimum: 64) { range in
            // The sums in eight lanes where d allows (the latent tokens' 48): the scalar
            // reductions did not vectorise.
            let lanes = d / 8 * 8
            for r in range {
                let (p, q) = (UnsafePointer(x.data + r * d), y.data + r * d)
                var acc = SIMD8<Float>()
                for i in stride(from: 0, to: lanes, by: 8) { acc += load(p + i) }
                var mean = acc.sum()
                for i in lanes..<d { mean += p[i] }
                mean /= Float(d)
                let m8 = SIMD8<Float>(repeating: mean)
                acc = SIMD8<Float>()
                for i in stride(from: 0, to: lanes, by: 8) { let t = load(p + i) - m8; acc += t * t }
                var v = acc.sum()
                for i in lanes..<d { let t = p[i] - mean; v += t * t }
                let inv = 1 / sqrtf(v / Float(d) + eps)
                let inv8 = SIMD8<Float>(repeating: inv)
                for i in stride(from: 0, to: lanes, by: 8) { vstore((load(p + i) - m8) * inv8 * load(w + i) + load(b + i), q + i) }
                for i in lanes..<d { q[i] = (p[i] - mean) * inv * w[i] + b[i] }
            }
        }
    }
}
