import CGStreamer
import Glibc

/// --faces FILE: one JSON object per frame, from the element's `swiftvr` bus messages,
///
///     {"frame":0,"time":0.04,"duration":0.04,"faces":[{"track_id":1,"score":0.93,
///      "box":[x,y,width,height],"landmarks":[[x,y],[x,y],[x,y],[x,y],[x,y]]}]}
///
/// (time: stream time in seconds; box and landmarks in frame pixels; landmarks: eyes,
/// nose, mouth corners), written to the target's partial file (renamed with the video
/// when the job ends well) or in place to a device.
final class FaceRecords {
    let target: OutputTarget
    private var file: UnsafeMutablePointer<FILE>?
    private var frame = 0
    /// errno of the first write that failed (a full disk shows there, not at fclose).
    private var writeError: Int32?

    init(_ target: OutputTarget) throws(Failure) {
        self.target = target
        guard let f = target.writePath.withCString({ fopen($0, "w") }) else {
            throw Failure(.outputUnwritable, "--faces '\(target.given.display)': \(systemError())")
        }
        file = f
    }

    deinit { abandon() }

    /// Writes the record of one `swiftvr` element message; other messages are ignored.
    func write(_ message: UnsafeMutablePointer<GstMessage>) {
        guard let s = gst_message_get_structure(message), gst_structure_has_name(s, "swiftvr") != 0 else { return }
        var time: guint64 = 0, duration: guint64 = 0
        if gst_structure_get_uint64(s, "stream-time", &time) == 0 || time == UInt64.max {
            _ = gst_structure_get_uint64(s, "timestamp", &time)
        }
        _ = gst_structure_get_uint64(s, "duration", &duration)
        var faces: [String] = []
        if let list = gst_structure_get_value(s, "faces") {
            for i in 0..<gst_value_list_get_size(list) {
                guard let face = gst_value_get_structure(gst_value_list_get_value(list, i)) else { continue }
                faces.append(Self.json(face))
            }
        }
        let line = "{\"frame\":\(frame),\"time\":\(Self.seconds(time)),\"duration\":\(Self.seconds(duration)),\"faces\":[\(faces.joined(separator: ","))]}\n"
        guard let file else { return }
        if fputs(line, file) < 0 && writeError == nil { writeError = errno }
        frame += 1
    }

    /// Writes out and closes the file; the reason (errno's text) where it could not be written.
    func finish() -> String? {
        guard let f = file else { return "already closed" }
        file = nil
        if fflush(f) != 0 && writeError == nil { writeError = errno }
        if fclose(f) != 0 && writeError == nil { writeError = errno }
        return writeError.map { systemError($0) }
    }

    /// Closes the file without a word (the caller removes the partial file).
    func abandon() {
        if let f = file { fclose(f) }
        file = nil
    }

    /// Nanoseconds as seconds to the microsecond; null for GST_CLOCK_TIME_NONE.
    static func seconds(_ ns: guint64) -> String {
        ns == UInt64.max ? "null" : "\(Double(ns / 1000) / 1e6)"
    }

    /// A JSON number; null where JSON has none (never expected: the element clamps its figures).
    static func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_ v: F) -> String {
        v.isFinite ? "\(v)" : "null"
    }

    static func json(_ face: UnsafePointer<GstStructure>) -> String {
        func uint(_ name: String) -> guint {
            var v: guint = 0
            _ = gst_structure_get_uint(face, name, &v)
            return v
        }
        var score = 0.0
        _ = gst_structure_get_double(face, "score", &score)
        var points: [String] = []
        if let array = gst_structure_get_value(face, "landmarks") {
            let n = gst_value_array_get_size(array)
            for i in stride(from: 0, to: n & ~1, by: 2) {
                let x = g_value_get_float(gst_value_array_get_value(array, i))
                let y = g_value_get_float(gst_value_array_get_value(array, i + 1))
                points.append("[\(number(x)),\(number(y))]")
            }
        }
        return "{\"track_id\":\(uint("track-id")),\"score\":\(number(score)),\"box\":[\(uint("x")),\(uint("y")),\(uint("width")),\(uint("height"))],"
            + "\"landmarks\":[\(points.joined(separator: ","))]}"
    }
}
