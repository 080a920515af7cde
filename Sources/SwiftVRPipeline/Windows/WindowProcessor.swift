import SwiftVRModels

/// What a processor reports about one frame: the faces it found.
public struct FrameReport: Sendable {
    public var faces: [FaceTrack]
    public init(faces: [FaceTrack] = []) { self.faces = faces }
}

/// What `process` returns: a report per frame, and where the window's time went.
public struct WindowResult: Sendable {
    public var reports: [FrameReport]
    public var timings: StageTimings
    /// Faces (track ids) the restorer left as they came in because its output was not finite.
    public var passedThrough: Set<UInt32> = []
    public init(reports: [FrameReport], timings: StageTimings = StageTimings()) {
        (self.reports, self.timings) = (reports, timings)
    }
}

/// A stage that processes one temporal window of frames in place.
///
/// Frames arrive in presentation order; the processor may write their pixels and
/// must leave their size and format alone. `settings.restore.strength` in 0...1 blends
/// the result with the input; at 0 pixels must stay untouched (faces are still reported).
public protocol WindowProcessor: AnyObject {
    /// Whether `process` will write pixels with these settings (the element maps frames writable then).
    func writesPixels(_ settings: ProcessingSettings) -> Bool
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult
    /// Forgets anything carried between windows (a flush, a seek, a new stream).
    func reset()
    /// How many frames the element should gather before calling `process`, for the
    /// element's `window`: the window itself, or 1 for a processor that keeps its own
    /// context of earlier frames (a causal restorer), so no frame waits for later ones.
    func framesHeld(window: Int) -> Int
}

extension WindowProcessor {
    public func framesHeld(window: Int) -> Int { window }
}
