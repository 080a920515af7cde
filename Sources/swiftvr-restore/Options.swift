import CGStreamer
import Glibc

/// The command line: `IN OUT`, the command's own options and one option per property of
/// the swiftvr element, named, described and range-checked by the element itself
/// (its GParamSpecs), parsed with GLib's GOptionContext as every GStreamer tool does.
struct Options {
    var input = "", output = ""
    var crf = 23
    var encoder: String?
    var quiet = false
    /// A side-by-side (input | restored) video or image, labelled.
    var compare: String?
    /// Per-frame face records as JSON Lines.
    var faces: String?
    /// Folder mode: restore files whose output exists too; files restored at once.
    var overwrite = false
    var jobs = 1
    /// One `frames=N faces=M` line on stdout at the end (how a folder run hears from each file).
    var report = false
    var version = false
    /// The element's properties given on the command line, as text, in order.
    var properties: [(name: String, value: String)] = []

    /// The options that apply to each file, as arguments (a folder run passes them on).
    var perFileArguments: [String] {
        ["--crf=\(crf)"] + (encoder.map { ["--encoder=\($0)"] } ?? []) + properties.map { "--\($0.name)=\($0.value)" }
    }
}

/// One GOptionEntry's storage, kept alive until parsing is over.
private final class Slot {
    let name: String
    let string = UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>.allocate(capacity: 1)
    init(_ name: String) { self.name = name; string.initialize(to: nil) }
    var value: String? { string.pointee.map { String(cString: $0) } }
}

/// The element's writable properties of its own (not GstObject's `name` and `parent`).
func elementProperties(_ element: UnsafeMutablePointer<GstElement>) -> [UnsafeMutablePointer<GParamSpec>] {
    let object = UnsafeMutableRawPointer(element).assumingMemoryBound(to: GTypeInstance.self)
    let klass = UnsafeMutableRawPointer(object.pointee.g_class!).assumingMemoryBound(to: GObjectClass.self)
    let type = object.pointee.g_class.pointee.g_type
    var count: guint = 0
    guard let specs = g_object_class_list_properties(klass, &count) else { return [] }
    defer { g_free(specs) }
    return (0..<Int(count)).compactMap { i in
        guard let p = specs[i], p.pointee.owner_type == type, p.pointee.flags.rawValue & G_PARAM_WRITABLE.rawValue != 0 else { return nil }
        return p
    }
}

/// "blurb (default: X)" for --help.
private func describe(_ spec: UnsafeMutablePointer<GParamSpec>) -> String {
    let blurb = g_param_spec_get_blurb(spec).map { String(cString: $0) } ?? ""
    guard let def = g_param_spec_get_default_value(spec), let text = gst_value_serialize(def) else { return blurb }
    defer { g_free(text) }
    return "\(blurb) (default: \(String(cString: text)))"
}

