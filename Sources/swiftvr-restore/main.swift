import CGStreamer
import Glibc

// swiftvr-restore IN OUT [options]: restores the faces in a video or image file with the
// swiftvr element, keeping the audio, with progress on the terminal. See --help.

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
    let input = "'\(options.inputs.first?.display ?? "")'"
    if factory == "swiftvr" && domain == gst_resource_error_quark() { return Failure(.badModel, "model: \(text)") }
    if factory == "filesink" { return Failure(.outputUnwritable, "'\(options.output.display)': \(text)") }
    if factory == "filesrc" || factory == "fdsrc" { return Failure(.inputUnreadable, "\(input): \(text)") }
    let stream = { (codes: [GstStreamError]) in domain == gst_stream_error_quark() && codes.map({ gint($0.rawValue) }).contains(code) }
    if stream([GST_STREAM_ERROR_TYPE_NOT_FOUND, GST_STREAM_ERROR_WRONG_TYPE, GST_STREAM_ERROR_DEMUX, GST_STREAM_ERROR_DECODE, GST_STREAM_ERROR_FORMAT]) {
        return Failure(.inputUnreadable, "\(input): cannot be read as a video or image (\(text))")
    }
    if stream([GST_STREAM_ERROR_CODEC_NOT_FOUND]) {
        return Failure(.noVideo, "\(input): no video stream GStreamer can decode (\(text))")
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
    do { options = try parseOptions(element: element) } catch { fail(error) }
    if options.version {
        print("swiftvr-restore \(pluginVersion()) (\(String(cString: gst_version_string())))")
        return .ok
    }
    if options.inputs.count > 1 {
        gst_object_unref(element)
        return restoreFolder(options)
    }
    if let info = options.input.status(), (info.st_mode & S_IFMT) == S_IFDIR {
        gst_object_unref(element)
        return restoreFolder(options)
    }
    return restoreFile(options, element: element)
}

/// The input as the job reads it: a regular file by name (filesrc can seek it), anything
/// else readable (standard input, a FIFO, a device) through its descriptor. Opened without
/// blocking, so a FIFO with no writer cannot hang the command here.
func openInput(_ path: Path) throws(Failure) -> (Job.Source, stat?) {
    var info = stat()
    if path.isStdio {
        return (.descriptor(0), fstat(0, &info) == 0 ? info : nil)
    }
    let fd = path.withCString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
    guard fd >= 0 else { throw Failure(.inputUnreadable, "'\(path.display)': \(systemError())") }
    guard fstat(fd, &info) == 0 else {
        close(fd)
        throw Failure(.inputUnreadable, "'\(path.display)': \(systemError())")
    }
    if (info.st_mode & S_IFMT) == S_IFREG {
        close(fd)
        return (.file(path), info)
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return (.descriptor(fd), info)
}

func restoreFile(_ options: Options, element: UnsafeMutablePointer<GstElement>) -> ExitCode {
    let source: Job.Source, inputID: stat?, plans: [OutputTarget]
    do {
        (source, inputID) = try openInput(options.input)
        var outputs = [(role: "OUT", path: options.output)]
        if let p = options.compare { outputs.append(("--compare", p)) }
        if let p = options.faces { outputs.append(("--faces", p)) }
        plans = try planOutputs(input: options.input, inputID: inputID, outputs: outputs)
        _ = try Container.check(output: options.output, input: options.input)
        try createPartials(plans)
    } catch { fail(error) }
    let plan = { (role: String) in plans.first { $0.role == role } }
    let job: Job, records: FaceRecords?
    do {
        job = try Job(options, element: element, source: source, video: plans[0], compare: plan("--compare"))
        records = try plan("--faces").map { p throws(Failure) in try FaceRecords(p) }
    } catch {
        removePartials(plans)
        fail(error)
    }
    handleInterrupts()
    let bus = gst_element_get_bus(job.pipeline)!
    defer { gst_object_unref(bus) }
    var progress = Progress(quiet: options.quiet)
    var stopping = false
    func abandon(_ f: Failure) -> Never {
        gst_element_set_state(job.pipeline, GST_STATE_NULL)
        records?.abandon()
        removePartials(plans)
        if progress.drawn { printError("\n") }
        fail(f)
    }
    let notWritten = { Failure(interruptedExit, "interrupted (\(signalName)): '\(options.output.display)' not written") }
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
                // Face messages come once a frame: the checks below run at most 10× a second.
                if Progress.now() - lastUpdate < 0.1 { continue }
            default:
                break
            }
            if msg.pointee.type == GST_MESSAGE_EOS { break }
        }
        lastUpdate = Progress.now()
        let state = job.progress
        if state.videoMissing { abandon(Failure(.noVideo, "'\(options.input.display)' has no video stream")) }
        if interrupts >= 2 || (interrupts == 1 && options.allOrNothing) { abandon(notWritten()) }
        if interrupts == 1 && !stopping {
            stopping = true
            progress.note("stopping (\(signalName)): finishing '\(options.output.display)' up to here (again to abandon it)")
            gst_element_send_event(job.pipeline, gst_event_new_eos())
        }
        let idle = job.idle
        if idle.seconds > Double(options.stallTimeout) {
            abandon(Failure(.processingFailed, "no data moved for \(options.stallTimeout) s (--stall-timeout): "
                + "the pipeline stalled after '\(idle.after)'"))
        }
        var position: gint64 = -1, duration: gint64 = -1
        _ = gst_element_query_position(job.pipeline, GST_FORMAT_TIME, &position)
        _ = gst_element_query_duration(job.pipeline, GST_FORMAT_TIME, &duration)
        progress.update(frames: state.frames, faces: state.faces, position: Int(position), duration: Int(duration))
    }
    // Face messages posted before EOS may still wait on the bus.
    while records != nil, let msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT) {
        records?.write(msg)
        gst_message_unref(msg)
    }
    gst_element_set_state(job.pipeline, GST_STATE_NULL)
    if interrupts >= 2 { abandon(notWritten()) }
    let done = job.progress
    guard done.frames > 0 else { abandon(Failure(.noVideo, "'\(options.input.display)': no video frame was decoded")) }
    if let records, let why = records.finish() {
        abandon(Failure(.outputUnwritable, "--faces '\(records.target.given.display)': \(why)"))
    }
    // OUT last: where OUT exists, everything the job wrote is complete.
    do { try commitPartials(plans.reversed()) } catch { abandon(error) }
    progress.finish(frames: done.frames, output: options.output.display, audio: job.sawAudio ? (job.audioCopied ? "copied" : "re-encoded") : "none")
    if options.report { print("frames=\(done.frames) faces=\(done.tracks)") }
    gst_object_unref(job.pipeline)
    return stopping ? interruptedExit : .ok
}

exit(run().rawValue)
