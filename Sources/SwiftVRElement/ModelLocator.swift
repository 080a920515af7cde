import Glibc

/// Where the shipped model files are, in this order:
/// 1. `$SWIFTVR_MODEL_DIR`;
/// 2. `swiftvr/` beside libgstswiftvr.so (what scripts/install.sh and scripts/build.sh lay out);
/// 3. `models/` of the source tree the plugin was built from (a development build).
enum ModelLocator {
    static let detectorFile = "centerface.safetensors"

    static let restorerFile = "swiftvr-restorer.safetensors"

    static func detectorPath() -> String { locate(detectorFile) }

    /// The shipped restoration model (models/swiftvr-restorer.safetensors), if installed.
    static func restorerPath() -> String? {
        let p = locate(restorerFile)
        return access(p, R_OK) == 0 ? p : nil
    }

    static func locate(_ file: String) -> String {
        var candidates: [String] = []
        if let dir = getenv("SWIFTVR_MODEL_DIR") { candidates.append(String(cString: dir) + "/" + file) }
        if let dir = pluginDirectory() { candidates.append(dir + "/swiftvr/" + file) }
        candidates.append(sourceModelsDirectory + "/" + file)
        return candidates.first { access($0, R_OK) == 0 } ?? candidates[candidates.count - 1]
    }

    /// libgstswiftvr.so's path, as GStreamer gave it to the plugin's init function
    /// (nil when the plugin was registered statically, as in the tests).
    nonisolated(unsafe) static var pluginFile: String?

    static func pluginDirectory() -> String? {
        guard let path = pluginFile, let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    static let sourceModelsDirectory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Sources/SwiftVRElement/ModelLocator.swift
        return parts.joined(separator: "/") + "/models"
    }()
}
