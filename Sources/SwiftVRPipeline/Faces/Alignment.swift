import SwiftVRModels

/// A 2-D similarity transform (rotation, uniform scale, translation):
/// (x, y) ↦ (a·x − b·y + tx, b·x + a·y + ty).
public struct SimilarityTransform: Sendable, Equatable {
    public var a: Float, b: Float, tx: Float, ty: Float

    public init(a: Float, b: Float, tx: Float, ty: Float) { (self.a, self.b, self.tx, self.ty) = (a, b, tx, ty) }

    @inline(__always)
    public func apply(_ x: Float, _ y: Float) -> (x: Float, y: Float) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    public var scale: Float { (a * a + b * b).squareRoot() }

    public var inverse: SimilarityTransform {
        let d = a * a + b * b
        let (ia, ib) = (a / d, -b / d)
        return SimilarityTransform(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// The least-squares similarity taking `src` onto `dst` (Umeyama's method, which
    /// for a similarity in 2-D has this closed form); nil for degenerate points.
    public static func estimate(from src: [(x: Float, y: Float)], to dst: [(x: Float, y: Float)]) -> SimilarityTransform? {
        let n = Float(src.count)
        guard src.count == dst.count, src.count >= 2 else { return nil }
        let (mpx, mpy) = (src.map(\.x).reduce(0, +) / n, src.map(\.y).reduce(0, +) / n)
        let (mqx, mqy) = (dst.map(\.x).reduce(0, +) / n, dst.map(\.y).reduce(0, +) / n)
        var sa: Float = 0, sb: Float = 0, var2: Float = 0
        for (p, q) in zip(src, dst) {
            let (px, py, qx, qy) = (p.x - mpx, p.y - mpy, q.x - mqx, q.y - mqy)
            sa += px * qx + py * qy
            sb += px * qy - py * qx
            var2 += px * px + py * py
        }
        guard var2 > 1e-6, var2.isFinite else { return nil }
        let (a, b) = (sa / var2, sb / var2)
        let t = SimilarityTransform(a: a, b: b, tx: mqx - (a * mpx - b * mpy), ty: mqy - (b * mpx + a * mpy))
        guard [t.a, t.b, t.tx, t.ty].allSatisfy(\.isFinite), t.scale > 1e-6 else { return nil }
        return t
    }
}

/// The canonical five-point face template of FFHQ-aligned crops (eyes, nose tip,
/// mouth corners) at 512×512, the one GFPGAN and CodeFormer align to, scaled to `size`.
public enum FaceTemplate {
    static let ffhq512: [(x: Float, y: Float)] = [
        (192.98138, 239.94708), (318.90277, 240.19360), (256.63416, 314.01935),
        (201.26117, 371.41043), (313.08905, 371.15118),
    ]

    public static func points(size: Int) -> [(x: Float, y: Float)] {
        let s = Float(size) / 512
        return ffhq512.map { ($0.x * s, $0.y * s) }
    }

    /// Frame → crop transform for a face with five landmarks.
    public static func alignment(for face: FaceDetection, size: Int) -> SimilarityTransform? {
        SimilarityTransform.estimate(from: face.landmarks, to: points(size: size))
    }
}
