import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// Inpainting leaves no outline: a white rectangle on the face, marked missing by
/// `inpaint-mask`, is filled by the shipped model so that the hole's border does not
/// survive (a dark ring traced every hole), and the pixels around it stay as they were.
final class InpaintOutlineTests: XCTestCase {
    func testAFilledHoleHasNoOutlineAndItsSurroundingsAreKept() throws {
        let (truth, box) = try FaceTests.astronaut()
        // The rectangle: across the face's middle, a third of its width, a sixth of its height.
        let (w, h) = (box[2] - box[0], box[3] - box[1])
        let rx = Int(box[0] + w / 3)..<Int(box[0] + 2 * w / 3), ry = Int(box[1] + h / 2)..<Int(box[1] + h / 2 + h / 6)
        var input = truth
        var pgm = Array("P5\n256 256\n255\n".utf8)
        for y in 0..<256 {
            for x in 0..<256 {
                let hole = rx.contains(x) && ry.contains(y)
                if hole { for c in 0..<3 { input[(y * 256 + x) * 3 + c] = 255 } }
                pgm.append(hole ? 0 : 255)
            }
        }
        let mask = HostileFiles.temporary("rect.pgm")
        FileManager.default.createFile(atPath: mask, contents: Data(pgm))
        defer { unlink(mask) }
        let harness = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                              properties: ["window": "1", "max-faces": "8", "tasks": "inpaint", "inpaint-mask": mask])
        XCTAssertEqual(harness.push(pixels: input, pts: 0), GST_FLOW_OK)
        let out = try XCTUnwrap(harness.pullAll().first)
        defer { gst_buffer_unref(out) }
        let output = bytes(of: out)
        // Distance of a pixel from the rectangle's border: inside > 0, outside < 0 (Chebyshev).
        func depth(_ x: Int, _ y: Int) -> Int {
            min(x - rx.lowerBound + 1, rx.upperBound - x, y - ry.lowerBound + 1, ry.upperBound - y)
        }
        var sums = (outside: 0.0, inputOutside: 0.0, rim: 0.0, core: 0.0, inputRim: 0.0)
        var counts = (outside: 0, rim: 0, core: 0)
        for y in 0..<256 {
            for x in 0..<256 {
                let d = depth(x, y)
                for c in 0..<3 {
                    let i = (y * 256 + x) * 3 + c
                    let e = abs(Double(output[i]) - Double(truth[i])), e0 = abs(Double(input[i]) - Double(truth[i]))
                    if d <= 0 && d >= -2 { sums.outside += e; sums.inputOutside += e0; counts.outside += 1 }
                    if d == 1 || d == 2 { sums.rim += e; sums.inputRim += e0; counts.rim += 1 }
                    if d >= 4 { sums.core += e; counts.core += 1 }
                }
            }
        }
        let outside = sums.outside / Double(counts.outside), inputOutside = sums.inputOutside / Double(counts.outside)
        let rim = sums.rim / Double(counts.rim), core = sums.core / Double(counts.core), inputRim = sums.inputRim / Double(counts.rim)
        print("inpaint: mean error within 3 px outside \(outside) (input \(inputOutside)); inside the rim \(rim) (input \(inputRim)), deeper \(core)")
        XCTAssertLessThanOrEqual(outside, inputOutside + 0.01, "within 3 px outside the hole, no further from the truth than the input")
        XCTAssertLessThan(rim, inputRim / 2, "the hole's rim is filled")
        XCTAssertLessThan(rim, core * 1.5 + 4, "no outline: the rim is no worse than the hole's inside")
    }
}
