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
                                            "-of", "csv=p=0", file]).output.split(separator: "\n")
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }   // side data adds an empty column
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

    /// Each class of error: one line naming what and where, its own exit status, no output
    /// file (a text file named .mp4 is unreadable input, 3; no video stream is 4).
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
            ([text, out], 3, "notes.mp4"),
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
    /// A second Ctrl-C abandons it and removes the partial output.
    func testInterruptFinishesAPlayableFile() throws {
        let long = dir + "long.mp4"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-stream_loop", "9", "-i", "samples/faces-640x360.mp4",
                                                          "-c", "copy", long]).status, 0)
        /// The command on `long`, returned once its output has started (some frames restored).
        func started(_ out: String, stderr: Any = FileHandle.nullDevice) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.command)
            p.arguments = [long, out]
            p.environment = GstProcess.environment()
            p.currentDirectoryURL = GstProcess.repo
            p.standardError = stderr
            try p.run()
            for _ in 0..<600 where !FileManager.default.fileExists(atPath: out + ".partial") { usleep(50_000) }
            return p
        }
        let out = dir + "cut.mp4"
        let p = try started(out)
        sleep(3)   // well before the end
        XCTAssertTrue(p.isRunning, "the 1,000-frame file should take longer than this")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let frames = Int(GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(frames, 0, "a playable file up to the interrupt")
        XCTAssertLessThan(frames, 1000)

        // Twice: abandoned, nothing left, neither the output nor its partial file.
        let abandoned = dir + "abandoned.mp4"
        let errors = Pipe()
        let q = try started(abandoned, stderr: errors)
        sleep(2)
        // The second once the first is heard ("stopping: finishing …"), while the file is
        // being finished (a second one after it is finished finds nothing to abandon).
        kill(q.processIdentifier, SIGINT)
        var heard = ""
        while !heard.contains("stopping") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            heard += String(decoding: chunk, as: UTF8.self)
        }
        kill(q.processIdentifier, SIGINT)
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 130)
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandoned))
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandoned + ".partial"))
    }

    /// --compare: input | restored side by side, every frame; --faces: one JSON record per
    /// frame with the documented fields, boxes inside the frame, landmarks inside their box.
    func testCompareAndFaceRecords() throws {
        let out = dir + "o.mp4", compare = dir + "side.mp4", faces = dir + "faces.jsonl"
        let r = restore(["samples/faces-640x360.mp4", out, "--compare", compare, "--faces", faces])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v",
            "-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", compare]).output
            .trimmingCharacters(in: .whitespacesAndNewlines), "1280,360,100")
        let lines = try String(contentsOfFile: faces, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 100, "one record per frame")
        var tracks = Set<Int>()
        for (n, line) in lines.enumerated() {
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertEqual(record["frame"] as? Int, n)
            XCTAssertEqual(try XCTUnwrap(record["time"] as? Double), Double(n) * 0.04, accuracy: 1e-6)
            XCTAssertEqual(try XCTUnwrap(record["duration"] as? Double), 0.04, accuracy: 1e-6)
            for face in try XCTUnwrap(record["faces"] as? [[String: Any]]) {
                XCTAssertEqual(Set(face.keys), ["track_id", "score", "box", "landmarks"])
                let box = try XCTUnwrap(face["box"] as? [Int])
                XCTAssertEqual(box.count, 4)
                XCTAssertTrue(box[0] >= 0 && box[1] >= 0 && box[2] > 0 && box[3] > 0 && box[0] + box[2] <= 640 && box[1] + box[3] <= 360, "\(box)")
                let score = try XCTUnwrap(face["score"] as? Double)
                XCTAssertTrue(score > 0 && score <= 1)
                let points = try XCTUnwrap(face["landmarks"] as? [[Double]])
                XCTAssertEqual(points.map(\.count), [2, 2, 2, 2, 2])
                for p in points {
                    XCTAssertTrue(p[0] >= Double(box[0] - box[2] / 4) && p[0] <= Double(box[0] + box[2] + box[2] / 4), "landmark \(p) near box \(box)")
                }
                tracks.insert(try XCTUnwrap(face["track_id"] as? Int))
            }
        }
        XCTAssertEqual(tracks.count, 2, "the sample's two faces, each one track")
        XCTAssertFalse(FileManager.default.fileExists(atPath: faces + ".partial"))
    }

    /// A folder of three files, one corrupt: two restored, one error line, exit status 7,
    /// a table; run again, the two are skipped as done.
    func testFolderRestoresEachFileAndReportsTheFailedOne() throws {
        let input = dir + "in/", output = dir + "out/"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-frames:v", "20",
                                                          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", input + "a.mp4"]).status, 0)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-frames:v", "1", input + "b.jpg"]).status, 0)
        let sample = try Data(contentsOf: GstProcess.repo.appendingPathComponent("samples/faces-640x360.mp4"))
        FileManager.default.createFile(atPath: input + "c.mkv", contents: sample.prefix(5000))
        FileManager.default.createFile(atPath: input + "notes.txt", contents: Data("not media".utf8))
        let r = restore([input, output, "-j", "2"])
        XCTAssertEqual(r.status, 7, r.output)
        XCTAssertEqual(r.output.split(separator: "\n").filter { $0.contains("failed") && $0.hasPrefix("swiftvr-restore:") }.count, 1, r.output)
        XCTAssertTrue(r.output.contains("c.mkv"), r.output)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: output)), ["a.mp4", "b.jpg"])
        XCTAssertEqual(probe(output + "a.mp4", "stream=codec_type", stream: "v"), ["video"])
        let rows = r.output.split(separator: "\n").filter { $0.hasPrefix("a.mp4") || $0.hasPrefix("b.jpg") }
        XCTAssertEqual(rows.count, 2, r.output)
        XCTAssertTrue(rows[0].contains("20") && rows[0].hasSuffix("restored"), String(rows[0]))
        let again = restore([input, output, "--quiet"])
        XCTAssertEqual(again.status, 7, again.output)
        XCTAssertEqual(again.output.split(separator: "\n").filter { $0.hasSuffix("skipped (done)") }.count, 2, again.output)
    }

    /// A phone's way: sideways pixels and a rotation in the container. The output plays the
    /// same way up at the same size (turned upright, no rotation left to apply), and the
    /// faces are found because the detector sees them upright (on the sideways pixels
    /// without the rotation it finds none).
    func testOrientationIsKeptAndFacesAreFoundUpright() {
        let sideways = dir + "sideways.mp4", tagged = dir + "phone.mp4"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-frames:v", "30",
                                                          "-vf", "transpose=1", "-c:v", "libx264", "-preset", "ultrafast", sideways]).status, 0)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", sideways, "-c", "copy", "-metadata:s:v:0", "rotate=90", tagged]).status, 0)
        XCTAssertEqual(probe(tagged, "stream=width,height", stream: "v"), ["360,640"])
        let out = dir + "upright.mp4"
        let r = restore(["--quiet", "--report", tagged, out])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.output.trimmingCharacters(in: .whitespacesAndNewlines), "frames=30 faces=2")
        XCTAssertEqual(probe(out, "stream=width,height", stream: "v"), ["640,360"])
        XCTAssertEqual(probe(out, "stream_side_data=rotation", stream: "v").filter { !$0.isEmpty }, [], "no rotation left to apply")
        let untagged = restore(["--quiet", "--report", sideways, dir + "sideways-out.mp4"])
        XCTAssertEqual(untagged.output.trimmingCharacters(in: .whitespacesAndNewlines), "frames=30 faces=0",
                       "the same pixels without the rotation: sideways faces are not found")
    }
}
