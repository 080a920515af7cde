import Foundation
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Model files are read into memory the reader owns, only from regular files, never
/// blocking: a file rewritten while it loads fails with a message (a mapping faulted
/// with SIGBUS), and a FIFO, device or directory is refused naming what it is.
final class FileOwnershipTests: XCTestCase {
    /// A writer rewrites the detector's file in place (truncate, then write, as `cp` does)
    /// while models load and read every tensor from it, for a fixed time. Each load either
    /// works or throws; none may bring the process down.
    func testAFileRewrittenWhileItLoadsNeverFaults() throws {
        let path = HostileFiles.temporary("rewritten.safetensors")
        defer { unlink(path) }
        let original = try Data(contentsOf: URL(fileURLWithPath: TestPaths.centerface))
        try original.write(to: URL(fileURLWithPath: path))
        let stop = DispatchSemaphore(value: 0)
        let writer = Thread {
            var round = 0
            while stop.wait(timeout: .now()) == .timedOut {
                let fd = open(path, O_WRONLY | O_TRUNC)
                guard fd >= 0 else { continue }
                // Alternately the whole file and a half of it (a copy cut short).
                let count = round % 2 == 0 ? original.count : original.count / 2
                original.prefix(count).withUnsafeBytes { _ = write(fd, $0.baseAddress, count) }
                close(fd)
                usleep(round % 2 == 0 ? 20_000 : 300)   // the whole file stays a while, so some loads succeed
                round += 1
            }
        }
        writer.start()
        var loads = 0, failures = 0
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            do {
                let f = try SafetensorsFile(path: path)
                for key in f.keys { _ = try f.tensor(key) }
            } catch {
                failures += 1
            }
            loads += 1
        }
        stop.signal()
        XCTAssertGreaterThan(loads - failures, 0, "some loads found the whole file")
        print("FileOwnershipTests: \(loads) loads during rewrites, \(failures) refused with an error, none faulted")
    }

    func testOnlyRegularFilesAreRead() throws {
        let seconds = try HostileFiles.withFIFO { fifo in
            try HostileFiles.seconds {
                XCTAssertThrowsError(try SafetensorsFile(path: fifo)) { XCTAssertTrue("\($0)".contains("is a FIFO"), "\($0)") }
            }
        }
        XCTAssertLessThan(seconds, 5, "a FIFO with no writer must not block the reader")
        XCTAssertThrowsError(try SafetensorsFile(path: "/dev/zero")) { XCTAssertTrue("\($0)".contains("character device"), "\($0)") }
        XCTAssertThrowsError(try SafetensorsFile(path: NSTemporaryDirectory())) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
    }

    func testAFileLargerThanAModelIsRefusedBeforeItIsRead() throws {
        let path = HostileFiles.temporary("huge.safetensors")
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        XCTAssertEqual(ftruncate(fd, off_t(SafetensorsFile.maxFileBytes) + 1), 0)   // sparse: no disk used
        close(fd)
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { XCTAssertTrue("\($0)".contains("more than"), "\($0)") }
    }
}
