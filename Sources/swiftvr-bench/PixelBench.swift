import Glibc
import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor

/// `swiftvr-bench pixels`: the per-face pixel stages on a 1920×1080 I420 frame, one face
/// whose box is `face` pixels wide (a turned face, so no stage runs axis-aligned):
/// alignment (`FaceCrop.extract`: the region's conversion and the cubic warp) and paste-back
/// of a change (`PasteBack.paste(adding:)`). Prints `pixels FACE R stage ms ns_per_pixel
/// pixels`, per crop pixel for alignment and per frame pixel of the footprint for paste-back.
enum PixelBench {
    static func run(runs: Int, crop r: Int, faces: [Int]) throws {
        let (w, h) = (1920, 1080)
        var bytes = [UInt8](repeating: 0, count: w * h * 3 / 2)
        for y in 0..<h { for x in 0..<w { bytes[y * w + x] = UInt8(truncatingIfNeeded: 128 + Int(60 * sinf(Float(x) * 0.05) * cosf(Float(y) * 0.03)) + (x * y) % 7) } }
        for i in (w * h)..<bytes.count { bytes[i] = UInt8(100 + i % 50) }
        try bytes.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            let frame = try FrameView(format: .i420, width: w, height: h,
                                      planes: [Plane(base: base, stride: w, rowBytes: w, rows: h),
                                               Plane(base: base + w * h, stride: w / 2, rowBytes: w / 2, rows: h / 2),
                                               Plane(base: base + w * h * 5 / 4, stride: w / 2, rowBytes: w / 2, rows: h / 2)])
            let arena = Arena()
            for side in faces {
                let s = Float(side), (x0, y0) = (Float(w) / 2 - s / 2, Float(h) / 2 - s / 2)
                // Template-like landmarks, the face turned by 0.15 rad about its centre.
                let (c, sn) = (cosf(0.15), sinf(0.15))
                let template: [(Float, Float)] = [(0.35, 0.4), (0.65, 0.4), (0.5, 0.55), (0.38, 0.75), (0.62, 0.75)]
                let marks: [(Float, Float)] = template.map { p in
                    let (dx, dy) = ((p.0 - 0.5) * s, (p.1 - 0.5) * s)
                    return (Float(w) / 2 + c * dx - sn * dy, Float(h) / 2 + sn * dx + c * dy)
                }
                let face = FaceDetection(x1: x0, y1: y0, x2: x0 + s, y2: y0 + s, score: 1, landmarks: marks)
                let pixels = Tensor(shape: [3, r, r])
                var cropped: FaceCrop?
                let align = measure(runs: runs) {
                    arena.reset()
                    cropped = FaceCrop.extract(from: frame, colorimetry: .bt709, face: face, size: r, into: pixels, scratch: arena)
                }
                guard let crop = cropped else { printError("swiftvr-bench: no crop for a \(side)-pixel face"); exit(1) }
                for i in 0..<pixels.count { pixels.data[i] = Float(i % 9) - 4 }   // a small change everywhere
                let saved = Array(buf)
                let paste = measure(runs: runs) {
                    arena.reset()
                    PasteBack.paste(crop, into: frame, colorimetry: .bt709, adding: true, scratch: arena)
                }
                _ = saved.withUnsafeBufferPointer { buf.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
                let f = PasteBack.footprint(crop, width: w, height: h), area = (f.x1 - f.x0) * (f.y1 - f.y0)
                print("pixels \(side) \(r) align \(fmt(align.median)) \(fmt(align.median * 1e6 / Double(r * r))) \(r * r)")
                print("pixels \(side) \(r) paste \(fmt(paste.median)) \(fmt(paste.median * 1e6 / Double(max(1, area)))) \(area)")
            }
        }
    }
}
