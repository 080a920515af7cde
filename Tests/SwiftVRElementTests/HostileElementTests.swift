import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// Counts GStreamer-CRITICAL messages (g_return_if_fail failures inside GStreamer).
nonisolated(unsafe) private var criticals = 0

/// What a hostile host, file or stream can do to the element, each ending in an ERROR,
/// a WARNING or a clean result, never a trap, a block or something other than asked for.
final class HostileElementTests: XCTestCase {
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    /// A FIFO as `detector-model` or `model` fails NULL→READY naming it (the state
    /// change blocked forever in open()).
    func testFIFOModelsFailTheStartPromptly() throws {
        for property in ["detector-model", "model"] {
            let seconds = try HostileFiles.withFIFO { fifo in
                HostileFiles.seconds { assertStateChangeError(property: property, path: fifo, mentions: ["FIFO"]) }
            }
            XCTAssertLessThan(seconds, 5, property)
        }
        assertStateChangeError(property: "model", path: NSTemporaryDirectory(), mentions: ["is a directory"])
    }

    /// A FIFO as `inpaint-mask`: set_property returns at once (it blocked) and the start
    /// posts a WARNING naming it; the stream runs without a mask.
    func testFIFOMaskDoesNotBlockSetProperty() throws {
        let seconds = try HostileFiles.withFIFO { fifo in
            try HostileFiles.seconds {
                let h = Harness()
                h.set("inpaint-mask", fifo)
                let text = try XCTUnwrap(messageText(h.popMessage(GST_MESSAGE_WARNING)))
                XCTAssertTrue(text.contains("FIFO"), text)
                XCTAssertEqual(h.pushFrames(1).count, 1)
            }
        }
        XCTAssertLessThan(seconds, 5)
    }

    /// LATENCY at the extremes of framerate and window, causal or not: a saturated
    /// figure, never an overflow trap (a denominator near 2^31 trapped).
    func testLatencyAtExtremeFrameratesSaturates() {
        let caps = ["1/2147483647", "2147483647/1", "0/1", "0/1,max-framerate=1/2147483647", "0/1,max-framerate=2147483647/1"]
        for causal in [false, true] {
            SwiftVR.makeProcessor = { _ in causal ? CausalPassThrough() as WindowProcessor : PassThroughProcessor() }
            for rate in caps {
                for window in [1, 2, 9, 16] {
                    let h = Harness(caps: "video/x-raw,format=RGB,width=8,height=8,framerate=\(rate)", properties: ["window": "\(window)"])
                    gst_harness_set_upstream_latency(h.h, 20_000_000)
                    let latency = gst_harness_query_latency(h.h)
                    if causal || window == 1 { XCTAssertEqual(latency, 20_000_000, "\(rate) window \(window)") }
                    XCTAssertGreaterThanOrEqual(latency, 20_000_000, "\(rate) window \(window): not wrapped")
                    if !causal && window == 16 && rate == "1/2147483647" {
                        XCTAssertEqual(UInt64(latency), WindowLatency.maxTime, "saturated, not wrapped")
                    }
                }
            }
        }
        XCTAssertEqual(WindowLatency.holding(capacity: 16, framerate: (1, 2147483647)), WindowLatency.maxTime)
        XCTAssertEqual(WindowLatency.holding(capacity: 16, framerate: (2147483647, 1)), 7)
        XCTAssertEqual(WindowLatency.adding(WindowLatency.maxTime, 5), WindowLatency.maxTime)
    }

    /// A GstVideoMeta whose plane lies beyond the buffer: an ERROR naming the plane, the
    /// push fails (the element's resampler read past the mapping: SIGSEGV).
    func testVideoMetaBeyondTheBufferIsAnError() throws {
        let (w, hgt) = (17, 13)
        let h = Harness(caps: "video/x-raw,format=I420,width=\(w),height=\(hgt),framerate=30/1", properties: ["window": "1", "max-faces": "8"])
        let b = gst_buffer_new_allocate(nil, 2000, nil)!
        // Plane 2 starts inside the buffer and runs past its end.
        var offsets: [gsize] = [0, 64 * 13, 1900, 0]
        var strides: [gint] = [64, 64, 64, 0]
        _ = gst_buffer_add_video_meta_full(b, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_I420, guint(w), guint(hgt), 3, &offsets, &strides)
        XCTAssertNotEqual(h.push(b), GST_FLOW_OK)
        let text = try XCTUnwrap(messageText(h.popMessage(GST_MESSAGE_ERROR)))
        XCTAssertTrue(text.contains("plane"), text)
    }

