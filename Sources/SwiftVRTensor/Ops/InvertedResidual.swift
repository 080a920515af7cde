import Glibc

/// MobileNetV2's inverted residual — 1×1 expand (+ activation), 3×3 depthwise
/// (+ activation), 1×1 project, plus the input when shapes allow — computed band by band
/// of output rows, so the expanded tensor never goes through main memory.
///
/// Why: at detector resolutions the expanded tensor is six times the block's input
/// (23 MB for CenterFace's second block at 640×384), and running the three layers one
/// after another streams it out to memory and back twice; these layers are memory-bound,
/// not compute-bound. Here each thread sweeps its share of output rows, expands each
/// input row once into a buffer of a few rows that stays in cache (rows shared by two
/// bands are kept, not recomputed), runs the depthwise rows from it and projects them
/// at once. The arithmetic is the same as the three layers' (same GEMMs, same
/// depthwise loops), only the order of the work changes.
public struct InvertedResidual: Sendable {
    public let expand: Conv2d?      // 1×1 (absent when the expansion factor is 1)
    public let depthwise: Conv2d    // 3×3, groups = channels
    public let project: Conv2d      // 1×1
    public let residual: Bool       // y += x (stride 1, same channels)
    /// Floats of per-thread buffer a band may use: about a core's L2 cache.
    public var bandBudget = 96 * 1024

    public init(expand: Conv2d?, depthwise: Conv2d, project: Conv2d) {
        precondition(project.isPointwise && expand?.isPointwise ?? true, "inverted residual: 1×1 expand and project")
        precondition(depthwise.isDepthwise, "inverted residual: the middle layer is depthwise")
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        residual = depthwise.stride == 1 && (expand?.inChannels ?? depthwise.inChannels) == project.outChannels
    }

    /// Whether the banded path applies: a 3×3 depthwise with padding 1, stride 1 or 2.
    var banded: Bool {
        depthwise.kernel == (3, 3) && depthwise.padding == 1 && depthwise.dilation == 1
            && (depthwise.stride == 1 || depthwise.stride == 2)
    }

    /// y = project(act(depthwise(act(expand(x))))) (+ x), y from the arena.
    public func callAsFunction(_ x: Tensor, activation: Activation = .relu, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        banded ? arena.scoped { bands(x, activation: activation, arena: arena, pool: pool) }
               : layerByLayer(x, activation: activation, arena: arena, pool: pool)
    }

    /// The three layers one after another, each over the whole tensor (the reference
    /// the banded path is tested against, and the path for other shapes).
    public func layerByLayer(_ x: Tensor, activation: Activation = .relu, arena: Arena,
                             pool: ThreadPool = .shared) -> Tensor {
        var h = x
        if let expand { h = expand(h, activation: activation, arena: arena, pool: pool) }  // (N, hidden, H, W)
        h = depthwise(h, activation: activation, arena: arena, pool: pool)                 // (N, hidden, H/s, W/s)
        let y = project(h, arena: arena, pool: pool)                                       // (N, out, H/s, W/s)
        if residual { addInPlace(y, x, pool: pool) }
        return y
    }

