import CGStreamer
import Glibc

/// The command line: `IN OUT` (or `IN… OUTDIR/`), the command's own options and one option
/// per property of the swiftvr element, named, described and range-checked by the element
/// itself (its GParamSpecs), parsed with GLib's GOptionContext as every GStreamer tool does.
/// File names stay bytes (G_OPTION_ARG_FILENAME), whatever their encoding.
struct Options {
    var inputs: [Path] = []
    var output = Path("")
    var crf = 23
    var encoder: String?
    var quiet = false
    /// A side-by-side (input | restored) video or image, labelled.
    var compare: Path?
    /// Per-frame face records as JSON Lines.
    var faces: Path?
    /// Folder mode: restore files whose output exists too; files restored at once.
    var overwrite = false
    var jobs = 1
    /// Seconds without any data moving before the job is ended as stalled.
    var stallTimeout = 60
    /// One `frames=N faces=M` line on stdout at the end (how a folder run hears from each file).
    var report = false
    /// An interrupt abandons the file instead of finishing it up to there (each file of a
    /// folder run: an output exists only when complete, so a rerun redoes the cut ones).
    var allOrNothing = false
    var version = false
    /// The element's properties given on the command line, as text, in order.
    var properties: [(name: String, value: String)] = []

    var input: Path { inputs[0] }

    /// The options that apply to each file, as arguments (a folder run passes them on).
    var perFileArguments: [String] {
        ["--crf=\(crf)", "--stall-timeout=\(stallTimeout)"] + (encoder.map { ["--encoder=\($0)"] } ?? [])
            + properties.map { "--\($0.name)=\($0.value)" }
    }
}

/// One GOptionEntry's storage, kept alive until parsing is over.
private final class Slot {
    let string = UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>.allocate(capacity: 1)
    init() { string.initialize(to: nil) }
    deinit { g_free(string.pointee); string.deallocate() }
    var value: String? { string.pointee.map { String(cString: $0) } }
    var path: Path? { string.pointee.map { Path(cString: $0) } }
}

/// The element's options as they are parsed (the GOptionGroup's user data).
private final class PropertyValues {
    var values: [(name: String, value: String)] = []
}

