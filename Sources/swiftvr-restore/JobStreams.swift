import CGStreamer
import Glibc

/// How a `Job` is built and linked: elements made and set, streams linked where they
/// belong as the demuxer exposes them, and the C callbacks GStreamer calls.
extension Job {
    func make(_ factory: String) throws(Failure) -> UnsafeMutablePointer<GstElement> {
        guard let e = gst_element_factory_make(factory, nil) else {
            throw Failure(.processingFailed, "GStreamer has no '\(factory)' element (install the plugin package that provides it)")
        }
        return e
    }

    func add(_ elements: UnsafeMutablePointer<GstElement>...) {
        let bin = UnsafeMutableRawPointer(pipeline).assumingMemoryBound(to: GstBin.self)
        for e in elements { gst_bin_add(bin, e) }
    }

    func set(_ e: UnsafeMutablePointer<GstElement>, _ name: String, _ value: String) {
        gst_util_set_object_arg(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), name, value)
    }

    /// A file name property, set as the bytes it is (gst_util_set_object_arg takes UTF-8 only).
    func setPath(_ e: UnsafeMutablePointer<GstElement>, _ name: String, _ path: Path) {
        var value = GValue()
        g_value_init(&value, g_type_from_name("gchararray"))
        defer { g_value_unset(&value) }
        path.withCString { g_value_set_string(&value, $0) }
        g_object_set_property(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), name, &value)
    }

    /// Quality from --crf, in each encoder's own terms.
    func configure(_ encoder: UnsafeMutablePointer<GstElement>) {
        switch factoryName(encoder) {
        case "x264enc":
            set(encoder, "pass", "qual")          // constant quality: x264's CRF
            set(encoder, "quantizer", "\(options.crf)")
        case "vp8enc", "vp9enc":
            set(encoder, "end-usage", "cq")
            set(encoder, "cq-level", "\(min(63, options.crf * 63 / 51))")
            set(encoder, "deadline", "1")
        case "jpegenc":
            set(encoder, "quality", "\(max(1, 100 - options.crf))")
        default: break
        }
    }

    func connect(_ e: UnsafeMutablePointer<GstElement>, _ signal: String, _ callback: GCallback) {
        g_signal_connect_data(e, signal, callback, Unmanaged.passUnretained(self).toOpaque(), nil, GConnectFlags(rawValue: 0))
    }

    /// A new stream from parsebin (or a decoded one from decodebin): linked where it belongs.
    func linkStream(_ pad: UnsafeMutablePointer<GstPad>) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let caps = gst_pad_get_current_caps(pad) ?? gst_pad_query_caps(pad, nil) else { return }
        defer { gst_caps_unref(caps) }
        let kind = String(cString: gst_structure_get_name(gst_caps_get_structure(caps, 0)))
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, sawData, Unmanaged.passUnretained(self).toOpaque(), nil)
        if kind.hasPrefix("video/x-raw"), let head = videoHead {
            videoHead = nil
            sawVideo = true
            var width: gint = 0
            if let rightHalf, gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width) != 0 {
                gst_util_set_object_arg(UnsafeMutableRawPointer(rightHalf).assumingMemoryBound(to: GObject.self), "xpos", "\(width)")
            }
            link(pad, head)
        } else if kind.hasPrefix("video/") && !sawVideo && videoHead != nil && !container.isImage {
            // Encoded video from parsebin: decode it, then the decoded pad comes back here.
            sawVideo = true
            guard let dec = try? make("decodebin") else { return }
            add(dec)
            connect(dec, "pad-added", unsafeBitCast(padAdded, to: GCallback.self))
            gst_element_sync_state_with_parent(dec)
            link(pad, dec)
        } else if kind.hasPrefix("audio/"), !sawAudio, let mux = muxer {
            sawAudio = true
            linkAudio(pad, caps: caps, mux: mux)
        } else if !kind.hasPrefix("audio/x-raw") || muxer == nil {
            discard(pad)
        } else {
            linkEncodedAudio(pad)
        }
    }

    /// Audio the muxer accepts as it is goes in untouched; anything else is decoded and
    /// re-encoded with the container's audio encoder.
    func linkAudio(_ pad: UnsafeMutablePointer<GstPad>, caps: UnsafeMutablePointer<GstCaps>,
                           mux: UnsafeMutablePointer<GstElement>) {
        let klass = UnsafeMutableRawPointer(UnsafeMutableRawPointer(mux).assumingMemoryBound(to: GTypeInstance.self).pointee.g_class!)
            .assumingMemoryBound(to: GstElementClass.self)
        let template = gst_element_class_get_pad_template(klass, "audio_%u")
        let accepts = template.map { gst_caps_can_intersect(caps, gst_pad_template_get_caps($0)) != 0 } ?? false
        guard let queue = try? deepQueue() else { return }
        if accepts {
            add(queue)
            gst_element_sync_state_with_parent(queue)
            link(pad, queue)
            audioCopied = gst_element_link(queue, mux) != 0
            if audioCopied { return }
        }
        guard let dec = try? make("decodebin") else { return }
        add(dec)
        connect(dec, "pad-added", unsafeBitCast(padAdded, to: GCallback.self))
        gst_element_sync_state_with_parent(dec)
        link(pad, dec)
    }

    func linkEncodedAudio(_ pad: UnsafeMutablePointer<GstPad>) {
        guard let mux = muxer, let convert = try? make("audioconvert"), let resample = try? make("audioresample"),
              let encoder = try? make(container.audioEncoder), let queue = try? deepQueue() else { return discard(pad) }
        add(convert, resample, encoder, queue)
        _ = linkChain(convert, resample, encoder, queue)
        gst_element_link(queue, mux)
        for e in [convert, resample, encoder, queue] { gst_element_sync_state_with_parent(e) }
        link(pad, convert)
    }

    /// A queue deep enough for the encoder's look-ahead: the muxer takes audio only as
    /// fast as video arrives, and x264 holds dozens of frames before its first output,
    /// so a shallow audio queue (one second) blocks the demuxer and the video with it.
    func deepQueue() throws(Failure) -> UnsafeMutablePointer<GstElement> {
        let q = try make("queue")
        set(q, "max-size-buffers", "0")
        set(q, "max-size-bytes", "0")
        set(q, "max-size-time", "\(10 * 1_000_000_000)")
        return q
    }

    func discard(_ pad: UnsafeMutablePointer<GstPad>) {
        guard let sink = try? make("fakesink") else { return }
        set(sink, "sync", "false")
        add(sink)
        gst_element_sync_state_with_parent(sink)
        link(pad, sink)
    }

    func link(_ pad: UnsafeMutablePointer<GstPad>, _ element: UnsafeMutablePointer<GstElement>) {
        guard let sinkPad = gst_element_get_static_pad(element, "sink") else { return }
        gst_pad_link(pad, sinkPad)
        gst_object_unref(sinkPad)
    }
}

