import SwiftVRPipeline
import SwiftVRTensor
import XCTest

/// The detector's input: bilinear samples with OpenCV's pixel-centre alignment, zeros
/// where no sample lands, whatever the tensor held before (it is reused frame after
/// frame and only its padding is cleared), the same on one thread or several.
final class ResampleTests: XCTestCase {
    func testSamplesZerosAndThreads() throws {
        let (w, h) = (37, 23)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { rgb[(y * w + x) * 3 + c] = UInt8((x * 7 + y * 11 + c * 50) % 256) } } }
        let pixels = rgb  // read by the reference while `rgb` is lent to the frame
        try rgb.withUnsafeMutableBufferPointer { buf in
            let frame = try FrameView(format: .rgb, width: w, height: h,
                                      planes: [Plane(base: buf.baseAddress!, stride: w * 3, rowBytes: w * 3, rows: h)])
            // A region reaching past the frame on the left and top, scaled into 30×20 of a 32×32 tensor.
            let region = FrameRegion(x: -6, y: -4, width: 45, height: 30), size = (w: 30, h: 20)
            // Bilinear at OpenCV-aligned centres: 0 where the sample lies more than half a pixel outside.
            func expected(_ c: Int, _ ox: Int, _ oy: Int) -> Float {
                guard ox < size.w, oy < size.h else { return 0 }
                let fx = region.x + (Float(ox) + 0.5) * region.width / Float(size.w) - 0.5
                let fy = region.y + (Float(oy) + 0.5) * region.height / Float(size.h) - 0.5
                guard fx >= -0.5, fx <= Float(w) - 0.5, fy >= -0.5, fy <= Float(h) - 0.5 else { return 0 }
                let (cx, cy) = (min(max(0, fx), Float(w - 1)), min(max(0, fy), Float(h - 1)))
                let (x0, y0) = (Int(cx), Int(cy)), (x1, y1) = (min(Int(cx) + 1, w - 1), min(Int(cy) + 1, h - 1))
                let (ax, ay) = (cx - Float(x0), cy - Float(y0))
                let p = { (x: Int, y: Int) in Float(pixels[(y * w + x) * 3 + c]) }
                let top = p(x0, y0) * (1 - ax) + p(x1, y0) * ax, bottom = p(x0, y1) * (1 - ax) + p(x1, y1) * ax
                return top * (1 - ay) + bottom * ay
            }
            for threads in [1, 3] {
                let blob = Tensor(shape: [1, 3, 32, 32])
                blob.data.initialize(repeating: 77, count: blob.count)  // what the last frame left
                resample(frame, colorimetry: .bt709, into: blob, size: size, region: region, pool: ThreadPool(threads: threads))
                var zeros = 0
                for c in 0..<3 {
                    for oy in 0..<32 {
                        for ox in 0..<32 {
                            let (got, want) = (blob.data[(c * 32 + oy) * 32 + ox], expected(c, ox, oy))
                            XCTAssertEqual(got, want, accuracy: 1e-3, "channel \(c) at (\(ox), \(oy)), \(threads) threads")
                            if want == 0 { zeros += 1 }
                        }
                    }
                }
                XCTAssertGreaterThan(zeros, 3 * (32 * 32 - 30 * 20), "the padding and the region outside the frame are zeros")
            }
        }
    }
}
