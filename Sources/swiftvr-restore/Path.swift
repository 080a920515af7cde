import CGStreamer
import Glibc

/// A file name as the system holds it: bytes, not necessarily UTF-8. The command takes
/// names from argv and readdir as bytes and hands the same bytes to open(), rename() and
/// filesrc/filesink, so a name in any encoding is restored under the same name; only
/// messages show it, through GLib's display form (invalid bytes as U+FFFD).
struct Path: Hashable {
    /// Without the terminating NUL.
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }
    init(cString: UnsafePointer<CChar>) {
        bytes = Array(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// The name for messages (g_filename_display_name).
    var display: String {
        withCString { c in
            guard let shown = g_filename_display_name(c) else { return String(decoding: bytes, as: UTF8.self) }
            defer { g_free(shown) }
            return String(cString: shown)
        }
    }

    var isEmpty: Bool { bytes.isEmpty }
    var isStdio: Bool { bytes == [UInt8(ascii: "-")] }

    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buf in
            try buf.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// `self` with `suffix` added to its last component ("out.mp4" + ".partial").
    func appending(_ suffix: String) -> Path { Path(bytes: bytes + Array(suffix.utf8)) }

    /// `self/name`, with one slash between them however `self` ends.
    func joined(_ name: Path) -> Path {
        var b = bytes
        while b.count > 1 && b.last == UInt8(ascii: "/") { b.removeLast() }
        if b.last != UInt8(ascii: "/") { b.append(UInt8(ascii: "/")) }
        return Path(bytes: b + name.bytes)
    }

    /// The last component ("b.mp4" for "in/b.mp4").
    var lastComponent: Path {
        var b = bytes
        while b.count > 1 && b.last == UInt8(ascii: "/") { b.removeLast() }
        guard let slash = b.lastIndex(of: UInt8(ascii: "/")) else { return Path(bytes: b) }
        return Path(bytes: Array(b[(slash + 1)...]))
    }

    /// The folder that holds the last component ("." for a bare name).
    var parent: Path {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return Path(".") }
        return slash == 0 ? Path("/") : Path(bytes: Array(bytes[..<slash]))
    }

    /// The extension, lower-cased ASCII ("mp4"); "" if none.
    var fileExtension: String {
        let name = lastComponent.bytes
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot != 0 else { return "" }
        return String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased()
    }

    /// `self` with its extension replaced by `ext` (or added where it has none).
    func replacingExtension(with ext: String) -> Path {
        let old = fileExtension
        let stem = old.isEmpty ? bytes : Array(bytes.dropLast(old.utf8.count + 1))
        return Path(bytes: stem + Array(".\(ext)".utf8))
    }

    /// The resolved absolute name (symbolic links followed), nil where it does not exist.
    var resolved: Path? {
        withCString { c in
            guard let r = realpath(c, nil) else { return nil }
            defer { free(r) }
            return Path(cString: r)
        }
    }

    /// stat(2) following links; nil (errno set) where it fails.
    func status() -> stat? {
        var info = stat()
        return withCString { stat($0, &info) } == 0 ? info : nil
    }
}

/// The text of errno.
func systemError(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
