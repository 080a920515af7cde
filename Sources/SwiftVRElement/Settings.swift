import CGStreamer
import SwiftVRPipeline

/// What the application sets; read under a lock by the streaming thread.
/// Defaults are the ones gst-inspect-1.0 and the README show.
struct Settings {
    var window = 4
    var strength = 1.0
    var temporalSmoothing = 1.0
    var detectionThreshold = 0.5
    var maxFaces = 8
    var minFaceSize = 20
    var detectionSize = 640
    var detectEvery = 5
    var postMessages = true
    var drawFaces = false
    var faceResolution = 256
    var adaptiveResolution = true
    var tasks: RestorationTasks = [.restore]
    /// nil: the shipped model found beside the plugin (see ModelLocator).
    var detectorModel: String?
    /// nil: the shipped restoration model if one is installed, else no restoration.
    var restorationModel: String?
    var inpaintMaskPath: String?
    var inpaintMask: MissingMask?
    /// Why `inpaintMaskPath` could not be read: posted as a WARNING when the element
    /// starts (a property set before the element is in a pipeline has no bus to post to).
    var inpaintMaskError: String?

    /// The face pipeline's view of these settings.
    var pipeline: FaceWindowProcessor.Settings {
        var p = FaceWindowProcessor.Settings()
        p.detector.threshold = Float(detectionThreshold)
        p.detector.maxFaces = maxFaces
        p.detector.minFaceSize = Float(minFaceSize)
        p.detector.inputLongSide = detectionSize
        p.detectEvery = detectEvery
        p.drawFaces = drawFaces
        p.faceResolution = max(64, faceResolution / 8 * 8)  // the restorer works on multiples of 8
        p.inpaintMask = inpaintMask
        p.adaptiveResolution = adaptiveResolution
        return p
    }
}

/// GObject property ids (0 is reserved by GObject), in gst-inspect order.
enum PropertyID: guint, CaseIterable {
    case window = 1, strength, temporalSmoothing, detectionThreshold, maxFaces, minFaceSize, detectionSize, detectEvery
    case postMessages, drawFaces, faceResolution, adaptiveResolution, tasks, inpaintMask, detectorModel, restorationModel
}

/// The GFlags type of the `tasks` property (gst-inspect lists its values).
let tasksFlagsType: GType = {
    let values = UnsafeMutablePointer<GFlagsValue>.allocate(capacity: 4)
    values[0] = GFlagsValue(value: RestorationTasks.restore.rawValue, value_name: cString("Blind face restoration"), value_nick: cString("restore"))
    values[1] = GFlagsValue(value: RestorationTasks.colorize.rawValue, value_name: cString("Colorize gray faces"), value_nick: cString("colorize"))
    values[2] = GFlagsValue(value: RestorationTasks.inpaint.rawValue, value_name: cString("Inpaint missing face regions"), value_nick: cString("inpaint"))
    values[3] = GFlagsValue(value: 0, value_name: nil, value_nick: nil)
    return g_flags_register_static(cString("GstSwiftVRTasks"), values)
}()

