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

    func testBufferWithoutCapsIsNotNegotiated() {
        GstTestEnv.setUp()
        let h = gst_harness_new("swiftvr")!
        defer { gst_harness_teardown(h) }
        let b = gst_buffer_new_allocate(nil, 16, nil)!
        XCTAssertNotEqual(gst_harness_push(h, b), GST_FLOW_OK)
    }
}

final class InvertProcessor: WindowProcessor {
    func writesPixels(strength: Float) -> Bool { strength > 0 }
    func process(_ window: [FrameView], colorimetry: Colorimetry, strength: Float) throws(PipelineError) -> [FrameReport] {
        for f in window where strength > 0 {
            for p in f.planes {
                for y in 0..<p.rows { for x in 0..<p.rowBytes { p.row(y)[x] = 255 - p.row(y)[x] } }
            }
        }
        return window.map { _ in FrameReport() }
    }
    func reset() {}
}

final class FailingProcessor: WindowProcessor {
    func writesPixels(strength: Float) -> Bool { false }
    func process(_ window: [FrameView], colorimetry: Colorimetry, strength: Float) throws(PipelineError) -> [FrameReport] {
        throw .processingFailed("model exploded")
    }
    func reset() {}
}
