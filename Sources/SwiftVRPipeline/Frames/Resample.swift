import SwiftVRTensor

/// A rectangle of a frame in frame pixels (may reach outside the frame).
public struct FrameRegion: Sendable, Equatable {
    public var x: Float, y: Float, width: Float, height: Float
    public init(x: Float, y: Float, width: Float, height: Float) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
}

/// Scales a frame — or `region` of it — into a planar RGB tensor (1, 3, H, W), values
/// 0…255, bilinear, covering the top-left `size` with zeros in the rest (the padding a
/// stride-32 network needs). Pixel centres are aligned as in OpenCV's `resize`; samples
/// more than half a pixel outside the frame are zeros, like that padding.
/// SAFETY: `taps` clamps every source column and row to the frame and names the output
/// range where samples land (`inside`); rows are read through the FrameView, whose planes
/// were checked against their mapping, and written within the blob's (3, H, W).
public func resample(_ frame: FrameView, colorimetry: Colorimetry, into blob: Tensor, size: (w: Int, h: Int),
                     region: FrameRegion? = nil, pool: ThreadPool = .shared) {
    let (bh, bw) = (blob.dim(2), blob.dim(3))
    let r0 = region ?? FrameRegion(x: 0, y: 0, width: Float(frame.width), height: Float(frame.height))
    let columns = taps(count: size.w, origin: r0.x, step: r0.width / Float(size.w), length: frame.width)
    let rows = taps(count: size.h, origin: r0.y, step: r0.height / Float(size.h), length: frame.height)
    let plane = bh * bw
    let (r, g, b) = (blob.data, blob.data + plane, blob.data + 2 * plane)
    // Zeros where no sample lands (the stride padding, a region reaching outside the
    // frame); the rest is written below.
    for c in 0..<3 {
        for y in 0..<bh {
            let row = blob.data + c * plane + y * bw
            guard rows.inside.contains(y) else { row.initialize(repeating: 0, count: bw); continue }
            row.initialize(repeating: 0, count: columns.inside.lowerBound)
            (row + columns.inside.upperBound).initialize(repeating: 0, count: bw - columns.inside.upperBound)
        }
    }
    // Rows split across the pool: a 640×384 network input is ~250k pixels of four taps,
    // 2–3 ms on one core.
    let inside = rows.inside
    pool.parallelRanges(inside.count, minimum: 16) { part in
        let band = (inside.lowerBound + part.lowerBound)..<(inside.lowerBound + part.upperBound)
        switch frame.reader(colorimetry) {
        case .packed(let p): fill(p, rows: rows, band: band, columns: columns, bw: bw, r: r, g: g, b: b)
        case .i420(let p): fill(p, rows: rows, band: band, columns: columns, bw: bw, r: r, g: g, b: b)
        case .nv12(let p): fill(p, rows: rows, band: band, columns: columns, bw: bw, r: r, g: g, b: b)
        }
    }
}

/// Bilinear taps along one axis: for output index i the two source indices and the
/// weight of the second, for the outputs whose sample falls inside the frame (`inside`).
private struct Taps {
    var first: [Int], second: [Int], weight: [Float]
    var inside: Range<Int>
}

private func taps(count: Int, origin: Float, step: Float, length: Int) -> Taps {
    var t = Taps(first: .init(repeating: 0, count: count), second: .init(repeating: 0, count: count),
                 weight: .init(repeating: 0, count: count), inside: 0..<0)
    var lo = count, hi = 0
    for i in 0..<count {
        let f = origin + (Float(i) + 0.5) * step - 0.5
        guard f >= -0.5, f <= Float(length) - 0.5 else { continue }
        lo = min(lo, i); hi = max(hi, i + 1)
        let c = min(max(0, f), Float(length - 1))
        let a = min(Int(c), length - 1)
        (t.first[i], t.second[i], t.weight[i]) = (a, min(a + 1, length - 1), c - Float(a))
    }
    t.inside = lo < hi ? lo..<hi : 0..<0
    return t
}

@inline(__always)
private func fill<R: PixelReader>(_ reader: R, rows: Taps, band: Range<Int>, columns: Taps, bw: Int,
                                  r: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
    columns.first.withUnsafeBufferPointer { x0 in
        columns.second.withUnsafeBufferPointer { x1 in
            columns.weight.withUnsafeBufferPointer { wx in
                for y in band {
                    let (y0, y1, wy) = (rows.first[y], rows.second[y], rows.weight[y])
                    for x in columns.inside {
                        // Interpolate the stored samples, convert once.
                        let top = reader.raw(x0[x], y0) * (1 - wx[x]) + reader.raw(x1[x], y0) * wx[x]
                        let bottom = reader.raw(x0[x], y1) * (1 - wx[x]) + reader.raw(x1[x], y1) * wx[x]
                        let c = reader.toRGB(top * (1 - wy) + bottom * wy)
                        let o = y * bw + x
                        (r[o], g[o], b[o]) = (c.x, c.y, c.z)
                    }
                }
            }
        }
    }
}
