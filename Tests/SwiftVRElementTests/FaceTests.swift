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
        assertModelError(path: Self.fixtureDirectory + "/ops.safetensors", mentions: ["is not a face detector this build knows", "architecture: none"])
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
