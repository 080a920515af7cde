import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// Faces in the stream: ROI metas and bus messages for the faces CenterFace finds, and
/// a clear ERROR (and a failed state change) for a bad model file.
final class FaceTests: XCTestCase {
    /// The astronaut portrait (256×256) from the CenterFace fixtures, as packed RGB bytes,
    /// and the face the reference detector found in it.
    static func astronaut() throws -> (rgb: [UInt8], box: [Float]) {
        let a = try astronautFixture()
        return (a.rgb, Array(a.box.prefix(4)))
    }

    static let fixtureDirectory = TestPaths.fixtures

    private func push(_ rgb: [UInt8], into h: Harness, pts: GstClockTime) {
        XCTAssertEqual(h.push(pixels: rgb, pts: pts), GST_FLOW_OK)
    }

    func testFaceGetsRegionOfInterestMetaAndMessage() throws {
        let (rgb, box) = try Self.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                        properties: ["window": "2", "max-faces": "8"])
        push(rgb, into: h, pts: 0)
        push(rgb, into: h, pts: 40_000_000)
        let out = h.pullAll()
        XCTAssertEqual(out.count, 2)
        for (i, b) in out.enumerated() {
            var state: gpointer?
            var metas: [GstVideoRegionOfInterestMeta] = []
            while let m = gst_buffer_iterate_meta_filtered(b, &state, gst_video_region_of_interest_meta_api_get_type()) {
                metas.append(UnsafeMutableRawPointer(m).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee)
            }
            XCTAssertEqual(metas.count, 1, "frame \(i): one face")
            guard let m = metas.first else { continue }
            XCTAssertEqual(String(cString: g_quark_to_string(m.roi_type)), "face")
            XCTAssertEqual(Float(m.x), box[0], accuracy: 2)
            XCTAssertEqual(Float(m.y), box[1], accuracy: 2)
            XCTAssertEqual(Float(m.x + m.w), box[2], accuracy: 2)
            XCTAssertEqual(Float(m.y + m.h), box[3], accuracy: 2)
            XCTAssertEqual(m.id, 1, "the same track on both frames")
            var meta = m
            let params = gst_video_region_of_interest_meta_get_param(&meta, "face")
            XCTAssertNotNil(params)
            var trackID: guint = 0
            XCTAssertTrue(gst_structure_get_uint(params, "track-id", &trackID) != 0)
            XCTAssertEqual(trackID, 1)
            XCTAssertEqual(gst_value_array_get_size(gst_structure_get_value(params, "landmarks")), 10)
        }
        out.forEach { gst_buffer_unref($0) }

