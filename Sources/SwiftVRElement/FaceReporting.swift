import CGStreamer
import SwiftVRPipeline

/// gst_buffer_make_writable (a macro): the buffer itself if we hold the only
/// reference, else a shallow copy (memory is shared until written).
func makeWritable(_ b: BufferRef) -> BufferRef {
    UnsafeMutableRawPointer(gst_mini_object_make_writable(UnsafeMutableRawPointer(b).assumingMemoryBound(to: GstMiniObject.self)))
        .assumingMemoryBound(to: GstBuffer.self)
}

/// What the element tells the rest of the pipeline about faces: one
/// GstVideoRegionOfInterestMeta per face on the buffer, and an element message per
/// frame on the bus (in the manner of opencv's `facedetect`).
enum FaceReporting {
    /// Adds a "face" ROI meta per track, with a `face` params structure holding
    /// track-id, score and the five landmarks (x0, y0, …, x4, y4 in frame pixels).
    static func attachMetas(_ buffer: BufferRef, faces: [FaceTrack], format: StreamFormat) -> BufferRef {
        let b = makeWritable(buffer)
        for t in faces {
            guard let box = clippedBox(t.box, width: format.width, height: format.height) else { continue }
            guard let meta = gst_buffer_add_video_region_of_interest_meta(b, cString("face"), box.x, box.y, box.w, box.h) else { continue }
            meta.pointee.id = gint(bitPattern: t.id)
            gst_video_region_of_interest_meta_add_param(meta, faceStructure(t, box: box))
        }
        return b
    }

    /// Posts `swiftvr` with timestamp, stream-time, running-time, duration and `faces`,
    /// a list of `face` structures.
    static func postMessage(from element: UnsafeMutablePointer<GstElement>, buffer: BufferRef,
                            faces: [FaceTrack], segment: GstSegment) {
        var segment = segment
        let pts = buffer.pointee.pts
        let s = gst_structure_new_empty(cString("swiftvr"))!
        set(s, "timestamp", uint64: pts)
        // Only a TIME segment converts timestamps (another one raises CRITICALs): elsewhere
        // stream and running time are unknown, GST_CLOCK_TIME_NONE.
        let timed = segment.format == GST_FORMAT_TIME
        set(s, "stream-time", uint64: timed ? gst_segment_to_stream_time(&segment, GST_FORMAT_TIME, pts) : clockTimeNone)
        set(s, "running-time", uint64: timed ? gst_segment_to_running_time(&segment, GST_FORMAT_TIME, pts) : clockTimeNone)
        set(s, "duration", uint64: buffer.pointee.duration)
        var list = GValue()
        g_value_init(&list, gst_value_list_get_type())
        let info = gst_buffer_get_video_meta(buffer)
        let (w, h) = info.map { (Int($0.pointee.width), Int($0.pointee.height)) } ?? (Int.max, Int.max)
        for t in faces {
            guard let box = clippedBox(t.box, width: w, height: h) else { continue }
            var item = GValue()
            g_value_init(&item, gst_structure_get_type())
            g_value_take_boxed(&item, faceStructure(t, box: box))
            gst_value_list_append_and_take_value(&list, &item)
        }
        gst_structure_take_value(s, cString("faces"), &list)
        let object = UnsafeMutableRawPointer(element).assumingMemoryBound(to: GstObject.self)
        gst_element_post_message(element, gst_message_new_element(object, s))
    }

    /// The face's box in whole frame pixels, clipped to the frame; nil if nothing is left.
    static func clippedBox(_ f: (x1: Float, y1: Float, x2: Float, y2: Float), width: Int, height: Int) -> (x: guint, y: guint, w: guint, h: guint)? {
        let x1 = max(0, Int(f.x1.rounded(.down))), y1 = max(0, Int(f.y1.rounded(.down)))
        let x2 = min(width, Int(f.x2.rounded(.up))), y2 = min(height, Int(f.y2.rounded(.up)))
        guard x2 > x1, y2 > y1 else { return nil }
        return (guint(x1), guint(y1), guint(x2 - x1), guint(y2 - y1))
    }

    static func faceStructure(_ t: FaceTrack, box: (x: guint, y: guint, w: guint, h: guint)) -> UnsafeMutablePointer<GstStructure> {
        let s = gst_structure_new_empty(cString("face"))!
        set(s, "x", uint: box.x)
        set(s, "y", uint: box.y)
        set(s, "width", uint: box.w)
        set(s, "height", uint: box.h)
        set(s, "score", double: Double(t.score))
        set(s, "track-id", uint: t.id)
        var points = GValue()
        g_value_init(&points, gst_value_array_get_type())
        for p in t.landmarks {
            for v in [p.x, p.y] {
                var item = GValue()
                g_value_init(&item, swiftvr_gtype_float())
                g_value_set_float(&item, v)
                gst_value_array_append_and_take_value(&points, &item)
            }
        }
        gst_structure_take_value(s, cString("landmarks"), &points)
        return s
    }

    static func set(_ s: UnsafeMutablePointer<GstStructure>, _ name: StaticString, uint: guint) {
        var v = GValue()
        g_value_init(&v, swiftvr_gtype_uint())
        g_value_set_uint(&v, uint)
        gst_structure_take_value(s, cString(name), &v)
    }

    static func set(_ s: UnsafeMutablePointer<GstStructure>, _ name: StaticString, uint64: guint64) {
        var v = GValue()
        g_value_init(&v, swiftvr_gtype_uint64())
        g_value_set_uint64(&v, uint64)
        gst_structure_take_value(s, cString(name), &v)
    }

    static func set(_ s: UnsafeMutablePointer<GstStructure>, _ name: StaticString, double: Double) {
        var v = GValue()
        g_value_init(&v, swiftvr_gtype_double())
        g_value_set_double(&v, double)
        gst_structure_take_value(s, cString(name), &v)
    }
}
