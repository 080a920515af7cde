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
    var muxer: UnsafeMutablePointer<GstElement>?
    var videoHead: UnsafeMutablePointer<GstElement>?
    /// The compositor's pad for the restored half, placed right of the input once its width is known.
    var rightHalf: UnsafeMutablePointer<GstPad>?
    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    var sawVideo = false, sawAudio = false, audioCopied = false, streamsKnown = false
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
    func watch(_ element: UnsafeMutablePointer<GstElement>, _ padName: String) {
        guard let pad = gst_element_get_static_pad(element, padName) else { return }
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, sawData, Unmanaged.passUnretained(self).toOpaque(), nil)
        gst_object_unref(pad)
    }

    func moved(through pad: UnsafeMutablePointer<GstPad>) {
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

    func streamsDone() {
        pthread_mutex_lock(lock)
        streamsKnown = true
        pthread_mutex_unlock(lock)
    }

    func counted(tracks ids: [Int32]) {
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