        var messages = 0
        while let msg = h.popMessage(GST_MESSAGE_ELEMENT) {
            defer { gst_message_unref(msg) }
            let s = gst_message_get_structure(msg)
            guard String(cString: gst_structure_get_name(s)) == "swiftvr" else { continue }
            messages += 1
            let faces = gst_structure_get_value(s, "faces")
            XCTAssertEqual(gst_value_list_get_size(faces), 1)
            var ts: guint64 = 0
            XCTAssertTrue(gst_structure_get_uint64(s, "running-time", &ts) != 0)
        }
        XCTAssertEqual(messages, 2, "one message per frame")
    }

    func testManyFacesAtTheirReferenceBoxes() throws {
        // The composite with four small faces, one rotated, one on a portrait cut by the
        // top edge (CenterFace fixtures): four metas, four tracks, at the reference boxes.
        let fx = try SafetensorsFile(path: Self.fixtureDirectory + "/centerface.safetensors")
        let blob = try fx.tensor("composite_small_faces.input")
        let (w, hgt) = (320, 192)
        var rgb = [UInt8](repeating: 0, count: w * hgt * 3)
        for i in 0..<(w * hgt) { for c in 0..<3 { rgb[i * 3 + c] = UInt8(blob.data[c * w * hgt + i]) } }
        let h = Harness(caps: "video/x-raw,format=RGB,width=\(w),height=\(hgt),framerate=25/1",
                        properties: ["window": "1", "max-faces": "8", "min-face-size": "0"])
        push(rgb, into: h, pts: 0)
        let out = h.pullAll()
        defer { out.forEach { gst_buffer_unref($0) } }
        var state: gpointer?
        var ids: Set<gint> = []
        var rois: [GstVideoRegionOfInterestMeta] = []
        while let m = gst_buffer_iterate_meta_filtered(out[0], &state, gst_video_region_of_interest_meta_api_get_type()) {
            let roi = UnsafeMutableRawPointer(m).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee
            ids.insert(roi.id)
            rois.append(roi)
        }
        XCTAssertEqual(ids.count, 4, "four faces, four tracks")
        let boxes = try fx.tensor("composite_small_faces.boxes")
        for i in 0..<boxes.dim(0) {
            let b = boxes.data + 5 * i
            XCTAssertTrue(rois.contains { abs(Float($0.x) - b[0]) <= 2 && abs(Float($0.y) - b[1]) <= 2
                                          && abs(Float($0.x + $0.w) - b[2]) <= 2 && abs(Float($0.y + $0.h) - b[3]) <= 2 },
                          "reference face \(i) at (\(b[0]), \(b[1]))–(\(b[2]), \(b[3])) has its meta")
        }
    }

    func testNoFaceMeansNoMetaButStillAMessage() {
        let h = Harness(caps: "video/x-raw,format=I420,width=64,height=48,framerate=25/1",
                        properties: ["window": "1", "max-faces": "8"])
        h.pushFrames(1)
        let out = h.pullAll()
        XCTAssertEqual(out.count, 1)
        XCTAssertNil(out.first.flatMap { gst_buffer_get_meta($0, gst_video_region_of_interest_meta_api_get_type()) })
        out.forEach { gst_buffer_unref($0) }
        let msg = h.popMessage(GST_MESSAGE_ELEMENT)
        XCTAssertNotNil(msg)
        msg.map { gst_message_unref($0) }
    }

    func testDrawFacesChangesPixelsOnlyAroundTheFace() throws {
        let (rgb, box) = try Self.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                        properties: ["window": "1", "max-faces": "8", "draw-faces": "true", "strength": "0"])
        push(rgb, into: h, pts: 0)  // strength 0: only the drawing changes pixels
        guard let b = h.pullAll().first else { return XCTFail("no output") }
        let drawn = bytes(of: b)
        gst_buffer_unref(b)
        var changedInside = 0, changedOutside = 0
        for y in 0..<256 {
            for x in 0..<256 where drawn[(y * 256 + x) * 3] != rgb[(y * 256 + x) * 3] {
                let near = Float(x) >= box[0] - 3 && Float(x) <= box[2] + 3 && Float(y) >= box[1] - 3 && Float(y) <= box[3] + 3
                if near { changedInside += 1 } else { changedOutside += 1 }
            }
        }
        XCTAssertGreaterThan(changedInside, 100, "box, landmarks and id are drawn")
        XCTAssertEqual(changedOutside, 0)
    }

    func testMissingModelFailsStateChangeWithErrorNamingIt() {
        assertModelError(path: "/nonexistent/centerface.safetensors", mentions: ["/nonexistent/centerface.safetensors", "cannot open"])
    }

    func testMalformedModelFailsStateChangeWithErrorNamingTheProblem() throws {
        let path = NSTemporaryDirectory() + "swiftvr-bad-model.safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes: [UInt8] = [200, 0, 0, 0, 0, 0, 0, 0]
        bytes += Array(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        assertModelError(path: path, mentions: [path, "malformed safetensors"])
        // A valid safetensors file of another model: named as such.
        assertModelError(path: Self.fixtureDirectory + "/ops.safetensors", mentions: ["not a CenterFace model"])
    }

    /// A restoration model whose weights fit its configuration but whose configuration
    /// the model cannot run (in_channels 3) fails NULL→READY with an ERROR naming the key.
    func testInvalidRestorerConfigurationFailsStateChangeNamingTheKey() {
        assertStateChangeError(property: "model", path: Self.fixtureDirectory + "/invalid/in-channels-3.safetensors",
                               mentions: ["config.in_channels", "must be 4"])
    }

    private func assertModelError(path: String, mentions: [String], line: UInt = #line) {
        assertStateChangeError(property: "detector-model", path: path, mentions: mentions, line: line)
    }
}

