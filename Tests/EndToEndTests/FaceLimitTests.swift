import Foundation
import XCTest

/// `max-faces` is a limit in a real pipeline: never more faces in a frame than it says,
/// whatever the detection threshold (the tracker added new tracks while old ones lived on
/// through local re-detection: two faces at max-faces=1, 162 at threshold 0).
final class FaceLimitTests: XCTestCase {
    func testNoFrameHasMoreFacesThanMaxFaces() throws {
        let dir = NSTemporaryDirectory() + "swiftvr-limit-\(getpid())/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clip = dir + "clip.mp4"
        XCTAssertEqual(GstProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-i", "samples/faces-640x360.mp4", "-an", "-frames:v", "30",
                                                          "-c:v", "libx264", "-preset", "ultrafast", clip]).status, 0)
        for (limit, threshold) in [(1, "0.5"), (2, "0.0"), (8, "0.0")] {
            let faces = dir + "faces-\(limit).jsonl"
            let r = GstProcess.run(RestoreCommandTests.command, [clip, dir + "out.mp4", "--quiet", "--faces", faces,
                                   "--max-faces=\(limit)", "--detection-threshold=\(threshold)"], timeout: 300)
            XCTAssertEqual(r.status, 0, r.output)
            let counts = try String(contentsOfFile: faces, encoding: .utf8).split(separator: "\n").map { line in
                ((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["faces"] as? [Any])?.count ?? -1
            }
            XCTAssertEqual(counts.count, 30)
            XCTAssertLessThanOrEqual(counts.max() ?? 0, limit, "max-faces=\(limit) threshold \(threshold): \(counts)")
            XCTAssertGreaterThan(counts.max() ?? 0, 0, "faces are still found")
            try? FileManager.default.removeItem(atPath: dir + "out.mp4")
        }
    }
}