/// Every element option goes through here: `--name=VALUE`, or a bare `--flag` for a
/// boolean property, which means true.
private let propertyOption: @convention(c) (UnsafePointer<gchar>?, UnsafePointer<gchar>?, gpointer?, UnsafeMutablePointer<UnsafeMutablePointer<GError>?>?) -> gboolean = { name, value, data, _ in
    guard let name, let data else { return 0 }
    let values = Unmanaged<PropertyValues>.fromOpaque(data).takeUnretainedValue()
    values.values.append((String(String(cString: name).drop { $0 == "-" }), value.map { String(cString: $0) } ?? "true"))
    return 1
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

private func isType(_ spec: UnsafeMutablePointer<GParamSpec>, _ name: String) -> Bool {
    g_type_fundamental(spec.pointee.value_type) == g_type_from_name(name)
}

/// What values the property takes, from its GParamSpec: "0–1", "restore, colorize, inpaint".
func valueRange(_ spec: UnsafeMutablePointer<GParamSpec>) -> String? {
    let raw = UnsafeMutableRawPointer(spec)
    func span<T>(_ min: T, _ max: T) -> String { "\(min) to \(max)" }
    if isType(spec, "gint") { let s = raw.assumingMemoryBound(to: GParamSpecInt.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "guint") { let s = raw.assumingMemoryBound(to: GParamSpecUInt.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "gint64") { let s = raw.assumingMemoryBound(to: GParamSpecInt64.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "guint64") { let s = raw.assumingMemoryBound(to: GParamSpecUInt64.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "gfloat") { let s = raw.assumingMemoryBound(to: GParamSpecFloat.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "gdouble") { let s = raw.assumingMemoryBound(to: GParamSpecDouble.self).pointee; return span(s.minimum, s.maximum) }
    if isType(spec, "gboolean") { return "true or false" }
    if isType(spec, "GEnum"), let k = raw.assumingMemoryBound(to: GParamSpecEnum.self).pointee.enum_class {
        return (0..<Int(k.pointee.n_values)).map { String(cString: k.pointee.values[$0].value_nick) }.joined(separator: ", ")
    }
    if isType(spec, "GFlags"), let k = raw.assumingMemoryBound(to: GParamSpecFlags.self).pointee.flags_class {
        return "any of " + (0..<Int(k.pointee.n_values)).map { String(cString: k.pointee.values[$0].value_nick) }.joined(separator: ", ")
            + " joined with , or +"
    }
    return nil
}

/// "blurb (range: A, default: X)" for --help-swiftvr and the man page.
private func describe(_ spec: UnsafeMutablePointer<GParamSpec>) -> String {
    let blurb = g_param_spec_get_blurb(spec).map { String(cString: $0) } ?? ""
    var facts: [String] = []
    if let range = valueRange(spec) { facts.append("range: \(range)") }
    if let def = g_param_spec_get_default_value(spec), let text = gst_value_serialize(def) {
        facts.append("default: \(String(cString: text))")
        g_free(text)
    }
    return facts.isEmpty ? blurb : "\(blurb) (\(facts.joined(separator: ", ")))"
}

func parseOptions(element: UnsafeMutablePointer<GstElement>) throws(Failure) -> Options {
    var o = Options()
    let ints = UnsafeMutablePointer<gint>.allocate(capacity: 3)   // crf, jobs, stall-timeout
    ints.initialize(from: [23, 1, 60], count: 3)
    let flags = UnsafeMutablePointer<gboolean>.allocate(capacity: 5)   // quiet, overwrite, report, version, all-or-nothing
    flags.initialize(repeating: 0, count: 5)
    let rest = UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?>.allocate(capacity: 1)
    rest.initialize(to: nil)
    defer { ints.deallocate(); flags.deallocate(); rest.deallocate() }
    let encoder = Slot(), compare = Slot(), faces = Slot()
    var strings: [UnsafeMutablePointer<gchar>] = []
    defer { strings.forEach { free($0) } }
    func c(_ s: String) -> UnsafePointer<gchar> { let p = strdup(s)!; strings.append(p); return UnsafePointer(p) }
    func entry(_ name: String, _ arg: GOptionArg, _ data: UnsafeMutableRawPointer, _ help: String, _ meta: String?,
               short: Character? = nil, flags: GOptionFlags = G_OPTION_FLAG_NONE) -> GOptionEntry {
        GOptionEntry(long_name: c(name), short_name: short.map { gchar($0.asciiValue!) } ?? 0,
                     flags: gint(flags.rawValue), arg: arg, arg_data: data, description: c(help),
                     arg_description: meta.map { c($0) })
    }
    var own = [
        entry("crf", G_OPTION_ARG_INT, ints, "Quality of the H.264/VP9 encoding, 0 (lossless) to 51; lower is better (default: 23)", "N"),
        entry("encoder", G_OPTION_ARG_STRING, encoder.string, "Video encoder element (default: x264enc for MP4/MKV/MOV/TS, vp9enc for WebM)", "ELEMENT"),
        entry("quiet", G_OPTION_ARG_NONE, flags, "No progress, only errors", nil),
        entry("compare", G_OPTION_ARG_FILENAME, compare.string, "Also write a side-by-side video (or image): input | restored, labelled", "FILE"),
        entry("faces", G_OPTION_ARG_FILENAME, faces.string, "Also write the faces of each frame as JSON Lines (time, box, score, track id, landmarks)", "FILE"),
        entry("jobs", G_OPTION_ARG_INT, ints + 1, "Folder: files restored at once, each in its own process, 1 to 64 (default: 1)", "N", short: "j"),
        entry("overwrite", G_OPTION_ARG_NONE, flags + 1, "Folder: restore files whose output already exists (default: skip them)", nil),
        entry("stall-timeout", G_OPTION_ARG_INT, ints + 2, "End the job (exit status 1) when no data has moved for this many seconds, 1 to 86400 (default: 60)", "SECONDS"),
        entry("report", G_OPTION_ARG_NONE, flags + 2, "", nil, flags: G_OPTION_FLAG_HIDDEN),
        entry("version", G_OPTION_ARG_NONE, flags + 3, "Print the version and exit", nil),
        entry("all-or-nothing", G_OPTION_ARG_NONE, flags + 4, "", nil, flags: G_OPTION_FLAG_HIDDEN),
        entry("", G_OPTION_ARG_FILENAME_ARRAY, rest, "", nil),
        GOptionEntry(),
    ]
    let specs = elementProperties(element)
    let values = PropertyValues()
    let callback = unsafeBitCast(propertyOption, to: UnsafeMutableRawPointer.self)
    var props = specs.map { spec in
        let boolean = isType(spec, "gboolean")
        return entry(String(cString: g_param_spec_get_name(spec)), G_OPTION_ARG_CALLBACK, callback, describe(spec),
                     boolean ? "[true|false]" : "VALUE", flags: boolean ? G_OPTION_FLAG_OPTIONAL_ARG : G_OPTION_FLAG_NONE)
    } + [GOptionEntry()]
    let ctx = g_option_context_new("IN OUT - restore the faces in a video or image file (or every one in a folder)")!
    defer { g_option_context_free(ctx) }
    g_option_context_set_summary(ctx, "Any input GStreamer can decode; the output's container and encoder follow OUT's\n"
        + "extension (.mp4 .mkv .mov .webm .ts; .jpg .png for a still image). Audio is kept without\n"
        + "re-encoding where the container accepts it. With a folder IN (or several inputs and a\n"
        + "folder OUT), every video and image is restored into OUT under the same name, and a\n"
        + "summary table follows. IN may be - (standard input) for a streamable container.")
    g_option_context_set_description(ctx, "The input is never written: an output that is the input (by name, link or hard link)\n"
        + "is refused before anything is opened. Each output is written as OUT.partial beside OUT\n"
        + "and renamed to OUT only when complete, so OUT exists only as a whole file; a symbolic\n"
        + "link's target is written and the link kept, a character device (/dev/null) is written\n"
        + "in place. Ctrl-C or SIGTERM finishes the file up to there (a folder run: stops starting\n"
        + "files, removes the cut ones, prints its table); a second one abandons it, removing the\n"
        + "partial file. A job in which no data moves for --stall-timeout seconds ends.\n\n"
        + "Exit status: 0 done, 1 processing failed or stalled, 2 bad usage (including OUT = IN),\n"
        + "3 input unreadable, 4 no video stream, 5 output unwritable, 6 bad model file,\n"
        + "7 some files of a folder failed, 130 interrupted by Ctrl-C, 143 by SIGTERM.")
    own.withUnsafeMutableBufferPointer { g_option_context_add_main_entries(ctx, $0.baseAddress, nil) }
    let group = g_option_group_new("swiftvr", "The swiftvr element's properties (gst-inspect-1.0 swiftvr):",
                                   "Show the swiftvr element's properties, with their ranges and defaults",
                                   Unmanaged.passUnretained(values).toOpaque(), nil)!
    props.withUnsafeMutableBufferPointer { g_option_group_add_entries(group, $0.baseAddress) }
    g_option_context_add_group(ctx, group)
    g_option_context_add_group(ctx, gst_init_get_option_group())
    // argv as the system gave it (bytes), not CommandLine.arguments (decoded as UTF-8).
    var cargs = (0..<Int(CommandLine.argc)).map { strdup(CommandLine.unsafeArgv[$0]!) }
    defer { cargs.forEach { free($0) } }
    var argc = gint(cargs.count)
    var error: UnsafeMutablePointer<GError>?
    let ok = withExtendedLifetime(values) {
        cargs.withUnsafeMutableBufferPointer { buf -> gboolean in
            var p: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>? = buf.baseAddress
            return g_option_context_parse(ctx, &argc, &p, &error)
        }
    }
    guard ok != 0 else {
        let why = error.map { String(cString: $0.pointee.message) } ?? "bad options"
        g_clear_error(&error)
        throw Failure(.usage, "\(why) (try --help)")
    }
    var positional: [Path] = []
    if let list = rest.pointee {
        var i = 0
        while let s = list[i] { positional.append(Path(cString: s)); i += 1 }
        g_strfreev(list)
    }
    if flags[3] != 0 { o.version = true; return o }
    guard positional.count >= 2 else { throw Failure(.usage, "give an input and an output file (try --help)") }
    o.inputs = Array(positional.dropLast())
    o.output = positional.last!
    guard (0...51).contains(ints[0]) else { throw Failure(.usage, "--crf must be from 0 to 51, not \(ints[0])") }
    guard (1...64).contains(ints[1]) else { throw Failure(.usage, "--jobs must be from 1 to 64, not \(ints[1])") }
    guard (1...86400).contains(ints[2]) else { throw Failure(.usage, "--stall-timeout must be from 1 to 86400 seconds, not \(ints[2])") }
    (o.crf, o.jobs, o.stallTimeout) = (Int(ints[0]), Int(ints[1]), Int(ints[2]))
    o.quiet = flags[0] != 0
    o.overwrite = flags[1] != 0
    o.report = flags[2] != 0
    o.allOrNothing = flags[4] != 0
    o.encoder = encoder.value
    o.compare = compare.path
    o.faces = faces.path
    for (name, value) in values.values {
        guard let spec = specs.first(where: { String(cString: g_param_spec_get_name($0)) == name }) else { continue }
        let text = isType(spec, "GFlags") ? value.replacingAll(",", with: "+") : value
        try check(spec, text)
        o.properties.append((name, text))
    }
    return o
}

/// Parses `text` as the property's type and checks its range, as g_object_set would
/// (which only warns); a bad value is a usage error naming the option and its range.
private func check(_ spec: UnsafeMutablePointer<GParamSpec>, _ text: String) throws(Failure) {
    var value = GValue()
    g_value_init(&value, spec.pointee.value_type)
    defer { g_value_unset(&value) }
    let name = String(cString: g_param_spec_get_name(spec))
    let range = valueRange(spec).map { " (\($0))" } ?? ""
    guard gst_value_deserialize(&value, text) != 0 else { throw Failure(.usage, "--\(name): '\(text)' is not a valid value\(range)") }
    if g_param_value_validate(spec, &value) != 0 {
        throw Failure(.usage, "--\(name): \(text) is outside the allowed range\(range)")
    }
}

extension String {
    func replacingAll(_ a: Character, with b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}
