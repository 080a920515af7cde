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
    public static func extract(from frame: FrameView, colorimetry: Colorimetry, face: FaceDetection, size: Int,
                               into pixels: Tensor? = nil) -> FaceCrop? {
        guard let toCrop = FaceTemplate.alignment(for: face, size: size) else { return nil }
        let out = pixels ?? Tensor(shape: [3, size, size])
        let toFrame = toCrop.inverse
        let n = taps(forScale: toFrame.scale)
        switch frame.reader(colorimetry) {
        case .packed(let r): warp(r, frame, toFrame, n, out)
        case .i420(let r): warp(r, frame, toFrame, n, out)
        case .nv12(let r): warp(r, frame, toFrame, n, out)
        }
        return FaceCrop(pixels: out, toCrop: toCrop)
    }

    private static func warp<R: PixelReader>(_ reader: R, _ frame: FrameView, _ toFrame: SimilarityTransform,
                                             _ n: Int, _ out: Tensor) {
        let size = out.dim(-1), plane = size * size
        let inv = 1 / Float(n * n)
        for v in 0..<size {
            for u in 0..<size {
                var acc = SIMD3<Float>(repeating: 0)
                for sy in 0..<n {
                    for sx in 0..<n {
                        let cu = Float(u) + (Float(sx) + 0.5) / Float(n), cv = Float(v) + (Float(sy) + 0.5) / Float(n)
                        let p = toFrame.apply(cu, cv)
                        acc += bicubic(width: frame.width, height: frame.height, p.x - 0.5, p.y - 0.5) { reader.rgb($0, $1) }
                    }
                }
                acc *= inv
                let o = v * size + u
                (out.data[o], out.data[plane + o], out.data[2 * plane + o]) = (acc.x, acc.y, acc.z)
            }
        }
    }

    /// Samples per axis when one output pixel spans `scale` input pixels: cubic point
    /// sampling is sharp and alias-free up to 2×; beyond, average.
    static func taps(forScale scale: Float) -> Int { min(4, max(1, Int(ceilf(scale / 2 - 0.01)))) }

    /// The missing-pixel mask of this crop from the frame's alpha channel (RGBA/BGRA):
    /// 1 where alpha is below half, sampled with the crop's own alignment.
    public func extractMissing(from frame: FrameView, into mask: Tensor) -> Tensor {
        let plane = frame.planes[0]
        return extractMissing(width: frame.width, height: frame.height, into: mask) { x, y in plane.row(y)[x * 4 + 3] < 128 }
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
