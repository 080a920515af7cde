import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Alignment and paste-back: with an identity restorer the round trip changes the face
/// by at most 1 grey level RMS and leaves every pixel outside the pasted area alone.
/// The face is the astronaut portrait from Tests/Fixtures/centerface.safetensors
/// (training/fixtures/make_centerface_fixtures.py), with the reference landmarks.
final class AlignmentTests: XCTestCase {

    /// 256×256 packed RGB astronaut and her detected face.
    static func astronaut() throws -> ([UInt8], FaceDetection) {
        let a = try astronautFixture()
        let (b, p) = (a.box, a.landmarks)
        let face = FaceDetection(x1: b[0], y1: b[1], x2: b[2], y2: b[3], score: b[4],
                                 landmarks: (0..<5).map { (p[2 * $0], p[2 * $0 + 1]) })
        return (a.rgb, face)
    }

    func testSimilarityEstimateRecoversAKnownTransform() {
        let t = SimilarityTransform(a: 1.3 * cosf(0.4), b: 1.3 * sinf(0.4), tx: 12, ty: -7)
        let src: [(x: Float, y: Float)] = [(10, 20), (50, 22), (30, 45), (15, 60), (48, 61)]
        let dst = src.map { t.apply($0.x, $0.y) }
        let e = SimilarityTransform.estimate(from: src, to: dst)!
        XCTAssertEqual(e.a, t.a, accuracy: 1e-4)
        XCTAssertEqual(e.b, t.b, accuracy: 1e-4)
        XCTAssertEqual(e.tx, t.tx, accuracy: 1e-3)
        XCTAssertEqual(e.ty, t.ty, accuracy: 1e-3)
        let back = e.inverse.apply(dst[2].x, dst[2].y)
        XCTAssertEqual(back.x, 30, accuracy: 1e-3)
        XCTAssertNil(SimilarityTransform.estimate(from: [(1, 1), (1, 1)], to: [(0, 0), (1, 1)]))
    }

    func testAlignedCropPutsLandmarksOnTheTemplate() throws {
        let (_, face) = try Self.astronaut()
        let t = FaceTemplate.alignment(for: face, size: 256)!
        for (p, q) in zip(face.landmarks, FaceTemplate.points(size: 256)) {
            let m = t.apply(p.x, p.y)
            XCTAssertEqual(m.x, q.x, accuracy: 6, "detected landmarks land near the template")
            XCTAssertEqual(m.y, q.y, accuracy: 6)
        }
    }

    func testIdentityRoundTripRGB() throws {
        var (rgb, face) = try Self.astronaut()
        let original = rgb
        let footprint = try roundTrip(&rgb, face: face, format: .rgb)
        let (rms, outside) = compare(rgb, original, channels: 3, face: face, footprint: footprint)
        print("paste-back identity round trip, RGB: RMS \(rms) grey levels inside the face")
        XCTAssertLessThanOrEqual(rms, 1.0, "RMS change inside the face")
        XCTAssertEqual(outside, 0, "pixels changed outside the pasted area")
        XCTAssertGreaterThan(rgb.indices.filter { rgb[$0] != original[$0] }.count, 0, "the paste did write the face")
    }