/// Links each element to the next; false at the first pair that does not link.
func linkChain(_ elements: UnsafeMutablePointer<GstElement>...) -> Bool {
    zip(elements, elements.dropFirst()).allSatisfy { gst_element_link($0, $1) != 0 }
}

func objectName(_ object: UnsafeMutablePointer<GstObject>) -> String {
    guard let n = gst_object_get_name(object) else { return "" }
    defer { g_free(n) }
    return String(cString: n)
}

/// The name of the factory that made `element` ("x264enc"), "" if none.
func factoryName(_ element: UnsafeMutablePointer<GstElement>) -> String {
    guard let f = gst_element_get_factory(element) else { return "" }
    return objectName(UnsafeMutableRawPointer(f).assumingMemoryBound(to: GstObject.self))
}

let padAdded: @convention(c) (UnsafeMutablePointer<GstElement>?, UnsafeMutablePointer<GstPad>?, gpointer?) -> Void = { _, pad, data in
    guard let pad, let data else { return }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().linkStream(pad)
}

let noMorePads: @convention(c) (UnsafeMutablePointer<GstElement>?, gpointer?) -> Void = { _, data in
    guard let data else { return }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().streamsDone()
}

let sawData: @convention(c) (UnsafeMutablePointer<GstPad>?, UnsafeMutablePointer<GstPadProbeInfo>?, gpointer?) -> GstPadProbeReturn = { pad, _, data in
    guard let pad, let data else { return GST_PAD_PROBE_OK }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().moved(through: pad)
    return GST_PAD_PROBE_OK
}

let countFrame: @convention(c) (UnsafeMutablePointer<GstPad>?, UnsafeMutablePointer<GstPadProbeInfo>?, gpointer?) -> GstPadProbeReturn = { _, info, data in
    guard let info, let data, let buffer = info.pointee.data?.assumingMemoryBound(to: GstBuffer.self) else { return GST_PAD_PROBE_OK }
    var ids: [Int32] = []
    var state: gpointer?
    while let meta = gst_buffer_iterate_meta_filtered(buffer, &state, gst_video_region_of_interest_meta_api_get_type()) {
        ids.append(UnsafeMutableRawPointer(meta).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee.id)
    }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().counted(tracks: ids)
    return GST_PAD_PROBE_OK
}
