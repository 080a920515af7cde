/// 2-D pooling over NCHW tensors, PyTorch's `nn.MaxPool2d` and `nn.AvgPool2d`
/// (average counts padded positions, PyTorch's default `count_include_pad=True`).
public enum Pool2d {
    public enum Kind { case max, average }

    public static func apply(_ x: Tensor, kind: Kind, kernel k: Int, stride s: Int, padding p: Int = 0,
                                      arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
        let y = arena.tensor([n, c, oh, ow])   // (N, C, H', W')
        let area = Float(k * k)
        pool.parallelRanges(n * c) { planes in
            for plane in planes {
                let src = x.data + plane * h * w, dst = y.data + plane * oh * ow
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var acc: Float = kind == .max ? -.infinity : 0
                        for ky in 0..<k {
                            let iy = oy * s - p + ky
                            guard iy >= 0, iy < h else { continue }
                            for kx in 0..<k {
                                let ix = ox * s - p + kx
                                guard ix >= 0, ix < w else { continue }
                                let v = src[iy * w + ix]
                                acc = kind == .max ? max(acc, v) : acc + v
                            }
                        }
                        dst[oy * ow + ox] = kind == .max ? acc : acc / area
                    }
                }
            }
        }
        return y
    }
}
