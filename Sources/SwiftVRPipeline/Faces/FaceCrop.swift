import Glibc
import SwiftVRModels
import SwiftVRTensor

/// An aligned face: an R×R planar RGB crop (values 0…255) and the transform that took
/// frame coordinates (pixel centres at i + 0.5) to crop coordinates.
public struct FaceCrop {
    public let pixels: Tensor                 // (3, R, R)
    public let toCrop: SimilarityTransform    // frame → crop
    public var size: Int { pixels.dim(-1) }

    public init(pixels: Tensor, toCrop: SimilarityTransform) {
        self.pixels = pixels
        self.toCrop = toCrop
    }

    /// Cuts the face out of `frame` in the canonical pose, sampling with Catmull-Rom
    /// cubics. When a crop pixel spans more than two frame pixels (a face larger than
    /// the crop) each crop pixel averages n×n samples, so large faces are filtered,
    /// not aliased.
    ///
    /// The frame region the crop covers is converted to RGB once (`scratch`), then
    /// sampled: a 256² crop takes 16 taps per pixel, and converting Y'CbCr at every tap
    /// would cost ten times as much.
    ///
    /// `missing` (frame x, y → whether the pixel is missing, for inpainting): the region's
    /// missing pixels are push-pull filled from its known ones before sampling, so crop
    /// pixels at a hole's rim mix known colour with a smooth fill rather than with the
    /// hole's black, and the crop's mask can stay exact. With `fillFrame` the fill is also
    /// written into the frame's missing pixels, so the frame holds what the crop was cut
    /// from: the restorer's change, pasted back, then lands on the fill, not on the hole's
    /// old colour (the difference crossed the rim and left a dark outline).
    public static func extract(from frame: FrameView, colorimetry: Colorimetry, face: FaceDetection, size: Int,
                               into pixels: Tensor? = nil, scratch: Arena? = nil,
                               missing: ((Int, Int) -> Bool)? = nil, fillFrame: Bool = false,
                               transform: SimilarityTransform? = nil) -> FaceCrop? {
        guard let toCrop = transform ?? FaceTemplate.alignment(for: face, size: size) else { return nil }
        let out = pixels ?? Tensor(shape: [3, size, size])
        let toFrame = toCrop.inverse
        let n = taps(forScale: toFrame.scale)
        // Frame pixels the crop can reach, with two pixels of margin for the cubic taps.
        let s = Float(size)
        let corners = [toFrame.apply(0, 0), toFrame.apply(s, 0), toFrame.apply(0, s), toFrame.apply(s, s)]
        // A face far outside the frame (or a degenerate transform) has nothing to crop.
        guard corners.allSatisfy({ abs($0.x) < 1e7 && abs($0.y) < 1e7 }) else { return nil }
        let x0 = max(0, Int(floorf(corners.map(\.x).min()!)) - 3), y0 = max(0, Int(floorf(corners.map(\.y).min()!)) - 3)
        let x1 = min(frame.width, Int(ceilf(corners.map(\.x).max()!)) + 3), y1 = min(frame.height, Int(ceilf(corners.map(\.y).max()!)) + 3)
        guard x1 > x0, y1 > y0 else { return nil }
        let (rw, rh) = (x1 - x0, y1 - y0)
        let arena = scratch ?? Arena()
        // The reachable frame region as RGB, packed (h, w, 4): a cubic tap is one load.
        let storage = arena.tensor([rh, rw, 4])
        defer { withExtendedLifetime(storage) {} }
        let region = UnsafeMutableRawPointer(storage.data)
        switch frame.reader(colorimetry) {
        case .packed(let r): convert(r, x0, y0, rw, rh, region)
        case .i420(let r): convert(r, x0, y0, rw, rh, region)
        case .nv12(let r): convert(r, x0, y0, rw, rh, region)
        }
        if let missing {
            let plane = rw * rh
            let planar = arena.tensor([1, 3, rh, rw]), holes = arena.tensor([1, 1, rh, rw])
            for o in 0..<plane {
                let c = pixel4(region, o)
                (planar.data[o], planar.data[plane + o], planar.data[2 * plane + o]) = (c.x, c.y, c.z)
            }
            for y in 0..<rh { for x in 0..<rw { holes.data[y * rw + x] = missing(x0 + x, y0 + y) ? 1 : 0 } }
            let filled = fillMissing(planar, missing: holes, arena: arena).data
            if fillFrame {
                for o in 0..<plane where holes.data[o] > 0.5 {
                    let c = SIMD3(filled[o], filled[plane + o], filled[2 * plane + o])
                    frame.setPixel(x0 + o % rw, y0 + o / rw, c, colorimetry: colorimetry)
                }
            }
            pack(filled, pixels: plane, into: region)
        }
        warp(region, width: rw, height: rh, origin: (x0, y0), toFrame, n, out)
        return FaceCrop(pixels: out, toCrop: toCrop)
    }

