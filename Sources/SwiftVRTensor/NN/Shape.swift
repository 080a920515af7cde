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

extension ShapeOps {
    /// `F.pixel_unshuffle(x, r)`: (N, C, H, W) → (N, C·r², H/r, W/r).
    public static func pixelUnshuffle(_ x: Tensor, _ r: Int, arena: Arena) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let (oh, ow) = (h / r, w / r)
        let y = arena.tensor([n, c * r * r, oh, ow])
        for b in 0..<n { for ch in 0..<c { for i in 0..<r { for j in 0..<r {
            let dst = y.data + ((b * c + ch) * r * r + i * r + j) * oh * ow
            let src = x.data + (b * c + ch) * h * w
            for oy in 0..<oh { for ox in 0..<ow { dst[oy * ow + ox] = src[(oy * r + i) * w + ox * r + j] } }
        } } } }
        return y
    }

    /// `F.pixel_shuffle(x, r)`: (N, C·r², H, W) → (N, C, H·r, W·r).
    public static func pixelShuffle(_ x: Tensor, _ r: Int, arena: Arena) -> Tensor {
        let (n, cr, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let c = cr / (r * r)
        let y = arena.tensor([n, c, h * r, w * r])
        for b in 0..<n { for ch in 0..<c { for i in 0..<r { for j in 0..<r {
            let src = x.data + ((b * c + ch) * r * r + i * r + j) * h * w
            let dst = y.data + (b * c + ch) * h * r * w * r
            for iy in 0..<h { for ix in 0..<w { dst[(iy * r + i) * w * r + ix * r + j] = src[iy * w + ix] } }
        } } } }
        return y
    }

    /// Swaps the first two axes of (A, B, C…): (B, A, C…).
    public static func swapFirstAxes(_ x: Tensor, arena: Arena) -> Tensor {
        let (a, b) = (x.dim(0), x.dim(1))
        let inner = x.count / (a * b)
        var shape = x.shape
        shape.swapAt(0, 1)
        let y = arena.tensor(shape)
        for i in 0..<a { for j in 0..<b { (y.data + (j * a + i) * inner).update(from: x.data + (i * b + j) * inner, count: inner) } }
        return y
    }
}

extension ShapeOps {
    /// Swaps the last two axes of (…, A, B): (…, B, A).
    public static func swapLastAxes(_ x: Tensor, arena: Arena) -> Tensor {
        let (a, b) = (x.dim(-2), x.dim(-1))
        let batch = x.count / (a * b)
        var shape = x.shape
        shape.swapAt(shape.count - 1, shape.count - 2)
        let y = arena.tensor(shape)
        for n in 0..<batch {
            let src = x.data + n * a * b, dst = y.data + n * a * b
            for i in 0..<a { for j in 0..<b { dst[j * a + i] = src[i * b + j] } }
        }
        return y
    }
}
