import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// The whole crop path inside the element — align each track's window of crops, hand
/// them to a restorer, paste back what it changed — with a restorer that changes
/// nothing: every frame comes out bit for bit (the bar is a grey level RMS in
/// the face; pasting the change rather than the crop does better).
final class PasteBackElementTests: XCTestCase {
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    func testIdentityRestorerRoundTripThroughTheElement() throws {
        let restorer = RecordingRestorer()
        useRestorer(restorer)
        let (rgb, box) = try FaceTests.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                        properties: ["window": "3", "max-faces": "8", "face-resolution": "256"])
        for i in 0..<3 { h.push(pixels: rgb, pts: GstClockTime(i) * 40_000_000) }
        let out = h.pullAll()
        XCTAssertEqual(out.count, 3)
        XCTAssertEqual(restorer.windows, [3], "one track, its three crops restored together")
        let (cx, cy) = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        let reach = 1.6 * max(box[2] - box[0], box[3] - box[1])
        for b in out {
            let got = bytes(of: b)
            var se = 0.0, n = 0, far = 0
            for y in 0..<256 {
                for x in 0..<256 {
                    for c in 0..<3 {
                        let i = (y * 256 + x) * 3 + c
                        let d = Double(got[i]) - Double(rgb[i])
                        if Float(x) >= box[0], Float(x) < box[2], Float(y) >= box[1], Float(y) < box[3] { se += d * d; n += 1 }
                        if max(abs(Float(x) - cx), abs(Float(y) - cy)) > reach, d != 0 { far += 1 }
                    }
                }
            }
            XCTAssertLessThanOrEqual((se / Double(n)).squareRoot(), 1.0)
            XCTAssertEqual(far, 0, "pixels away from the face are untouched")
            XCTAssertEqual(got, rgb, "an unchanged face comes back bit for bit")
            gst_buffer_unref(b)
        }
    }
}
