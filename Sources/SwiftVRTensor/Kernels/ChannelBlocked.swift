/// The channel-blocked layout, (N, C/8, H, W, 8): channels in groups of eight, each
/// group an image whose pixels are eight consecutive floats — onnxruntime MLAS's
/// NCHWc8, one AVX register per pixel.
///
/// Why: in NCHW a 1×1 convolution is an SGEMM whose weights OpenBLAS packs again on
/// every call, and a depthwise 3×3 vectorises along a row with border cases at both
/// ends. Blocked, a 1×1 convolution is a register tile of output channels × pixels
/// over weights packed once at load (PointwiseBlocked), and a depthwise 3×3 is the same
/// eight-wide multiply-add at every pixel, borders included. Elementwise ops
/// (activations, additions) do not care about the layout.
/// SAFETY: conversions index by the NCHW shape on one side and (N, C/8, H, W, 8) on the
/// other; the precondition ties C to the block count, channels past C are written as
/// zeros and never read (ChannelBlockedTests round-trips odd channel counts).
public enum ChannelBlocked {
    /// Channels per block: one 256-bit register of floats.
    public static let width = 8
    public typealias Vector = SIMD8<Float>

    /// Whether a layer with these channel counts can run blocked.
    public static func fits(_ channels: Int...) -> Bool { channels.allSatisfy { $0 % width == 0 } }

    /// Channel blocks for `c` channels (the last one zero-padded when c is not a multiple of 8).
    public static func blocks(_ c: Int) -> Int { (c + width - 1) / width }

    /// (N, C, H, W) → (N, ⌈C/8⌉, H, W, 8), from the arena; missing lanes of a last
    /// partial block are zeros.
    public static func from(_ x: Tensor, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        let (n, c, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let y = arena.tensor([n, blocks(c), h, w, width])
        transpose(planar: x.data, blocked: y.data, images: n, channels: c, planeSize: h * w, toBlocked: true, pool: pool)
        return y
    }

    /// (N, C/8, H, W, 8) → (N, channels, H, W) from the arena: the first `channels`
    /// (default all) of the blocked tensor's channels.
    public static func toNCHW(_ x: Tensor, channels: Int? = nil, arena: Arena, pool: ThreadPool = .shared) -> Tensor {
        precondition(x.shape.count == 5 && x.dim(4) == width, "channel-blocked layout: got shape \(x.shape)")
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let c = channels ?? cb * width
        precondition(blocks(c) == cb, "channel-blocked layout: \(c) channels from \(cb) blocks")
        let y = arena.tensor([n, c, h, w])
        transpose(planar: y.data, blocked: x.data, images: n, channels: c, planeSize: h * w, toBlocked: false, pool: pool)
        return y
    }

    /// Each group of (up to) eight planes of `hw` floats ↔ `hw` pixels of eight floats:
    /// the same 8 × hw block transposed one way or the other, groups split across the pool.
    private static func transpose(planar: UnsafeMutablePointer<Float>, blocked: UnsafeMutablePointer<Float>, images n: Int,
                                  channels c: Int, planeSize hw: Int, toBlocked: Bool, pool: ThreadPool) {
        let cb = blocks(c), total = n * cb
        let parts = max(1, min(pool.threads, total))
        pool.parallelFor(parts) { part in
            for g in (total * part / parts)..<(total * (part + 1) / parts) {
                let (b, blk) = (g / cb, g % cb)
                let lanes = min(width, c - blk * width)
                let p = planar + (b * c + blk * width) * hw, q = blocked + g * width * hw
                // Planar index j·hw + i ↔ blocked index i·8 + j; the write side runs contiguously.
                if toBlocked {
                    for i in 0..<hw { for j in 0..<width { q[i * width + j] = j < lanes ? p[j * hw + i] : 0 } }
                } else {
                    for j in 0..<lanes { for i in 0..<hw { p[j * hw + i] = q[i * width + j] } }
                }
            }
        }
    }
}

/// acc + a·b, eight lanes: one FMA instruction where the target has FMA (SWIFTVR_FMA,
/// set by Package.swift), a multiply and an add elsewhere — never the per-lane fmaf
/// calls LLVM falls back to without the instruction.
@inline(__always)
func madd(_ acc: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    #if SWIFTVR_FMA
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}
