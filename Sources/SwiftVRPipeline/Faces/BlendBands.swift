import SwiftVRTensor

/// The blend's work on one earlier frame, by bands of rows: each band moves the earlier
/// luma onto this one, squares its difference from this luma and box-filters it (rows
/// within the box's radius of the band are moved too, so no band waits for another);
/// then, once B's noise level is known, each band weighs the earlier restoration, moved
/// onto this one row by row, into the output. Two parallel regions per earlier frame;
/// no plane of moved pixels is written.
/// SAFETY: a band's buffers hold the rows `Bands` counts for it: moved rows reach
/// `radius` beyond the band, their row passes three more (`Move.passRows`), and every
/// index is clamped to the plane (TemporalBlendTests: sizes, shifts, one and three threads).
extension TemporalBlend {
    /// Rows split into one band per part of the pool, and the floats each band's rows take.
    struct Bands {
        let size: Int, parts: Int, longest: Int
        init(size r: Int, parts threads: Int) {
            size = r
            parts = max(1, min(threads, r / 16))
            longest = (r + parts - 1) / parts
        }
        func rows(_ part: Int) -> Range<Int> { (size * part / parts)..<(size * (part + 1) / parts) }
        var lumaRows: Int { longest + 2 * TemporalBlend.radius + 3 }   // row passes of the moved luma
        var movedRows: Int { longest + 2 * TemporalBlend.radius }      // moved luma, then its squared difference
        var outputRows: Int { longest + 3 }                            // row passes of one restoration plane
        /// Per band: its luma rows, moved rows, three planes' output rows, and one row of sums.
        var floats: Int { (lumaRows + movedRows + 3 * outputRows + 1) * size }
        /// Band `part`'s row of sums, in the bands' buffers at `base`.
        func sums(_ base: UnsafeMutablePointer<Float>, part: Int) -> UnsafeMutablePointer<Float> {
            base + part * floats + floats - size
        }
    }

    /// Blends the earlier frame `e` (5, R, R: luma, smoothed luma, restoration) into
    /// `output`, moved by `move`; `weights` collects each pixel's weights, and with `last`
    /// the output is divided by them.
    func blendBands(_ e: UnsafePointer<Float>, move: Move, luma: UnsafePointer<Float>, box: UnsafeMutablePointer<Float>,
                    weights: UnsafeMutablePointer<Float>, output y: UnsafeMutablePointer<Float>, last: Bool) {
        let r = move.size, plane = r * r, k = Self.radius
        let bands = Bands(size: r, parts: pool.threads)
        let base = scratch.data + 9 * plane
        precondition(scratch.count >= 9 * plane + bands.parts * bands.floats, "temporal blend: scratch not sized for \(r)")
        func buffers(_ part: Int) -> (luma: UnsafeMutablePointer<Float>, moved: UnsafeMutablePointer<Float>,
                                      outputs: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
            let b = base + part * bands.floats
            let moved = b + bands.lumaRows * r, outputs = moved + bands.movedRows * r
            return (b, moved, outputs, outputs + 3 * bands.outputRows * r)
        }
        // B, the box mean of the squared difference between this luma and the earlier one moved.
        pool.parallelFor(bands.parts) { part in
            let rows = bands.rows(part), buf = buffers(part)
            let moved = max(0, rows.lowerBound - k)..<min(r, rows.upperBound + k)
            let passed = move.passRows(moved)
            for i in passed { move.rowPass(e + i * r, into: buf.luma + (i - passed.lowerBound) * r) }
            for i in moved {
                let taps = move.columnRows(i, buf.luma, first: passed.lowerBound)
                let (d, l) = (buf.moved + (i - moved.lowerBound) * r, luma + i * r)
                eightAtATime(0..<r) { j in
                    let v = vload(l + j) - move.columnLanes(taps, j)
                    vstore(v * v, d + j)
                } tail: { j in
                    let v = l[j] - move.columnPixel(taps, j)
                    d[j] = v * v
                }
            }
            Self.boxRows(rows, radius: k, size: r, source: { i in
                precondition(moved.contains(i), "temporal blend: row \(i) outside the band's moved rows \(moved)")
                return UnsafePointer(buf.moved + (i - moved.lowerBound) * r)
            }, sums: buf.sums, into: { box + $0 * r })
            // The earlier restoration's row passes, for the weighing below.
            let outputs = move.passRows(rows)
            for c in 0..<3 {
                for i in outputs {
                    move.rowPass(e + (2 + c) * plane + i * r, into: buf.outputs + (c * bands.outputRows + i - outputs.lowerBound) * r)
                }
            }
        }
        // 2σ² from where the crops agree best: a low quantile, scaled by where that
        // quantile lies for noise alone (`noiseQuantile`); a median would count fine
        // texture (hair, fabric), which resampling changes slightly from frame to
        // frame, as noise and blur it.
        let noise = max(quantile(box, plane, 0.1) / Self.noiseQuantile, 2 * Self.minimumNoise * Self.minimumNoise)
        let (scale, strength, falloff) = (1 / noise, strength, Self.falloff)
        pool.parallelFor(bands.parts) { part in
            let rows = bands.rows(part), buf = buffers(part), w = buf.sums
            let first = move.passRows(rows).lowerBound
            for i in rows {
                let b = box + i * r, o = i * r
                eightAtATime(0..<r) { j in
                    let excess = vload(b + j) * scale - 1   // clamped by a blend: pointwiseMax is a call per vector
                    vstore(-falloff * excess.replacing(with: 0, where: excess .< 0), w + j)
                } tail: { j in w[j] = -falloff * max(0, b[j] * scale - 1) }
                expInPlace(w, r)
                let plane0 = buf.outputs, plane1 = plane0 + bands.outputRows * r, plane2 = plane1 + bands.outputRows * r
                let taps = (move.columnRows(i, plane0, first: first), move.columnRows(i, plane1, first: first),
                            move.columnRows(i, plane2, first: first))
                @inline(__always) func tapsOf(_ c: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) {
                    c == 0 ? taps.0 : c == 1 ? taps.1 : taps.2
                }
                eightAtATime(0..<r) { j in
                    let wk = strength * vload(w + j)
                    let sum = vload(weights + o + j) + wk
                    vstore(sum, weights + o + j)
                    for c in 0..<3 {
                        let v = vload(y + c * plane + o + j) + wk * move.columnLanes(tapsOf(c), j)
                        vstore(last ? v * (1 / sum) : v, y + c * plane + o + j)
                    }
                } tail: { j in
                    let wk = strength * w[j]
                    weights[o + j] += wk
                    for c in 0..<3 {
                        let v = y[c * plane + o + j] + wk * move.columnPixel(tapsOf(c), j)
                        y[c * plane + o + j] = last ? v / weights[o + j] : v
                    }
                }
            }
        }
    }
}
