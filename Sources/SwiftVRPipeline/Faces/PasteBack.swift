import Glibc
import SwiftVRTensor

/// Puts a processed face crop back into its frame through the inverse alignment,
/// blended with a feathered mask so no seam or box shows.
///
/// The face pipeline pastes the restorer's *change* (`adding`): the crop holds restored
/// minus cut pixels, and the frame gets that difference, resampled. A face larger than
/// its crop keeps the detail finer than the crop can hold, and a face the restorer
/// leaves alone comes back bit for bit. Without `adding` the crop replaces the pixels.
///
/// The mask is 1 inside the crop and falls smoothly to 0 over the outer `feather`
/// fraction of it; frame pixels the crop does not cover are never written. For 4:2:0
/// formats luma is written per pixel and each chroma sample from the mean of its 2×2
/// block, so untouched pixels of a block keep their colour.
public enum PasteBack {
    public static let margin: Float = 0.02
    public static let feather: Float = 0.08

    /// Mask weight at crop coordinates (u, v) for a crop of `size`.
    @inline(__always)
    public static func mask(_ u: Float, _ v: Float, size: Int) -> Float {
        let s = Float(size)
        let d = min(min(u, v), min(s - u, s - v)) * (1 / s)
        let t = min(max((d - margin) * (1 / feather), 0), 1)
        return t * t * (3 - 2 * t)
    }

    /// Frame pixels (x0..<x1, y0..<y1) the crop can reach, clipped to the frame.
    public static func footprint(_ crop: FaceCrop, width: Int, height: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let inv = crop.toCrop.inverse
        let s = Float(crop.size)
        let corners = [inv.apply(0, 0), inv.apply(s, 0), inv.apply(0, s), inv.apply(s, s)]
        guard corners.allSatisfy({ abs($0.x) < 1e7 && abs($0.y) < 1e7 }) else { return (0, 0, 0, 0) }
        let x0 = max(0, Int(floorf(corners.map(\.x).min()!))), y0 = max(0, Int(floorf(corners.map(\.y).min()!)))
        let x1 = min(width, Int(ceilf(corners.map(\.x).max()!)) + 1), y1 = min(height, Int(ceilf(corners.map(\.y).max()!)) + 1)
        return (x0, y0, max(x0, x1), max(y0, y1))
    }

    /// The restored colour and mask weight for frame pixel (x, y), or nil where the mask is
    /// 0; `packed` is the crop's pixels packed (`pack`).
    @inline(__always)
    static func sample(_ toCrop: SimilarityTransform, _ packed: UnsafeRawPointer, size: Int, _ x: Int, _ y: Int,
                       taps n: Int) -> (SIMD3<Float>, Float)? {
        let c = toCrop.apply(Float(x) + 0.5, Float(y) + 0.5)
        let m = mask(c.x, c.y, size: size)
        guard m > 0 else { return nil }
        if n == 1 {
            let p = bicubic(packed, width: size, height: size, c.x - 0.5, c.y - 0.5)
            return (SIMD3(p.x, p.y, p.z), m)
        }
        var acc = SIMD4<Float>(repeating: 0)
        let step = toCrop.scale / Float(n)
        for sy in 0..<n {
            for sx in 0..<n {
                let dx = (Float(sx) + 0.5) * step - toCrop.scale / 2, dy = (Float(sy) + 0.5) * step - toCrop.scale / 2
                acc += bicubic(packed, width: size, height: size, c.x + dx - 0.5, c.y + dy - 0.5)
            }
        }
        acc /= Float(n * n)
        return (SIMD3(acc.x, acc.y, acc.z), m)
    }

