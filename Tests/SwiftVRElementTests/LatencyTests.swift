import CGStreamer
import CGstCheck
import SwiftVRPipeline
import XCTest
@testable import SwiftVRElement

/// LATENCY: upstream plus the window's holding delay, (window − 1) frame durations.
final class LatencyTests: XCTestCase {
    /// Window semantics belong to processors that need whole windows (a non-causal
    /// model); the shipped model is causal and holds no frame back, so these tests run
    /// the element with a pass-through processor that takes windows as they come.
    override func setUp() { SwiftVR.makeProcessor = { _ in PassThroughProcessor() } }
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    private let upstream: GstClockTime = 20_000_000

    private func latency(window: Int, caps: String) -> GstClockTime {
        let h = Harness(caps: caps, properties: ["window": "\(window)"])
        gst_harness_set_upstream_latency(h.h, upstream)
        return gst_harness_query_latency(h.h)
    }

    func testLatencyIsUpstreamPlusHeldFrames() {
        let caps = "video/x-raw,format=I420,width=64,height=48,framerate=30/1"
        XCTAssertEqual(latency(window: 4, caps: caps), upstream + 100_000_000)
        XCTAssertEqual(latency(window: 16, caps: caps), upstream + 500_000_000)
        XCTAssertEqual(latency(window: 2, caps: "video/x-raw,format=I420,width=64,height=48,framerate=25/1"),
                       upstream + 40_000_000)
        XCTAssertEqual(latency(window: 3, caps: "video/x-raw,format=I420,width=64,height=48,framerate=30000/1001"),
                       upstream + 66_733_334)
    }

    func testWindowOfOneAddsNoLatency() {
        XCTAssertEqual(latency(window: 1, caps: "video/x-raw,format=RGB,width=8,height=8,framerate=60/1"), upstream)
    }

    func testVariableFramerateUsesMaxFramerateElseNominalRate() {
        XCTAssertEqual(latency(window: 4, caps: "video/x-raw,format=RGB,width=8,height=8,framerate=0/1,max-framerate=60/1"),
                       upstream + 50_000_000)
        XCTAssertEqual(latency(window: 4, caps: "video/x-raw,format=RGB,width=8,height=8,framerate=0/1"),
                       upstream + 100_000_000)
    }

    func testLatencyFollowsWindowChanges() {
        let h = Harness(caps: "video/x-raw,format=RGB,width=8,height=8,framerate=30/1", properties: ["window": "4"])
        gst_harness_set_upstream_latency(h.h, upstream)
        XCTAssertEqual(gst_harness_query_latency(h.h), upstream + 100_000_000)
        h.set("window", "1")
        XCTAssertEqual(gst_harness_query_latency(h.h), upstream)
    }
}