    /// A BYTES segment: frames pass and face messages carry no stream or running time,
    /// without GStreamer-CRITICALs (each frame raised them).
    func testNonTimeSegmentRaisesNoCriticals() {
        let h = Harness()
        let handler = g_log_set_handler("GStreamer", GLogLevelFlags(rawValue: G_LOG_LEVEL_CRITICAL.rawValue), { _, _, _, _ in criticals += 1 }, nil)
        defer { g_log_remove_handler("GStreamer", handler) }
        criticals = 0
        var segment = GstSegment()
        gst_segment_init(&segment, GST_FORMAT_BYTES)
        XCTAssertTrue(h.pushEvent(gst_event_new_segment(&segment)))
        XCTAssertEqual(h.pushFrames(3).count, 3)
        XCTAssertEqual(h.pullPTS().count, 3)
        XCTAssertEqual(criticals, 0)
    }

    /// `model` set while PLAYING: refused with a WARNING, and the property reads back the
    /// model in use (it read back the new path and kept the old model silently).
    func testModelSetWhilePlayingIsRefused() throws {
        let h = Harness()
        let get = { g_object_get_property_string(h.element, "model") }
        let before = get()
        h.set("model", "/somewhere/else.safetensors")
        XCTAssertEqual(get(), before)
        let msg = try XCTUnwrap(h.popMessage(GST_MESSAGE_WARNING), "a WARNING says the property did not change")
        gst_message_unref(msg)
    }

    /// Weights that drive the restoration non-finite: one WARNING per face, and the face
    /// passes through as it came in (it was left untouched without a word).
    func testNonFiniteRestorationWarnsOncePerFaceAndPassesThrough() throws {
        let path = HostileFiles.temporary("overflowing.safetensors")
        defer { unlink(path) }
        try HostileFiles.rewrite(TestPaths.fixtures + "/restorer.safetensors", to: path, scale: 1e30)
        let (rgb, _) = try FaceTests.astronaut()
        let caps = "video/x-raw,format=RGB,width=256,height=256,framerate=25/1"
        let h = Harness(caps: caps, properties: ["window": "2", "max-faces": "8", "face-resolution": "96"])
        _ = gst_element_set_state(h.element, GST_STATE_NULL)
        h.set("model", path)
        XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
        h.setCaps(caps)
        for i in 0..<3 { XCTAssertEqual(h.push(pixels: rgb, pts: GstClockTime(i) * 40_000_000), GST_FLOW_OK) }
        let out = h.pullAll()
        defer { out.forEach { gst_buffer_unref($0) } }
        XCTAssertEqual(out.count, 3)
        for b in out { XCTAssertEqual(bytes(of: b), rgb, "the face passes through unchanged") }
        var warnings = 0
        while let msg = h.popMessage(GST_MESSAGE_WARNING) {
            warnings += 1
            gst_message_unref(msg)
        }
        XCTAssertEqual(warnings, 1, "one WARNING for the one face, not one per frame")
    }
}

/// A pass-through processor that holds no frame back, as a causal model does.
final class CausalPassThrough: WindowProcessor {
    func writesPixels(_ settings: ProcessingSettings) -> Bool { false }
    func framesHeld(window: Int) -> Int { 1 }
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        WindowResult(reports: window.map { _ in FrameReport() })
    }
    func reset() {}
}

/// An ERROR's or WARNING's text and debug string, joined; the message is released.
func messageText(_ msg: UnsafeMutablePointer<GstMessage>?) -> String? {
    guard let msg else { return nil }
    defer { gst_message_unref(msg) }
    var error: UnsafeMutablePointer<GError>?
    var debug: UnsafeMutablePointer<gchar>?
    if msg.pointee.type == GST_MESSAGE_ERROR { gst_message_parse_error(msg, &error, &debug) } else { gst_message_parse_warning(msg, &error, &debug) }
    defer { g_clear_error(&error); g_free(debug) }
    return (error.map { String(cString: $0.pointee.message) } ?? "") + " " + (debug.map { String(cString: $0) } ?? "")
}

/// A string property's value.
func g_object_get_property_string(_ element: UnsafeMutablePointer<GstElement>, _ name: String) -> String {
    var value = GValue()
    g_value_init(&value, g_type_from_name("gchararray"))
    defer { g_value_unset(&value) }
    g_object_get_property(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GObject.self), name, &value)
    return g_value_get_string(&value).map { String(cString: $0) } ?? ""
}
