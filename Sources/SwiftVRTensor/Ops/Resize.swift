/// Upsampling of NCHW tensors, PyTorch's `F.interpolate`.
public enum Upsample {
    /// Nearest neighbour by an integer factor (`mode="nearest"`, `scale_factor=s`).
    public static func nearest(_ x: Tensor, scale s: Int, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let y = arena.tensor([n, c, h * s, w * s])   // (N, C, H·s, W·s)
        pool.parallelRanges(n * c) { planes in
            for p in planes {
                let src = x.data + p * h * w, dst = y.data + p * h * s * w * s
                for iy in 0..<h {
                    let row = dst + iy * s * w * s
                    for ix in 0..<w { (row + ix * s).initialize(repeating: src[iy * w + ix], count: s) }
                    for k in 1..<s { (row + k * w * s).update(from: row, count: w * s) }
                }
            }
        }
        return y
    }

    /// Bilinear to (outH, outW) with half-pixel centres (`mode="bilinear", align_corners=False`).
    public static func bilinear(_ x: Tensor, height oh: Int, width ow: Int, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let y = arena.tensor([n, c, oh, ow])   // (N, C, outH, outW)
        let (sy, sx) = (Float(h) / Float(oh), Float(w) / Float(ow))
        func taps(_ o: Int, _ scale: Float, _ size: Int) -> (Int, Int, Float) {
            let f = max(0, (Float(o) + 0.5) * scale - 0.5)
            let i0 = min(Int(f), size - 1)
            return (i0, min(i0 + 1, size - 1), f - Float(i0))
        }
        let cols = (0..<ow).map { taps($0, sx, w) }
        pool.parallelRanges(n * c) { planes in
            for p in planes {
                let src = x.data + p * h * w, dst = y.data + p * oh * ow
                for oy in 0..<oh {
                    let (y0, y1, fy) = taps(oy, sy, h)
                    let r0 = src + y0 * w, r1 = src + y1 * w
                    for ox in 0..<ow {
                        let (x0, x1, fx) = cols[ox]
                        let top = r0[x0] + (r0[x1] - r0[x0]) * fx
                        let bottom = r1[x0] + (r1[x1] - r1[x0]) * fx
                        dst[oy * ow + ox] = top + (bottom - top) * fy
                    }
                }
            }
        }
        return y
    }
}
