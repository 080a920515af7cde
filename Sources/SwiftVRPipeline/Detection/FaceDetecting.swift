import SwiftVRModels

/// Finds faces in whole frames and near where tracked faces are expected; what the face
/// pipeline asks of a detector. `CenterFaceDetector` (the shipped model) is one; a detector
/// file's `architecture` metadata picks the implementation (`Detectors.load`).
///
/// A whole-frame detection comes in two halves so the network can run beside the stream
/// (`BackgroundDetector`): `prepare` reads the frame into the detector's own input and
/// `finish` runs the network on the last input prepared, touching no frame. One detector
/// is used from one thread at a time; `sibling()` gives another thread its own.
public protocol FaceDetecting: AnyObject {
    /// The frame scaled and converted into this detector's input (the only half that reads it).
    func prepare(_ frame: FrameView, colorimetry: Colorimetry, settings: DetectorSettings) -> PreparedFrame
    /// The network on the input `prepare` made; faces in frame pixels, best first,
    /// at most `settings.maxFaces`, none smaller than `settings.minFaceSize`.
    func finish(_ input: PreparedFrame, settings: DetectorSettings) -> Detected
    /// Finds each of `expected` (faces predicted for this frame) again in a small
    /// neighbourhood of the frame around it: a fraction of a whole-frame detection's work.
    func detect(around expected: [FaceDetection], in frame: FrameView, colorimetry: Colorimetry,
                settings: DetectorSettings) -> Detected
    /// A detector on the same weights with memory of its own, for another thread.
    func sibling() -> FaceDetecting
}

extension FaceDetecting {
    /// A whole-frame detection: `prepare`, then `finish`.
    public func detect(_ frame: FrameView, colorimetry: Colorimetry, settings: DetectorSettings) -> Detected {
        finish(prepare(frame, colorimetry: colorimetry, settings: settings), settings: settings)
    }
}

/// How faces are found: the detector's part of `ProcessingSettings` (the element's
/// detection properties).
public struct DetectorSettings: Sendable, Equatable {
    public var threshold: Float = 0.5
    public var maxFaces = 8
    /// Faces whose shorter box side (frame pixels) is below this are dropped.
    public var minFaceSize = 20
    /// Longer side of the image the network sees; 0 = the frame's own size.
    public var inputLongSide = 640
    /// Side of the network input for the neighbourhood of a tracked face (a multiple of 32).
    public var neighbourhoodSide = 128
    /// The neighbourhood's side over the face box's longer side: room for the face to
    /// have moved, and the scale the network sees faces at in the whole frame.
    public var neighbourhoodScale: Float = 2.5
    public init() {}
}

/// What `prepare` leaves for `finish`: the frame's size, the size it was scaled to in the
/// detector's input, and the milliseconds that took.
public struct PreparedFrame: Sendable {
    public let frame: (w: Int, h: Int), scaled: (w: Int, h: Int)
    public let milliseconds: Double
    public init(frame: (w: Int, h: Int), scaled: (w: Int, h: Int), milliseconds: Double) {
        (self.frame, self.scaled, self.milliseconds) = (frame, scaled, milliseconds)
    }
}

/// Faces found and where the time went: a detection's result carries its timings as a
/// restoration's does (`RestoreTimings`).
public struct Detected: Sendable {
    public var faces: [FaceDetection]
    /// Milliseconds scaling and converting pixels into the network's input.
    public var resample: Double
    /// Milliseconds in the network and its decoding.
    public var network: Double
    public init(faces: [FaceDetection], resample: Double, network: Double) {
        (self.faces, self.resample, self.network) = (faces, resample, network)
    }
}
