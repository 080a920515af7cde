import CGStreamer
import Glibc

// swiftvr-restore IN OUT [options]: restores the faces in a video or image file with the
// swiftvr element, keeping the audio, with progress on the terminal. See --help.

nonisolated(unsafe) var interrupts: Int32 = 0

/// GStreamer finds the plugin where it is installed; a development build also finds the
/// libgstswiftvr.so that lies beside this executable (.build/release/).
func registerPluginBesideExecutable() {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return }
    let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = exe.lastIndex(of: "/") else { return }
    let dir = String(exe[..<slash])
    if access(dir + "/libgstswiftvr.so", R_OK) == 0 { _ = gst_registry_scan_path(gst_registry_get(), dir) }
}

/// The exit class of an ERROR message: who posted it and what kind of error it is.
func classify(_ message: UnsafeMutablePointer<GstMessage>, options: Options) -> Failure {
    var error: UnsafeMutablePointer<GError>?
    var debug: UnsafeMutablePointer<gchar>?
    gst_message_parse_error(message, &error, &debug)
    defer { g_clear_error(&error); g_free(debug) }
    let text = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
    let (domain, code) = (error?.pointee.domain ?? 0, error?.pointee.code ?? 0)
    let source = message.pointee.src.map { objectName($0) } ?? ""
    let factory = message.pointee.src.flatMap { src -> String? in
        guard g_type_check_instance_is_a(UnsafeMutableRawPointer(src).assumingMemoryBound(to: GTypeInstance.self), gst_element_get_type()) != 0 else { return nil }
        return factoryName(UnsafeMutableRawPointer(src).assumingMemoryBound(to: GstElement.self))
    } ?? source
    if factory == "swiftvr" && domain == gst_resource_error_quark() { return Failure(.badModel, "model: \(text)") }
    if factory == "filesink" { return Failure(.outputUnwritable, "'\(options.output)': \(text)") }
    if factory == "filesrc" { return Failure(.inputUnreadable, "'\(options.input)': \(text)") }
    if domain == gst_stream_error_quark() && [GST_STREAM_ERROR_TYPE_NOT_FOUND, GST_STREAM_ERROR_WRONG_TYPE,
        GST_STREAM_ERROR_CODEC_NOT_FOUND, GST_STREAM_ERROR_DEMUX, GST_STREAM_ERROR_DECODE].map({ gint($0.rawValue) }).contains(code) {
        return Failure(.noVideo, "'\(options.input)': cannot be read as video (\(text))")
    }
    return Failure(.processingFailed, "\(factory.isEmpty ? "" : factory + ": ")\(text)")
}

/// The swiftvr plugin's version, as GStreamer's registry reads it.
func pluginVersion() -> String {
    guard let plugin = gst_registry_find_plugin(gst_registry_get(), "swiftvr") else { return "unknown" }
    defer { gst_object_unref(UnsafeMutableRawPointer(plugin)) }
    return gst_plugin_get_version(plugin).map { String(cString: $0) } ?? "unknown"
}

func run() -> ExitCode {
    gst_init(nil, nil)
    registerPluginBesideExecutable()
    guard let element = gst_element_factory_make("swiftvr", nil) else {
        fail(Failure(.processingFailed, "the swiftvr GStreamer plugin is not installed (gst-inspect-1.0 swiftvr finds nothing)"))
    }
    let options: Options
    do { options = try parseOptions(CommandLine.arguments, element: element) } catch { fail(error) }
    if options.version {
        print("swiftvr-restore \(pluginVersion()) (\(String(cString: gst_version_string())))")
        return .ok
    }
    var isDirectory = stat()
    if stat(options.input, &isDirectory) == 0 && (isDirectory.st_mode & S_IFMT) == S_IFDIR {
        gst_object_unref(element)
        return restoreFolder(options)
    }
    return restoreFile(options, element: element)
}