enum Properties {
    /// Installs every property on the class. Blurbs are what gst-inspect-1.0 shows.
    static func install(on objectClass: UnsafeMutablePointer<GObjectClass>) {
        let d = Settings()
        let playing = swiftvr_param_flags(1), ready = swiftvr_param_flags(0)
        func add(_ id: PropertyID, _ spec: UnsafeMutablePointer<GParamSpec>?) {
            g_object_class_install_property(objectClass, id.rawValue, spec)
        }
        add(.window, g_param_spec_uint(cString("window"), cString("Window"),
            cString("Temporal window of each face, in frames. With a causal restoration model (config causal_temporal, the shipped one) every frame is restored as it arrives, seeing itself and the window-1 frames before it: no added latency. With a non-causal model frames are restored together in windows: each frame waits for up to window-1 later frames, which the element reports as latency"),
            1, 16, guint(d.window), playing))
        add(.strength, g_param_spec_double(cString("strength"), cString("Strength"),
            cString("Blend between the input (0) and the full restoration (1); at 0 pixels pass through untouched (faces are still detected and reported)"),
            0, 1, d.strength, playing))
        add(.temporalSmoothing, g_param_spec_double(cString("temporal-smoothing"), cString("Temporal smoothing"),
            cString("Weight with which each restored face is averaged with the window-1 restored frames of the same face before it, pixel by pixel, after moving them onto it (aligned crops slip by a pixel or two); where the face changed (motion, expression) or only differs by more than the noise, the frame keeps its own restoration. Removes frame-to-frame noise and flicker; 0 turns it off, window=1 has nothing to average"),
            0, 1, d.temporalSmoothing, playing))
        add(.detectionThreshold, g_param_spec_double(cString("detection-threshold"), cString("Detection threshold"),
            cString("Minimum detector confidence for a face"), 0, 1, d.detectionThreshold, playing))
        add(.maxFaces, g_param_spec_uint(cString("max-faces"), cString("Maximum faces"),
            cString("Most faces handled per frame, highest confidence first; 0 turns detection off"),
            0, 64, guint(d.maxFaces), playing))
        add(.minFaceSize, g_param_spec_uint(cString("min-face-size"), cString("Minimum face size"),
            cString("Faces whose shorter box side is below this many frame pixels are ignored"),
            0, 4096, guint(d.minFaceSize), playing))
        add(.detectionSize, g_param_spec_uint(cString("detection-size"), cString("Detection size"),
            cString("Longer side, in pixels, of the downscaled copy the detector sees (frames are never upscaled); 0 detects at full resolution. Smaller is faster, larger finds smaller faces"),
            0, 8192, guint(d.detectionSize), playing))
        add(.detectEvery, g_param_spec_uint(cString("detect-every"), cString("Detect every"),
            cString("Run the detector on the whole frame every n-th frame; in between, each tracked face is detected again in a small neighbourhood of where it is expected (about a fifteenth of the work), and new faces wait for the next full detection. 1 detects on every whole frame"),
            1, 300, guint(d.detectEvery), playing))
        add(.postMessages, g_param_spec_boolean(cString("post-messages"), cString("Post messages"),
            cString("Post an element message named 'swiftvr' for every frame, with its timestamps and the faces in it (x, y, width, height, score, track-id, landmarks)"),
            d.postMessages ? 1 : 0, playing))
        add(.drawFaces, g_param_spec_boolean(cString("draw-faces"), cString("Draw faces"),
            cString("Draw each face's box, track id and landmarks into the frame (for debugging)"),
            d.drawFaces ? 1 : 0, playing))
        add(.faceResolution, g_param_spec_uint(cString("face-resolution"), cString("Face resolution"),
            cString("Side in pixels of the aligned square face crops the restoration model works on (FFHQ-style alignment); rounded down to a multiple of 8"),
            64, 512, guint(d.faceResolution), playing))
        add(.adaptiveResolution, g_param_spec_boolean(cString("adaptive-resolution"), cString("Adaptive resolution"),
            cString("Size each face's crops to what the face needs (twice its box side, which samples the face at the frame's own density; at least 64, at most face-resolution), so small faces cost less"),
            d.adaptiveResolution ? 1 : 0, playing))
        add(.tasks, g_param_spec_flags(cString("tasks"), cString("Tasks"),
            cString("Restoration tasks run together in one pass: restore, colorize (gray faces), inpaint (masked regions); e.g. tasks=restore+inpaint"),
            tasksFlagsType, d.tasks.rawValue, playing))
        add(.inpaintMask, g_param_spec_string(cString("inpaint-mask"), cString("Inpaint mask"),
            cString("8-bit binary PGM (P5) image in frame coordinates whose dark pixels (below 128) are missing and get inpainted (with tasks including inpaint); stretched to the frame size. Unset: RGBA/BGRA streams use their alpha channel (alpha 0 = missing)"),
            nil, playing))
        add(.restorationModel, g_param_spec_string(cString("model"), cString("Restoration model"),
            cString("Path of the restoration model's safetensors file; unset uses the shipped model installed beside the plugin, and restores nothing if none is installed"),
            nil, ready))
        add(.detectorModel, g_param_spec_string(cString("detector-model"), cString("Detector model"),
            cString("Path of the face detector's safetensors file; unset uses the shipped CenterFace model installed beside the plugin"),
            nil, ready))
    }
}

