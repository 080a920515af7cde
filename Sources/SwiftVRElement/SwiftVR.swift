import CGStreamer
import SwiftVRPipeline

typealias BufferRef = UnsafeMutablePointer<GstBuffer>

/// Stream state: rebuilt on READY→PAUSED, FLUSH_STOP and PAUSED→READY.
/// Touched by the streaming thread (chain, serialized events) and, under the lock,
/// by FLUSH_START and state changes.
struct StreamState {
    var window = TemporalWindow<BufferRef>(capacity: Settings().window)
    var format: StreamFormat?
    var segment = GstSegment()
    var flushing = false
    /// Faces already warned about for a non-finite restoration (one WARNING per track).
    var warnedNonFinite = Set<UInt32>()

    init() { gst_segment_init(&segment, GST_FORMAT_TIME) }
}

/// The Swift side of one swiftvr element: settings, stream state and the window
/// logic. The GObject instance owns it through `SwiftVRInstance.impl`.
/// Sendable: GStreamer calls it from the application's and the streaming threads;
/// `settings` is read and written under `settingsLock`, `state` under `stateLock`, and
/// `processor` is used by the streaming thread only (made and dropped in state changes,
/// which GStreamer does not run while that thread is in `chain`).
final class SwiftVR: @unchecked Sendable {
    /// Makes the window processor when the element starts (NULL→READY): the face
    /// pipeline with the detector loaded from `settings`. Tests substitute their own;
    /// reads and writes go through a lock, so an element starting on one thread never
    /// races a test swapping the factory on another.
    static var makeProcessor: (Settings) throws(ElementError) -> WindowProcessor {
        get { factoryLock.withLock { factory } }
        set { factoryLock.withLock { factory = newValue } }
    }
    private static let factoryLock = Lock()
    /// Guarded by `factoryLock`.
    nonisolated(unsafe) private static var factory: (Settings) throws(ElementError) -> WindowProcessor = defaultProcessor

    static func defaultProcessor(_ s: Settings) throws(ElementError) -> WindowProcessor {
        let path = s.detectorModel ?? ModelLocator.detectorPath()
        let detector: FaceDetecting
        do {
            detector = try Detectors.load(path: path)
        } catch {
            throw .modelLoad(path: path, reason: error.description)
        }
        // No restoration model installed and none asked for: faces are found and
        // reported but left as they are.
        guard let restorerPath = s.restorationModel ?? ModelLocator.restorerPath() else {
            return FaceWindowProcessor(detector: detector)
        }
        do {
            return FaceWindowProcessor(detector: detector, restorer: try ModelRestorer(path: restorerPath))
        } catch {
            throw .modelLoad(path: restorerPath, reason: error.description)
        }
    }

    let element: UnsafeMutablePointer<GstElement>
    let sinkPad: UnsafeMutablePointer<GstPad>
    let srcPad: UnsafeMutablePointer<GstPad>

    private let settingsLock = Lock()
    private var settings = Settings()
    let stateLock = Lock()
    var state = StreamState()
    /// Made on NULL→READY, dropped on READY→NULL; only the streaming thread uses it.
    var processor: WindowProcessor?
    /// The model paths `processor` was made with (nil: the shipped ones).
    private var loadedModels: (detector: String?, restorer: String?) = (nil, nil)

    /// Whether a model path was set since the models were loaded.
    var modelsChanged: Bool {
        let s = currentSettings
        return s.detectorModel != loadedModels.detector || s.restorationModel != loadedModels.restorer
    }
    /// Frames gathered before processing for a `window` setting: the processor's answer
    /// (1 for a causal restorer), kept under the settings lock for the latency query.
    private var heldFrames: (Int) -> Int = { $0 }

    init(element: UnsafeMutablePointer<GstElement>, sinkPad: UnsafeMutablePointer<GstPad>,
         srcPad: UnsafeMutablePointer<GstPad>) {
        self.element = element
        self.sinkPad = sinkPad
        self.srcPad = srcPad
    }

    deinit { release(state.window.drain()) }

