import CGStreamer
import Glibc

/// --faces FILE: one JSON object per frame, from the element's `swiftvr` bus messages,
///
///     {"frame":0,"time":0.04,"duration":0.04,"faces":[{"track_id":1,"score":0.93,
///      "box":[x,y,width,height],"landmarks":[[x,y],[x,y],[x,y],[x,y],[x,y]]}]}
///
/// (time: stream time in seconds; box and landmarks in frame pixels; landmarks: eyes,
/// nose, mouth corners), written to FILE.partial and renamed to FILE when the job ends well.
struct FaceRecords {
    let path: String
    var partial: String { path + ".partial" }
    private let file: UnsafeMutablePointer<FILE>
    private var frame = 0

    init(_ path: String) throws(Failure) {
        self.path = path
        guard let f = fopen(path + ".partial", "w") else {
            throw Failure(.outputUnwritable, "--faces '\(path)': \(String(cString: strerror(errno)))")
        }
        file = f
    }

    /// Writes the record of one `swiftvr` element message; other messages are ignored.
    mutating func write(_ message: UnsafeMutablePointer<GstMessage>) {
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
        fputs(line, file)
        frame += 1
    }

    /// Closes the file and gives it its name; false (errno set) if it could not be written.
    func finish() -> Bool {
        fclose(file) == 0 && rename(partial, path) == 0
    }

    func abandon() {
        fclose(file)
        unlink(partial)
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
