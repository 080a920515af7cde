import CGStreamer

/// Plugin metadata shared by the exported descriptor and static registration (tests).
public enum PluginInfo {
    /// The one version: scripts/package-deb.sh and scripts/install.sh read it from here.
    public static let version: StaticString = "0.1.0"
    public static let license: StaticString = "MIT/X11"
    public static let name: StaticString = "swiftvr"
    public static let summary: StaticString = "Face restoration in video, in Swift on the CPU"
    public static let source: StaticString = "swiftvr"
    /// The element's Author field: name and address (scripts/package-deb.sh uses the same placeholder
    /// address, reserved for documentation, unless DEBEMAIL names a real maintainer).
    public static let author: StaticString = "swiftvr developers <swiftvr@example.org>"
    #if SWIFTVR_DEB_PACKAGE
    public static let package: StaticString = "gstreamer1.0-swiftvr (Debian package)"
    /// The installed package's documentation (its copyright file names the sources).
    public static let origin = "file:///usr/share/doc/gstreamer1.0-swiftvr/"
    #else
    public static let package: StaticString = "swiftvr (built from source)"
    /// The source tree the plugin was built from, as a file URL.
    public static let origin: String = {
        let file = "\(#filePath)"   // …/Sources/SwiftVRElement/PluginInfo.swift
        let parts = file.split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
        return "file://" + parts.joined(separator: "/") + "/"
    }()
    #endif
    /// `origin` as GStreamer keeps it (the descriptor outlives any Swift string).
    nonisolated(unsafe) static let originCString: UnsafePointer<gchar> = UnsafePointer(strdup(origin)!)

    /// The GstPluginDesc GStreamer reads through `gst_plugin_swiftvr_get_desc`.
    nonisolated(unsafe) public static let descriptor: UnsafeMutablePointer<GstPluginDesc> = {
        let desc = UnsafeMutablePointer<GstPluginDesc>.allocate(capacity: 1)
        desc.initialize(to: GstPluginDesc())
        desc.pointee.major_version = GST_VERSION_MAJOR
        desc.pointee.minor_version = GST_VERSION_MINOR
        desc.pointee.name = cString(name)
        desc.pointee.description = cString(summary)
        desc.pointee.plugin_init = registerElements
        desc.pointee.version = cString(version)
        desc.pointee.license = cString(license)
        desc.pointee.source = cString(source)
        desc.pointee.package = cString(package)
        desc.pointee.origin = originCString
        return desc
    }()

    /// Registers the plugin inside the current process without loading a .so
    /// (the element tests use this; applications may too).
    @discardableResult
    public static func registerStatic() -> Bool {
        gst_plugin_register_static(GST_VERSION_MAJOR, GST_VERSION_MINOR, cString(name), cString(summary),
                                   registerElements, cString(version), cString(license), cString(source),
                                   cString(package), originCString) != 0
    }
}
