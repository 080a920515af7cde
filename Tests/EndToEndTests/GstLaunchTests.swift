import Foundation
import XCTest

/// Real gst-launch-1.0 pipelines and real hosts loading libgstswiftvr.so.
final class GstLaunchTests: XCTestCase {
    /// `fakesink silent=false` under -v prints one "chain" line per buffer it receives.
    private func buffersReceived(_ output: String) -> Int {
        output.split(separator: "\n").filter { $0.contains("last-message = chain") }.count
    }

    func testVideotestsrcDeliversExactlyNBuffers() {
        let cases: [(n: Int, format: String, size: String, window: Int)] = [
            (1, "I420", "320x240", 4), (5, "RGB", "17x13", 4), (13, "NV12", "641x359", 4),
            (16, "BGRx", "64x48", 16), (7, "RGBA", "1x1", 1), (30, "I420", "1280x720", 8),
        ]
        for c in cases {
            let wh = c.size.split(separator: "x")
            let r = GstProcess.launch(
                "videotestsrc num-buffers=\(c.n) ! video/x-raw,format=\(c.format),width=\(wh[0]),height=\(wh[1]) " +
                "! swiftvr window=\(c.window) ! fakesink silent=false")
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertEqual(buffersReceived(r.output), c.n, "\(c): every frame comes out, the last window drained at EOS")
        }
    }

    /// A mask that cannot be read (truncated, 16-bit, not a PGM) is set before the element
    /// has a bus; it is reported when the stream starts, and gst-launch prints it.
    func testUnreadableInpaintMaskIsReportedWhenTheStreamStarts() throws {
        let dir = NSTemporaryDirectory()
        let cases: [(String, Data)] = [
            ("truncated.pgm", Data("P5\n64 64\n255\n".utf8) + Data(repeating: 255, count: 100)),
            ("sixteen-bit.pgm", Data("P5\n4 4\n65535\n".utf8) + Data(repeating: 255, count: 32)),
            ("nonsense.pgm", Data("hello, not an image".utf8)),
        ]
        for (name, bytes) in cases {
            let path = dir + "swiftvr-" + name
            FileManager.default.createFile(atPath: path, contents: bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = GstProcess.launch("videotestsrc num-buffers=3 ! video/x-raw,format=RGB,width=64,height=64 " +
                                      "! swiftvr tasks=restore+inpaint inpaint-mask=\(path) ! fakesink silent=false")
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("WARNING") && r.output.contains("Could not read the inpaint mask '\(path)'"),
                          "\(name): gst-launch should print the warning\n\(r.output)")
            XCTAssertEqual(buffersReceived(r.output), 3, "the stream still runs to the end")
        }
    }

    func testLivePipelineRunsInSyncWithWindow() {
        let r = GstProcess.launch("videotestsrc is-live=true num-buffers=20 ! video/x-raw,framerate=30/1 " +
                                  "! swiftvr window=4 ! fakesink silent=false sync=true")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(buffersReceived(r.output), 20)
    }

