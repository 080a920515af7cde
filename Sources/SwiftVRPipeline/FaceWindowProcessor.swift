import SwiftVRModels
import SwiftVRTensor

/// The face pipeline over one window: detect (every `detectEvery` frames, tracking in
/// between), follow faces with the tracker, optionally draw them, and — until the
/// restoration model lands (issue #4) — leave the face pixels as they are.
public final class FaceWindowProcessor: WindowProcessor, @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var detector = FaceDetector.Settings()
        /// Run the detector on every n-th frame; the tracker carries faces in between.
        public var detectEvery = 1
        /// Frames a track survives without a matching detection.
        public var maxMissed = 5
        public var drawFaces = false
        public init() {}
    }

    public var settings = Settings()
    let detector: FaceDetector
    let tracker = FaceTracker()
    private var framesSinceDetection = Int.max

    public init(detector: FaceDetector) { self.detector = detector }

    public func writesPixels(strength: Float) -> Bool { settings.drawFaces }

    public func process(_ window: [FrameView], colorimetry: Colorimetry, strength: Float) throws(PipelineError) -> [FrameReport] {
        tracker.maxMissed = settings.maxMissed
        return window.map { frame in
            let tracks: [FaceTrack]
            if settings.detector.maxFaces == 0 {
                tracks = []
            } else if framesSinceDetection >= max(settings.detectEvery, 1) - 1 {
                tracks = tracker.update(detector.detect(frame, colorimetry: colorimetry, settings: settings.detector))
                framesSinceDetection = 0
            } else {
                tracks = tracker.coast()
                framesSinceDetection += 1
            }
            if settings.drawFaces { FaceOverlay.draw(tracks, on: frame, colorimetry: colorimetry) }
            return FrameReport(faces: tracks)
        }
    }

    public func reset() {
        tracker.reset()
        framesSinceDetection = .max
    }
}
