import CGStreamer
import CGstCheck
import Foundation
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// Makes the next elements run the real detector with `restorer` (tests reset
/// `SwiftVR.makeProcessor` in tearDown).
func useRestorer(_ restorer: FaceRestorer) {
    SwiftVR.makeProcessor = { _ throws(ElementError) in
        do {
            return FaceWindowProcessor(detector: try Detectors.load(path: ModelLocator.detectorPath()), restorer: restorer)
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