    /// Blends `crop` into `frame` in place, or with `adding` adds it (a change) under the mask.
    /// `only` (frame x, y → whether to write it): pixels it refuses keep their value.
    /// `scratch`: where the crop is packed for sampling (a new arena when nil).
    public static func paste(_ crop: FaceCrop, into frame: FrameView, colorimetry: Colorimetry, adding: Bool = false,
                             only: ((Int, Int) -> Bool)? = nil, scratch: Arena? = nil) {
        let f = footprint(crop, width: frame.width, height: frame.height)
        guard f.x1 > f.x0, f.y1 > f.y0 else { return }
        // Catmull-Rom point samples at each frame pixel: an unchanged crop comes back
        // within a grey level (a box prefilter would blur it). Only faces more than 4×
        // smaller than the crop are averaged over several samples against aliasing.
        let n = crop.toCrop.scale > 4 ? Int(ceilf(crop.toCrop.scale / 4)) : 1
        let r = crop.size
        let storage = (scratch ?? Arena()).tensor([r, r, 4])   // holds the memory until the paste returns
        defer { withExtendedLifetime(storage) {} }
        let packed = UnsafeMutableRawPointer(storage.data)
        pack(crop.pixels.data, pixels: r * r, into: packed)
        let source = Source(toCrop: crop.toCrop, packed: UnsafeRawPointer(packed), size: r, taps: n)
        switch frame.reader(colorimetry) {
        case .packed(let reader):
            // Each frame row is read and written on its own: rows go to the pool in parallel.
            ThreadPool.shared.parallelRanges(f.y1 - f.y0, minimum: 16) { rows in
                for y in rows.lowerBound + f.y0..<rows.upperBound + f.y0 {
                    for x in f.x0..<f.x1 {
                        if let only, !only(x, y) { continue }
                        guard let (c, m) = source.sample(x, y) else { continue }
                        let old = reader.rgb(x, y)
                        frame.setPixel(x, y, old + (adding ? c : c - old) * m, colorimetry: colorimetry)
                    }
                }
            }
        case .i420(let reader): pasteSubsampled(source, frame, reader, f, colorimetry, adding, only)
        case .nv12(let reader): pasteSubsampled(source, frame, reader, f, colorimetry, adding, only)
        }
    }

    /// A crop as pasting samples it.
    struct Source {
        let toCrop: SimilarityTransform
        let packed: UnsafeRawPointer
        let size: Int, taps: Int

        @inline(__always)
        func sample(_ x: Int, _ y: Int) -> (SIMD3<Float>, Float)? {
            PasteBack.sample(toCrop, packed, size: size, x, y, taps: taps)
        }
    }

    private static func pasteSubsampled<R: PixelReader>(_ source: Source, _ frame: FrameView, _ reader: R,
                                                        _ f: (x0: Int, y0: Int, x1: Int, y1: Int),
                                                        _ colorimetry: Colorimetry, _ adding: Bool,
                                                        _ only: ((Int, Int) -> Bool)?) {
        func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        // Y'CbCr is affine in R'G'B': an added change moves the stored samples by its
        // linear part, with no conversion of the pixel itself.
        let origin = colorimetry.yuv(SIMD3(repeating: 0))
        let (toR, toG, toB) = (colorimetry.yuv(SIMD3(1, 0, 0)) - origin, colorimetry.yuv(SIMD3(0, 1, 0)) - origin,
                               colorimetry.yuv(SIMD3(0, 0, 1)) - origin)   // the linear part's columns
        // Pairs of rows (one chroma row each) are independent: they go to the pool in parallel.
        let firstPair = f.y0 >> 1, pairs = (f.y1 + 1) / 2 - firstPair
        ThreadPool.shared.parallelRanges(pairs, minimum: 8) { range in
            for pair in range {
                let by = (firstPair + pair) * 2
                for bx in stride(from: f.x0 & ~1, to: f.x1, by: 2) {
                    var chroma = SIMD2<Float>(0, 0), count: Float = 0, changed = false
                    for y in by..<min(by + 2, frame.height) {
                        for x in bx..<min(bx + 2, frame.width) {
                            var yuv: SIMD3<Float>
                            if adding {
                                yuv = reader.raw(x, y)
                                if only?(x, y) ?? true, let (c, m) = source.sample(x, y) {
                                    let d = c * m
                                    yuv += toR * d.x + toG * d.y + toB * d.z
                                    frame.planes[0].row(y)[x] = byte(yuv.x)
                                    changed = true
                                }
                            } else {
                                let old = reader.rgb(x, y)
                                yuv = colorimetry.yuv(old)
                                if only?(x, y) ?? true, let (c, m) = source.sample(x, y) {
                                    yuv = colorimetry.yuv(old + (c - old) * m)
                                    frame.planes[0].row(y)[x] = byte(yuv.x)
                                    changed = true
                                }
                            }
                            chroma += SIMD2(yuv.y, yuv.z)
                            count += 1
                        }
                    }
                    guard changed else { continue }
                    chroma /= count
                    let cy = by >> 1, cx = bx >> 1
                    if frame.format == .nv12 {
                        let p = frame.planes[1].row(cy) + cx * 2
                        (p[0], p[1]) = (byte(chroma.x), byte(chroma.y))
                    } else {
                        frame.planes[1].row(cy)[cx] = byte(chroma.x)
                        frame.planes[2].row(cy)[cx] = byte(chroma.y)
                    }
                }
            }
        }
    }
}
