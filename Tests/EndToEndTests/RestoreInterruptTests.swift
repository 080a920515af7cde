import Foundation
import XCTest

/// Signals and stalls: SIGTERM is handled like Ctrl-C, a folder run stops starting files at
/// the first signal and ends with its table (it hung), a rerun redoes the files that were
/// cut short, and a job in which nothing moves ends after --stall-timeout.
final class RestoreInterruptTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "swiftvr-interrupt-\(getpid())/"

    override func setUp() { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The sample looped `times` times into `path` (100 frames each).
    func looped(_ path: String, times: Int) {
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-stream_loop", "\(times - 1)", "-i", "samples/faces-640x360.mp4",
                                                          "-c", "copy", path]).status, 0)
    }

    /// Starts the command; returns once `waitFor` exists (the job has started writing).
    func start(_ args: [String], waitFor: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RestoreCommandTests.command)
        p.arguments = args
        p.environment = GstProcess.environment()
        p.currentDirectoryURL = GstProcess.repo
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<600 where !waitFor.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) { usleep(50_000) }
        return p
    }

    func finish(_ p: Process, within seconds: Double, file: StaticString = #filePath, line: UInt = #line) {
        GstProcess.finish(p, within: seconds, "swiftvr-restore after the signal", file: file, line: line)
    }

    func frames(_ file: String) -> Int {
        Int(GstProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
            "stream=nb_read_frames", "-of", "csv=p=0", file]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Row 7: SIGTERM finishes the file up to there (playable), exit 143, no partial file
    /// left (a 0-byte one was left); twice, nothing is left.
    func testSigtermIsHandledLikeCtrlC() throws {
        let long = dir + "long.mp4", out = dir + "cut.mp4"
        looped(long, times: 5)
        let p = try start([long, out], waitFor: [out + ".partial"])
        sleep(2)
        kill(p.processIdentifier, SIGTERM)
        finish(p, within: 60)
        XCTAssertEqual(p.terminationStatus, 143)
        XCTAssertGreaterThan(frames(out), 0)
        XCTAssertLessThan(frames(out), 500)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        let gone = dir + "gone.mp4"
        let q = try start([long, gone], waitFor: [gone + ".partial"])
        sleep(1)
        kill(q.processIdentifier, SIGTERM)
        usleep(50_000)   // two signals sent at once may reach the process as one
        kill(q.processIdentifier, SIGTERM)
        finish(q, within: 60)
        XCTAssertEqual(q.terminationStatus, 143)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gone))
        XCTAssertFalse(FileManager.default.fileExists(atPath: gone + ".partial"))
    }

    /// Row 3: Ctrl-C in a folder run with files waiting: the running files end, the waiting
    /// ones are not started, the table is printed and the command exits 130 (it hung
    /// forever); no output of a cut file exists, so a rerun restores every file.
    func testInterruptedFolderRunEndsAndARerunRedoesTheCutFiles() throws {
        let input = dir + "in/", output = dir + "out/"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        looped(input + "a.mp4", times: 2)
        looped(input + "b.mp4", times: 2)
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-frames:v", "10",
                                                          "-c:v", "libx264", "-preset", "ultrafast", input + "c.mp4"]).status, 0)
        let p = try start([input, output, "-j", "2"], waitFor: [output + "a.mp4.partial", output + "b.mp4.partial"])
        usleep(500_000)
        kill(p.processIdentifier, SIGINT)
        finish(p, within: 60)
        XCTAssertEqual(p.terminationStatus, 130)
        let left = try FileManager.default.contentsOfDirectory(atPath: output)
        XCTAssertEqual(left, [], "no output of a cut or unstarted file, no partial file: \(left)")
        let again = GstProcess.run(RestoreCommandTests.command, [input, output, "-j", "2"], timeout: 300)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertEqual(again.output.split(separator: "\n").filter { $0.hasSuffix("restored") }.count, 3, again.output)
        XCTAssertEqual(frames(output + "a.mp4"), 200)
    }

    /// The first signal reaches the table: the unstarted files say so.
    func testFolderTableNamesTheFilesNotStarted() throws {
        let input = dir + "in/", output = dir + "out/"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        looped(input + "a.mp4", times: 3)
        for name in ["b.mp4", "c.mp4"] { try FileManager.default.copyItem(atPath: input + "a.mp4", toPath: input + name) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RestoreCommandTests.command)
        p.arguments = [input, output]
        p.environment = GstProcess.environment()
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: output + "a.mp4.partial") { usleep(50_000) }
        kill(p.processIdentifier, SIGTERM)
        finish(p, within: 60)
        XCTAssertEqual(p.terminationStatus, 143)
        let table = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(table.contains("a.mp4") && table.contains("interrupted"), table)
        XCTAssertEqual(table.split(separator: "\n").filter { $0.contains("not started (SIGTERM)") }.count, 2, table)
    }

    /// A source that never delivers (standard input held open, nothing written): exit 1
    /// after --stall-timeout, naming where data stopped, and no file left.
    func testStalledInputEndsAfterTheStallTimeout() throws {
        let pipe = Pipe()   // its write end stays open and silent for the whole run
        let out = dir + "stalled.mkv"
        let r = GstProcess.run(RestoreCommandTests.command, ["-", out, "--stall-timeout=2"], timeout: 60, stdin: pipe)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("stall"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        try pipe.fileHandleForWriting.close()
    }
}
