import CGStreamer
import CGstCheck
import SwiftVRPipeline
import XCTest
@testable import SwiftVRElement

/// Every accepted format and odd sizes pass through bit-exactly in identity mode;
/// caps changes drain under the old caps; GstVideoMeta strides and offsets are honoured.
final class FormatTests: XCTestCase {
    /// Window semantics belong to processors that need whole windows (a non-causal
    /// model); the shipped model is causal and holds no frame back, so these tests run
    /// the element with a pass-through processor that takes windows as they come.
    override func setUp() { SwiftVR.makeProcessor = { _ in PassThroughProcessor() } }
    override func tearDown() { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }

    func testEveryFormatAndOddSizePassesThroughBitExactly() {
        let sizes = [(1, 1), (2, 3), (17, 13), (641, 359), (64, 48)]
        for format in PixelFormat.allCases {
            for (w, hgt) in sizes {
                for window in [1, 3] {
                    let h = Harness(caps: "video/x-raw,format=\(format.rawValue),width=\(w),height=\(hgt),framerate=25/1",
                                    properties: ["window": "\(window)"])
                    var expected: [[UInt8]] = []
                    for i in 0..<window {
                        let f = h.frame(pts: GstClockTime(i) * 40_000_000, seed: UInt8(i))
                        expected.append(bytes(of: f))
                        XCTAssertEqual(h.push(f), GST_FLOW_OK)
                    }
                    let out = h.pullAll()
                    XCTAssertEqual(out.map { bytes(of: $0) }, expected, "\(format.rawValue) \(w)x\(hgt) window=\(window)")
                    out.forEach { gst_buffer_unref($0) }
                }
            }
        }
    }

    func testCapsChangeDrainsUnderOldCaps() {
        let h = Harness(caps: "video/x-raw,format=RGB,width=16,height=8,framerate=30/1", properties: ["window": "4"])
        let oldSize = h.frameSize
        let sent = h.pushFrames(2)
        let caps = gst_caps_from_string("video/x-raw,format=RGB,width=32,height=16,framerate=30/1")!
        XCTAssertTrue(h.pushEvent(gst_event_new_caps(caps)))
        gst_caps_unref(caps)
        h.setCaps("video/x-raw,format=RGB,width=32,height=16,framerate=30/1")
        let out = h.pullAll()
        XCTAssertEqual(out.map { $0.pointee.pts }, sent, "held frames leave when caps change")
        XCTAssertEqual(out.map { Int(gst_buffer_get_size($0)) }, [oldSize, oldSize])
        out.forEach { gst_buffer_unref($0) }
        // The old frames left before the new caps reached downstream.
        let sinkCaps = gst_pad_get_current_caps(h.h.pointee.sinkpad)!
        defer { gst_caps_unref(sinkCaps) }
        XCTAssertTrue(StreamFormat.describe(sinkCaps).contains("width=(int)32"))
        let next = h.pushFrames(4, from: 10)
        XCTAssertEqual(h.pullPTS(), next)
    }

    func testSameCapsAgainDoesNotDrain() {
        let h = Harness(caps: "video/x-raw,format=RGB,width=16,height=8,framerate=30/1", properties: ["window": "4"])
        h.pushFrames(2)
        // A bare CAPS event (gst_harness_set_src_caps also sends a new SEGMENT, which drains).
        let caps = gst_caps_from_string("video/x-raw,format=RGB,width=16,height=8,framerate=30/1")!
        XCTAssertTrue(h.pushEvent(gst_event_new_caps(caps)))
        gst_caps_unref(caps)
        XCTAssertEqual(h.pullPTS(), [])
    }

    func testVideoMetaStridesAndOffsetsAreHonoured() {
        let probe = ProbeProcessor()
        SwiftVR.makeProcessor = { _ in probe }
        defer { SwiftVR.makeProcessor = SwiftVR.defaultProcessor }
        let (w, hgt) = (17, 13)
        let h = Harness(caps: "video/x-raw,format=I420,width=\(w),height=\(hgt),framerate=30/1", properties: ["window": "1"])
        // A padded layout unlike the default one: every plane 64-byte stride, 100 bytes apart.
        let strides: [gint] = [64, 64, 64, 0]
        let offsets: [gsize] = [100, 100 + 64 * 13 + 100, 100 + 64 * 13 + 100 + 64 * 7 + 100, 0]
        let size = Int(offsets[2]) + 64 * 7 + 50
        let b = gst_buffer_new_allocate(nil, gsize(size), nil)!
        var map = GstMapInfo()
        gst_buffer_map(b, &map, GST_MAP_WRITE)
        memset(map.data, 0xEE, size)  // padding
        var expected: [[UInt8]] = []
        for p in 0..<3 {
            let (rowBytes, rows) = PixelFormat.i420.planeExtent(p, width: w, height: hgt)
            var plane: [UInt8] = []
            for y in 0..<rows {
                for x in 0..<rowBytes {
                    let v = UInt8(truncatingIfNeeded: p * 50 + y * 3 + x)
                    map.data[Int(offsets[p]) + y * Int(strides[p]) + x] = v
                    plane.append(v)
                }
            }
            expected.append(plane)
        }
        gst_buffer_unmap(b, &map)
        var o = offsets, s = strides
        _ = gst_buffer_add_video_meta_full(b, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_I420, guint(w), guint(hgt), 3, &o, &s)
        XCTAssertEqual(h.push(b), GST_FLOW_OK)
        XCTAssertEqual(probe.seen.first, expected, "the processor must see exactly the visible pixels of each plane")
        h.pullAll().forEach { gst_buffer_unref($0) }
    }
}

/// Records the visible bytes of every plane of every frame it is given.
final class ProbeProcessor: WindowProcessor {
    var seen: [[[UInt8]]] = []
    func writesPixels(_ settings: ProcessingSettings) -> Bool { false }
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        for f in window {
            seen.append(f.planes.map { p in
                (0..<p.rows).flatMap { y in Array(UnsafeBufferPointer(start: p.row(y), count: p.rowBytes)) }
            })
        }
        return WindowResult(reports: window.map { _ in FrameReport() })
    }
    func reset() {}
}
