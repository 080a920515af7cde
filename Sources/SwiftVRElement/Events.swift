import CGStreamer

extension SwiftVR {
    /// Sink pad events. Serialized events that end a stretch of the stream drain the
    /// window first, so held frames leave before the event, under the old state.
    func sinkEvent(_ pad: UnsafeMutablePointer<GstPad>, _ parent: UnsafeMutablePointer<GstObject>?,
                   _ event: UnsafeMutablePointer<GstEvent>) -> gboolean {
        switch event.pointee.type {
        case GST_EVENT_FLUSH_START:
            // Not serialized: the streaming thread may be inside chain. Refuse new
            // data at once; the push in progress returns FLUSHING from downstream.
            stateLock.withLock { state.flushing = true }
            return gst_pad_push_event(srcPad, event)

        case GST_EVENT_FLUSH_STOP:
            let dropped = stateLock.withLock { () -> [BufferRef] in
                state.flushing = false
                gst_segment_init(&state.segment, GST_FORMAT_TIME)
                return state.window.drain()
            }
            if !dropped.isEmpty { Debug.debug(element, "flush dropped \(dropped.count) held frame(s)") }
            release(dropped)
            processor?.reset()
            return gst_pad_push_event(srcPad, event)

        case GST_EVENT_EOS:
            _ = drain(reason: "EOS")
            return gst_pad_push_event(srcPad, event)

        case GST_EVENT_GAP:
            _ = drain(reason: "gap")
            return gst_pad_push_event(srcPad, event)

        case GST_EVENT_SEGMENT:
            _ = drain(reason: "new segment")
            // What follows may be anywhere in the media (a non-flushing seek): no face's
            // track or temporal context carries over.
            processor?.reset()
            var segment: UnsafePointer<GstSegment>?
            gst_event_parse_segment(event, &segment)
            if let segment { stateLock.withLock { gst_segment_copy_into(segment, &state.segment) } }
            if let segment, segment.pointee.format != GST_FORMAT_TIME {
                // Video in a BYTES (or other) segment: frames pass as they are; the face
                // messages carry no stream or running time.
                Debug.info(element, "segment in \(String(cString: gst_format_get_name(segment.pointee.format))) format, not time: "
                           + "face messages will have no stream-time or running-time")
            }
            return gst_pad_push_event(srcPad, event)

        case GST_EVENT_CAPS:
            return setCaps(event)

        default:
            return gst_pad_event_default(pad, parent, event)
        }
    }

    /// A caps event: held frames leave under the caps they arrived with, then the
    /// new caps go downstream (the same format in and out).
    private func setCaps(_ event: UnsafeMutablePointer<GstEvent>) -> gboolean {
        var caps: UnsafeMutablePointer<GstCaps>?
        gst_event_parse_caps(event, &caps)
        guard let caps else { gst_event_unref(event); return 0 }
        let format: StreamFormat
        do {
            format = try StreamFormat(caps: caps)
        } catch {
            Debug.warning(element, error.description)
            gst_event_unref(event)
            return 0
        }
        let old = stateLock.withLock { state.format }
        if let old, !old.sameFrames(as: format) {
            _ = drain(reason: "caps change")
            processor?.reset()  // tracks and each face's temporal context belong to the old frames
        }
        stateLock.withLock { state.format = format }
        Debug.info(element, "caps \(StreamFormat.describe(caps))")
        return gst_pad_push_event(srcPad, event)
    }
}
