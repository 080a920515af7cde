import Foundation
import SwiftVRPipeline
import SwiftVRTestSupport
import XCTest

/// The `inpaint-mask` reader: binary PGM with comments and any maxval, stretched over the frame.
final class MissingMaskTests: XCTestCase {
    private func write(_ bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "swiftvr-mask-\(UUID().uuidString).pgm"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testReadsCommentsAndScalesMaxval() throws {
        // 2×2, maxval 15: 0 and 7 are dark (< half), 8 and 15 are not.
        let m = try MissingMask.load(pgm: write(Array("P5 # a comment\n2 # width\n2\n15\n".utf8) + [0, 15, 7, 8]))
        XCTAssertEqual(m.width, 2)
        XCTAssertEqual(m.height, 2)
        XCTAssertTrue(m.isMissing(0, 0, frameWidth: 2, frameHeight: 2))
        XCTAssertFalse(m.isMissing(1, 0, frameWidth: 2, frameHeight: 2))
        XCTAssertTrue(m.isMissing(0, 1, frameWidth: 2, frameHeight: 2))
        XCTAssertFalse(m.isMissing(1, 1, frameWidth: 2, frameHeight: 2))
        // Stretched over a 100×100 frame: the top-left quarter is missing.
        XCTAssertTrue(m.isMissing(49, 10, frameWidth: 100, frameHeight: 100))
        XCTAssertFalse(m.isMissing(50, 10, frameWidth: 100, frameHeight: 100))
    }

    func testRejectsOtherFormatsAndShortFiles() {
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P6\n1 1\n255\n".utf8) + [1, 2, 3])))
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P5\n4 4\n255\n".utf8) + [1, 2, 3]))) { e in
            XCTAssertTrue("\(e)".contains("4x4"))
        }
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P5\n2 2\n65535\n".utf8) + [UInt8](repeating: 0, count: 8))))
        XCTAssertThrowsError(try MissingMask.load(pgm: "/nonexistent.pgm"))
        // Sizes whose product overflows are an error, not a trap.
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P5\n4611686018427387904 4\n255\n".utf8) + [1, 2, 3])))
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P5\n9223372036854775807 9223372036854775807\n255\n".utf8))))
    }

    /// Only a regular file, opened without blocking; an endless or huge file is refused
    /// from its header, before its pixels are read (it was read whole into memory first).
    func testRefusesFIFOsDevicesAndHugeFilesFromTheirHeader() throws {
        let seconds = try HostileFiles.withFIFO { fifo in
            try HostileFiles.seconds {
                XCTAssertThrowsError(try MissingMask.load(pgm: fifo)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
            }
        }
        XCTAssertLessThan(seconds, 5)
        XCTAssertThrowsError(try MissingMask.load(pgm: "/dev/zero")) { XCTAssertTrue("\($0)".contains("character device"), "\($0)") }
        // A 4 GB sparse file that is not a PGM: refused from its first bytes, at once.
        let huge = HostileFiles.temporary("huge.pgm")
        defer { unlink(huge) }
        let fd = open(huge, O_WRONLY | O_CREAT, 0o600)
        XCTAssertEqual(ftruncate(fd, 4 << 30), 0)
        close(fd)
        let t = try HostileFiles.seconds {
            XCTAssertThrowsError(try MissingMask.load(pgm: huge)) { XCTAssertTrue("\($0)".contains("not an 8-bit binary PGM"), "\($0)") }
        }
        XCTAssertLessThan(t, 2)
        // A header larger than any frame: refused before any allocation.
        XCTAssertThrowsError(try MissingMask.load(pgm: write(Array("P5\n100000 100000\n255\n".utf8) + [0]))) {
            XCTAssertTrue("\($0)".contains("larger than the largest frame"), "\($0)")
        }
    }
}
