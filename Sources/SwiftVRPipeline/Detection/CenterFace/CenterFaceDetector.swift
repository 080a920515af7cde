import SwiftVRModels
import SwiftVRTensor

/// `FaceDetecting` with CenterFace.
///
/// The frame is scaled (never up) so its longer side is at most `inputLongSide`,
/// padded to the network's stride of 32, run, decoded, and the faces mapped back to
/// frame pixels. The input tensor is reused while the frame size stays the same.
///
/// Between full detections (`detect-every` > 1) `detect(around:)` looks for each tracked
/// face again in a small square of the frame around where it is expected, scaled to
/// `neighbourhoodSide`: a fifteenth of a 640-pixel frame's work per face at 128², and
/// its landmarks as precise as whole-frame detection's (TrackFollowingTests).
public final class CenterFaceDetector: FaceDetecting {
    public let model: CenterFace
    /// This detector's memory for the network's passes (the weights may be shared).
    private let state = CenterFace.RunState()
    private var blob = Tensor(shape: [1, 3, 32, 32])
    private var neighbourhood = Tensor(shape: [1, 3, 32, 32])

    public init(model: CenterFace) { self.model = model }

    public convenience init(modelPath: String) throws(TensorError) {
        self.init(model: try CenterFace(path: modelPath))
    }

    public func sibling() -> FaceDetecting { CenterFaceDetector(model: model) }

    /// The network input size for a frame: scaled size and padded tensor size.
    public static func inputGeometry(width: Int, height: Int, longSide: Int) -> (scaled: (w: Int, h: Int), padded: (w: Int, h: Int)) {
        let longest = max(width, height)
        let s = longSide > 0 && longest > longSide ? Double(longSide) / Double(longest) : 1
        let w = max(1, Int((Double(width) * s).rounded())), h = max(1, Int((Double(height) * s).rounded()))
        let stride = CenterFace.stride
        return ((w, h), ((w + stride - 1) / stride * stride, (h + stride - 1) / stride * stride))
    }

    public func prepare(_ frame: FrameView, colorimetry: Colorimetry, settings: DetectorSettings) -> PreparedFrame {
        let g = Self.inputGeometry(width: frame.width, height: frame.height, longSide: settings.inputLongSide)
        if blob.dim(2) != g.padded.h || blob.dim(3) != g.padded.w {
            blob = Tensor(shape: [1, 3, g.padded.h, g.padded.w])
        }
        let t0 = Stopwatch.now()
        resample(frame, colorimetry: colorimetry, into: blob, size: g.scaled)
        return PreparedFrame(frame: (frame.width, frame.height), scaled: g.scaled, milliseconds: Stopwatch.now() - t0)
    }

    public func finish(_ input: PreparedFrame, settings: DetectorSettings) -> Detected {
        let t1 = Stopwatch.now()
        var faces = model(blob, state: state).decode(threshold: settings.threshold)
        let network = Stopwatch.now() - t1
        let g = (scaled: input.scaled, frame: input.frame)
        let (sx, sy) = (Float(g.frame.w) / Float(g.scaled.w), Float(g.frame.h) / Float(g.scaled.h))
        let (fw, fh) = (Float(g.frame.w), Float(g.frame.h))
        faces = faces.compactMap { f in
            var o = f
            o.x1 = min(f.x1 * sx, fw); o.x2 = min(f.x2 * sx, fw)
            o.y1 = min(f.y1 * sy, fh); o.y2 = min(f.y2 * sy, fh)
            o.landmarks = f.landmarks.map { ($0.x * sx, $0.y * sy) }
            return min(o.width, o.height) >= Float(settings.minFaceSize) && o.area > 0 && Self.withinReach(o, fw, fh) ? o : nil
        }
        return Detected(faces: Array(faces.prefix(max(settings.maxFaces, 0))), resample: input.milliseconds, network: network)
    }

    /// Whether a face's box and landmarks lie within a frame's size of the frame. The
    /// network's outputs are finite (the decoder drops the rest), but a detector file
    /// with extreme weights can put a landmark at 1e20 pixels; every later stage turns
    /// coordinates into integers, which must not overflow.
    static func withinReach(_ f: FaceDetection, _ fw: Float, _ fh: Float) -> Bool {
        let inX = { (x: Float) in x >= -fw && x <= 2 * fw }, inY = { (y: Float) in y >= -fh && y <= 2 * fh }
        return inX(f.x1) && inX(f.x2) && inY(f.y1) && inY(f.y2) && f.landmarks.allSatisfy { inX($0.x) && inY($0.y) }
    }

    /// For each of `expected`, the detection in its neighbourhood that overlaps it most, if
    /// any; overlapping results merged by NMS.
    public func detect(around expected: [FaceDetection], in frame: FrameView, colorimetry: Colorimetry,
                       settings: DetectorSettings) -> Detected {
        let side = max(32, settings.neighbourhoodSide / 32 * 32)
        if neighbourhood.dim(2) != side { neighbourhood = Tensor(shape: [1, 3, side, side]) }
        let (fw, fh) = (Float(frame.width), Float(frame.height))
        var found: [FaceDetection] = []
        var timings = (resample: 0.0, network: 0.0)
        for e in expected {
            let extent = max(e.width, e.height, 8) * settings.neighbourhoodScale
            let region = FrameRegion(x: (e.x1 + e.x2 - extent) / 2, y: (e.y1 + e.y2 - extent) / 2, width: extent, height: extent)
            let t0 = Stopwatch.now()
            resample(frame, colorimetry: colorimetry, into: neighbourhood, size: (side, side), region: region)
            let t1 = Stopwatch.now()
            let s = extent / Float(side)
            let candidates = model(neighbourhood, state: state).decode(threshold: settings.threshold).map { f in
                var o = f
                o.x1 = max(0, region.x + f.x1 * s); o.x2 = min(fw, region.x + f.x2 * s)
                o.y1 = max(0, region.y + f.y1 * s); o.y2 = min(fh, region.y + f.y2 * s)
                o.landmarks = f.landmarks.map { (region.x + $0.x * s, region.y + $0.y * s) }
                return o
            }
            timings.resample += t1 - t0
            timings.network += Stopwatch.now() - t1
            if let best = candidates.max(by: { $0.iou(e) < $1.iou(e) }), best.iou(e) > 0,
               min(best.width, best.height) >= Float(settings.minFaceSize), best.area > 0, Self.withinReach(best, fw, fh) {
                found.append(best)
            }
        }
        return Detected(faces: nonMaximumSuppression(found, threshold: 0.3), resample: timings.resample, network: timings.network)
    }
}