    private static func convert<R: PixelReader>(_ reader: R, _ x0: Int, _ y0: Int, _ w: Int, _ h: Int,
                                                _ region: UnsafeMutableRawPointer) {
        ThreadPool.shared.parallelRanges(h, minimum: 16) { rows in
            for y in rows {
                for x in 0..<w {
                    let c = reader.rgb(x0 + x, y0 + y)
                    region.storeBytes(of: SIMD4(c.x, c.y, c.z, 0), toByteOffset: (y * w + x) &* 16, as: SIMD4<Float>.self)
                }
            }
        }
    }

    /// Samples the region (its top-left at frame pixel `origin`). Taps beyond the region
    /// clamp to its edge, which is the frame's edge wherever the region was clipped.
    private static func warp(_ region: UnsafeRawPointer, width rw: Int, height rh: Int, origin: (x: Int, y: Int),
                             _ toFrame: SimilarityTransform, _ n: Int, _ out: Tensor) {
        let size = out.dim(-1), plane = size * size
        let inv = 1 / Float(n * n)
        let (ox, oy) = (Float(origin.x) + 0.5, Float(origin.y) + 0.5)
        // Rows of the crop are independent: split them over the pool.
        ThreadPool.shared.parallelRanges(size, minimum: 16) { rows in
            // One sample per crop pixel (a face up to twice the crop): its centre, and the
            // same arithmetic as the general loop below without its per-sample loops.
            guard n > 1 else {
                for v in rows {
                    let cv = Float(v) + 0.5
                    for u in 0..<size {
                        let q = toFrame.apply(Float(u) + 0.5, cv)
                        let c = bicubic(region, width: rw, height: rh, q.x - ox, q.y - oy)
                        let o = v * size + u
                        (out.data[o], out.data[plane + o], out.data[2 * plane + o]) = (c.x, c.y, c.z)
                    }
                }
                return
            }
            for v in rows {
                for u in 0..<size {
                    var acc = SIMD4<Float>(repeating: 0)
                    for sy in 0..<n {
                        for sx in 0..<n {
                            let cu = Float(u) + (Float(sx) + 0.5) / Float(n), cv = Float(v) + (Float(sy) + 0.5) / Float(n)
                            let q = toFrame.apply(cu, cv)
                            acc += bicubic(region, width: rw, height: rh, q.x - 0.5 - Float(origin.x), q.y - 0.5 - Float(origin.y))
                        }
                    }
                    acc *= inv
                    let o = v * size + u
                    (out.data[o], out.data[plane + o], out.data[2 * plane + o]) = (acc.x, acc.y, acc.z)
                }
            }
        }
    }

    /// Samples per axis when one output pixel spans `scale` input pixels: cubic point
    /// sampling is sharp and alias-free up to 2×; beyond, average.
    static func taps(forScale scale: Float) -> Int { min(4, max(1, Int(ceilf(scale / 2 - 0.01)))) }

    /// The missing-pixel mask of this crop from the frame's alpha channel (RGBA/BGRA):
    /// 1 where alpha is below half, sampled with the crop's own alignment.
    public func extractMissing(from frame: FrameView, into mask: Tensor) -> Tensor {
        extractMissing(width: frame.width, height: frame.height, into: mask) { frame.isTransparent($0, $1) }
    }

    /// The same from a mask image in frame coordinates (`inpaint-mask`).
    public func extractMissing(from missing: MissingMask, frameWidth: Int, frameHeight: Int, into mask: Tensor) -> Tensor {
        extractMissing(width: frameWidth, height: frameHeight, into: mask) {
            missing.isMissing($0, $1, frameWidth: frameWidth, frameHeight: frameHeight)
        }
    }

    private func extractMissing(width: Int, height: Int, into mask: Tensor, _ isMissing: (Int, Int) -> Bool) -> Tensor {
        let toFrame = toCrop.inverse
        for v in 0..<size {
            for u in 0..<size {
                let p = toFrame.apply(Float(u) + 0.5, Float(v) + 0.5)
                let x = min(max(Int(p.x), 0), width - 1), y = min(max(Int(p.y), 0), height - 1)
                mask.data[v * size + u] = isMissing(x, y) ? 1 : 0
            }
        }
        return mask
    }
}

extension FrameView {
    /// Whether pixel (x, y) of an RGBA/BGRA frame is missing: alpha below half.
    @inline(__always)
    public func isTransparent(_ x: Int, _ y: Int) -> Bool { planes[0].row(y)[x * 4 + 3] < 128 }
}
