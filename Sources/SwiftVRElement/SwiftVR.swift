import CGStreamer
import SwiftVRPipeline

typealias BufferRef = UnsafeMutablePointer<GstBuffer>

/// Stream state: rebuilt on READY→PAUSED, FLUSH_STOP and PAUSED→READY.
/// Touched by the streaming thread (chain, serialized events) and, under the lock,
/// by FLUSH_START and state changes.
struct StreamState {
    var window = TemporalWindow<BufferRef>(capacity: Int(Defaults.window))
    var format: StreamFormat?
    var segment = GstSegment()
    var flushing = false

    init() { gst_segment_init(&segment, GST_FORMAT_TIME) }
}

/// The Swift side of one swiftvr element: settings, stream state and the window
/// logic. The GObject instance owns it through `SwiftVRInstance.impl`.
final class SwiftVR: @unchecked Sendable {
    /// Makes the window processor. The identity stand-in until the restoration model
    /// lands (issue #4); tests substitute their own to observe what the element maps.
    nonisolated(unsafe) static var makeProcessor: () -> WindowProcessor = { IdentityRestorer() }

    let element: UnsafeMutablePointer<GstElement>
    let sinkPad: UnsafeMutablePointer<GstPad>
    let srcPad: UnsafeMutablePointer<GstPad>

    private let settingsLock = Lock()
    private var settings = Settings()
    let stateLock = Lock()
    var state = StreamState()
    /// Only the streaming thread uses the processor.
    let processor: WindowProcessor

    init(element: UnsafeMutablePointer<GstElement>, sinkPad: UnsafeMutablePointer<GstPad>,
         srcPad: UnsafeMutablePointer<GstPad>) {
        self.element = element
        self.sinkPad = sinkPad
        self.srcPad = srcPad
        processor = Self.makeProcessor()
    }

    deinit { release(state.window.drain()) }

    /// The object behind a GstSwiftVR GObject (or nil if it is being torn down).
    static func from(_ object: UnsafeMutableRawPointer) -> SwiftVR? {
        guard let impl = instance(object).pointee.impl else { return nil }
        return Unmanaged<SwiftVR>.fromOpaque(impl).takeUnretainedValue()
    }

    // MARK: - Settings

    var currentSettings: Settings { settingsLock.withLock { settings } }

    func setWindow(_ n: Int) {
        let changed = settingsLock.withLock { () -> Bool in
            defer { settings.window = n }
            return settings.window != n
        }
        guard changed else { return }
        Debug.info(element, "window set to \(n)")
        // The holding delay changed: let the pipeline query latency again.
        if element.pointee.current_state.rawValue >= GST_STATE_PAUSED.rawValue {
            gst_element_post_message(element, gst_message_new_latency(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GstObject.self)))
        }
    }

    func setStrength(_ s: Double) {
        settingsLock.withLock { settings.strength = s }
    }

    // MARK: - Stream state

    /// Forgets everything about the current stream (PAUSED→READY, READY→PAUSED).
    func resetStream() {
        let dropped = stateLock.withLock { () -> [BufferRef] in
            let held = state.window.drain()
            state = StreamState()
            return held
        }
        release(dropped)
        processor.reset()
    }

    func release(_ buffers: some Sequence<BufferRef>) {
        for b in buffers { gst_buffer_unref(b) }
    }
}