/// The whole crop path inside the element — align each track's window of crops, hand
/// them to a restorer, paste back what it changed — with a restorer that changes
/// nothing: every frame comes out bit for bit (the issue's bar is a grey level RMS in
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

/// The restoration model inside the element (with the random-weight fixture model, so
/// the restored pixels are arbitrary): faces change, nothing away from them does,
/// strength 0 changes nothing, and a bad `model` fails the state change with an ERROR.
final class RestorationElementTests: XCTestCase {
    static let model = TestPaths.fixtures + "/restorer.safetensors"

    private func run(strength: String) throws -> (out: [[UInt8]], input: [UInt8], box: [Float]) {
        let (rgb, box) = try FaceTests.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1",
                        properties: ["window": "2", "max-faces": "8", "face-resolution": "96", "strength": strength])
        // The harness started the element with the default (no restoration model); restart it with one.
        _ = gst_element_set_state(h.element, GST_STATE_NULL)
        h.set("model", Self.model)
        h.set("tasks", "restore+inpaint")
        XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
        h.setCaps("video/x-raw,format=RGB,width=256,height=256,framerate=25/1")
        for i in 0..<2 { XCTAssertEqual(h.push(pixels: rgb, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK) }
        let out = h.pullAll()
        defer { out.forEach { gst_buffer_unref($0) } }
        return (out.map { bytes(of: $0) }, rgb, box)
    }

