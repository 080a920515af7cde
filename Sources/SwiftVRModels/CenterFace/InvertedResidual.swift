import Glibc
import SwiftVRTensor

/// MobileNetV2's inverted residual — 1×1 expand (+ activation), 3×3 depthwise
/// (+ activation), 1×1 project, plus the input when shapes allow — computed band by band
/// of output rows in the channel-blocked layout, so the expanded tensor never goes
/// through main memory.
///
/// Why: at detector resolutions the expanded tensor is six times the block's input
/// (23 MB for CenterFace's second block at 640×384), and running the three layers one
/// after another streams it out to memory and back twice; these layers are memory-bound,
/// not compute-bound. Here each thread sweeps its share of output rows, expands each
/// input row once into a buffer of a few rows that stays in cache (rows shared by two
/// bands are kept, not recomputed), runs the depthwise rows from it and projects them
/// at once, with the blocked kernels (PointwiseBlocked, DepthwiseBlocked) whose weights
/// were packed at load.
public struct InvertedResidual: Sendable {
    public let expand: Conv2d?      // 1×1 (absent when the expansion factor is 1)
    public let depthwise: Conv2d    // 3×3, groups = channels
    public let project: Conv2d      // 1×1
    public let residual: Bool       // y += x (stride 1, same channels)
    /// The same layers packed for the channel-blocked layout (nil when the channels
    /// are not multiples of 8 or the depthwise is not 3×3 / padding 1 / stride ≤ 2).
    let packed: (expand: PointwiseBlocked?, depthwise: DepthwiseBlocked, project: PointwiseBlocked)?
    /// Floats of per-thread buffer a band may use: about a core's L2 cache.
    var bandBudget = 96 * 1024

    public init(expand: Conv2d?, depthwise: Conv2d, project: Conv2d) {
        precondition(project.isPointwise && expand?.isPointwise ?? true, "inverted residual: 1×1 expand and project")
        precondition(depthwise.isDepthwise, "inverted residual: the middle layer is depthwise")
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        let blockIn = expand?.inChannels ?? depthwise.inChannels
        residual = depthwise.stride == 1 && blockIn == project.outChannels
        packed = DepthwiseBlocked.fits(depthwise) && ChannelBlocked.fits(blockIn, project.outChannels)
            ? (expand.map(PointwiseBlocked.init), DepthwiseBlocked(depthwise), PointwiseBlocked(project)) : nil
    }

    /// Whether `blocked` applies: channels in multiples of 8, a 3×3 depthwise with
    /// padding 1 and stride 1 or 2.
    public var runsBlocked: Bool { packed != nil }

    /// y = project(act(depthwise(act(expand(x))))) (+ x) on NCHW tensors, y from the arena:
    /// through the channel-blocked layout when the block runs blocked (converting in and
    /// out: a network of such blocks should stay blocked between them and call `blocked`).
    public func callAsFunction(_ x: Tensor, activation: Activation = .relu, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        guard runsBlocked else { return layerByLayer(x, activation: activation, arena: arena, pool: pool) }
        let xb = ChannelBlocked.from(x, arena: arena, pool: pool)
        return ChannelBlocked.toNCHW(blocked(xb, activation: activation, arena: arena, pool: pool), arena: arena, pool: pool)
    }

    /// The three layers one after another, each over the whole NCHW tensor (the
    /// reference the blocked path is tested against, and the path for other shapes).
    func layerByLayer(_ x: Tensor, activation: Activation = .relu, arena: Arena,
                             pool: ThreadPool = .shared) -> Tensor {
        var h = x
        if let expand { h = expand(h, activation: activation, arena: arena, pool: pool) }  // (N, hidden, H, W)
        h = depthwise(h, activation: activation, arena: arena, pool: pool)                 // (N, hidden, H/s, W/s)
        let y = project(h, arena: arena, pool: pool)                                       // (N, out, H/s, W/s)
        if residual { addInPlace(y, x, pool: pool) }
        return y
    }

    /// The block on a channel-blocked tensor (N, in/8, H, W, 8) → (N, out/8, H/s, W/s, 8).
    /// SAFETY: each thread's ring holds the expanded rows its band needs (sized from
    /// `bandBudget` and the row width at the call, never fewer than three), rows above and
    /// below the image are the shared zero row, and every block index comes from the
    /// input's shape (InvertedResidualTests: one-row and many-row bands, odd sizes).
    public func blocked(_ x: Tensor, activation: Activation = .relu, arena: Arena,
                        pool: ThreadPool = .shared) -> Tensor {
        guard let packed else { preconditionFailure("inverted residual: this block does not run blocked") }
        return arena.scoped { bands(x, packed, activation: activation, arena: arena, pool: pool) }
    }