    /// The object behind a GstSwiftVR GObject (or nil if it is being torn down).
    /// SAFETY: only called with GObjects of type GstSwiftVR (its vfuncs and pad functions),
    /// whose instance struct holds `impl`, a retained SwiftVR released in finalize.
    static func from(_ object: UnsafeMutableRawPointer) -> SwiftVR? {
        guard let impl = instance(object).pointee.impl else { return nil }
        return Unmanaged<SwiftVR>.fromOpaque(impl).takeUnretainedValue()
    }

    // MARK: - Settings

    var currentSettings: Settings { settingsLock.withLock { settings } }

    /// How many frames the element holds before processing, at the current settings.
    var framesHeld: Int {
        settingsLock.withLock { heldFrames(settings.window) }
    }

    func updateSettings(_ change: (inout Settings) -> Void) {
        settingsLock.withLock { change(&settings) }
    }

    /// A WARNING on the bus: something the user asked for could not be done, the stream goes on.
    func postWarning(_ text: String, debug: String) {
        gst_element_message_full(element, GST_MESSAGE_WARNING, gst_resource_error_quark(),
                                 gint(GST_RESOURCE_ERROR_OPEN_READ.rawValue), g_strdup(text), g_strdup(debug),
                                 cString(#fileID), cString(#function), gint(#line))
    }

    /// `window` was set: the holding delay may have changed, so the pipeline is asked to
    /// query latency again (the window itself is resized on the streaming thread).
    func windowChanged() {
        Debug.info(element, "window set to \(currentSettings.window)")
        if element.pointee.current_state.rawValue >= GST_STATE_PAUSED.rawValue {
            gst_element_post_message(element, gst_message_new_latency(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GstObject.self)))
        }
    }

    /// `inpaint-mask` was set: the mask is read now, and a file that cannot be read is
    /// reported (now if the element has a bus, else when it starts).
    func loadInpaintMask() {
        let path = currentSettings.inpaintMaskPath
        var mask: MissingMask?
        var problem: String?
        if let path {
            do {
                mask = try MissingMask.load(pgm: path)
            } catch {
                problem = "\(error)"
            }
        }
        updateSettings { s in
            guard s.inpaintMaskPath == path else { return }   // set again meanwhile: that set loads its own
            (s.processing.inpaintMask, s.inpaintMaskError) = (mask, problem)
        }
        if problem != nil, element.pointee.current_state.rawValue >= GST_STATE_READY.rawValue { reportMaskProblem() }
    }

    // MARK: - Lifecycle

    /// NULL→READY: load the models. A failure posts an ERROR naming the file and the
    /// problem, and fails the state change.
    func start() -> Bool {
        do {
            let settings = currentSettings
            let made = try Self.makeProcessor(settings)
            processor = made
            loadedModels = (settings.detectorModel, settings.restorationModel)
            settingsLock.withLock { heldFrames = { made.framesHeld(window: $0) } }
            let window = currentSettings.window
            Debug.info(element, "holds \(made.framesHeld(window: window)) frame(s) per window of \(window)")
            reportMaskProblem()
            return true
        } catch {
            error.post(from: element, text: "Could not load \(error.description)")
            return false
        }
    }

    /// A WARNING on the bus (and in the debug log) when the inpaint mask could not be
    /// read: the stream then runs without it, so the user must hear why.
    func reportMaskProblem() {
        let s = currentSettings
        guard let problem = s.inpaintMaskError, let path = s.inpaintMaskPath else { return }
        Debug.warning(element, "inpaint mask '\(path)' not used: \(problem)")
        postWarning("Could not read the inpaint mask '\(path)'; restoring without it", debug: problem)
    }

    /// READY→NULL: free the models.
    func stop() {
        processor = nil
        settingsLock.withLock { heldFrames = { $0 } }
    }

    /// Forgets everything about the current stream (PAUSED→READY, READY→PAUSED).
    func resetStream() {
        let dropped = stateLock.withLock { () -> [BufferRef] in
            let held = state.window.drain()
            state = StreamState()
            return held
        }
        release(dropped)
        processor?.reset()
    }

    func release(_ buffers: some Sequence<BufferRef>) {
        for b in buffers { gst_buffer_unref(b) }
    }
}
