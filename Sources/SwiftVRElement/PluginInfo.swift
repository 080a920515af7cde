import CGStreamer

/// Plugin metadata shared by the exported descriptor and static registration (tests).
public enum PluginInfo {
    /// The one version: scripts/package-deb.sh and scripts/install.sh read it from here.
    public static let version: StaticString = "0.1.0"
    public static let license: StaticString = "MIT/X11"
    public static let name: StaticString = "swiftvr"
    public static let summary: StaticString = "Face restoration in video, in Swift on the CPU"
    public static let source: StaticString = "swiftvr"
    #if SWIFTVR_DEB_PACKAGE
    public static let package: StaticString = "gstreamer1.0-swiftvr (Debian package)"
    public static let origin: StaticString = "scripts/package-deb.sh of the swiftvr source tree"
    #else
    public static let package: StaticString = "swiftvr (built from source)"
    public static let origin: StaticString = "Unknown package origin"
    #endif

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
        desc.pointee.origin = cString(origin)
        return desc
    }()

    /// Registers the plugin inside the current process without loading a .so
    /// (the element tests use this; applications may too).
    @discardableResult
    public static func registerStatic() -> Bool {
        gst_plugin_register_static(GST_VERSION_MAJOR, GST_VERSION_MINOR, cString(name), cString(summary),
                                   registerElements, cString(version), cString(license), cString(source),
                                   cString(package), cString(origin)) != 0
    }
}
