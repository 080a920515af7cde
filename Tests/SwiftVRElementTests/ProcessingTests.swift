import CGStreamer
import CGstCheck
import SwiftVRPipeline
import XCTest
@testable import SwiftVRElement

/// The processing stage's contract with the element: writable frames when it writes,
/// never called at strength 0, and its errors become a bus ERROR and GST_FLOW_ERROR.
final class ProcessingTests: XCTestCase {
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    func testWritingProcessorChangesOutputButNotTheCallersBuffer() {
        SwiftVR.makeProcessor = { _ in InvertProcessor() }
        let h = Harness(caps: "video/x-raw,format=RGBA,width=5,height=3,framerate=30/1", properties: ["window": "2"])
        let a = h.frame(pts: 0), b = h.frame(pts: 1)
        let before = bytes(of: a)
        gst_buffer_ref(a)  // the caller still holds it: the element must not write into it
        h.push(a)
        h.push(b)
        let out = h.pullAll()
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out.first.map { bytes(of: $0) }, before.map { 255 - $0 })
        XCTAssertEqual(bytes(of: a), before)
        gst_buffer_unref(a)
        out.forEach { gst_buffer_unref($0) }
    }

    func testStrengthZeroLeavesPixelsUntouched() {
        SwiftVR.makeProcessor = { _ in InvertProcessor() }
        let h = Harness(caps: "video/x-raw,format=RGB,width=5,height=3,framerate=30/1",
                        properties: ["window": "1", "strength": "0"])
        let f = h.frame(pts: 0)
        let before = bytes(of: f)
        h.push(f)
        let out = h.pullAll()
        XCTAssertEqual(out.map { bytes(of: $0) }, [before])
        out.forEach { gst_buffer_unref($0) }
    }

    func testProcessingErrorPostsBusErrorAndReturnsFlowError() {
        SwiftVR.makeProcessor = { _ in FailingProcessor() }
        let h = Harness(properties: ["window": "2"])
        XCTAssertEqual(h.push(h.frame(pts: 0)), GST_FLOW_OK)
        XCTAssertEqual(h.push(h.frame(pts: 1)), GST_FLOW_ERROR)
        guard let message = h.popMessage(GST_MESSAGE_ERROR) else { return XCTFail("no ERROR on the bus") }
        var error: UnsafeMutablePointer<GError>?
        var debug: UnsafeMutablePointer<gchar>?
        gst_message_parse_error(message, &error, &debug)
        XCTAssertTrue(String(cString: error!.pointee.message).contains("Could not restore"))
        XCTAssertTrue(String(cString: debug!).contains("model exploded"))
        g_error_free(error)
        g_free(debug)
        gst_message_unref(message)
        XCTAssertEqual(h.pullPTS(), [], "frames of a failed window are not pushed")
    }

    /// A buffer smaller than its caps say is an ERROR whose text names the sizes, and
    /// nothing is read past its end.
    func testUndersizedBufferIsAnErrorNamingTheSizes() {
        SwiftVR.makeProcessor = { _ in InvertProcessor() }
        let h = Harness(caps: "video/x-raw,format=RGB,width=64,height=48,framerate=30/1", properties: ["window": "1"])
        XCTAssertEqual(h.push(gst_buffer_new_allocate(nil, 100, nil)!), GST_FLOW_ERROR)
        guard let message = h.popMessage(GST_MESSAGE_ERROR) else { return XCTFail("no ERROR on the bus") }
        var error: UnsafeMutablePointer<GError>?
        var debug: UnsafeMutablePointer<gchar>?
        gst_message_parse_error(message, &error, &debug)
        let text = String(cString: error!.pointee.message)
        XCTAssertTrue(text.contains("100 bytes") && text.contains("64x48 RGB") && text.contains("9216"), text)
        g_error_free(error)
        g_free(debug)
        gst_message_unref(message)
    }

    /// Caps at the limits GStreamer allows are refused or fail cleanly: a flow error,
    /// never a trap or a frame-sized allocation for a buffer that is not there.
    func testHostileCapsAreRefusedNotTrapped() {
        SwiftVR.makeProcessor = { _ in InvertProcessor() }
        GstTestEnv.setUp()
        for caps in ["video/x-raw,format=RGB,width=2147483647,height=2147483647,framerate=30/1",
                     "video/x-raw,format=I420,width=16384,height=16384,framerate=30/1",
                     "video/x-raw,format=RGBA,width=1,height=1,framerate=0/1"] {
            let h = gst_harness_new("swiftvr")!
            defer { gst_harness_teardown(h) }
            gst_util_set_object_arg(UnsafeMutableRawPointer(h.pointee.element).assumingMemoryBound(to: GObject.self), "window", "1")
            gst_harness_set_src_caps_str(h, caps)
            let ok = caps.contains("width=1,")
            let b = gst_buffer_new_allocate(nil, ok ? 4 : 64, nil)!
            XCTAssertEqual(gst_harness_push(h, b) == GST_FLOW_OK, ok, caps)
        }
    }

    /// Untimestamped and zero-duration buffers are windowed and pushed like any other,
    /// in order, with their timestamps as they came.
    func testUntimestampedAndZeroDurationBuffersPassInOrder() {
        SwiftVR.makeProcessor = { _ in InvertProcessor() }
        let h = Harness(properties: ["window": "3"])
        let none = GstClockTime.max   // GST_CLOCK_TIME_NONE
        var sent: [GstClockTime] = []
        for i in 0..<7 {
            let f = h.frame(pts: i % 2 == 0 ? none : GstClockTime(i) * 1_000_000, seed: UInt8(i))
            f.pointee.dts = none
            f.pointee.duration = i % 2 == 0 ? none : 0
            sent.append(f.pointee.pts)
            XCTAssertEqual(h.push(f), GST_FLOW_OK)
        }
        XCTAssertTrue(h.pushEvent(gst_event_new_eos()))
        XCTAssertEqual(h.pullPTS(), sent)
    }

    func testBufferWithoutCapsIsNotNegotiated() {
        GstTestEnv.setUp()
        let h = gst_harness_new("swiftvr")!
        defer { gst_harness_teardown(h) }
        let b = gst_buffer_new_allocate(nil, 16, nil)!
        XCTAssertNotEqual(gst_harness_push(h, b), GST_FLOW_OK)
    }
}

final class InvertProcessor: WindowProcessor {
    func writesPixels(_ settings: ProcessingSettings) -> Bool { settings.restore.strength > 0 }
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        for f in window where settings.restore.strength > 0 {
            for p in f.planes {
                for y in 0..<p.rows { for x in 0..<p.rowBytes { p.row(y)[x] = 255 - p.row(y)[x] } }
            }
        }
        return WindowResult(reports: window.map { _ in FrameReport() })
    }
    func reset() {}
}

final class FailingProcessor: WindowProcessor {
    func writesPixels(_ settings: ProcessingSettings) -> Bool { false }
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        throw .processingFailed("model exploded")
    }
    func reset() {}
}
