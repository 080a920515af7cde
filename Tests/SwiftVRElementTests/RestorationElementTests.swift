import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

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
