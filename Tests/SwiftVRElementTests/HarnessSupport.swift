import CGStreamer
import CGstCheck
import Glibc
import SwiftVRPipeline
import XCTest
@testable import SwiftVRElement

/// GStreamer initialised once per test process with the plugin registered statically
/// (never also from GST_PLUGIN_PATH: a second copy of the .so would bring a second
/// Swift runtime into the process).
enum GstTestEnv {
    private static let once: Void = {
        unsetenv("GST_PLUGIN_PATH")
        // No plugin directories at all: an installed copy of libgstswiftvr.so (in
        // ~/.local/share/gstreamer-1.0/plugins) must not be loaded into this process.
        setenv("GST_PLUGIN_SYSTEM_PATH_1_0", "", 1)
        setenv("GST_REGISTRY", "/tmp/swiftvr-element-tests-registry-\(getpid()).bin", 1)
        gst_init(nil, nil)
        _ = PluginInfo.registerStatic()
    }()
    static func setUp() { _ = once }
}

let second: GstClockTime = 1_000_000_000

/// A processor that leaves every frame exactly as it came: the streaming tests' stand-in
/// for the face pipeline (windows, timestamps and formats without a model's cost).
final class PassThroughProcessor: WindowProcessor {
    func writesPixels(_ settings: ProcessingSettings) -> Bool { false }
    func process(_ window: [FrameView], colorimetry: Colorimetry, settings: ProcessingSettings) throws(PipelineError) -> WindowResult {
        WindowResult(reports: window.map { _ in FrameReport() })
    }
    func reset() {}
}

/// A GstHarness around one swiftvr element, with a bus to read its messages.
final class Harness {
    let h: UnsafeMutablePointer<GstHarness>
    let bus: UnsafeMutablePointer<GstBus>
    var element: UnsafeMutablePointer<GstElement> { h.pointee.element }
    private(set) var info = GstVideoInfo()

    init(caps: String = "video/x-raw,format=RGB,width=16,height=8,framerate=30/1", properties: [String: String] = [:]) {
        GstTestEnv.setUp()
        h = gst_harness_new("swiftvr")
        bus = gst_bus_new()
        gst_element_set_bus(h.pointee.element, bus)
        // Detection is off unless a test asks for it: these tests are about streaming,
        // and the debug-built detector is slow.
        for (name, value) in ["max-faces": "0"].merging(properties, uniquingKeysWith: { $1 }) { set(name, value) }
        setCaps(caps)
    }

    deinit {
        gst_harness_teardown(h)
        gst_object_unref(bus)
    }

    func set(_ property: String, _ value: String) {
        gst_util_set_object_arg(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GObject.self), property, value)
    }

    func setCaps(_ caps: String) {
        gst_harness_set_src_caps_str(h, caps)
        let c = gst_caps_from_string(caps)!
        defer { gst_caps_unref(c) }
        XCTAssertTrue(gst_video_info_from_caps(&info, c) != 0, "bad test caps \(caps)")
    }

    var frameSize: Int { Int(info.size) }

    /// A frame of the current caps filled with a pattern derived from `seed`.
    func frame(pts: GstClockTime, seed: UInt8 = 0, flags: GstBufferFlags? = nil) -> UnsafeMutablePointer<GstBuffer> {
        let b = gst_buffer_new_allocate(nil, gsize(frameSize), nil)!
        var map = GstMapInfo()
        gst_buffer_map(b, &map, GST_MAP_WRITE)
        for i in 0..<Int(map.size) { map.data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ Int(seed) &* 7) }
        gst_buffer_unmap(b, &map)
        b.pointee.pts = pts
        b.pointee.dts = pts
        b.pointee.duration = second / 30
        if let flags { b.pointee.mini_object.flags |= flags.rawValue }
        return b
    }

    @discardableResult
    func push(_ b: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn { gst_harness_push(h, b) }

    /// Pushes a frame holding exactly `pixels` (tightly packed, the current caps' layout).
    @discardableResult
    func push(pixels: [UInt8], pts: GstClockTime, flags: GstBufferFlags? = nil) -> GstFlowReturn {
        let b = flags.map { frame(pts: pts, flags: $0) } ?? frame(pts: pts)
        var map = GstMapInfo()
        gst_buffer_map(b, &map, GST_MAP_WRITE)
        pixels.withUnsafeBufferPointer { map.data.update(from: $0.baseAddress!, count: min(pixels.count, Int(map.size))) }
        gst_buffer_unmap(b, &map)
        return push(b)
    }

    /// Pushes frames with PTS 0, 1/30 s, … starting at index `from`; returns their PTS.
    @discardableResult
    func pushFrames(_ n: Int, from: Int = 0) -> [GstClockTime] {
        (from..<(from + n)).map { i in
            let pts = GstClockTime(i) * second / 30
            XCTAssertEqual(push(frame(pts: pts, seed: UInt8(truncatingIfNeeded: i))), GST_FLOW_OK)
            return pts
        }
    }

    func pushEvent(_ e: UnsafeMutablePointer<GstEvent>) -> Bool { gst_harness_push_event(h, e) != 0 }

    /// Everything the element has pushed so far, without waiting.
    func pullAll() -> [UnsafeMutablePointer<GstBuffer>] {
        var out: [UnsafeMutablePointer<GstBuffer>] = []
        while let b = gst_harness_try_pull(h) { out.append(b) }
        return out
    }

    /// PTS of everything pushed so far (the buffers are released).
    func pullPTS() -> [GstClockTime] {
        pullAll().map { b in defer { gst_buffer_unref(b) }; return b.pointee.pts }
    }

    func popMessage(_ type: GstMessageType) -> UnsafeMutablePointer<GstMessage>? {
        gst_bus_pop_filtered(bus, type)
    }
}

func bytes(of b: UnsafeMutablePointer<GstBuffer>) -> [UInt8] {
    var map = GstMapInfo()
    guard gst_buffer_map(b, &map, GST_MAP_READ) != 0 else { return [] }
    defer { gst_buffer_unmap(b, &map) }
    return Array(UnsafeBufferPointer(start: map.data, count: Int(map.size)))
}
