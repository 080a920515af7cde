import CGStreamer
import SwiftVRElement

/// The entry point GStreamer looks up in libgstswiftvr.so (name derived from the file).
@_cdecl("gst_plugin_swiftvr_get_desc")
public func gst_plugin_swiftvr_get_desc() -> UnsafePointer<GstPluginDesc> {
    UnsafePointer(PluginInfo.descriptor)
}
