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

    /// Runs `executable` and returns its status and output (stdout and stderr together).
    /// With `timeout`, a process still running after that many seconds is killed and the
    /// test fails: a hang shows as a failure, never as a CI run that does not end.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], env: [String: String] = environment(),
                    timeout: Double? = nil, stdin: Any? = nil,
                    file: StaticString = #filePath, line: UInt = #line) -> Result {
        XCTAssertTrue(FileManager.default.fileExists(atPath: pluginPath),
                      "no plugin at \(pluginPath): run scripts/build.sh first", file: file, line: line)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = env
        p.currentDirectoryURL = repo
        if let stdin { p.standardInput = stdin }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do {
            try p.run()
        } catch {
            XCTFail("could not start \(executable): \(error)", file: file, line: line)
            return Result(status: -1, output: "")
        }
        let collected = Collected()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            collected.data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        if let timeout {
            finish(p, within: timeout, "\(executable) \(arguments)", file: file, line: line)
            _ = done.wait(timeout: .now() + 10)
        } else {
            done.wait()
            p.waitUntilExit()
        }
        return Result(status: p.terminationStatus, output: String(decoding: collected.data, as: UTF8.self))
    }

    /// Waits at most `seconds` for `p` to end; kills it and fails the test otherwise.
    static func finish(_ p: Process, within seconds: Double, _ what: String = "the command",
                       file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            XCTFail("\(what) still running after \(seconds) s: killed", file: file, line: line)
        }
        p.waitUntilExit()
    }

    private final class Collected: @unchecked Sendable {   // written once by the reader, read after the semaphore
        var data = Data()
    }

    static func launch(_ pipeline: String, file: StaticString = #filePath, line: UInt = #line) -> Result {
        run("/usr/bin/gst-launch-1.0", ["-v"] + pipeline.split(separator: " ").map(String.init), file: file, line: line)
    }
}
