import Foundation
import SwiftVRTestSupport
import XCTest

/// Runs GStreamer's own tools and the examples in fresh processes against the built
/// plugin: the way users load it, with no Swift runtime in the host.
enum GstProcess {
    static let repo = URL(fileURLWithPath: TestPaths.repo)

    /// Where libgstswiftvr.so is: $SWIFTVR_PLUGIN_DIR (scripts/test.sh sets it) or .build/release.
    static var pluginDir: String {
        ProcessInfo.processInfo.environment["SWIFTVR_PLUGIN_DIR"] ?? repo.appendingPathComponent(".build/release").path
    }

    static var pluginPath: String { pluginDir + "/libgstswiftvr.so" }

    struct Result {
        let status: Int32
        let output: String
    }

    /// A minimal environment: PATH, HOME, the plugin path and a private registry, so
    /// a stale blacklist entry in the user's registry cache cannot hide a failure.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        let registry = NSTemporaryDirectory() + "swiftvr-registry-\(getpid()).bin"
        var env = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": NSTemporaryDirectory(),
            "GST_PLUGIN_PATH": pluginDir,
            "GST_REGISTRY": registry,
        ]
        env.merge(extra) { $1 }
        return env
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], env: [String: String] = environment(),
                    file: StaticString = #filePath, line: UInt = #line) -> Result {
        XCTAssertTrue(FileManager.default.fileExists(atPath: pluginPath),
                      "no plugin at \(pluginPath): run scripts/build.sh first", file: file, line: line)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = env
        p.currentDirectoryURL = repo
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do {
            try p.run()
        } catch {
            XCTFail("could not start \(executable): \(error)", file: file, line: line)
            return Result(status: -1, output: "")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func launch(_ pipeline: String, file: StaticString = #filePath, line: UInt = #line) -> Result {
        run("/usr/bin/gst-launch-1.0", ["-v"] + pipeline.split(separator: " ").map(String.init), file: file, line: line)
    }
}
