import CGStreamer
import SwiftVRPipeline

/// The GFlags type of the `tasks` property (gst-inspect lists its values).
let tasksFlagsType: GType = {
    let values = UnsafeMutablePointer<GFlagsValue>.allocate(capacity: 4)
    values[0] = GFlagsValue(value: RestorationTasks.restore.rawValue, value_name: cString("Blind face restoration"), value_nick: cString("restore"))
    values[1] = GFlagsValue(value: RestorationTasks.colorize.rawValue, value_name: cString("Colorize gray faces"), value_nick: cString("colorize"))
    values[2] = GFlagsValue(value: RestorationTasks.inpaint.rawValue, value_name: cString("Inpaint missing face regions"), value_nick: cString("inpaint"))
    values[3] = GFlagsValue(value: 0, value_name: nil, value_nick: nil)
    return g_flags_register_static(cString("GstSwiftVRTasks"), values)
}()

/// One row of the property table: a property's name, nick, blurb, range, mutability, the
/// `Settings` field that holds it (a key path, often into the pipeline's own settings) and
/// what setting it does besides storing the value, in one place. Its default is that
/// field's value in `Settings()`; install, set and get are derived from the row, and a
/// test checks the README's table against the installed specs.
/// Sendable: every field is immutable; the key paths are plain field references and the
/// closures capture nothing.
struct Property: @unchecked Sendable {
    /// The field's type and how a GValue maps onto it.
    enum Value {
        case uint(WritableKeyPath<Settings, Int>, ClosedRange<guint>)
        /// A gdouble property held as a Float (the pipeline computes in Float).
        case float(WritableKeyPath<Settings, Float>, ClosedRange<Double>)
        case bool(WritableKeyPath<Settings, Bool>)
        case tasks(WritableKeyPath<Settings, RestorationTasks>)
        case path(WritableKeyPath<Settings, String?>)
    }
    let name: StaticString
    let nick: StaticString
    let blurb: StaticString
    let value: Value
    /// false: settable in NULL and READY only (the models are loaded on NULL→READY).
    var whilePlaying = true
    /// What setting the property does besides storing the value, run after it is stored
    /// (outside the settings lock).
    var didSet: ((SwiftVR) -> Void)? = nil
    /// What an unset path reads back as (a model: the file the element will load).
    var unsetReadsAs: (() -> String?)? = nil
}

enum Properties {
    /// The GObject property id of row i is i + 1 (0 is reserved); gst-inspect-1.0 lists them in this order.
    static let table: [Property] = [
        Property(name: "window", nick: "Window",
                 blurb: "Temporal window of each face, in frames. With a causal restoration model (config causal_temporal, the shipped one) every frame is restored as it arrives, seeing itself and the window-1 frames before it: no added latency. With a non-causal model frames are restored together in windows: each frame waits for up to window-1 later frames, which the element reports as latency",
                 value: .uint(\.processing.restore.window, 1...16), didSet: { $0.windowChanged() }),
        Property(name: "strength", nick: "Strength",
                 blurb: "Blend between the input (0) and the full restoration (1); at 0 pixels pass through untouched (faces are still detected and reported)",
                 value: .float(\.processing.restore.strength, 0...1)),
        Property(name: "temporal-smoothing", nick: "Temporal smoothing",
                 blurb: "Weight with which each restored face is averaged with the window-1 restored frames of the same face before it, pixel by pixel, after moving them onto it (aligned crops slip by a pixel or two); where the face changed (motion, expression) or only differs by more than the noise, the frame keeps its own restoration. Removes frame-to-frame noise and flicker; 0 turns it off, window=1 has nothing to average",
                 value: .float(\.processing.restore.temporalSmoothing, 0...1)),
        Property(name: "detection-threshold", nick: "Detection threshold",
                 blurb: "Minimum detector confidence for a face", value: .float(\.processing.detector.threshold, 0...1)),
        Property(name: "max-faces", nick: "Maximum faces",
                 blurb: "Most faces followed at once: a face already followed keeps its place, new faces join highest confidence first where there is room; 0 turns detection off", value: .uint(\.processing.detector.maxFaces, 0...64)),
        Property(name: "min-face-size", nick: "Minimum face size",
                 blurb: "Faces whose shorter box side is below this many frame pixels are ignored", value: .uint(\.processing.detector.minFaceSize, 0...4096)),
        Property(name: "detection-size", nick: "Detection size",
                 blurb: "Longer side, in pixels, of the downscaled copy the detector sees (frames are never upscaled); 0 detects at full resolution. Smaller is faster, larger finds smaller faces",
                 value: .uint(\.processing.detector.inputLongSide, 0...8192)),
        Property(name: "detect-every", nick: "Detect every",
                 blurb: "Run the detector on the whole frame every n-th frame; in between, each tracked face is detected again in a small neighbourhood of where it is expected (a fraction of the work), and new faces wait for the next full detection, which, while faces are followed, runs beside the stream (no frame waits for it). 1 detects on every whole frame",
                 value: .uint(\.processing.detectEvery, 1...300)),
        Property(name: "post-messages", nick: "Post messages",
                 blurb: "Post an element message named 'swiftvr' for every frame, with its timestamps and the faces in it (x, y, width, height, score, track-id, landmarks)",
                 value: .bool(\.postMessages)),
        Property(name: "draw-faces", nick: "Draw faces",
                 blurb: "Draw each face's box, track id and landmarks into the frame (for debugging)", value: .bool(\.processing.drawFaces)),
        Property(name: "face-resolution", nick: "Face resolution",
                 blurb: "Side in pixels of the aligned square face crops the restoration model works on (FFHQ-style alignment); rounded down to a multiple of 8",
                 value: .uint(\.processing.faceResolution, 64...512)),
        Property(name: "adaptive-resolution", nick: "Adaptive resolution",
                 blurb: "Size each face's crops to what the face needs (twice its box side, which samples the face at the frame's own density; at least 64, at most face-resolution), so small faces cost less",
                 value: .bool(\.processing.adaptiveResolution)),
        Property(name: "tasks", nick: "Tasks",
                 blurb: "Restoration tasks run together in one pass: restore, colorize (gray faces), inpaint (masked regions); e.g. tasks=restore+inpaint",
                 value: .tasks(\.processing.restore.tasks)),
        Property(name: "inpaint-mask", nick: "Inpaint mask",
                 blurb: "8-bit binary PGM (P5) image in frame coordinates whose dark pixels (below 128) are missing and get inpainted (with tasks including inpaint); stretched to the frame size. Unset: RGBA/BGRA streams use their alpha channel (alpha 0 = missing)",
                 value: .path(\.inpaintMaskPath), didSet: { $0.loadInpaintMask() }),
        Property(name: "detector-model", nick: "Detector model",
                 blurb: "Path of the face detector's safetensors file; unset uses the shipped CenterFace model installed beside the plugin",
                 value: .path(\.detectorModel), whilePlaying: false,
                 unsetReadsAs: { ModelLocator.detectorPath() }),
        Property(name: "model", nick: "Restoration model",
                 blurb: "Path of the restoration model's safetensors file; unset uses the shipped model installed beside the plugin, and restores nothing if none is installed",
                 value: .path(\.restorationModel), whilePlaying: false,
                 unsetReadsAs: { ModelLocator.restorerPath() }),
    ]

