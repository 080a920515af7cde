import CGStreamer

/// The `swiftvr` GST_DEBUG category (GST_DEBUG=swiftvr:5 shows everything the element logs).
nonisolated(unsafe) private var category: UnsafeMutablePointer<GstDebugCategory>?

enum Debug {
    /// Creates the category once; called from class_init, which GLib runs once.
    static func initCategory() {
        guard category == nil else { return }
        category = _gst_debug_category_new(cString("swiftvr"), 0, cString("swiftvr face video restoration"))
    }

    static func log(_ level: GstDebugLevel, _ element: UnsafeMutablePointer<GstElement>?,
                    _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        // The message is built only when the category is enabled at this level.
        guard let cat = category, gst_debug_category_get_threshold(cat).rawValue >= level.rawValue else { return }
        message().withCString { text in
            gst_debug_log_literal(cat, level, cString(file), cString(function), gint(line),
                                  UnsafeMutableRawPointer(element)?.assumingMemoryBound(to: GObject.self), text)
        }
    }

    static func debug(_ e: UnsafeMutablePointer<GstElement>?, _ m: @autoclosure () -> String,
                      file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_DEBUG, e, m(), file: file, function: function, line: line)
    }

    static func info(_ e: UnsafeMutablePointer<GstElement>?, _ m: @autoclosure () -> String,
                     file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_INFO, e, m(), file: file, function: function, line: line)
    }

    static func warning(_ e: UnsafeMutablePointer<GstElement>?, _ m: @autoclosure () -> String,
                        file: StaticString = #fileID, function: StaticString = #function, line: UInt = #line) {
        log(GST_LEVEL_WARNING, e, m(), file: file, function: function, line: line)
    }
}
