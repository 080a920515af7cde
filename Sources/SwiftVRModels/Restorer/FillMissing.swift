import SwiftVRTensor

/// Push-pull fill of missing pixels from the known ones (restorer/fill_missing.py `fill_missing`): known
/// pixels are averaged down a pyramid (2×2 sums of colour·weight and of weight, a cell's
/// weight capped at 1, cells beyond an odd edge unknown), then each level's holes take
/// the bilinearly upsampled colour of the level below, blended by the cell's weight.
/// Known pixels keep their values exactly, and a frame with no missing pixel is returned
/// unchanged. The restorer then corrects a smooth fill rather than a black hole, whose
/// content lies further away than its convolutions and 8×8 windows reach.
/// frames (T, C, H, W), missing (T, 1, H, W) with 1 = missing → (T, C, H, W)
public func fillMissing(_ frames: Tensor, missing: Tensor, arena: Arena) -> Tensor {
    PushPull.fill(frames, missing: missing, arena: arena)
}

private enum PushPull {
    static func fill(_ frames: Tensor, missing: Tensor, arena: Arena) -> Tensor {
        let (t, ch, h, w) = (frames.dim(0), frames.dim(1), frames.dim(2), frames.dim(3))
        let out = copy(frames, arena: arena)
        for f in 0..<t {
            let m = missing.data + f * h * w
            guard (0..<(h * w)).contains(where: { m[$0] != 0 }) else { continue }
            fillFrame(out.data + f * ch * h * w, channels: ch, h: h, w: w, missing: m, arena: arena)
        }
        return out
    }

    /// One level of the pyramid: premultiplied colour (C, h, w) and weight (h, w).
    private struct Level { let colour: UnsafeMutablePointer<Float>, weight: UnsafeMutablePointer<Float>, h: Int, w: Int }

    /// Fills one frame (C, H, W) in place.
    /// SAFETY: every level's planes come from the arena at that level's (h, w), halved
    /// (rounded up) per level, and each pass reads a level's own size or its parent's
    /// 2×2 block, clamped at the odd edge (RestorerParityTests.testFillMissingMatchesPyTorch).
    private static func fillFrame(_ frame: UnsafeMutablePointer<Float>, channels ch: Int, h: Int, w: Int,
                             missing: UnsafePointer<Float>, arena: Arena) {
        var levels: [Level] = []
        var cur = Level(colour: arena.tensor([ch, h, w]).data, weight: arena.tensor([h, w]).data, h: h, w: w)
        for i in 0..<(h * w) { cur.weight[i] = 1 - missing[i] }
        for c in 0..<ch { for i in 0..<(h * w) { cur.colour[c * h * w + i] = frame[c * h * w + i] * cur.weight[i] } }
        let cs = arena.tensor([ch]).data                                // one cell's colour sums
        while max(cur.h, cur.w) > 1 {                                   // push: sums over 2×2 cells
            levels.append(cur)
            let (nh, nw) = ((cur.h + 1) / 2, (cur.w + 1) / 2)
            let next = Level(colour: arena.tensor([ch, nh, nw]).data, weight: arena.tensor([nh, nw]).data, h: nh, w: nw)
            for y in 0..<nh {
                for x in 0..<nw {
                    var ws: Float = 0
                    cs.initialize(repeating: 0, count: ch)
                    for yy in (2 * y)..<min(2 * y + 2, cur.h) {
                        for xx in (2 * x)..<min(2 * x + 2, cur.w) {
                            let i = yy * cur.w + xx
                            ws += cur.weight[i]
                            for c in 0..<ch { cs[c] += cur.colour[c * cur.h * cur.w + i] }
                        }
                    }
                    let capped = min(ws, 1), j = y * nw + x
                    next.weight[j] = capped
                    for c in 0..<ch { next.colour[c * nh * nw + j] = cs[c] / max(ws, 1e-6) * capped }
                }
            }
            cur = next
        }
        // The coarsest level is one cell: the known pixels' mean colour (0 if none).
        var filled = arena.tensor([ch, 1, 1]).data
        for c in 0..<ch { filled[c] = cur.colour[c] / max(cur.weight[0], 1e-6) }
        var (fh, fw) = (1, 1)
        for level in levels.reversed() {                                // pull: holes take the coarser fill
            let target = level.h == h && level.w == w ? frame : arena.tensor([ch, level.h, level.w]).data
            let (ys, xs) = (taps(level.h, from: fh), taps(level.w, from: fw))
            for c in 0..<ch {
                let src = filled + c * fh * fw
                for y in 0..<level.h {
                    let (y0, y1, ly) = ys[y]
                    for x in 0..<level.w {
                        let (x0, x1, lx) = xs[x]
                        let up = (1 - ly) * ((1 - lx) * src[y0 * fw + x0] + lx * src[y0 * fw + x1])
                               + ly * ((1 - lx) * src[y1 * fw + x0] + lx * src[y1 * fw + x1])
                        let i = y * level.w + x
                        target[c * level.h * level.w + i] = level.colour[c * level.h * level.w + i] + (1 - level.weight[i]) * up
                    }
                }
            }
            (filled, fh, fw) = (target, level.h, level.w)
        }
    }

    /// Source taps of a 2× bilinear upsampling (half-pixel centres, clamped at the
    /// edges, as F.interpolate with align_corners=False) for the first `count` outputs.
    private static func taps(_ count: Int, from n: Int) -> [(Int, Int, Float)] {
        (0..<count).map { o in
            let src = max(Float(o) * 0.5 - 0.25, 0)
            let i0 = min(Int(src), n - 1)
            return (i0, min(i0 + 1, n - 1), src - Float(i0))
        }
    }
}
