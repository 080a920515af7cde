import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// RGBA streams carry the inpainting mask in alpha: the restorer gets a mask crop with
/// ones exactly where alpha was 0 on the face.
final class AlphaMaskTests: XCTestCase {
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    func testAlphaZeroBecomesTheMissingMask() throws {
        let recorder = RecordingRestorer()
        useRestorer(recorder)
        let (rgb, box) = try FaceTests.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGBA,width=256,height=256,framerate=25/1",
                        properties: ["window": "1", "max-faces": "8", "face-resolution": "64"])
        let b = h.frame(pts: 0)
        var map = GstMapInfo()
        gst_buffer_map(b, &map, GST_MAP_WRITE)
        // Opaque everywhere but a hole over the left half of the face box.
        let holeX = Int(box[0])..<Int((box[0] + box[2]) / 2)
        for i in 0..<(256 * 256) {
            for c in 0..<3 { map.data[i * 4 + c] = rgb[i * 3 + c] }
            let (x, y) = (i % 256, i / 256)
            map.data[i * 4 + 3] = holeX.contains(x) && y >= Int(box[1]) && y < Int(box[3]) ? 0 : 255
        }
        gst_buffer_unmap(b, &map)
        XCTAssertEqual(h.push(b), GST_FLOW_OK)
        h.pullAll().forEach { gst_buffer_unref($0) }
        let mask = try XCTUnwrap(recorder.masks.first)
        let missing = mask.array.filter { $0 > 0.5 }.count
        XCTAssertGreaterThan(missing, 64 * 64 / 10, "the hole shows in the mask")
        XCTAssertLessThan(missing, 64 * 64 * 6 / 10, "only the hole")
        // Columns right of the face centre are never missing.
        for y in 0..<64 { XCTAssertEqual(mask.data[y * 64 + 50], 0) }
    }

    func testInpaintMaskFileGivesTheMaskAndABadFileAWarning() throws {
        let recorder = RecordingRestorer()
        useRestorer(recorder)
        let (rgb, box) = try FaceTests.astronaut()
        // A 128×128 PGM (stretched over the 256×256 frame): black over the face's top half.
        var pgm = Array("P5\n# swiftvr test\n128 128\n255\n".utf8)
        for y in 0..<128 {
            for x in 0..<128 {
                let (fx, fy) = (Float(x * 2), Float(y * 2))
                pgm.append(fx >= box[0] && fx < box[2] && fy >= box[1] && fy < (box[1] + box[3]) / 2 ? 0 : 255)
            }
        }
        let path = NSTemporaryDirectory() + "swiftvr-mask-\(getpid()).pgm"
        FileManager.default.createFile(atPath: path, contents: Data(pgm))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                        properties: ["window": "1", "max-faces": "8", "face-resolution": "64", "inpaint-mask": path])
        XCTAssertEqual(h.push(pixels: rgb, pts: 0), GST_FLOW_OK)
        h.pullAll().forEach { gst_buffer_unref($0) }
        let mask = try XCTUnwrap(recorder.masks.first)
        let missing = mask.array.filter { $0 > 0.5 }.count
        XCTAssertGreaterThan(missing, 64 * 64 / 10)
        for x in 0..<64 { XCTAssertEqual(mask.data[63 * 64 + x], 0, "the chin row is not missing") }

        let bad = NSTemporaryDirectory() + "swiftvr-bad-\(getpid()).pgm"
        FileManager.default.createFile(atPath: bad, contents: Data("P6\n1 1\n255\nabc".utf8))
        defer { try? FileManager.default.removeItem(atPath: bad) }
        h.set("inpaint-mask", bad)
        let warning = try XCTUnwrap(h.popMessage(GST_MESSAGE_WARNING), "a bad mask file is reported")
        gst_message_unref(warning)
    }
}
