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
}