func restoreFile(_ options: Options, element: UnsafeMutablePointer<GstElement>) -> ExitCode {
    guard access(options.input, R_OK) == 0 else {
        fail(Failure(.inputUnreadable, "'\(options.input)': \(String(cString: strerror(errno)))"))
    }
    for path in [options.output] + [options.compare, options.faces].compactMap({ $0 }) {
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard access(dir.isEmpty ? "/" : dir, W_OK) == 0 else {
            fail(Failure(.outputUnwritable, "'\(path)': cannot write in '\(dir)': \(String(cString: strerror(errno)))"))
        }
    }
    let job: Job
    do { job = try Job(options, element: element) } catch { fail(error) }
    var records: FaceRecords?
    do { records = try options.faces.map { path throws(Failure) in try FaceRecords(path) } } catch { fail(error) }
    signal(SIGINT) { _ in interrupts += 1 }
    let bus = gst_element_get_bus(job.pipeline)!
    defer { gst_object_unref(bus) }
    var progress = Progress(quiet: options.quiet)
    var stopping = false
    func abandon(_ f: Failure) -> Never {
        gst_element_set_state(job.pipeline, GST_STATE_NULL)
        unlink(job.partial)
        if let p = job.comparePartial { unlink(p) }
        records?.abandon()
        if progress.drawn { printError("\n") }
        fail(f)
    }
    if gst_element_set_state(job.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE {
        if let msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) { abandon(classify(msg, options: options)) }
        abandon(Failure(.processingFailed, "the pipeline did not start"))
    }
    var wanted = GST_MESSAGE_ERROR.rawValue | GST_MESSAGE_EOS.rawValue | GST_MESSAGE_WARNING.rawValue
    if records != nil { wanted |= GST_MESSAGE_ELEMENT.rawValue }
    var lastUpdate = 0.0
    while true {
        if let msg = gst_bus_timed_pop_filtered(bus, 200_000_000, GstMessageType(rawValue: wanted)) {
            defer { gst_message_unref(msg) }
            switch msg.pointee.type {
            case GST_MESSAGE_ERROR: abandon(classify(msg, options: options))
            case GST_MESSAGE_WARNING:
                var error: UnsafeMutablePointer<GError>?
                gst_message_parse_warning(msg, &error, nil)
                progress.note("warning: \(error.map { String(cString: $0.pointee.message) } ?? "")")
                g_clear_error(&error)
                continue
            case GST_MESSAGE_ELEMENT:
                records?.write(msg)
                // Face messages come once a frame: the progress below is drawn at most 10× a second.
                if Progress.now() - lastUpdate < 0.1 { continue }
            default:
                break
            }
            if msg.pointee.type == GST_MESSAGE_EOS { break }
        }
        lastUpdate = Progress.now()
        let state = job.progress
        if state.videoMissing { abandon(Failure(.noVideo, "'\(options.input)' has no video stream")) }
        if interrupts >= 2 { abandon(Failure(.interrupted, "interrupted twice: '\(options.output)' not written")) }
        if interrupts == 1 && !stopping {
            stopping = true
            progress.note("stopping: finishing '\(options.output)' up to here (Ctrl-C again to abandon it)")
            gst_element_send_event(job.pipeline, gst_event_new_eos())
        }
        var position: gint64 = -1, duration: gint64 = -1
        _ = gst_element_query_position(job.pipeline, GST_FORMAT_TIME, &position)
        _ = gst_element_query_duration(job.pipeline, GST_FORMAT_TIME, &duration)
        progress.update(frames: state.frames, faces: state.faces, position: position, duration: duration)
    }
    // Face messages posted before EOS may still wait on the bus.
    while records != nil, let msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT) {
        records?.write(msg)
        gst_message_unref(msg)
    }
    gst_element_set_state(job.pipeline, GST_STATE_NULL)
    if interrupts >= 2 { abandon(Failure(.interrupted, "interrupted twice: '\(options.output)' not written")) }
    let done = job.progress
    guard done.frames > 0 else { abandon(Failure(.noVideo, "'\(options.input)': no video frame was decoded")) }
    var renames = [(job.partial, options.output)]
    if let partial = job.comparePartial, let path = options.compare { renames.append((partial, path)) }
    for (partial, path) in renames {
        guard rename(partial, path) == 0 else {
            abandon(Failure(.outputUnwritable, "'\(path)': \(String(cString: strerror(errno)))"))
        }
    }
    if let records, !records.finish() {
        abandon(Failure(.outputUnwritable, "--faces '\(records.path)': \(String(cString: strerror(errno)))"))
    }
    progress.finish(frames: done.frames, output: options.output, audio: job.sawAudio ? (job.audioCopied ? "copied" : "re-encoded") : "none")
    if options.report { print("frames=\(done.frames) faces=\(done.tracks)") }
    gst_object_unref(job.pipeline)
    return stopping ? .interrupted : .ok
}

exit(run().rawValue)