// MARK: - GObject vfuncs

let setProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    guard let property = PropertyID(rawValue: id) else { return Debug.warning(nil, "invalid property id \(id)") }
    if property == .window { return impl.setWindow(Int(g_value_get_uint(value))) }
    if property == .inpaintMask {
        let path = g_value_get_string(value).map { String(cString: $0) }
        var mask: MissingMask?
        var problem: String?
        if let path {
            do {
                mask = try MissingMask.load(pgm: path)
            } catch {
                problem = "\(error)"
            }
        }
        impl.updateSettings { s in (s.inpaintMaskPath, s.inpaintMask, s.inpaintMaskError) = (path, mask, problem) }
        // Started already: the bus is there to hear it now (otherwise start() reports it).
        if problem != nil, impl.element.pointee.current_state.rawValue >= GST_STATE_READY.rawValue { impl.reportMaskProblem() }
        return
    }
    impl.updateSettings { s in
        switch property {
        case .window: break
        case .strength: s.strength = g_value_get_double(value)
        case .temporalSmoothing: s.temporalSmoothing = g_value_get_double(value)
        case .detectionThreshold: s.detectionThreshold = g_value_get_double(value)
        case .maxFaces: s.maxFaces = Int(g_value_get_uint(value))
        case .minFaceSize: s.minFaceSize = Int(g_value_get_uint(value))
        case .detectionSize: s.detectionSize = Int(g_value_get_uint(value))
        case .detectEvery: s.detectEvery = Int(g_value_get_uint(value))
        case .postMessages: s.postMessages = g_value_get_boolean(value) != 0
        case .drawFaces: s.drawFaces = g_value_get_boolean(value) != 0
        case .faceResolution: s.faceResolution = Int(g_value_get_uint(value))
        case .adaptiveResolution: s.adaptiveResolution = g_value_get_boolean(value) != 0
        case .tasks: s.tasks = RestorationTasks(rawValue: g_value_get_flags(value))
        case .detectorModel: s.detectorModel = g_value_get_string(value).map { String(cString: $0) }
        case .restorationModel: s.restorationModel = g_value_get_string(value).map { String(cString: $0) }
        case .inpaintMask: break
        }
    }
}

let getProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafeMutablePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    let s = impl.currentSettings
    switch PropertyID(rawValue: id) {
    case .window: g_value_set_uint(value, guint(s.window))
    case .strength: g_value_set_double(value, s.strength)
    case .temporalSmoothing: g_value_set_double(value, s.temporalSmoothing)
    case .detectionThreshold: g_value_set_double(value, s.detectionThreshold)
    case .maxFaces: g_value_set_uint(value, guint(s.maxFaces))
    case .minFaceSize: g_value_set_uint(value, guint(s.minFaceSize))
    case .detectionSize: g_value_set_uint(value, guint(s.detectionSize))
    case .detectEvery: g_value_set_uint(value, guint(s.detectEvery))
    case .postMessages: g_value_set_boolean(value, s.postMessages ? 1 : 0)
    case .drawFaces: g_value_set_boolean(value, s.drawFaces ? 1 : 0)
    case .faceResolution: g_value_set_uint(value, guint(s.faceResolution))
    case .adaptiveResolution: g_value_set_boolean(value, s.adaptiveResolution ? 1 : 0)
    case .tasks: g_value_set_flags(value, s.tasks.rawValue)
    case .detectorModel: g_value_set_string(value, s.detectorModel ?? ModelLocator.detectorPath())
    case .restorationModel: g_value_set_string(value, s.restorationModel ?? ModelLocator.restorerPath())
    case .inpaintMask: g_value_set_string(value, s.inpaintMaskPath)
    case nil: Debug.warning(nil, "invalid property id \(id)")
    }
}