func parseOptions(_ argv: [String], element: UnsafeMutablePointer<GstElement>) throws(Failure) -> Options {
    var o = Options()
    let crf = UnsafeMutablePointer<gint>.allocate(capacity: 1)
    crf.initialize(to: 23)
    let quiet = UnsafeMutablePointer<gboolean>.allocate(capacity: 1)
    quiet.initialize(to: 0)
    let encoder = Slot("encoder"), compare = Slot("compare"), faces = Slot("faces")
    let flags = UnsafeMutablePointer<gboolean>.allocate(capacity: 3)   // overwrite, report, version
    flags.initialize(repeating: 0, count: 3)
    let jobs = UnsafeMutablePointer<gint>.allocate(capacity: 1)
    jobs.initialize(to: 1)
    defer { flags.deallocate(); jobs.deallocate() }
    let rest = UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?>.allocate(capacity: 1)
    rest.initialize(to: nil)
    defer { crf.deallocate(); quiet.deallocate(); rest.deallocate() }
    var strings: [UnsafeMutablePointer<gchar>] = []
    defer { strings.forEach { free($0) } }
    func c(_ s: String) -> UnsafePointer<gchar> { let p = strdup(s)!; strings.append(p); return UnsafePointer(p) }
    func entry(_ name: String, _ arg: GOptionArg, _ data: UnsafeMutableRawPointer, _ help: String, _ meta: String?,
               short: Character? = nil, hidden: Bool = false) -> GOptionEntry {
        GOptionEntry(long_name: c(name), short_name: short.map { gchar($0.asciiValue!) } ?? 0,
                     flags: hidden ? gint(G_OPTION_FLAG_HIDDEN.rawValue) : 0, arg: arg, arg_data: data, description: c(help),
                     arg_description: meta.map { c($0) })
    }
    var own = [
        entry("crf", G_OPTION_ARG_INT, crf, "Quality of the H.264/VP9 encoding, 0 (lossless) to 51; lower is better (default: 23)", "N"),
        entry("encoder", G_OPTION_ARG_STRING, encoder.string, "Video encoder element (default: x264enc for MP4/MKV/MOV/TS, vp9enc for WebM)", "ELEMENT"),
        entry("quiet", G_OPTION_ARG_NONE, quiet, "No progress, only errors", nil),
        entry("compare", G_OPTION_ARG_FILENAME, compare.string, "Also write a side-by-side video (or image): input | restored, labelled", "FILE"),
        entry("faces", G_OPTION_ARG_FILENAME, faces.string, "Also write the faces of each frame as JSON Lines (time, box, score, track id, landmarks)", "FILE"),
        entry("jobs", G_OPTION_ARG_INT, jobs, "Folder: files restored at once, each in its own process (default: 1)", "N", short: "j"),
        entry("overwrite", G_OPTION_ARG_NONE, flags, "Folder: restore files whose output already exists (default: skip them)", nil),
        entry("report", G_OPTION_ARG_NONE, flags + 1, "", nil, hidden: true),
        entry("version", G_OPTION_ARG_NONE, flags + 2, "Print the version and exit", nil),
        entry("", G_OPTION_ARG_FILENAME_ARRAY, rest, "", nil),
        GOptionEntry(),
    ]
    let specs = elementProperties(element)
    let slots = specs.map { Slot(String(cString: g_param_spec_get_name($0))) }
    var props = zip(specs, slots).map { spec, slot in
        entry(slot.name, G_OPTION_ARG_STRING, slot.string, describe(spec), "VALUE")
    } + [GOptionEntry()]
    let ctx = g_option_context_new("IN OUT - restore the faces in a video or image file (or every one in a folder)")!
    defer { g_option_context_free(ctx) }
    g_option_context_set_summary(ctx, "Any input GStreamer can decode; the output's container and encoder follow OUT's\n"
        + "extension (.mp4 .mkv .mov .webm .ts; .jpg .png for a still image). Audio is kept without\n"
        + "re-encoding where the container accepts it. With a folder IN, every video and image in\n"
        + "it is restored into the folder OUT under the same name, and a summary table follows.\n"
        + "Exit status: 0 done, 1 processing failed, 2 bad usage, 3 input unreadable, 4 no video\n"
        + "stream, 5 output unwritable, 6 bad model file, 7 some files of a folder failed,\n"
        + "130 interrupted (Ctrl-C: the output is finished up to there; twice: removed).")
    own.withUnsafeMutableBufferPointer { g_option_context_add_main_entries(ctx, $0.baseAddress, nil) }
    let group = g_option_group_new("swiftvr", "The swiftvr element's properties (gst-inspect-1.0 swiftvr; flags joined with , or +):",
                                   "Show the swiftvr element's properties", nil, nil)!
    props.withUnsafeMutableBufferPointer { g_option_group_add_entries(group, $0.baseAddress) }
    g_option_context_add_group(ctx, group)
    g_option_context_add_group(ctx, gst_init_get_option_group())
    var cargs = argv.map { strdup($0) }
    defer { cargs.forEach { free($0) } }
    var argc = gint(cargs.count)
    var error: UnsafeMutablePointer<GError>?
    let ok = cargs.withUnsafeMutableBufferPointer { buf -> gboolean in
        var p: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>? = buf.baseAddress
        return g_option_context_parse(ctx, &argc, &p, &error)
    }
    guard ok != 0 else {
        let why = error.map { String(cString: $0.pointee.message) } ?? "bad options"
        g_clear_error(&error)
        throw Failure(.usage, "\(why) (try --help)")
    }
    var positional: [String] = []
    if let list = rest.pointee {
        var i = 0
        while let s = list[i] { positional.append(String(cString: s)); i += 1 }
        g_strfreev(list)
    }
    if flags[2] != 0 { o.version = true; return o }
    guard positional.count == 2 else { throw Failure(.usage, "give an input and an output file (try --help)") }
    (o.input, o.output) = (positional[0], positional[1])
    guard (0...51).contains(crf.pointee) else { throw Failure(.usage, "--crf must be from 0 to 51, not \(crf.pointee)") }
    o.crf = Int(crf.pointee)
    o.quiet = quiet.pointee != 0
    o.encoder = encoder.value
    o.compare = compare.value
    o.faces = faces.value
    o.overwrite = flags[0] != 0
    o.report = flags[1] != 0
    guard (1...64).contains(jobs.pointee) else { throw Failure(.usage, "--jobs must be from 1 to 64, not \(jobs.pointee)") }
    o.jobs = Int(jobs.pointee)
    for (spec, slot) in zip(specs, slots) {
        guard var text = slot.value else { continue }
        if g_type_fundamental(spec.pointee.value_type) == g_type_from_name("GFlags") { text = text.replacingAll(",", with: "+") }
        try check(spec, text)
        o.properties.append((slot.name, text))
    }
    return o
}

/// Parses `text` as the property's type and checks its range, as g_object_set would
/// (which only warns); a bad value is a usage error naming the option.
private func check(_ spec: UnsafeMutablePointer<GParamSpec>, _ text: String) throws(Failure) {
    var value = GValue()
    g_value_init(&value, spec.pointee.value_type)
    defer { g_value_unset(&value) }
    let name = String(cString: g_param_spec_get_name(spec))
    guard gst_value_deserialize(&value, text) != 0 else { throw Failure(.usage, "--\(name): '\(text)' is not a valid value") }
    if g_param_value_validate(spec, &value) != 0 {
        throw Failure(.usage, "--\(name): \(text) is outside the allowed range (see --help-swiftvr)")
    }
}

extension String {
    func replacingAll(_ a: Character, with b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}
