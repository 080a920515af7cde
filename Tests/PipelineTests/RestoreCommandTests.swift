import Foundation
import XCTest

/// `swiftvr-restore IN OUT`: real files through the real command, checked with ffprobe:
/// audio copied packet for packet, every frame kept, still images, and one exit status
/// and one line per class of error.
final class RestoreCommandTests: XCTestCase {
    static var command: String { GstProcess.pluginDir + "/swiftvr-restore" }
    let dir = NSTemporaryDirectory() + "swiftvr-restore-\(getpid())/"

    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func restore(_ args: [String]) -> GstProcess.Result { GstProcess.run(Self.command, args) }

    /// ffprobe's one value per packet (or stream) of the selected stream.
    func probe(_ file: String, _ entries: String, stream: String) -> [String] {
        GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", entries,
                                            "-of", "csv=p=0", file]).output.split(separator: "\n").map(String.init)
    }

    /// The MD5 of each audio packet, in order.
    func audioPackets(_ file: String) -> [String] {
        GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", file, "-map", "0:a", "-c", "copy", "-f", "framemd5", "-"])
            .output.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: ",").last.map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    func testSampleKeepsEveryFrameAndCopiesTheAudio() {
        for ext in ["mp4", "mkv"] {
            let out = dir + "restored.\(ext)"
            let r = restore(["samples/faces-640x360.mp4", out])
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("100 frames") && r.output.contains("audio copied"), r.output)
            XCTAssertEqual(probe(out, "stream=codec_name", stream: "v"), ["h264"])
            XCTAssertEqual(probe(out, "stream=r_frame_rate", stream: "v"), ["25/1"])
            XCTAssertEqual(probe(out, "stream=width,height", stream: "v"), ["640,360"])
            XCTAssertEqual(GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v",
                "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]).output.trimmingCharacters(in: .whitespacesAndNewlines), "100")
            // Not re-encoded: the output's audio packets are the input's, byte for byte, in
            // order — those inside the input's presentation (its edit list drops the AAC
            // priming packet and the padding one at the end).
            let input = audioPackets("samples/faces-640x360.mp4"), output = audioPackets(out)
            XCTAssertGreaterThanOrEqual(output.count, input.count - 2, ext)
            if let first = output.first, let start = input.firstIndex(of: first) {
                XCTAssertEqual(Array(input[start..<min(input.count, start + output.count)]), output, "\(ext): audio copied packet for packet")
            } else {
                XCTFail("\(ext): the output's first audio packet is not one of the input's")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        }
    }

    func testVideoWithoutAudioStaysWithoutAndStillImagesWork() {
        let silent = dir + "silent.mp4", still = dir + "frame.jpg"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-an", "-frames:v", "20",
                                                          "-c:v", "libx264", "-preset", "ultrafast", silent]).status, 0)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-frames:v", "1", still]).status, 0)
        let out = dir + "silent-restored.mp4"
        let r = restore(["--quiet", silent, out])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.output, "", "--quiet prints nothing on success")
        XCTAssertEqual(probe(out, "stream=codec_type", stream: "a"), [], "no audio stream appears")
        XCTAssertEqual(probe(out, "stream=codec_type", stream: "v"), ["video"])
        let png = dir + "frame-restored.png"
        let s = restore([still, png, "--draw-faces=true"])
        XCTAssertEqual(s.status, 0, s.output)
        XCTAssertEqual(probe(png, "stream=codec_name,width,height", stream: "v"), ["png,640,360"])
    }

    /// Each class of error: one line naming what and where, its own exit status, no output file.
    func testErrorsGiveOneLineAndTheirExitStatus() {
        let text = dir + "notes.mp4"
        FileManager.default.createFile(atPath: text, contents: Data(String(repeating: "not a video\n", count: 200).utf8))
        let out = dir + "out.mp4"
        let cases: [(args: [String], status: Int32, mentions: String)] = [
            (["/nonexistent/in.mp4", out], 3, "/nonexistent/in.mp4"),
            (["samples/faces-640x360.mp4", "/nonexistent/dir/out.mp4"], 5, "/nonexistent/dir"),
            (["samples/faces-640x360.mp4", out, "--strength=7"], 2, "--strength"),
            (["samples/faces-640x360.mp4", out, "--window=many"], 2, "--window"),
            (["samples/faces-640x360.mp4", dir + "out.xyz"], 2, "out.xyz"),
            (["samples/faces-640x360.mp4"], 2, "input and an output"),
            ([text, out], 4, "notes.mp4"),
            (["samples/faces-640x360.mp4", out, "--model=Tests/Fixtures/invalid/in-channels-3.safetensors"], 6, "in_channels"),
        ]
        for c in cases {
            let r = restore(c.args)
            XCTAssertEqual(r.status, c.status, "\(c.args): \(r.output)")
            let lines = r.output.split(separator: "\n").filter { $0.hasPrefix("swiftvr-restore:") }
            XCTAssertEqual(lines.count, 1, "\(c.args): one line: \(r.output)")
            XCTAssertTrue(r.output.contains(c.mentions), "\(c.args) should mention \(c.mentions): \(r.output)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(c.args): no output left")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"), "\(c.args): no partial output left")
        }
    }

    /// Ctrl-C finishes the file up to there (playable, fewer frames); exit status 130.
    func testInterruptFinishesAPlayableFile() throws {
        let long = dir + "long.mp4"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-stream_loop", "9", "-i", "samples/faces-640x360.mp4",
                                                          "-c", "copy", long]).status, 0)
        let out = dir + "cut.mp4"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.command)
        p.arguments = [long, out]
        p.environment = GstProcess.environment()
        p.currentDirectoryURL = GstProcess.repo
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Interrupt once the output has started (some frames restored), well before the end.
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: out + ".partial") { usleep(50_000) }
        sleep(3)
        XCTAssertTrue(p.isRunning, "the 1,000-frame file should take longer than this")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let frames = Int(GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(frames, 0, "a playable file up to the interrupt")
        XCTAssertLessThan(frames, 1000)
    }
}
