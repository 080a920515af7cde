import CGStreamer
import SwiftVRPipeline

/// Property defaults, documented in gst-inspect and the README.
enum Defaults {
    static let window: UInt32 = 4
    static let strength: Double = 1.0
}

/// GObject property ids (0 is reserved by GObject).
enum PropertyID: guint {
    case window = 1
    case strength
}

/// What the application sets; read under `Lock` by the streaming thread.
struct Settings {
    var window = Int(Defaults.window)
    var strength = Defaults.strength
}

enum Properties {
    /// Installs every property on the class. Blurbs are what gst-inspect-1.0 shows.
    static func install(on objectClass: UnsafeMutablePointer<GObjectClass>) {
        let w = TemporalWindow<Int>.capacityRange
        g_object_class_install_property(objectClass, PropertyID.window.rawValue, g_param_spec_uint(
            cString("window"), cString("Window"),
            cString("Frames restored together as one causal temporal window. Each frame waits for up to window-1 later frames, which the element reports as latency; 1 processes every frame alone with no added latency"),
            guint(w.lowerBound), guint(w.upperBound), Defaults.window, swiftvr_param_flags(1)))
        g_object_class_install_property(objectClass, PropertyID.strength.rawValue, g_param_spec_double(
            cString("strength"), cString("Strength"),
            cString("Blend between the input (0) and the full restoration (1); at 0 buffers pass through untouched"),
            0.0, 1.0, Defaults.strength, swiftvr_param_flags(1)))
    }
}

// MARK: - GObject vfuncs

let setProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    switch PropertyID(rawValue: id) {
    case .window: impl.setWindow(Int(g_value_get_uint(value)))
    case .strength: impl.setStrength(g_value_get_double(value))
    case nil: Debug.warning(nil, "invalid property id \(id)")
    }
}

let getProperty: @convention(c) (UnsafeMutablePointer<GObject>?, guint, UnsafeMutablePointer<GValue>?,
                                 UnsafeMutablePointer<GParamSpec>?) -> Void = { object, id, value, pspec in
    guard let object, let value, let impl = SwiftVR.from(object) else { return }
    let s = impl.currentSettings
    switch PropertyID(rawValue: id) {
    case .window: g_value_set_uint(value, guint(s.window))
    case .strength: g_value_set_double(value, s.strength)
    case nil: Debug.warning(nil, "invalid property id \(id)")
    }
}