    static func row(_ id: guint) -> Property? {
        id >= 1 && Int(id) <= table.count ? table[Int(id) - 1] : nil
    }

    /// Installs every row on the class, in table order.
    static func install(on objectClass: UnsafeMutablePointer<GObjectClass>) {
        let d = Settings()
        for (i, p) in table.enumerated() {
            let (name, nick, blurb) = (cString(p.name), cString(p.nick), cString(p.blurb))
            let flags = swiftvr_param_flags(p.whilePlaying ? 1 : 0)
            let spec: UnsafeMutablePointer<GParamSpec>? = switch p.value {
            case .uint(let k, let r): g_param_spec_uint(name, nick, blurb, r.lowerBound, r.upperBound, guint(d[keyPath: k]), flags)
            case .float(let k, let r): g_param_spec_double(name, nick, blurb, r.lowerBound, r.upperBound, Double(d[keyPath: k]), flags)
            case .bool(let k): g_param_spec_boolean(name, nick, blurb, d[keyPath: k] ? 1 : 0, flags)
            case .tasks(let k): g_param_spec_flags(name, nick, blurb, tasksFlagsType, d[keyPath: k].rawValue, flags)
            case .path(let k): g_param_spec_string(name, nick, blurb, d[keyPath: k], flags)
            }
            g_object_class_install_property(objectClass, guint(i + 1), spec)
        }
    }
}

// MARK: - GObject vfuncs

let setProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    guard let row = Properties.row(id) else { return Debug.warning(nil, "invalid property id \(id)") }
    // A READY-only property (a model) set in PAUSED or PLAYING: the stream keeps what it
    // runs with, says so, and the property reads back what is in use.
    if !row.whilePlaying, impl.element.pointee.current_state.rawValue > GST_STATE_READY.rawValue {
        Debug.warning(impl.element, "'\(row.name)' cannot change while \(String(cString: gst_element_state_get_name(impl.element.pointee.current_state))); unchanged")
        impl.postWarning("'\(row.name)' can only be set in the NULL or READY state; the element keeps the one in use",
                         debug: "set it before the pipeline starts, or bring the element to READY first")
        return
    }
    switch row.value {
    case .uint(let k, _): impl.updateSettings { $0[keyPath: k] = Int(g_value_get_uint(value)) }
    case .float(let k, _): impl.updateSettings { $0[keyPath: k] = Float(g_value_get_double(value)) }
    case .bool(let k): impl.updateSettings { $0[keyPath: k] = g_value_get_boolean(value) != 0 }
    case .tasks(let k): impl.updateSettings { $0[keyPath: k] = RestorationTasks(rawValue: g_value_get_flags(value)) }
    case .path(let k): impl.updateSettings { $0[keyPath: k] = g_value_get_string(value).map { String(cString: $0) } }
    }
    row.didSet?(impl)
}

let getProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafeMutablePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    guard let row = Properties.row(id) else { return Debug.warning(nil, "invalid property id \(id)") }
    let s = impl.currentSettings
    switch row.value {
    case .uint(let k, _): g_value_set_uint(value, guint(s[keyPath: k]))
    // The shortest decimal that is the Float: 0.3 set reads back 0.3, not 0.30000001192….
    case .float(let k, _): g_value_set_double(value, Double("\(s[keyPath: k])") ?? Double(s[keyPath: k]))
    case .bool(let k): g_value_set_boolean(value, s[keyPath: k] ? 1 : 0)
    case .tasks(let k): g_value_set_flags(value, s[keyPath: k].rawValue)
    case .path(let k): g_value_set_string(value, s[keyPath: k] ?? row.unsetReadsAs?())
    }
}
