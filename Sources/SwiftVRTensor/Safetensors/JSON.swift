/// A small strict JSON reader for safetensors headers. Foundation stays out of the
/// plugin, and a header is a few kilobytes of plain objects, arrays, strings and
/// integers, so a 150-line parser is the honest size for the job.
public enum JSON: Equatable, Sendable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// `what` names the text in errors ("header JSON at byte 17: …").
    public static func parse(_ bytes: UnsafeRawBufferPointer, what: String = "header JSON") throws(TensorError) -> JSON {
        var p = Parser(bytes: bytes, what: what)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.atEnd else { throw p.fail("trailing bytes after the JSON value") }
        return v
    }

    public static func parse(_ text: String, what: String = "header JSON") throws(TensorError) -> JSON {
        var copy = Array(text.utf8)
        do {
            return try copy.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws(TensorError) -> JSON in
                try parse(UnsafeRawBufferPointer(b), what: what)
            }
        } catch let e as TensorError { throw e } catch { throw .malformedFile("\(error)") }
    }

    public var objectValue: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// A non-negative integer that a Double represents exactly (offsets, shapes).
    public var indexValue: Int? {
        guard case .number(let d) = self, d >= 0, d <= 9_007_199_254_740_992, d.rounded() == d else { return nil }
        return Int(d)
    }
}

/// SAFETY: every read is `bytes[i]` behind an `i < bytes.count` check (the buffer's own
/// subscript), and the bytes outlive the parse (`JSON.parse` holds them).
private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let what: String
    var i = 0
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer, what: String) { (self.bytes, self.what) = (bytes, what) }

    var atEnd: Bool { i >= bytes.count }

    func fail(_ why: String) -> TensorError { .malformedFile("\(what) at byte \(i): \(why)") }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws(TensorError) {
        guard i < bytes.count, bytes[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    mutating func value(depth: Int) throws(TensorError) -> JSON {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth)") }
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws(TensorError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw fail("unexpected end") }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("bad literal") }
        i += n
    }

    mutating func object(depth: Int) throws(TensorError) -> JSON {
        try expect(UInt8(ascii: "{"))
        var out: [String: JSON] = [:]
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipSpace()
            let key = try string()
            guard out[key] == nil else { throw fail("duplicate key '\(key)'") }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            out[key] = try value(depth: depth + 1)
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(out)
        }
    }

    mutating func array(depth: Int) throws(TensorError) -> JSON {
        try expect(UInt8(ascii: "["))
        var out: [JSON] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            skipSpace()
            out.append(try value(depth: depth + 1))
            skipSpace()
            guard i < bytes.count else { throw fail("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"))
            return .array(out)
        }
    }

    mutating func string() throws(TensorError) -> String {
        try expect(UInt8(ascii: "\""))
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                flush()
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {  // surrogate pair
                        try expect(UInt8(ascii: "\\")); try expect(UInt8(ascii: "u"))
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("bad surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                    scalars.append(s)
                default: throw fail("bad escape")
                }
            case 0..<0x20:
                throw fail("control character in string")
            default:
                raw.append(c)
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(TensorError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            i += 1
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("bad hex digit")
            }
            v = v * 16 + UInt32(d)
        }
        return v
    }

    mutating func number() throws(TensorError) -> Double {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i])
                || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[i]) {
            i += 1
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard !text.isEmpty, let d = Double(text), d.isFinite else { i = start; throw fail("bad value") }
        return d
    }
}
