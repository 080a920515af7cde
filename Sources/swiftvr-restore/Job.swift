import CGStreamer
import Glibc

/// One file restored: the pipeline, built from GStreamer elements as the streams appear
///
///     filesrc ! parsebin ─ video ─► decodebin ! videoconvert ! videoflip ! swiftvr ! videoconvert ! ENCODER ! queue ─► MUXER ! filesink
///                       ├ audio ─► queue ─► MUXER                    (copied: the muxer takes it as it is)
///                       │        └► decodebin ! audioconvert ! audioresample ! AUDIO-ENCODER ! queue ─► MUXER
///                       └ other ─► fakesink
///
/// (a still image: filesrc ! decodebin ! videoconvert ! swiftvr ! videoconvert ! jpegenc|pngenc ! filesink),
/// written to the outputs' partial files (renamed by the caller only when complete), with progress from the
/// swiftvr element's source pad and the pipeline's position. With --compare, tees before
/// and after swiftvr feed a labelled side-by-side picture into a second file:
///
///     videoflip ! tee ─► queue ! swiftvr ! tee ─► queue ! videoconvert ! ENCODER …
///                        └► queue ! textoverlay ─► compositor ! videoconvert ! ENCODER ! MUXER ! filesink
///                                          queue ! textoverlay ─┘ (right half)
///
/// Standard input, a FIFO or a device is read through fdsrc instead of filesrc. Probes on
/// the demuxer's pads, the element's output and the file sink's input record when data last
/// moved (the caller's stall watchdog) and tell, at the first buffer, that the demuxer has
/// exposed all its streams (parsebin exposes them all before any data flows), so an input
/// without video is known at once.
final class Job {
    /// Where the input is read from.
    enum Source {
        case file(Path)
        /// An open descriptor (standard input, a FIFO, a character device), read by fdsrc.
        case descriptor(Int32)
    }

    let options: Options
    let container: Container
    let pipeline: UnsafeMutablePointer<GstElement>
    let swiftvr: UnsafeMutablePointer<GstElement>
    private var muxer: UnsafeMutablePointer<GstElement>?
    private var videoHead: UnsafeMutablePointer<GstElement>?
    /// The compositor's pad for the restored half, placed right of the input once its width is known.
    private var rightHalf: UnsafeMutablePointer<GstPad>?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private(set) var sawVideo = false, sawAudio = false, audioCopied = false, streamsKnown = false
    /// When data last moved, and where.
    private var lastActivity = Progress.now(), lastStage = "the input"
    /// Frames and faces out of swiftvr (written on the streaming thread).
    private(set) var frames = 0, faces = 0
    /// The track ids seen: the number of different faces in the file.
    private var tracks = Set<Int32>()

