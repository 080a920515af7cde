import SwiftVRTensor

/// The blend's plane operations on R×R crops: gradients, the sub-pixel shift between two
/// crops, moving a plane by a shift, and the box mean of a plane.
/// SAFETY: every pointer is a plane of R² floats in the blend's scratch or history (sized
/// in `measure` and `apply` for the crop's R), sample points are clamped to the plane,
/// and the box mean's running sums stop at the borders (TemporalBlendTests: sizes, shifts
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

    /// y(p) = x(p + d) for one R² plane, Catmull-Rom cubic, edges clamped: one set of four
    /// weights per axis (a translation), along rows into `pass`, then across them; the
    /// inner loops run over contiguous floats without clamping, so they vectorise.
    static func translate(_ x: UnsafePointer<Float>, by dx: Float, _ dy: Float, into y: UnsafeMutablePointer<Float>,
                          pass: UnsafeMutablePointer<Float>, size r: Int) {
        let (ix, iy) = (Int(dx.rounded(.down)), Int(dy.rounded(.down)))
        let (wx, wy) = (cubicWeights(dx - Float(ix)), cubicWeights(dy - Float(iy)))
        let clamp = { (v: Int) in min(max(v, 0), r - 1) }
        // Output columns whose four taps j + ix − 1 … j + ix + 2 all lie in the row.
        let (lo, hi) = (max(0, 1 - ix), min(r, r - 2 - ix))
        let (w0, w1, w2, w3) = (SIMD8<Float>(repeating: wx[0]), SIMD8<Float>(repeating: wx[1]),
                                SIMD8<Float>(repeating: wx[2]), SIMD8<Float>(repeating: wx[3]))
        for i in 0..<r {
            let row = x + i * r, out = pass + i * r
            func clamped(_ columns: Range<Int>) {
                for j in columns {
                    var v: Float = 0
                    for t in 0..<4 { v += wx[t] * row[clamp(j + ix + t - 1)] }
                    out[j] = v
                }
            }
            guard lo < hi else { clamped(0..<r); continue }
            clamped(0..<lo)
            clamped(hi..<r)
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
        for i in 0..<r {
            let (a, b) = (UnsafePointer(pass + clamp(i + iy - 1) * r), UnsafePointer(pass + clamp(i + iy) * r))
            let (e, f) = (UnsafePointer(pass + clamp(i + iy + 1) * r), UnsafePointer(pass + clamp(i + iy + 2) * r))
            let out = y + i * r
            for j in 0..<r { out[j] = wy[0] * a[j] + wy[1] * b[j] + wy[2] * e[j] + wy[3] * f[j] }
        }
    }

    /// The mean over a (2·radius + 1)² box, clipped at the image borders: running sums
    /// along each row into `pass`, then running column sums down the rows — each thread
    /// a band of rows with its own R column sums (`columns`, threads × R floats), started
    /// from the rows above its band.
    func boxMean(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: UnsafeMutablePointer<Float>,
                 columns: UnsafeMutablePointer<Float>, size r: Int, radius k: Int) {
        pool.parallelRanges(r, minimum: 16) { rows in
            for i in rows {
                let row = x + i * r, out = pass + i * r
                var s: Float = 0
                for j in 0..<min(k, r) { s += row[j] }
                guard r > 2 * k + 1 else {
                    for j in 0..<r {
                        if j + k < r { s += row[j + k] }
                        if j - k - 1 >= 0 { s -= row[j - k - 1] }
                        out[j] = s / Float(min(r - 1, j + k) - max(0, j - k) + 1)
                    }
                    continue
                }
                // The box enters the row, slides along it (one add on the running sum per
                // pixel: what enters less what leaves), and leaves it.
                for j in 0...k { s += row[j + k]; out[j] = s / Float(j + k + 1) }
                let full = 1 / Float(2 * k + 1)
                for j in (k + 1)..<(r - k) { s += row[j + k] - row[j - k - 1]; out[j] = s * full }
                for j in (r - k)..<r { s -= row[j - k - 1]; out[j] = s / Float(r - j + k) }
            }
        }
        let parts = max(1, min(pool.threads, r / 16))
        pool.parallelFor(parts) { part in
            let (i0, i1) = (r * part / parts, r * (part + 1) / parts)
            let sums = columns + part * r
            sums.initialize(repeating: 0, count: r)
            // The sums just before row i0: rows i0 − k − 1 … i0 + k − 1 (the first is taken
            // out again at row i0).
            for i in max(0, i0 - k - 1)..<min(r, i0 + k) { for j in 0..<r { sums[j] += pass[i * r + j] } }
            for i in i0..<i1 {
                if i + k < r { let add = pass + (i + k) * r; for j in 0..<r { sums[j] += add[j] } }
                if i - k - 1 >= 0 { let sub = pass + (i - k - 1) * r; for j in 0..<r { sums[j] -= sub[j] } }
                let scale = 1 / Float(min(r - 1, i + k) - max(0, i - k) + 1), out = y + i * r
                for j in 0..<r { out[j] = sums[j] * scale }
            }
        }
    }
}