    private func bands(_ x: Tensor, activation: Activation, arena: Arena, pool: ThreadPool) -> Tensor {
        let (n, cin, h, w) = (x.dim(0), x.dim(1), x.dim(2), x.dim(3))
        let blockIn = expand?.inChannels ?? depthwise.inChannels
        precondition(cin == blockIn, "inverted residual: input has \(cin) channels, block wants \(blockIn)")
        let hidden = depthwise.inChannels, cout = project.outChannels, s = depthwise.stride
        let (oh, ow) = depthwise.outputSize(h, w)
        let y = arena.tensor([n, cout, oh, ow])
        // Output rows per band: the expanded rows they need ((rows − 1)·s + 3) and the
        // depthwise rows they make, for all hidden channels, within the budget.
        let perBandRow = hidden * (s * w + ow)
        let rowsPerBand = max(1, min(oh, (bandBudget - hidden * 3 * w) / max(1, perBandRow) + 1))
        // Without an expansion the depthwise rows read the input itself.
        let heldRows = expand == nil ? 0 : (rowsPerBand - 1) * s + 3
        let parts = max(1, min(pool.threads, oh))
        let expandedSize = hidden * heldRows * w, depthwiseSize = hidden * rowsPerBand * ow
        let scratch = arena.scratch(parts * (expandedSize + depthwiseSize))
        // A row of zeros for the rows above and below the image (read from index −1 on).
        let zeros = arena.scratch(w + 16)
        zeros.initialize(repeating: 0, count: w + 16)
        let zeroRow = UnsafePointer(zeros + 1)
        // Output columns all three taps of a row can read, and the border columns.
        let valid = (0..<3).map { depthwise.validColumns(off: $0 - 1, w: w, ow: ow) }
        let lo = valid.map { $0?.lowerBound ?? ow }.max()!, hi = valid.map { $0.map { $0.upperBound + 1 } ?? 0 }.min()!
        let interior = lo < hi ? lo..<hi : 0..<0
        let border = (0..<ow).filter { !interior.contains($0) }
        let lastBlock = (w - 9) / 2  // stride 2: the last 4-output block whose 8-float loads stay in the row

        for b in 0..<n {
            let xb = x.data + b * cin * h * w, yb = y.data + b * cout * oh * ow
            pool.parallelFor(parts) { part in
                let expanded = scratch + part * (expandedSize + depthwiseSize)
                let rows = expanded + expandedSize
                var held = 0..<0  // input rows now in `expanded`, from its first row on
                var o0 = oh * part / parts
                let end = oh * (part + 1) / parts
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 9) { taps in
                    while o0 < end {
                        let o1 = min(o0 + rowsPerBand, end)
                        let need = max(0, o0 * s - 1)..<min(h, (o1 - 1) * s + 2)
                        // Keep the rows this band shares with the last one; expand the rest.
                        if let expand, held.contains(need.lowerBound) {
                            let from = need.lowerBound - held.lowerBound, keep = held.upperBound - need.lowerBound
                            if from > 0 {
                                for c in 0..<hidden {
                                    let p = expanded + c * heldRows * w
                                    memmove(p, p + from * w, keep * w * MemoryLayout<Float>.stride)
                                }
                            }
                            held = need.lowerBound..<held.upperBound
                        } else {
                            held = need.lowerBound..<need.lowerBound
                        }
                        if let expand, need.upperBound > held.upperBound {
                            let fresh = held.upperBound..<need.upperBound
                            let dst = expanded + (fresh.lowerBound - held.lowerBound) * w
                            for c in 0..<hidden {
                                (dst + c * heldRows * w).initialize(repeating: expand.bias?.data[c] ?? 0, count: fresh.count * w)
                            }
                            BLAS.sgemm(m: hidden, n: fresh.count * w, k: cin, a: expand.weight.data, lda: cin,
                                       b: xb + fresh.lowerBound * w, ldb: h * w, beta: 1, c: dst, ldc: heldRows * w)
                            for c in 0..<hidden { activation.apply(dst + c * heldRows * w, fresh.count * w) }
                            held = held.lowerBound..<need.upperBound
                        }
                        // Depthwise rows o0..<o1 of every channel.
                        for c in 0..<hidden {
                            let plane: UnsafePointer<Float>  // row iy at plane + iy·w
                            if expand == nil {
                                plane = UnsafePointer(xb + c * h * w)
                            } else {
                                plane = UnsafePointer(expanded + c * heldRows * w) - held.lowerBound * w
                            }
                            let wk = depthwise.weight.data + c * 9
                            for oy in o0..<o1 {
                                for ki in 0..<3 {
                                    let iy = oy * s - 1 + ki
                                    let row = iy >= 0 && iy < h ? plane + iy * w : zeroRow
                                    for kj in 0..<3 { taps[ki * 3 + kj] = row + kj - 1 }
                                }
                                let d = rows + (c * rowsPerBand + oy - o0) * ow
                                d.initialize(repeating: depthwise.bias?.data[c] ?? 0, count: ow)
                                let t = UnsafePointer(taps.baseAddress!)
                                if s == 2 {
                                    accumulate3x3Stride2(d, t, wk, interior, lastBlock: lastBlock)
                                } else {
                                    accumulate3x3(d, t, wk, interior)
                                }
                                for ox in border {
                                    for k in 0..<9 where valid[k % 3]?.contains(ox) == true { d[ox] += wk[k] * t[k][ox * s] }
                                }
                                activation.apply(d, ow)
                            }
                        }
                        // Project the band: y[:, o0·ow ..< o1·ow] = bias + W · rows (+ x).
                        let cols = (o1 - o0) * ow, out = yb + o0 * ow
                        for c in 0..<cout { (out + c * oh * ow).initialize(repeating: project.bias?.data[c] ?? 0, count: cols) }
                        BLAS.sgemm(m: cout, n: cols, k: hidden, a: project.weight.data, lda: hidden,
                                   b: rows, ldb: rowsPerBand * ow, beta: 1, c: out, ldc: oh * ow)
                        if residual {
                            for c in 0..<cout {
                                let yr = out + c * oh * ow, xr = xb + c * h * w + o0 * ow
                                for i in 0..<cols { yr[i] += xr[i] }
                            }
                        }
                        o0 = o1
                    }
                }
            }
        }
        return y
    }
}