    init(_ options: Options, element: UnsafeMutablePointer<GstElement>, source: Source,
         video: OutputTarget, compare: OutputTarget?) throws(Failure) {
        self.options = options
        let c = try Container.check(output: options.output, input: options.input)
        let imageIn = c.isImage
        container = c
        swiftvr = element
        // Recursive: a decodebin made while a stream is linked may add its pads at once.
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(lock, &attr)
        pthread_mutexattr_destroy(&attr)
        pipeline = gst_pipeline_new("swiftvr-restore")
        let src: UnsafeMutablePointer<GstElement>
        switch source {
        case .file(let path):
            src = try make("filesrc")
            setPath(src, "location", path)
        case .descriptor(let fd):
            src = try make("fdsrc")
            set(src, "fd", "\(fd)")
        }
        for (name, value) in options.properties { set(element, name, value) }
        if c.isImage { set(element, "window", "1") }
        let demux = try make(c.isImage ? "decodebin" : "parsebin")
        add(src, demux, element)
        gst_element_link(src, demux)
        connect(demux, "pad-added", unsafeBitCast(padAdded, to: GCallback.self))
        connect(demux, "no-more-pads", unsafeBitCast(noMorePads, to: GCallback.self))
        // The video chain from the element on; its head is linked when the video appears.
        let convertIn = try make("videoconvert"), convertOut = try make("videoconvert")
        // Upright frames: a phone's sideways pixels with an orientation tag are turned as a
        // player would show them, so faces are found upright and the output plays the same.
        let upright = try make("videoflip")
        set(upright, "video-direction", "auto")
        let encoder = try make(options.encoder ?? c.videoEncoder)
        configure(encoder)
        let sink = try make("filesink")
        setPath(sink, "location", video.writePath)
        add(convertIn, upright, convertOut, encoder, sink)
        let linked: Bool
        if let compare {
            let (teeIn, teeOut, toElement, fromElement) = (try make("tee"), try make("tee"), try deepQueue(), try deepQueue())
            add(teeIn, teeOut, toElement, fromElement)
            linked = linkChain(convertIn, upright, teeIn, toElement, element, teeOut, fromElement, convertOut, encoder)
            try addComparison(compare, from: teeIn, and: teeOut, imageIn: imageIn)
        } else {
            linked = linkChain(convertIn, upright, element, convertOut, encoder)
        }
        guard linked else {
            throw Failure(.usage, "the encoder '\(options.encoder ?? c.videoEncoder)' does not take raw video")
        }
        if let m = c.muxer {
            let mux = try make(m)
            let queue = try deepQueue()
            add(mux, queue)
            _ = linkChain(encoder, queue, mux, sink)
            muxer = mux
        } else {
            gst_element_link(encoder, sink)
        }
        videoHead = convertIn
        // Progress: frames and faces as they leave the element.
        let pad = gst_element_get_static_pad(element, "src")!
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, countFrame, Unmanaged.passUnretained(self).toOpaque(), nil)
        gst_object_unref(pad)
        watch(sink, "sink")
    }

    /// Records each buffer through `element`'s pad as activity.
    private func watch(_ element: UnsafeMutablePointer<GstElement>, _ padName: String) {
        guard let pad = gst_element_get_static_pad(element, padName) else { return }
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, sawData, Unmanaged.passUnretained(self).toOpaque(), nil)
        gst_object_unref(pad)
    }

    fileprivate func moved(through pad: UnsafeMutablePointer<GstPad>) {
        let owner = gst_pad_get_parent_element(pad)
        let name = owner.map { e -> String in
            defer { gst_object_unref(e) }
            return factoryName(e)
        } ?? "?"
        pthread_mutex_lock(lock)
        lastActivity = Progress.now()
        lastStage = name
        // parsebin exposes every stream before its first buffer: all are known now.
        streamsKnown = true
        pthread_mutex_unlock(lock)
    }

    /// Seconds since data last moved, and the element it last left.
    var idle: (seconds: Double, after: String) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return (Progress.now() - lastActivity, lastStage)
    }

    deinit {
        if let rightHalf { gst_object_unref(rightHalf) }
        lock.deallocate()
    }

    /// The side-by-side branch: input (left) and restored (right), each labelled.
    private func addComparison(_ target: OutputTarget, from input: UnsafeMutablePointer<GstElement>,
                               and restored: UnsafeMutablePointer<GstElement>, imageIn: Bool) throws(Failure) {
        guard let c = Container.forOutput(target.given), c.isImage == imageIn else {
            throw Failure(.usage, "--compare '\(target.given.display)': give a \(imageIn ? "still image (.jpg or .png)" : "video (.mp4 .mkv .mov .webm .ts)") like the input")
        }
        let compositor = try make("compositor"), convert = try make("videoconvert"), encoder = try make(c.videoEncoder)
        let sink = try make("filesink")
        configure(encoder)
        setPath(sink, "location", target.writePath)
        add(compositor, convert, encoder, sink)
        for (tee, label, right) in [(input, "input", false), (restored, "swiftvr", true)] {
            let queue = try deepQueue(), overlay = try make("textoverlay")
            set(overlay, "text", label)
            set(overlay, "valignment", "top")
            set(overlay, "halignment", "left")
            set(overlay, "font-desc", "Sans Bold 20")
            set(overlay, "shaded-background", "true")
            add(queue, overlay)
            _ = linkChain(tee, queue, overlay)
            guard let pad = gst_element_request_pad_simple(compositor, "sink_%u"),
                  let out = gst_element_get_static_pad(overlay, "src") else { throw Failure(.processingFailed, "the compositor gave no input pad") }
            gst_pad_link(out, pad)
            gst_object_unref(out)
            if right { rightHalf = pad } else { gst_object_unref(pad) }
        }
        _ = linkChain(compositor, convert, encoder)
        if let m = c.muxer {
            let mux = try make(m), queue = try deepQueue()
            add(mux, queue)
            _ = linkChain(encoder, queue, mux, sink)
        } else {
            gst_element_link(encoder, sink)
        }
    }

    // MARK: - Building

    private func make(_ factory: String) throws(Failure) -> UnsafeMutablePointer<GstElement> {
        guard let e = gst_element_factory_make(factory, nil) else {
            throw Failure(.processingFailed, "GStreamer has no '\(factory)' element (install the plugin package that provides it)")
        }
        return e
    }

    private func add(_ elements: UnsafeMutablePointer<GstElement>...) {
        let bin = UnsafeMutableRawPointer(pipeline).assumingMemoryBound(to: GstBin.self)
        for e in elements { gst_bin_add(bin, e) }
    }

    private func set(_ e: UnsafeMutablePointer<GstElement>, _ name: String, _ value: String) {
        gst_util_set_object_arg(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), name, value)
    }

    /// A file name property, set as the bytes it is (gst_util_set_object_arg takes UTF-8 only).
    private func setPath(_ e: UnsafeMutablePointer<GstElement>, _ name: String, _ path: Path) {
        var value = GValue()
        g_value_init(&value, g_type_from_name("gchararray"))
        defer { g_value_unset(&value) }
        path.withCString { g_value_set_string(&value, $0) }
        g_object_set_property(UnsafeMutableRawPointer(e).assumingMemoryBound(to: GObject.self), name, &value)
    }

    /// Quality from --crf, in each encoder's own terms.
    private func configure(_ encoder: UnsafeMutablePointer<GstElement>) {
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

    private func connect(_ e: UnsafeMutablePointer<GstElement>, _ signal: String, _ callback: GCallback) {
        g_signal_connect_data(e, signal, callback, Unmanaged.passUnretained(self).toOpaque(), nil, GConnectFlags(rawValue: 0))
    }

    /// A new stream from parsebin (or a decoded one from decodebin): linked where it belongs.
    fileprivate func linkStream(_ pad: UnsafeMutablePointer<GstPad>) {
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
    private func linkAudio(_ pad: UnsafeMutablePointer<GstPad>, caps: UnsafeMutablePointer<GstCaps>,
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

    private func linkEncodedAudio(_ pad: UnsafeMutablePointer<GstPad>) {
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
    private func deepQueue() throws(Failure) -> UnsafeMutablePointer<GstElement> {
        let q = try make("queue")
        set(q, "max-size-buffers", "0")
        set(q, "max-size-bytes", "0")
        set(q, "max-size-time", "\(10 * 1_000_000_000)")
        return q
    }

    private func discard(_ pad: UnsafeMutablePointer<GstPad>) {
        guard let sink = try? make("fakesink") else { return }
        set(sink, "sync", "false")
        add(sink)
        gst_element_sync_state_with_parent(sink)
        link(pad, sink)
    }

    private func link(_ pad: UnsafeMutablePointer<GstPad>, _ element: UnsafeMutablePointer<GstElement>) {
        guard let sinkPad = gst_element_get_static_pad(element, "sink") else { return }
        gst_pad_link(pad, sinkPad)
        gst_object_unref(sinkPad)
    }

    fileprivate func streamsDone() {
        pthread_mutex_lock(lock)
        streamsKnown = true
        pthread_mutex_unlock(lock)
    }

    fileprivate func counted(tracks ids: [Int32]) {
        pthread_mutex_lock(lock)
        frames += 1
        faces = ids.count
        tracks.formUnion(ids)
        pthread_mutex_unlock(lock)
    }

    /// Frames so far, faces in the latest frame, different faces so far; read from the main thread.
    var progress: (frames: Int, faces: Int, tracks: Int, videoMissing: Bool) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return (frames, faces, tracks.count, streamsKnown && !sawVideo)
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

private let padAdded: @convention(c) (UnsafeMutablePointer<GstElement>?, UnsafeMutablePointer<GstPad>?, gpointer?) -> Void = { _, pad, data in
    guard let pad, let data else { return }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().linkStream(pad)
}

private let noMorePads: @convention(c) (UnsafeMutablePointer<GstElement>?, gpointer?) -> Void = { _, data in
    guard let data else { return }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().streamsDone()
}

private let sawData: @convention(c) (UnsafeMutablePointer<GstPad>?, UnsafeMutablePointer<GstPadProbeInfo>?, gpointer?) -> GstPadProbeReturn = { pad, _, data in
    guard let pad, let data else { return GST_PAD_PROBE_OK }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().moved(through: pad)
    return GST_PAD_PROBE_OK
}

private let countFrame: @convention(c) (UnsafeMutablePointer<GstPad>?, UnsafeMutablePointer<GstPadProbeInfo>?, gpointer?) -> GstPadProbeReturn = { _, info, data in
    guard let info, let data, let buffer = info.pointee.data?.assumingMemoryBound(to: GstBuffer.self) else { return GST_PAD_PROBE_OK }
    var ids: [Int32] = []
    var state: gpointer?
    while let meta = gst_buffer_iterate_meta_filtered(buffer, &state, gst_video_region_of_interest_meta_api_get_type()) {
        ids.append(UnsafeMutableRawPointer(meta).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee.id)
    }
    Unmanaged<Job>.fromOpaque(data).takeUnretainedValue().counted(tracks: ids)
    return GST_PAD_PROBE_OK
}
