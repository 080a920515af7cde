import CGStreamer
import CGstCheck
import SwiftVRPipeline
import XCTest
@testable import SwiftVRElement

/// The window contract: T−1 frames in → nothing out; the T-th → T frames out in order,
/// timestamps untouched; partial windows leave on EOS, SEGMENT, DISCONT; FLUSH drops them.
final class WindowingTests: XCTestCase {
    /// Window semantics belong to processors that need whole windows (a non-causal
    /// model); the shipped model is causal and holds no frame back, so these tests run
    /// the element with a pass-through processor that takes windows as they come.
    override func setUp() { SwiftVR.makeProcessor = { _ in PassThroughProcessor() } }
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    func testHoldsUntilWindowIsFullThenPushesAllInOrder() {
        for t in [1, 2, 4, 7, 16] {
            let h = Harness(properties: ["window": "\(t)"])
            let sent = h.pushFrames(t - 1)
            XCTAssertEqual(h.pullPTS(), [], "window=\(t): \(t - 1) frames must be held")
            let last = h.pushFrames(1, from: t - 1)
            XCTAssertEqual(h.pullPTS(), sent + last, "window=\(t): the full window leaves in order")
        }
    }

    func testTimestampsDurationFlagsAndMetasAreKept() {
        let h = Harness(properties: ["window": "2"])
        let a = h.frame(pts: 5 * second, flags: GST_BUFFER_FLAG_DELTA_UNIT)
        a.pointee.dts = 4 * second
        a.pointee.duration = 123
        a.pointee.offset = 42
        _ = gst_buffer_add_reference_timestamp_meta(a, gst_caps_from_string("timestamp/x-test"), 777, clockTimeNone)
        let expected = bytes(of: a)
        h.push(a)
        h.push(h.frame(pts: 6 * second))
        let out = h.pullAll()
        XCTAssertEqual(out.count, 2)
        guard let b = out.first else { return }
        XCTAssertEqual(b.pointee.pts, 5 * second)
        XCTAssertEqual(b.pointee.dts, 4 * second)
        XCTAssertEqual(b.pointee.duration, 123)
        XCTAssertEqual(b.pointee.offset, 42)
        XCTAssertNotEqual(b.pointee.mini_object.flags & GST_BUFFER_FLAG_DELTA_UNIT.rawValue, 0)
        let meta = gst_buffer_get_reference_timestamp_meta(b, nil)
        XCTAssertEqual(meta?.pointee.timestamp, 777)
        XCTAssertEqual(bytes(of: b), expected)
        out.forEach { gst_buffer_unref($0) }
    }

    func testEOSDrainsPartialWindowBeforeEOS() {
        let h = Harness(properties: ["window": "4"])
        let sent = h.pushFrames(3)
        XCTAssertEqual(h.pullPTS(), [])
        XCTAssertTrue(h.pushEvent(gst_event_new_eos()))
        XCTAssertEqual(h.pullPTS(), sent)
        XCTAssertTrue(eventTypesReceived(h).contains(GST_EVENT_EOS))
    }

    func testNewSegmentDrainsPartialWindow() {
        let h = Harness(properties: ["window": "4"])
        let sent = h.pushFrames(2)
        var segment = GstSegment()
        gst_segment_init(&segment, GST_FORMAT_TIME)
        XCTAssertTrue(h.pushEvent(gst_event_new_segment(&segment)))
        XCTAssertEqual(h.pullPTS(), sent)
    }

    func testDiscontBufferDrainsWindowBeforeIt() {
        let h = Harness(properties: ["window": "4"])
        let sent = h.pushFrames(2)
        XCTAssertEqual(h.push(h.frame(pts: 10 * second, flags: GST_BUFFER_FLAG_DISCONT)), GST_FLOW_OK)
        XCTAssertEqual(h.pullPTS(), sent, "frames before the discontinuity leave, the discont frame starts a new window")
        h.pushFrames(3, from: 400)
        XCTAssertEqual(h.pullPTS().first, 10 * second)
    }

