/// A stage that processes one temporal window of frames in place.
///
/// Frames arrive in presentation order; the processor may write their pixels and
/// must leave their size and format alone. `strength` in 0...1 blends the result
/// with the input (0 leaves frames untouched; the element skips the call then).
public protocol WindowProcessor: AnyObject {
    /// Whether `process` writes pixels (the element maps frames writable then).
    var writesPixels: Bool { get }
    func process(_ window: [FrameView], strength: Float) throws(PipelineError)
    /// Forgets anything carried between windows (a flush, a seek, a new stream).
    func reset()
}

/// The stand-in restorer while the restoration model is built (issue #4):
/// every frame leaves exactly as it came.
public final class IdentityRestorer: WindowProcessor {
    public init() {}
    public var writesPixels: Bool { false }
    public func process(_ window: [FrameView], strength: Float) throws(PipelineError) {}
    public func reset() {}
}
