import SwiftVRTensor

/// The blend's plane operations on R×R crops: gradients, the sub-pixel shift between two
/// crops, moving a plane by a shift, and the box mean of a plane.
/// SAFETY: every pointer is a plane of R² floats in the blend's scratch or history (sized
/// in `measure` and `apply` for the crop's R), sample points and rows are clamped to the
/// plane, and the box's sums stop at the borders (TemporalBlendTests: sizes, shifts
/// to the search's limit, one and two threads).
extension TemporalBlend {
    /// Central differences (zero at the border).
    static func gradients(_ l: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ gy: UnsafeMutablePointer<Float>, size r: Int) {
        gx.initialize(repeating: 0, count: r * r)
        gy.initialize(repeating: 0, count: r * r)
        guard r > 2 else { return }
        for i in 1..<(r - 1) {
            let o = i * r
            eightAtATime(1..<(r - 1)) { j in
                vstore((vload(l + o + j + 1) - vload(l + o + j - 1)) * 0.5, gx + o + j)
                vstore((vload(l + o + r + j) - vload(l + o - r + j)) * 0.5, gy + o + j)
            } tail: { j in
                gx[o + j] = (l[o + j + 1] - l[o + j - 1]) / 2
                gy[o + j] = (l[o + r + j] - l[o - r + j]) / 2
            }
        }
    }

    /// The translation (dx, dy) with e(p + d) ≈ l(p) over the crop's interior:
    /// Lucas–Kanade, Gauss–Newton steps on l's gradients, bilinear samples of e; at most
    /// `maximumShift` pixels either way (more is not a slip of the alignment).
    static func shift(of e: UnsafePointer<Float>, onto l: UnsafePointer<Float>, _ gx: UnsafePointer<Float>,
                      _ gy: UnsafePointer<Float>, size r: Int) -> (Float, Float) {
        let margin = 8
        guard r > 2 * margin + 4 else { return (0, 0) }
        let step = max(1, (r - 2 * margin) / 64)  // a grid of about 64 × 64 samples: plenty for two unknowns
        var (hxx, hxy, hyy): (Float, Float, Float) = (0, 0, 0)
        for i in stride(from: margin, to: r - margin, by: step) {
            for j in stride(from: margin, to: r - margin, by: step) {
                let (a, b) = (gx[i * r + j], gy[i * r + j])
                hxx += a * a; hxy += a * b; hyy += b * b
            }
        }
        let det = hxx * hyy - hxy * hxy
        guard det > 1e-6 * max(1, hxx * hyy) else { return (0, 0) }  // a flat crop: nothing to lock onto
        var (dx, dy): (Float, Float) = (0, 0)
        for _ in 0..<6 {
            var (bx, by): (Float, Float) = (0, 0)
            for i in stride(from: margin, to: r - margin, by: step) {
                for j in stride(from: margin, to: r - margin, by: step) {
                    let res = bilinear(e, r, Float(j) + dx, Float(i) + dy) - l[i * r + j]
                    bx += gx[i * r + j] * res; by += gy[i * r + j] * res
                }
            }
            let (ux, uy) = ((hyy * bx - hxy * by) / det, (hxx * by - hxy * bx) / det)
            dx = min(max(dx - ux, -maximumShift), maximumShift)
            dy = min(max(dy - uy, -maximumShift), maximumShift)
            if ux * ux + uy * uy < 1e-4 { break }
        }
        return (dx, dy)
    }

    static let maximumShift: Float = 4

    @inline(__always)
    static func bilinear(_ p: UnsafePointer<Float>, _ r: Int, _ x: Float, _ y: Float) -> Float {
        let xc = min(max(x, 0), Float(r - 1)), yc = min(max(y, 0), Float(r - 1))
        let (x0, y0) = (min(Int(xc), r - 2), min(Int(yc), r - 2))
        let (fx, fy) = (xc - Float(x0), yc - Float(y0))
        let a = p[y0 * r + x0] + fx * (p[y0 * r + x0 + 1] - p[y0 * r + x0])
        let b = p[(y0 + 1) * r + x0] + fx * (p[(y0 + 1) * r + x0 + 1] - p[(y0 + 1) * r + x0])
        return a + fy * (b - a)
    }

    /// Moving a plane by a sub-pixel shift d, y(p) = x(p + d): Catmull-Rom cubic, edges
    /// clamped, one set of four weights per axis (a translation). A row pass along each
    /// row (`rowPass`), then a column pass across four of those rows (`columnPass`); the
    /// inner loops run over contiguous floats without clamping, so they vectorise.
    struct Move {
        let ix: Int, iy: Int
        let wx: SIMD4<Float>, wy: SIMD4<Float>
        let size: Int

        init(dx: Float, dy: Float, size: Int) {
            (ix, iy) = (Int(dx.rounded(.down)), Int(dy.rounded(.down)))
            (wx, wy) = (cubicWeights(dx - Float(ix)), cubicWeights(dy - Float(iy)))
            self.size = size
        }

        @inline(__always) func clamp(_ v: Int) -> Int { min(max(v, 0), size - 1) }

        /// The row passes output rows `rows` (not empty) read: their first…last index.
        func passRows(_ rows: Range<Int>) -> Range<Int> {
            clamp(rows.lowerBound + iy - 1)..<(clamp(rows.upperBound - 1 + iy + 2) + 1)
        }