    func testFlushDropsWindowAndStreamGoesOn() {
        let h = Harness(properties: ["window": "3"])
        h.pushFrames(2)
        XCTAssertTrue(h.pushEvent(gst_event_new_flush_start()))
        XCTAssertEqual(h.push(h.frame(pts: 0)), GST_FLOW_FLUSHING, "data is refused while flushing")
        XCTAssertTrue(h.pushEvent(gst_event_new_flush_stop(1)))
        XCTAssertEqual(h.pullPTS(), [], "a flush drops held frames")
        var segment = GstSegment()
        gst_segment_init(&segment, GST_FORMAT_TIME)
        XCTAssertTrue(h.pushEvent(gst_event_new_segment(&segment)))
        let sent = h.pushFrames(3, from: 100)
        XCTAssertEqual(h.pullPTS(), sent, "a fresh window after the flush")
    }

    func testShrinkingWindowWhilePlayingReleasesHeldFramesAndPostsLatency() {
        let h = Harness(properties: ["window": "8"])
        let sent = h.pushFrames(3)
        while let m = h.popMessage(GST_MESSAGE_LATENCY) { gst_message_unref(m) }
        h.set("window", "2")
        let latency = h.popMessage(GST_MESSAGE_LATENCY)
        XCTAssertNotNil(latency, "changing window while playing posts a LATENCY message")
        latency.map { gst_message_unref($0) }
        // The streaming thread applies the new length with the next frame: the three
        // held frames leave as one window, and the new frame starts the next one.
        let next = h.pushFrames(1, from: 3)
        XCTAssertEqual(h.pullPTS(), sent, "held frames leave when the window shrinks below them")
        let more = h.pushFrames(1, from: 4)
        XCTAssertEqual(h.pullPTS(), next + more)
    }

    func testResetOnPausedToReadyForgetsHeldFrames() {
        let h = Harness(properties: ["window": "4"])
        h.pushFrames(3)
        XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS)
        XCTAssertEqual(h.pullPTS(), [])
        XCTAssertEqual(gst_element_set_state(h.element, GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS)
        h.setCaps("video/x-raw,format=RGB,width=16,height=8,framerate=30/1")
        var segment = GstSegment()
        gst_segment_init(&segment, GST_FORMAT_TIME)
        XCTAssertTrue(h.pushEvent(gst_event_new_segment(&segment)))
        let sent = h.pushFrames(4, from: 50)
        XCTAssertEqual(h.pullPTS(), sent, "old frames are gone: the next window is exactly the new frames")
    }

    func testHeldPoolBuffersAreReturnedToTheirPool() {
        let h = Harness(properties: ["window": "4"])
        let pool = gst_buffer_pool_new()!
        let config = gst_buffer_pool_get_config(pool)
        let caps = gst_caps_from_string("video/x-raw,format=RGB,width=16,height=8,framerate=30/1")
        gst_buffer_pool_config_set_params(config, caps, guint(h.frameSize), 2, 2)
        gst_caps_unref(caps)
        XCTAssertTrue(gst_buffer_pool_set_config(pool, config) != 0)
        XCTAssertTrue(gst_buffer_pool_set_active(pool, 1) != 0)
        var params = GstBufferPoolAcquireParams()
        params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT
        for i in 0..<3 {
            var b: UnsafeMutablePointer<GstBuffer>?
            XCTAssertEqual(gst_buffer_pool_acquire_buffer(pool, &b, &params), GST_FLOW_OK,
                           "pool of 2 must not be exhausted by frames the element holds (frame \(i))")
            guard let b else { break }
            b.pointee.pts = GstClockTime(i) * second / 30
            XCTAssertEqual(h.push(b), GST_FLOW_OK)
        }
        XCTAssertEqual(h.pullPTS(), [])
        _ = gst_buffer_pool_set_active(pool, 0)
        gst_object_unref(pool)
    }

    func testStopsPushingWhenDownstreamIsFlushing() {
        let h = Harness(properties: ["window": "3"])
        h.pushFrames(2)
        // Deactivating the harness' sink pad makes every push from swiftvr return FLUSHING.
        _ = gst_pad_set_active(h.h.pointee.sinkpad, 0)
        XCTAssertEqual(h.push(h.frame(pts: 3 * second)), GST_FLOW_FLUSHING,
                       "the first failed push ends the window and its flow return goes upstream")
        _ = gst_pad_set_active(h.h.pointee.sinkpad, 1)
        XCTAssertEqual(h.pullPTS(), [], "nothing after the failed push was delivered")
    }

    private func eventTypesReceived(_ h: Harness) -> [GstEventType] {
        var types: [GstEventType] = []
        while let e = gst_harness_try_pull_event(h.h) {
            types.append(e.pointee.type)
            gst_event_unref(e)
        }
        return types
    }
}
