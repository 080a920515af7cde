import SwiftVRTensor

/// Scales a frame into a planar RGB tensor (1, 3, H, W), values 0…255, bilinear,
/// with the frame covering the top-left `size` and zeros in the rest (the padding a
/// stride-32 network needs). Pixel centres are aligned as in OpenCV's `resize`.
public func resample(_ frame: FrameView, colorimetry: Colorimetry, into blob: Tensor, size: (w: Int, h: Int)) {
    let (bh, bw) = (blob.dim(2), blob.dim(3))
    blob.data.initialize(repeating: 0, count: blob.count)
    let sx = Float(frame.width) / Float(size.w), sy = Float(frame.height) / Float(size.h)
    // Column taps, computed once per call.
    var x0 = [Int](repeating: 0, count: size.w), x1 = x0
    var wx = [Float](repeating: 0, count: size.w)
    for x in 0..<size.w {
        let fx = max(0, (Float(x) + 0.5) * sx - 0.5)
        let i = min(Int(fx), frame.width - 1)
        x0[x] = i
        x1[x] = min(i + 1, frame.width - 1)
        wx[x] = fx - Float(i)
    }
    let plane = bh * bw
    let (r, g, b) = (blob.data, blob.data + plane, blob.data + 2 * plane)
    switch frame.reader(colorimetry) {
    case .packed(let p): fill(p, size: size, sy: sy, frameHeight: frame.height, x0: x0, x1: x1, wx: wx, bw: bw, r: r, g: g, b: b)
    case .i420(let p): fill(p, size: size, sy: sy, frameHeight: frame.height, x0: x0, x1: x1, wx: wx, bw: bw, r: r, g: g, b: b)
    case .nv12(let p): fill(p, size: size, sy: sy, frameHeight: frame.height, x0: x0, x1: x1, wx: wx, bw: bw, r: r, g: g, b: b)
    }
}

@inline(__always)
private func fill<R: PixelReader>(_ reader: R, size: (w: Int, h: Int), sy: Float, frameHeight: Int,
                                  x0: [Int], x1: [Int], wx: [Float], bw: Int,
                                  r: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
    for y in 0..<size.h {
        let fy = max(0, (Float(y) + 0.5) * sy - 0.5)
        let y0 = min(Int(fy), frameHeight - 1), y1 = min(y0 + 1, frameHeight - 1)
        let wy = fy - Float(y0)
        for x in 0..<size.w {
            // Interpolate the stored samples, convert once.
            let top = reader.raw(x0[x], y0) * (1 - wx[x]) + reader.raw(x1[x], y0) * wx[x]
            let bottom = reader.raw(x0[x], y1) * (1 - wx[x]) + reader.raw(x1[x], y1) * wx[x]
            let c = reader.toRGB(top * (1 - wy) + bottom * wy)
            let o = y * bw + x
            (r[o], g[o], b[o]) = (c.x, c.y, c.z)
        }
    }
}