        /// One row (R floats) moved along x.
        func rowPass(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            let r = size
            // Output columns whose four taps j + ix − 1 … j + ix + 2 all lie in the row.
            let (lo, hi) = (max(0, 1 - ix), min(r, r - 2 - ix))
            func clamped(_ columns: Range<Int>) {
                for j in columns {
                    var v: Float = 0
                    for t in 0..<4 { v += wx[t] * row[clamp(j + ix + t - 1)] }
                    out[j] = v
                }
            }
            guard lo < hi else { return clamped(0..<r) }
            clamped(0..<lo)
            clamped(hi..<r)
            let (w0, w1, w2, w3) = (SIMD8<Float>(repeating: wx[0]), SIMD8<Float>(repeating: wx[1]),
                                    SIMD8<Float>(repeating: wx[2]), SIMD8<Float>(repeating: wx[3]))
            let base = UnsafeRawPointer(row + ix - 1)
            var j = lo
            while j + 8 <= hi {
                @inline(__always) func at(_ k: Int) -> SIMD8<Float> { base.loadUnaligned(fromByteOffset: (j + k) &* 4, as: SIMD8<Float>.self) }
                var v = w0 * at(0)
                v += w1 * at(1)
                v += w2 * at(2)
                v += w3 * at(3)
                UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: SIMD8<Float>.self)
                j += 8
            }
            let b = row + ix - 1
            for k in j..<hi { out[k] = wx[0] * b[k] + wx[1] * b[k + 1] + wx[2] * b[k + 2] + wx[3] * b[k + 3] }
        }

        /// Output row i: rows i + iy − 1 … i + iy + 2 (clamped) of the row-passed plane, of
        /// which `pass` holds rows from `first` on.
        @inline(__always)
        func columnRows(_ i: Int, _ pass: UnsafePointer<Float>, first: Int)
            -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) {
            let r = size
            return (pass + (clamp(i + iy - 1) - first) * r, pass + (clamp(i + iy) - first) * r,
                    pass + (clamp(i + iy + 1) - first) * r, pass + (clamp(i + iy + 2) - first) * r)
        }

        /// Eight pixels of column-passed row `rows` (`columnRows`) from column j.
        @inline(__always)
        func columnLanes(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                    _ j: Int) -> SIMD8<Float> {
            SIMD8(repeating: wy[0]) * vload(rows.0 + j) + SIMD8(repeating: wy[1]) * vload(rows.1 + j)
                + SIMD8(repeating: wy[2]) * vload(rows.2 + j) + SIMD8(repeating: wy[3]) * vload(rows.3 + j)
        }

        /// One pixel of the same.
        @inline(__always)
        func columnPixel(_ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                    _ j: Int) -> Float {
            wy[0] * rows.0[j] + wy[1] * rows.1[j] + wy[2] * rows.2[j] + wy[3] * rows.3[j]
        }
    }

    /// The mean over a (2·radius + 1)² box, clipped at the image borders, of output rows
    /// `rows`: running sums down the columns (`source(i)`: input row i, for every row
    /// within `radius` of `rows`; what enters less what leaves), then of `radius` columns
    /// either side. `sums`: R floats.
    static func boxRows(_ rows: Range<Int>, radius k: Int, size r: Int, source: (Int) -> UnsafePointer<Float>,
                        sums: UnsafeMutablePointer<Float>, into target: (Int) -> UnsafeMutablePointer<Float>) {
        guard let top = rows.first else { return }
        // The sums of rows top − k … top + k − 1: the first row's box less its last row.
        // Only rows within `radius` of `rows` are read.
        sums.initialize(repeating: 0, count: r)
        @inline(__always) func add(_ row: Int, _ sign: Float) {
            let p = source(row)
            eightAtATime(0..<r) { j in vstore(vload(sums + j) + sign * vload(p + j), sums + j) } tail: { j in sums[j] += sign * p[j] }
        }
        for t in max(0, top - k)..<min(r, top + k) { add(t, 1) }
        for i in rows {
            if i + k < r { add(i + k, 1) }
            if i > top && i - k - 1 >= 0 { add(i - k - 1, -1) }
            let (t0, t1) = (max(0, i - k), min(r - 1, i + k))
            let out = target(i), rowCount = Float(t1 - t0 + 1)
            func edge(_ j: Int) {
                let (s0, s1) = (max(0, j - k), min(r - 1, j + k))
                var s: Float = 0
                for t in s0...s1 { s += sums[t] }
                out[j] = s / (rowCount * Float(s1 - s0 + 1))
            }
            guard r > 2 * k else { for j in 0..<r { edge(j) }; continue }
            for j in 0..<k { edge(j) }
            for j in (r - k)..<r { edge(j) }
            let full = 1 / (rowCount * Float(2 * k + 1))
            eightAtATime(k..<(r - k)) { j in
                var s = vload(sums + j - k)
                for t in (1 - k)...k { s += vload(sums + j + t) }
                vstore(s * full, out + j)
            } tail: { j in
                var s: Float = 0
                for t in -k...k { s += sums[j + t] }
                out[j] = s * full
            }
        }
    }
}
