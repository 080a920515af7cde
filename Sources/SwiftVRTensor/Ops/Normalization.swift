import Glibc

/// Softmax over the last axis, in place (max-subtracted, so large logits do not overflow).
public func softmaxLastAxis(_ x: Tensor, pool: ThreadPool = .shared) {
    let d = x.dim(-1), rows = x.count / max(d, 1)
    pool.parallelRanges(rows, minimum: 64) { range in
        for r in range { softmaxRow(x.data + r * d, d) }
    }
}

@inline(__always)
func softmaxRow(_ p: UnsafeMutablePointer<Float>, _ d: Int) {
    var m = -Float.infinity
    for i in 0..<d { m = max(m, p[i]) }
    let shift = SIMD4<Float>(repeating: m)
    map4(p, d) { exp4($0 - shift) }
    var sum: Float = 0
    for i in 0..<d { sum += p[i] }
    let inv = 1 / sum
    for i in 0..<d { p[i] *= inv }
}

/// `nn.LayerNorm(d)` over the last axis, in place.
public struct LayerNorm: Sendable {
    public let weight: Tensor, bias: Tensor  // (d), (d)
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, eps: Float = 1e-5) { (self.weight, self.bias, self.eps) = (weight, bias, eps) }

    public init(_ vb: VarBuilder, dim: Int, eps: Float = 1e-5) throws(TensorError) {
        self.init(weight: try vb.get("weight", shape: [dim]), bias: try vb.get("bias", shape: [dim]), eps: eps)
    }

    public func callAsFunction(_ x: Tensor, pool: ThreadPool = .shared) {
        let d = x.dim(-1), rows = x.count / max(d, 1)
        pool.parallelRanges(rows, minimum: 64) { range in
            for r in range {
                let p = x.data + r * d
                var mean: Float = 0
                for i in 0..<d { mean += p[i] }
                mean /= Float(d)
                var v: Float = 0
                for i in 0..<d { let t = p[i] - mean; v += t * t }
                let inv = 1 / sqrtf(v / Float(d) + eps)
                for i in 0..<d { p[i] = (p[i] - mean) * inv * weight.data[i] + bias.data[i] }
            }
        }
    }
}

/// `nn.GroupNorm(groups, channels)` over NCHW, in place.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let weight: Tensor, bias: Tensor  // (C), (C)
    public let eps: Float

    public init(groups: Int, weight: Tensor, bias: Tensor, eps: Float = 1e-5) {
        (self.groups, self.weight, self.bias, self.eps) = (groups, weight, bias, eps)
    }

    public init(_ vb: VarBuilder, groups: Int, channels: Int, eps: Float = 1e-5) throws(TensorError) {
        self.init(groups: groups, weight: try vb.get("weight", shape: [channels]), bias: try vb.get("bias", shape: [channels]), eps: eps)
    }

    public func callAsFunction(_ x: Tensor, pool: ThreadPool = .shared) {
        let (n, c) = (x.dim(0), x.dim(1))
        let hw = x.count / max(n * c, 1), cg = c / groups
        pool.parallelRanges(n * groups) { range in
            for ng in range {
                let (b, g) = (ng / groups, ng % groups)
                let p = x.data + (b * c + g * cg) * hw
                let count = cg * hw
                var mean: Double = 0
                for i in 0..<count { mean += Double(p[i]) }
                mean /= Double(count)
                var v: Double = 0
                for i in 0..<count { let t = Double(p[i]) - mean; v += t * t }
                let inv = Float(1 / (v / Double(count) + Double(eps)).squareRoot())
                let m = Float(mean)
                for ch in 0..<cg {
                    let (wv, bv) = (weight.data[g * cg + ch], bias.data[g * cg + ch])
                    let q = p + ch * hw
                    for i in 0..<hw { q[i] = (q[i] - m) * inv * wv + bv }
                }
            }
        }
    }
}
