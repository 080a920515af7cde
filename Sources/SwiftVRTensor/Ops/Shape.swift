/// Copies along one axis: `torch.cat` and `Tensor.narrow`.
public enum ShapeOps {
    /// Concatenates tensors whose shapes agree except along `axis`.
    public static func concat(_ xs: [Tensor], axis: Int, arena: Arena) -> Tensor {
        let first = xs[0]
        let a = axis < 0 ? first.shape.count + axis : axis
        var shape = first.shape
        shape[a] = xs.reduce(0) { $0 + $1.dim(a) }
        for x in xs {
            precondition(x.shape.count == shape.count && x.shape.enumerated().allSatisfy { $0.offset == a || $0.element == shape[$0.offset] },
                         "concat: \(x.shape) does not fit \(shape) along axis \(a)")
        }
        let y = arena.tensor(shape)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var offset = 0
        for x in xs {
            let chunk = x.dim(a) * inner
            for o in 0..<outer {
                (y.data + o * shape[a] * inner + offset).update(from: x.data + o * chunk, count: chunk)
            }
            offset += chunk
        }
        return y
    }

    /// The elements `range` along `axis`, copied into a new tensor.
    public static func narrow(_ x: Tensor, axis: Int, range: Range<Int>, arena: Arena) -> Tensor {
        let a = axis < 0 ? x.shape.count + axis : axis
        precondition(range.lowerBound >= 0 && range.upperBound <= x.dim(a), "narrow: \(range) outside 0..<\(x.dim(a))")
        var shape = x.shape
        shape[a] = range.count
        let y = arena.tensor(shape)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        for o in 0..<outer {
            (y.data + o * range.count * inner).update(from: x.data + (o * x.dim(a) + range.lowerBound) * inner, count: range.count * inner)
        }
        return y
    }
}
