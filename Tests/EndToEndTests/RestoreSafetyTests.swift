import Foundation
import XCTest

/// What swiftvr-restore guarantees about files: the input is never written, an output that
/// would clash is refused before anything is opened, outputs appear only complete, links
/// and devices are written through or in place, names are bytes, and each failure has
/// its exit class. Every run has a time bound, so a hang fails the test instead of CI.
final class RestoreSafetyTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "swiftvr-safety-\(getpid())/"
    var silent: String { dir + "silent.mp4" }

    override func setUp() {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-an", "-frames:v", "10",
                                                          "-c:v", "libx264", "-preset", "ultrafast", silent]).status, 0)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func restore(_ args: [String], timeout: Double = 120, stdin: Any? = nil) -> GstProcess.Result {
        GstProcess.run(RestoreCommandTests.command, args, timeout: timeout, stdin: stdin)
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Row 1, 12, 15: OUT the input (by name, through a link, as a hard link), --faces or
    /// --compare the same as OUT: exit 2, the input untouched, nothing written.
    func testOutputsThatClashWithTheInputOrEachOtherAreRefused() throws {
        let before = try XCTUnwrap(contents(silent))
        try FileManager.default.createSymbolicLink(atPath: dir + "link.mp4", withDestinationPath: silent)
        try FileManager.default.linkItem(atPath: silent, toPath: dir + "hard.mp4")
        let cases: [[String]] = [
            [silent, silent], [silent, dir + "link.mp4"], [silent, dir + "hard.mp4"], [silent, dir + "./silent.mp4"],
            [silent, dir + "o.mp4", "--faces", dir + "o.mp4"], [silent, dir + "o.mp4", "--compare", dir + "o.mp4"],
            [silent, dir + "o.mp4", "--faces", silent],
        ]
        for args in cases {
            let r = restore(args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.output)")
            XCTAssertTrue(r.output.contains("the input") || r.output.contains("the same file"), "\(args): \(r.output)")
            XCTAssertEqual(contents(silent), before, "\(args): the input is untouched")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "o.mp4"), "\(args)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".partial") }, [], "\(args)")
        }
    }

    /// Row 2: a folder into itself is refused, with --overwrite too.
    func testFolderIntoItselfIsRefused() throws {
        let before = try XCTUnwrap(contents(silent))
        for extra in [[], ["--overwrite"]] {
            let r = restore([dir, dir] + extra)
            XCTAssertEqual(r.status, 2, r.output)
            XCTAssertTrue(r.output.contains("input folder"), r.output)
            XCTAssertEqual(contents(silent), before)
        }
    }

    /// Row 4, 6: no video stream is exit 4 at once (it hung at 0 CPU), in a folder too;
    /// a text file named .mp4 is unreadable input, 3.
    func testInputsWithoutVideoEndPromptly() throws {
        for (ext, codec) in [("m4a", "aac"), ("wav", "pcm_s16le"), ("ogg", "libvorbis")] {
            let audio = dir + "tone.\(ext)"
            XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=d=2", "-c:a", codec, audio]).status, 0)
            let r = restore([audio, dir + "o.mp4"], timeout: 30)
            XCTAssertEqual(r.status, 4, "\(ext): \(r.output)")
            XCTAssertTrue(r.output.contains("no video stream"), r.output)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "o.mp4.partial"))
        }
        let folder = dir + "in/"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", dir + "tone.ogg", "-c", "copy", folder + "tone.mkv"]).status, 0)
        try FileManager.default.copyItem(atPath: silent, toPath: folder + "clip.mp4")
        let r = restore([folder, dir + "out/"], timeout: 60)
        XCTAssertEqual(r.status, 7, r.output)
        XCTAssertTrue(r.output.contains("tone.mkv") && r.output.contains("failed (4)"), r.output)
        let text = dir + "notes.mp4"
        FileManager.default.createFile(atPath: text, contents: Data(String(repeating: "not a video\n", count: 200).utf8))
        let garbage = restore([text, dir + "o.mp4"], timeout: 30)
        XCTAssertEqual(garbage.status, 3, garbage.output)
    }

    /// Row 12, 13: --faces on a full device is exit 5 with nothing renamed into place (it
    /// aborted with a double free); a device is written in place and stays a device; a
    /// symbolic link's target is written and the link kept.
    func testDevicesAndLinksAreWrittenThroughAndAFullDiskIsReported() throws {
        let out = dir + "o.mp4"
        let full = restore([silent, out, "--faces", "/dev/full", "--quiet"])
        XCTAssertEqual(full.status, 5, full.output)
        XCTAssertTrue(full.output.contains("No space left"), full.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "the video is not renamed into place")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        let null = restore([silent, out, "--faces", "/dev/null", "--quiet"])
        XCTAssertEqual(null.status, 0, null.output)
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        try FileManager.default.createSymbolicLink(atPath: dir + "link.mp4", withDestinationPath: "target.mp4")
        let linked = restore([silent, dir + "link.mp4", "--quiet"])
        XCTAssertEqual(linked.status, 0, linked.output)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "link.mp4"), "target.mp4", "the link is kept")
        XCTAssertGreaterThan(contents(dir + "target.mp4")?.count ?? 0, 1000, "its target is written")
    }

    /// Row 14, 15: names that are not UTF-8 pass through as bytes; a name too long for a
    /// partial file gets the system's reason, exit 5.
    func testNamesAreBytesAndTheSystemsReasonIsGiven() throws {
        // Through a shell, so the names reach the file system and the command as bytes ("caf\xE9").
        let script = "cp \"$1\" \"$(printf '\(dir)caf\\351.mp4')\" && "
            + "exec \"$0\" --quiet \"$(printf '\(dir)caf\\351.mp4')\" \"$(printf '\(dir)caf\\351-out.mp4')\""
        let r = GstProcess.run("/bin/bash", ["-c", script, RestoreCommandTests.command, silent], timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        let written = GstProcess.run("/bin/bash", ["-c", "test -s \"$(printf '\(dir)caf\\351-out.mp4')\""])
        XCTAssertEqual(written.status, 0, "written under the same bytes")
        let replaced = GstProcess.run("/bin/bash", ["-c", "ls \"$0\" | grep -c $'\\xef\\xbf\\xbd'", dir])
        XCTAssertEqual(replaced.output.trimmingCharacters(in: .whitespacesAndNewlines), "0", "no name written with U+FFFD")
        let long = dir + String(repeating: "x", count: 248) + ".mp4"
        let t = restore([silent, long])
        XCTAssertEqual(t.status, 5, t.output)
        XCTAssertTrue(t.output.contains("File name too long"), t.output)
    }

    /// Row 10: several inputs into a folder; '-' reads standard input; '-' as the output is
    /// refused with the reason. Row 16: the table joins names with one slash, "1 frame".
    func testSeveralInputsStandardInputAndSmallThings() throws {
        let still = dir + "frame.jpg", mkv = dir + "clip.mkv"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", silent, "-frames:v", "1", still]).status, 0)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", silent, "-c", "copy", mkv]).status, 0)
        let many = restore([silent, still, dir + "many/"])
        XCTAssertEqual(many.status, 0, many.output)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir + "many")), ["silent.mp4", "frame.jpg"])
        XCTAssertFalse(many.output.contains("//"), many.output)
        let piped = restore(["-", dir + "piped.mkv", "--quiet"], stdin: try FileHandle(forReadingFrom: URL(fileURLWithPath: mkv)))
        XCTAssertEqual(piped.status, 0, piped.output)
        XCTAssertGreaterThan(contents(dir + "piped.mkv")?.count ?? 0, 1000)
        let toStdout = restore([silent, "-"])
        XCTAssertEqual(toStdout.status, 2, toStdout.output)
        XCTAssertTrue(toStdout.output.contains("standard output is not supported"), toStdout.output)
        let one = restore([still, dir + "one.png", "--draw-faces"])
        XCTAssertEqual(one.status, 0, "a bare boolean flag means true: \(one.output)")
        XCTAssertTrue(one.output.contains("1 frame in"), one.output)
        let folder = dir + "rec/"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "broken.mp4", contents: Data("junk".utf8))
        let table = restore([folder, dir + "rec-out"])
        XCTAssertFalse(table.output.contains("rec//"), table.output)
    }

    /// Row 9: --help-swiftvr gives each property's range and default; a range error names it.
    func testHelpAndRangeErrorsGiveRanges() {
        let help = restore(["--help-swiftvr"])
        XCTAssertEqual(help.status, 0)
        let strength = help.output.split(separator: "\n").first { $0.contains("--strength") } ?? ""
        XCTAssertTrue(strength.contains("range: 0.0 to 1.0") && strength.contains("default: 1"), String(strength))
        let tasks = help.output.split(separator: "\n").first { $0.contains("--tasks") } ?? ""
        XCTAssertTrue(tasks.contains("restore, colorize, inpaint"), String(tasks))
        let bad = restore([silent, dir + "o.mp4", "--window=99"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.output.contains("1 to 16"), bad.output)
    }
}
