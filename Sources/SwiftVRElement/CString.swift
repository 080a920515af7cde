import CGStreamer

/// A C string view of a string literal. Literals live for the whole process, which is
/// what GObject needs for G_PARAM_STATIC_STRINGS and static element metadata.
@inline(__always)
func cString(_ s: StaticString) -> UnsafePointer<gchar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: gchar.self)
}

/// The Swift object behind a GstElement or GstObject pointer of type GstSwiftVR.
/// SAFETY: GObject allocates instances of GstSwiftVR with the C layout of
/// `SwiftVRInstance` (shim.h), whose first member is the GstElement.
@inline(__always)
func instance(_ object: UnsafeMutableRawPointer) -> UnsafeMutablePointer<SwiftVRInstance> {
    object.assumingMemoryBound(to: SwiftVRInstance.self)
}

/// GST_CLOCK_TIME_NONE ((GstClockTime) -1) does not import as a constant.
let clockTimeNone = GstClockTime.max