    func testIdentityRoundTripI420() throws {
        let (rgb, face) = try Self.astronaut()
        var yuv = [UInt8](repeating: 0, count: 256 * 256 * 3 / 2)
        let c = Colorimetry.bt601
        for y in 0..<256 {
            for x in 0..<256 {
                let o = (y * 256 + x) * 3
                yuv[y * 256 + x] = UInt8(c.yuv(SIMD3(Float(rgb[o]), Float(rgb[o + 1]), Float(rgb[o + 2]))).x.rounded())
            }
        }
        for y in 0..<128 {
            for x in 0..<128 {
                var s = SIMD3<Float>(0, 0, 0)
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let o = ((2 * y + dy) * 256 + 2 * x + dx) * 3
                    s += c.yuv(SIMD3(Float(rgb[o]), Float(rgb[o + 1]), Float(rgb[o + 2])))
                }
                yuv[65536 + y * 128 + x] = UInt8((s.y / 4).rounded())
                yuv[65536 + 16384 + y * 128 + x] = UInt8((s.z / 4).rounded())
            }
        }
        let original = yuv
        let footprint = try roundTrip(&yuv, face: face, format: .i420)
        let (rms, outside) = compare(Array(yuv[0..<65536]), Array(original[0..<65536]), channels: 1, face: face, footprint: footprint)
        print("paste-back identity round trip, I420 luma: RMS \(rms) grey levels inside the face")
        XCTAssertLessThanOrEqual(rms, 1.0, "luma RMS change inside the face")
        XCTAssertEqual(outside, 0)
        // Chroma outside the footprint's 2×2 blocks is untouched too.
        for y in 0..<128 {
            for x in 0..<128 where !(footprint.x0 / 2...footprint.x1 / 2).contains(x) || !(footprint.y0 / 2...footprint.y1 / 2).contains(y) {
                XCTAssertEqual(yuv[65536 + y * 128 + x], original[65536 + y * 128 + x])
            }
        }
    }

    /// The pipeline pastes the restorer's change: no change leaves every byte as it was
    /// (RGB and I420), and a uniform change of +12 lands as +12 where the mask is full.
    func testPastingAChangeAddsExactlyThatChange() throws {
        let (rgb, face) = try Self.astronaut()
        for format in [PixelFormat.rgb, .i420] {
            var bytes = format == .rgb ? rgb : [UInt8](repeating: 0, count: 256 * 256 * 3 / 2)
            if format == .i420 {
                for i in 0..<(256 * 256) { bytes[i] = rgb[i * 3 + 1] }       // a luma plane
                for i in (256 * 256)..<bytes.count { bytes[i] = UInt8(100 + i % 40) }
            }
            let original = bytes
            for change: Float in [0, 12] {
                bytes = original
                let crop = try bytes.withUnsafeMutableBufferPointer { buf -> FaceCrop in
                    let frame = try Self.frame(buf.baseAddress!, format)
                    let crop = FaceCrop.extract(from: frame, colorimetry: .bt601, face: face, size: 128)!
                    crop.pixels.data.update(repeating: change, count: crop.pixels.count)
                    PasteBack.paste(crop, into: frame, colorimetry: .bt601, adding: true)
                    return crop
                }
                if change == 0 {
                    XCTAssertEqual(bytes, original, "\(format): a zero change leaves the frame bit for bit")
                    continue
                }
                // Where the mask is 1 the frame moved by the change: RGB channels by 12, luma by
                // about 12·(kr + kg + kb)·219/255 for a gray change in limited range.
                let expected: Float = format == .rgb ? 12 : 12 * 219 / 255
                var checked = 0
                for y in 0..<256 {
                    for x in 0..<256 {
                        let c = crop.toCrop.apply(Float(x) + 0.5, Float(y) + 0.5)
                        guard PasteBack.mask(c.x, c.y, size: 128) == 1 else { continue }
                        let i = format == .rgb ? (y * 256 + x) * 3 : y * 256 + x
                        guard original[i] < 230 else { continue }                   // not clipped at white
                        XCTAssertEqual(Float(bytes[i]) - Float(original[i]), expected, accuracy: 1, "\(format) (\(x), \(y))")
                        checked += 1
                    }
                }
                XCTAssertGreaterThan(checked, 1000)
            }
        }
    }

    /// Inpainting: a hole punched in the face (black, as the stream carries it) is filled
    /// in the frame region before sampling, so crop pixels at its rim — mixed by the cubic
    /// taps from known and missing pixels — stay near the true face instead of darkening;
    /// crop pixels far from the hole are sampled exactly as without a hole.
    func testHolesAreFilledBeforeTheCropIsSampled() throws {
        let (rgb, face) = try Self.astronaut()
        let (cx, cy) = ((face.x1 + face.x2) / 2, (face.y1 + face.y2) / 2)
        let inHole = { (x: Int, y: Int) -> Bool in
            let (dx, dy) = (Float(x) + 0.5 - cx, Float(y) + 0.5 - cy)
            return dx * dx + dy * dy < 18 * 18
        }
        var holed = rgb
        for y in 0..<256 { for x in 0..<256 where inHole(x, y) { for c in 0..<3 { holed[(y * 256 + x) * 3 + c] = 0 } } }
        func crop(_ bytes: inout [UInt8], missing: ((Int, Int) -> Bool)?, fillFrame: Bool = false) throws -> FaceCrop {
            try bytes.withUnsafeMutableBufferPointer { buf in
                FaceCrop.extract(from: try Self.frame(buf.baseAddress!, .rgb), colorimetry: .bt601, face: face, size: 128,
                                 missing: missing, fillFrame: fillFrame)!
            }
        }
        var (a, b, c) = (rgb, holed, holed)
        let truth = try crop(&a, missing: nil), plain = try crop(&b, missing: nil), filled = try crop(&c, missing: inHole)
        XCTAssertEqual(c, holed, "without fillFrame the frame is not written")
        // With fillFrame the fill lands in the frame's holes (known pixels untouched), so the
        // crop cut again from that frame is the filled crop, to a grey level.
        var framed = holed
        _ = try crop(&framed, missing: inHole, fillFrame: true)
        var holeSum = 0, holeCount = 0
        for y in 0..<256 {
            for x in 0..<256 {
                for ch in 0..<3 {
                    let i = (y * 256 + x) * 3 + ch
                    if inHole(x, y) { holeSum += Int(framed[i]); holeCount += 1 } else { XCTAssertEqual(framed[i], holed[i]) }
                }
            }
        }
        XCTAssertGreaterThan(holeSum / max(holeCount, 1), 40, "the hole holds the fill, not black")
        let recut = try crop(&framed, missing: nil)
        for i in 0..<recut.pixels.count { XCTAssertEqual(recut.pixels.data[i], filled.pixels.data[i], accuracy: 1) }
        let toFrame = truth.toCrop.inverse
        var rimPlain = 0.0, rimFilled = 0.0, rim = 0, far = 0
        for v in 0..<128 {
            for u in 0..<128 {
                let p = toFrame.apply(Float(u) + 0.5, Float(v) + 0.5)
                let d = ((p.x - cx) * (p.x - cx) + (p.y - cy) * (p.y - cy)).squareRoot()
                for c in 0..<3 {
                    let i = c * 128 * 128 + v * 128 + u
                    if d >= 18, d < 21 {          // known pixels next to the hole
                        rimPlain += Double(abs(plain.pixels.data[i] - truth.pixels.data[i]))
                        rimFilled += Double(abs(filled.pixels.data[i] - truth.pixels.data[i]))
                        rim += 1
                    } else if d > 26 {
                        XCTAssertEqual(filled.pixels.data[i], plain.pixels.data[i], "(\(u), \(v)) far from the hole")
                        far += 1
                    }
                }
            }
        }
        let (errPlain, errFilled) = (rimPlain / Double(rim), rimFilled / Double(rim))
        print("crop pixels at the hole's rim: mean error \(errPlain) grey levels unfilled, \(errFilled) filled")
        XCTAssertGreaterThan(rim, 100)
        XCTAssertGreaterThan(far, 10_000)
        XCTAssertLessThan(errFilled, errPlain / 3, "the rim no longer mixes in the hole's black")
    }

    static func frame(_ base: UnsafeMutablePointer<UInt8>, _ format: PixelFormat) throws -> FrameView {
        let planes = format == .rgb
            ? [Plane(base: base, stride: 768, rowBytes: 768, rows: 256)]
            : [Plane(base: base, stride: 256, rowBytes: 256, rows: 256),
               Plane(base: base + 65536, stride: 128, rowBytes: 128, rows: 128),
               Plane(base: base + 65536 + 16384, stride: 128, rowBytes: 128, rows: 128)]
        return try FrameView(format: format, width: 256, height: 256, planes: planes)
    }

    /// Extracts a 256² crop and pastes it straight back (the identity restorer).
    private func roundTrip(_ bytes: inout [UInt8], face: FaceDetection, format: PixelFormat) throws -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        try bytes.withUnsafeMutableBufferPointer { buf in
            let frame = try Self.frame(buf.baseAddress!, format)
            let crop = FaceCrop.extract(from: frame, colorimetry: .bt601, face: face, size: 256)!
            PasteBack.paste(crop, into: frame, colorimetry: .bt601)
            let inv = crop.toCrop.inverse
            let corners = [inv.apply(0, 0), inv.apply(256, 0), inv.apply(0, 256), inv.apply(256, 256)]
            return (Int(corners.map(\.x).min()!) - 1, Int(corners.map(\.y).min()!) - 1,
                    Int(corners.map(\.x).max()!) + 2, Int(corners.map(\.y).max()!) + 2)
        }
    }

    private func compare(_ a: [UInt8], _ b: [UInt8], channels: Int, face: FaceDetection,
                         footprint f: (x0: Int, y0: Int, x1: Int, y1: Int)) -> (rms: Double, outside: Int) {
        var se = 0.0, n = 0, outside = 0
        for y in 0..<256 {
            for x in 0..<256 {
                for c in 0..<channels {
                    let i = (y * 256 + x) * channels + c
                    let d = Double(a[i]) - Double(b[i])
                    if Float(x) >= face.x1, Float(x) < face.x2, Float(y) >= face.y1, Float(y) < face.y2 { se += d * d; n += 1 }
                    if (x < f.x0 || x >= f.x1 || y < f.y0 || y >= f.y1) && d != 0 { outside += 1 }
                }
            }
        }
        return ((se / Double(max(n, 1))).squareRoot(), outside)
    }
}