    func testPluginLoadsInAFreshProcessWithOnlyPluginPath() {
        let r = GstProcess.run("/usr/bin/gst-inspect-1.0", ["swiftvr"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("Filter/Effect/Video"))
        XCTAssertTrue(r.output.contains("window"))
        XCTAssertTrue(r.output.contains("strength"))
        // An author with an address and an origin that is a URL, as gst-inspect users expect.
        XCTAssertNotNil(r.output.range(of: #"Author\s+[^\n]+<[^@\s]+@[^>\s]+\.[a-z]+>"#, options: .regularExpression), r.output)
        XCTAssertNotNil(r.output.range(of: #"Origin URL\s+(file|https?)://"#, options: .regularExpression), r.output)
        // No dependency on the toolchain: the Swift runtime is inside the plugin.
        let ldd = GstProcess.run("/usr/bin/ldd", [GstProcess.pluginPath])
        XCTAssertFalse(ldd.output.contains("libswift"), ldd.output)
        XCTAssertFalse(ldd.output.contains("libFoundation"), ldd.output)
        XCTAssertFalse(ldd.output.contains("not found"), ldd.output)
    }

    func testFileToFileExampleKeepsAudioAndEveryFrame() throws {
        let out = NSTemporaryDirectory() + "swiftvr-file-to-file-\(getpid()).mp4"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = GstProcess.run("/bin/bash", ["gst-examples/file-to-file.sh", "samples/faces-640x360.mp4", out, "window=3"])
        XCTAssertEqual(r.status, 0, r.output)
        let probe = GstProcess.run("/usr/bin/gst-discoverer-1.0", [out])
        XCTAssertTrue(probe.output.contains("video #"), probe.output)
        XCTAssertTrue(probe.output.contains("audio #"), "the audio track is kept: \(probe.output)")
        XCTAssertTrue(probe.output.contains("Frame rate: 25/1"), probe.output)
        // Every one of the sample's 100 frames is in the output.
        let count = GstProcess.launch("filesrc location=\(out) ! qtdemux ! h264parse ! fakesink silent=false")
        XCTAssertEqual(buffersReceived(count.output), 100)
    }

    /// A video without audio: the example builds no audio branch, so the muxer does not
    /// wait forever for one (it hung here with a 0-byte output).
    func testFileToFileExampleFinishesWithoutAudio() throws {
        let silent = NSTemporaryDirectory() + "swiftvr-silent-\(getpid()).mp4", out = silent + ".out.mp4"
        defer { for f in [silent, out] { try? FileManager.default.removeItem(atPath: f) } }
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-an", "-frames:v", "20",
                                                          "-c:v", "libx264", "-preset", "ultrafast", silent]).status, 0)
        let r = GstProcess.run("/bin/bash", ["gst-examples/file-to-file.sh", silent, out], timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        let probe = GstProcess.run("/usr/bin/gst-discoverer-1.0", [out])
        XCTAssertTrue(probe.output.contains("video #"), probe.output)
        XCTAssertFalse(probe.output.contains("audio #"), probe.output)
    }

    func testCExampleBuildsAndRuns() throws {
        let exe = NSTemporaryDirectory() + "swiftvr-app-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: exe) }
        let build = GstProcess.run("/bin/sh", ["-c", "cc -Wall -Werror gst-examples/c/swiftvr-app.c -o \(exe) $(pkg-config --cflags --libs gstreamer-1.0)"])
        XCTAssertEqual(build.status, 0, build.output)
        let r = GstProcess.run(exe, ["23", "5"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("23 frames in, 23 frames out, window=5"), r.output)
    }

    func testPythonExampleRunsWithASeek() {
        let r = GstProcess.run("/usr/bin/python3", ["gst-examples/python/swiftvr_app.py", "45", "4"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("45 after the seek, seeked=True"), r.output)
    }

    func testBadPropertyValueIsRejectedNotCrashing() {
        let r = GstProcess.launch("videotestsrc num-buffers=3 ! swiftvr window=99 ! fakesink silent=false")
        // GLib clamps nothing for out-of-range uint properties: the value is refused with a
        // warning naming it, and the stream runs with the default.
        XCTAssertTrue(r.output.contains("\"99\"") && r.output.contains("out of range for property 'window'"), r.output)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(buffersReceived(r.output), 3, r.output)
    }
}

/// The detector in a real pipeline: `gst-launch-1.0 -m` shows a `swiftvr` message per
/// frame of the sample clip, with both portraits found where make_sample.py put them.
final class FaceMessageTests: XCTestCase {
    func testSampleClipMessagesReportBothFaces() throws {
        let r = GstProcess.run("/usr/bin/gst-launch-1.0", ["-m", "filesrc", "location=samples/faces-640x360.mp4", "!", "qtdemux",
                                                         "!", "avdec_h264", "!", "videoconvert", "!", "swiftvr", "window=4", "!", "fakesink"])
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.output.split(separator: "\n").filter { $0.contains("(element): swiftvr,") }
        XCTAssertEqual(lines.count, 100, "one message per frame")
        let twoFaces = lines.filter { $0.components(separatedBy: "track-id").count - 1 == 2 }
        XCTAssertGreaterThanOrEqual(twoFaces.count, 95, "both faces in (almost) every frame")
        // Frame 0: the astronaut's face lies inside her sprite at (40, 60), 200 px tall.
        guard let first = lines.first, let x = Self.field("x", in: first), let y = Self.field("y", in: first) else {
            return XCTFail("no face fields")
        }
        let xs = Self.allFields("x", in: first), ys = Self.allFields("y", in: first)
        XCTAssertTrue(zip(xs, ys).contains { (40...240).contains($0) && (60...260).contains($1) },
                      "astronaut's face near (40..240, 60..260): \(xs) \(ys) (first \(x), \(y))")
    }

    /// Values of `name=(uint)N` in a gst-launch message line (escaped inside the list).
    static func allFields(_ name: String, in line: Substring) -> [Int] {
        let pattern = "\\ \(name)\\=\\(uint\\)"
        var out: [Int] = []
        var rest = line[...]
        while let r = rest.range(of: pattern) {
            let digits = rest[r.upperBound...].prefix { $0.isNumber }
            if let v = Int(digits) { out.append(v) }
            rest = rest[r.upperBound...]
        }
        return out
    }

    static func field(_ name: String, in line: Substring) -> Int? { allFields(name, in: line).first }
}