    private func bands(_ x: Tensor, _ packed: (expand: PointwiseBlocked?, depthwise: DepthwiseBlocked, project: PointwiseBlocked),
                       activation: Activation, arena: Arena, pool: ThreadPool) -> Tensor {
        let (n, cb, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let blockIn = expand?.inChannels ?? depthwise.inChannels
        precondition(x.shape.count == 5 && cb * 8 == blockIn, "inverted residual: input \(x.shape), block wants \(blockIn) channels blocked")
        let hidden = depthwise.inChannels, cout = project.outChannels, s = depthwise.stride
        let (oh, ow) = depthwise.outputSize(h, w)
        let y = arena.tensor([n, cout / 8, oh, ow, 8])
        let relu = activation == .relu
        let other = relu || activation == .none ? nil : activation  // applied after the kernels
        // Output rows per band: the expanded rows they need ((rows − 1)·s + 3) and the
        // depthwise rows they make, for all hidden channels, within the budget.
        let perBandRow = hidden * (s * w + ow)
        let rowsPerBand = max(1, min(oh, (bandBudget - hidden * 3 * w) / max(1, perBandRow) + 1))
        // Without an expansion the depthwise rows read the input itself.
        let heldRows = expand == nil ? 0 : (rowsPerBand - 1) * s + 3
        let parts = max(1, min(pool.threads, oh))
        let expandedSize = hidden * heldRows * w, depthwiseSize = hidden * rowsPerBand * ow
        let scratch = arena.scratch(parts * (expandedSize + depthwiseSize))
        // A row of zeros for the rows above and below the image.
        let zeroRow = UnsafePointer(arena.scratch(w * 8))
        UnsafeMutablePointer(mutating: zeroRow).initialize(repeating: 0, count: w * 8)
        let (inBlock, hiddenBlock, outBlock) = (h * w * 8, heldRows * w * 8, oh * ow * 8)

        for b in 0..<n {
            let xb = x.data + b * blockIn * h * w, yb = y.data + b * cout * oh * ow
            pool.parallelFor(parts) { part in
                let expanded = scratch + part * (expandedSize + depthwiseSize)
                let rows = expanded + expandedSize
                // Input rows now in `expanded`, a ring of `heldRows` rows per channel block:
                // input row iy sits in slot iy % heldRows, so the rows a band shares with the
                // last one stay where they are instead of being moved down.
                var held = 0..<0
                @inline(__always) func slot(_ iy: Int) -> Int { iy % heldRows }
                var o0 = oh * part / parts
                let end = oh * (part + 1) / parts
                while o0 < end {
                    let o1 = min(o0 + rowsPerBand, end)
                    let need = max(0, o0 * s - 1)..<min(h, (o1 - 1) * s + 2)
                    // Keep the rows this band shares with the last one; expand the rest.
                    if let expand = packed.expand {
                        held = held.contains(need.lowerBound) ? need.lowerBound..<held.upperBound : need.lowerBound..<need.lowerBound
                        var next = held.upperBound
                        while next < need.upperBound {
                            // Fresh rows up to the end of the ring, then from its start.
                            let count = min(need.upperBound - next, heldRows - slot(next))
                            let dst = expanded + slot(next) * w * 8
                            expand(x: xb + next * w * 8, xStride: inBlock, pixels: count * w,
                                   y: dst, yStride: hiddenBlock, relu: relu)
                            if let other { for c in 0..<hidden / 8 { other.applyInPlace(dst + c * hiddenBlock, count * w * 8) } }
                            next += count
                        }
                        held = held.lowerBound..<need.upperBound
                    }
                    // Depthwise rows o0..<o1 of every channel block.
                    for c in 0..<hidden / 8 {
                        // Input row iy of this block: the input itself, or its slot in the ring.
                        let input = UnsafePointer(xb + c * inBlock), ring = UnsafePointer(expanded + c * hiddenBlock)
                        @inline(__always) func row(_ iy: Int) -> UnsafePointer<Float> {
                            expand == nil ? input + iy * w * 8 : ring + slot(iy) * w * 8
                        }
                        for oy in o0..<o1 {
                            let iy = oy * s - 1
                            let r0 = iy >= 0 ? row(iy) : zeroRow
                            let r2 = iy + 2 < h ? row(iy + 2) : zeroRow
                            let d = rows + (c * rowsPerBand + oy - o0) * ow * 8
                            packed.depthwise.row(block: c, r0, row(iy + 1), r2, w: w, ow: ow, into: d, relu: relu)
                            other?.applyInPlace(d, ow * 8)
                        }
                    }
                    // Project the band: y[:, o0·ow ..< o1·ow] = bias + W · rows (+ x).
                    packed.project(x: rows, xStride: rowsPerBand * ow * 8, pixels: (o1 - o0) * ow,
                                   y: yb + o0 * ow * 8, yStride: outBlock, relu: false,
                                   residual: residual ? UnsafePointer(xb + o0 * ow * 8) : nil, rStride: inBlock)
                    o0 = o1
                }
            }
        }
        return y
    }
}