    /// A causal model (the fixture's is) restores every frame as it arrives: nothing is
    /// held back, the element adds no latency at any window, and the window becomes
    /// the context of earlier frames each face's restoration sees — frame 3 of a clip
    /// whose frames differ comes out differently at window 4 than at window 1.
    func testCausalModelRestoresEachFrameOnArrival() throws {
        let (rgb, _) = try FaceTests.astronaut()
        func stream(window: Int) -> [[UInt8]] {
            let caps = "video/x-raw,format=RGB,width=256,height=256,framerate=25/1"
            let h = Harness(caps: caps, properties: ["window": "\(window)", "max-faces": "8", "face-resolution": "96"])
            _ = gst_element_set_state(h.element, GST_STATE_NULL)
            h.set("model", Self.model)
            XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
            h.setCaps(caps)
            gst_harness_set_upstream_latency(h.h, 20_000_000)
            XCTAssertEqual(gst_harness_query_latency(h.h), 20_000_000, "window \(window) adds no latency")
            var frames: [[UInt8]] = []
            for i in 0..<4 {
                let lit = rgb.map { UInt8(min(255, Int($0) + 12 * i)) }   // frames differ
                XCTAssertEqual(h.push(pixels: lit, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK)
                let out = h.pullAll()
                XCTAssertEqual(out.count, 1, "window \(window): frame \(i) leaves before the next arrives")
                frames += out.map { bytes(of: $0) }
                out.forEach { gst_buffer_unref($0) }
            }
            return frames
        }
        let alone = stream(window: 1), withContext = stream(window: 4)
        XCTAssertEqual(alone.count, 4)
        XCTAssertEqual(withContext.count, 4)
        guard alone.count == 4, withContext.count == 4 else { return }
        XCTAssertTrue(alone[0] == withContext[0], "the first frame has no earlier frames either way")
        XCTAssertTrue(alone[3] != withContext[3], "at window 4 frame 3 sees frames 0-2")
    }

    /// `temporal-smoothing` averages each face with the earlier frames of its window: on
    /// a still face with fresh noise in every frame, the fourth frame's restoration lies
    /// nearer the restoration of the noise-free frame with it than without it. (Only the
    /// part of the noise the 96-pixel crop resolves is averaged: the change is pasted
    /// back, the frame's finer noise stays; here 10.5 → 9.3 grey levels RMS.)
    func testTemporalSmoothingAveragesNoiseAway() throws {
        let (rgb, box) = try FaceTests.astronaut()
        let caps = "video/x-raw,format=RGB,width=256,height=256,framerate=25/1"
        func last(smoothing: String, noisy: Bool) -> [UInt8] {
            let h = Harness(caps: caps, properties: ["window": "4", "max-faces": "8", "face-resolution": "96",
                                                     "temporal-smoothing": smoothing])
            _ = gst_element_set_state(h.element, GST_STATE_NULL)
            h.set("model", Self.model)
            XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
            h.setCaps(caps)
            var rng = SeededRandom(seed: 5)
            var frames: [[UInt8]] = []
            for i in 0..<4 {
                let noise = rng.tensor([rgb.count], scale: 14)  // uniform, σ ≈ 8 grey levels
                let frame = noisy ? rgb.indices.map { UInt8(min(255, max(0, Float(rgb[$0]) + noise.data[$0]))) } : rgb
                XCTAssertEqual(h.push(pixels: frame, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK)
                let out = h.pullAll()
                frames += out.map { bytes(of: $0) }
                out.forEach { gst_buffer_unref($0) }
            }
            return frames.last ?? []
        }
        let clean = last(smoothing: "1", noisy: false)
        let (on, off) = (last(smoothing: "1", noisy: true), last(smoothing: "0", noisy: true))
        func faceRMS(_ a: [UInt8]) -> Float {
            var (s, n): (Float, Float) = (0, 0)
            for y in Int(box[1])..<Int(box[3]) {
                for x in Int(box[0])..<Int(box[2]) {
                    for c in 0..<3 { let d = Float(a[(y * 256 + x) * 3 + c]) - Float(clean[(y * 256 + x) * 3 + c]); s += d * d; n += 1 }
                }
            }
            return (s / n).squareRoot()
        }
        guard clean.count == rgb.count, on.count == rgb.count, off.count == rgb.count else { return XCTFail("frames missing") }
        XCTAssertLessThan(faceRMS(on), 0.95 * faceRMS(off), "smoothing on \(faceRMS(on)), off \(faceRMS(off))")
    }

    /// A DISCONT buffer ends each face's temporal context: after three frames, a frame
    /// flagged DISCONT comes out exactly as the same frame does at the start of a stream.
    func testDiscontinuityEndsTheTemporalContext() throws {
        let (rgb, _) = try FaceTests.astronaut()
        let caps = "video/x-raw,format=RGB,width=256,height=256,framerate=25/1"
        func harness() -> Harness {
            let h = Harness(caps: caps, properties: ["window": "4", "max-faces": "8", "face-resolution": "96"])
            _ = gst_element_set_state(h.element, GST_STATE_NULL)
            h.set("model", Self.model)
            XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
            h.setCaps(caps)
            return h
        }
        let last = rgb.map { UInt8(min(255, Int($0) + 30)) }
        let fresh = harness()
        XCTAssertEqual(fresh.push(pixels: last, pts: 0), GST_FLOW_OK)
        let alone = fresh.pullAll()
        defer { alone.forEach { gst_buffer_unref($0) } }
        let h = harness()
        for i in 0..<3 { XCTAssertEqual(h.push(pixels: rgb.map { UInt8(min(255, Int($0) + 10 * i)) }, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK) }
        XCTAssertEqual(h.push(pixels: last, pts: 3 * 40_000_000, flags: GST_BUFFER_FLAG_DISCONT), GST_FLOW_OK)
        let out = h.pullAll()
        defer { out.forEach { gst_buffer_unref($0) } }
        XCTAssertEqual(out.count, 4)
        XCTAssertEqual(alone.count, 1)
        guard out.count == 4, alone.count == 1 else { return }
        // (Booleans: a failure should not print a quarter of a megabyte of pixels.)
        XCTAssertTrue(bytes(of: out[3]) == bytes(of: alone[0]), "the discontinuous frame is restored without the frames before it")
        XCTAssertTrue(bytes(of: out[3]) != last, "and it was restored")
    }

    func testFacesAreRestoredAndNothingElse() throws {
        let (out, rgb, box) = try run(strength: "1")
        XCTAssertEqual(out.count, 2)
        let (cx, cy) = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        let reach = 1.6 * max(box[2] - box[0], box[3] - box[1])
        for frame in out {
            var inside = 0, far = 0
            for y in 0..<256 {
                for x in 0..<256 where frame[(y * 256 + x) * 3] != rgb[(y * 256 + x) * 3] {
                    if max(abs(Float(x) - cx), abs(Float(y) - cy)) > reach { far += 1 } else { inside += 1 }
                }
            }
            XCTAssertGreaterThan(inside, 500, "the face was replaced by the model's output")
            XCTAssertEqual(far, 0, "pixels away from the face are untouched")
        }
    }

    /// A clean, sharp face must come out no worse than it went in: with the shipped model
    /// (the element's default), face-region PSNR against the clean input ≥ 35 dB.
    func testCleanFaceComesOutNoWorseWithTheShippedModel() throws {
        let (rgb, box) = try FaceTests.astronaut()
        let h = Harness(caps: "video/x-raw,format=RGB,width=256,height=256,framerate=25/1", properties: ["window": "4", "max-faces": "8"])
        for i in 0..<8 { XCTAssertEqual(h.push(pixels: rgb, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK) }
        let out = h.pullAll()
        defer { out.forEach { gst_buffer_unref($0) } }
        XCTAssertEqual(out.count, 8)
        for (i, b) in out.enumerated() {
            let got = bytes(of: b)
            var se = 0.0, n = 0
            for y in Int(box[1])..<Int(box[3]) {
                for x in Int(box[0])..<Int(box[2]) {
                    for c in 0..<3 {
                        let d = Double(got[(y * 256 + x) * 3 + c]) - Double(rgb[(y * 256 + x) * 3 + c])
                        se += d * d
                        n += 1
                    }
                }
            }
            let psnr = se == 0 ? 100 : 10 * log10(255 * 255 / (se / Double(n)))
            if i == 0 { print(String(format: "clean face through the shipped model: face PSNR %.2f dB", psnr)) }
            XCTAssertGreaterThanOrEqual(psnr, 35, "frame \(i)")
            XCTAssertLessThan(psnr, 100, "frame \(i): the shipped model ran (the face changed at all)")
        }
    }

    func testStrengthZeroLeavesFramesUntouched() throws {
        let (out, rgb, _) = try run(strength: "0")
        XCTAssertEqual(out, [rgb, rgb])
    }

    func testBadRestorationModelFailsTheStateChange() throws {
        assertStateChangeError(property: "model", path: TestPaths.centerface, mentions: ["not a swiftvr restoration model"])
    }
}

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


/// Makes the next elements run the real detector with `restorer` (tests reset
/// `SwiftVR.makeProcessor` in tearDown).
func useRestorer(_ restorer: FaceRestorer) {
    SwiftVR.makeProcessor = { _ throws(ElementError) in
        do {
            return FaceWindowProcessor(detector: try FaceDetector(modelPath: ModelLocator.detectorPath()), restorer: restorer)
        } catch {
            throw .modelLoad(path: ModelLocator.detectorPath(), reason: "\(error)")
        }
    }
}

/// A restorer that changes nothing and records what it was given.
final class RecordingRestorer: FaceRestorer {
    var windows: [Int] = []
    var masks: [Tensor] = []
    func restore(track: UInt32, _ crops: [Tensor], masks: [Tensor]?, settings: RestoreSettings) throws(PipelineError) -> RestoreTimings {
        windows.append(crops.count)
        self.masks += masks ?? []
        return RestoreTimings()
    }
    func reset() {}
    func forget(tracks: [UInt32]) {}
}

/// Setting `property` to `path` makes NULL→READY fail with an ERROR on the bus whose
/// text mentions each of `mentions`.
func assertStateChangeError(property: String, path: String, mentions: [String], line: UInt = #line) {
    GstTestEnv.setUp()
    let e = gst_element_factory_make("swiftvr", nil)!
    let bus = gst_bus_new()!
    gst_element_set_bus(e, bus)
    defer {
        gst_element_set_state(e, GST_STATE_NULL)
        gst_object_unref(e)
        gst_object_unref(bus)
    }
    gst_util_set_object_arg(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), property, path)
    XCTAssertEqual(gst_element_set_state(e, GST_STATE_READY), GST_STATE_CHANGE_FAILURE, line: line)
    guard let msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) else { return XCTFail("no ERROR", line: line) }
    var error: UnsafeMutablePointer<GError>?
    var debug: UnsafeMutablePointer<gchar>?
    gst_message_parse_error(msg, &error, &debug)
    let text = String(cString: error!.pointee.message)
    for m in mentions { XCTAssertTrue(text.contains(m), "'\(text)' should mention \(m)", line: line) }
    g_error_free(error)
    g_free(debug)
    gst_message_unref(msg)
}
