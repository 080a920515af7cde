import Glibc

/// Which pixels are missing (to inpaint), in frame coordinates, from an 8-bit image:
/// values below 128 are missing (black = hole, as alpha 0 is). Read from a binary PGM
/// (P5) file — the one image format simple enough to read without a decoder library;
/// any image converts to it (`convert mask.png mask.pgm`, `ffmpeg -i mask.png mask.pgm`).
public struct MissingMask: Sendable {
    public let width: Int, height: Int
    let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// Whether frame pixel (x, y) of a `frameWidth`×`frameHeight` frame is missing; the
    /// mask is stretched over the frame if its size differs.
    @inline(__always)
    public func isMissing(_ x: Int, _ y: Int, frameWidth: Int, frameHeight: Int) -> Bool {
        let mx = min(width - 1, x * width / max(frameWidth, 1)), my = min(height - 1, y * height / max(frameHeight, 1))
        return pixels[my * width + mx] < 128
    }

    public static func load(pgm path: String) throws(PipelineError) -> MissingMask {
        guard let f = fopen(path, "rb") else { throw .invalidFrame("cannot open inpaint mask '\(path)'") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        // Header: "P5" <ws> width <ws> height <ws> maxval <one ws byte> data; '#' comments allowed.
        var i = 0
        func token() -> String? {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") { while i < bytes.count, bytes[i] != 10 { i += 1 } }
                else if [9, 10, 13, 32].contains(bytes[i]) { i += 1 } else { break }
            }
            let start = i
            while i < bytes.count, ![9, 10, 13, 32].contains(bytes[i]) { i += 1 }
            return start < i ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
        }
        guard token() == "P5", let w = token().flatMap({ Int($0) }), let h = token().flatMap({ Int($0) }),
              let maxval = token().flatMap({ Int($0) }), w > 0, h > 0, maxval > 0, maxval < 256 else {
            throw .invalidFrame("inpaint mask '\(path)' is not an 8-bit binary PGM (P5)")
        }
        i += 1
        // The product is checked before use: "P5 4611686018427387904 4 255" would overflow it.
        let (pixels, overflow) = w.multipliedReportingOverflow(by: h)
        guard !overflow, bytes.count - i >= pixels else {
            throw .invalidFrame("inpaint mask '\(path)' holds \(bytes.count - i) bytes for \(w)x\(h) pixels")
        }
        let scale = 255 / maxval
        return MissingMask(width: w, height: h, pixels: bytes[i..<(i + w * h)].map { UInt8(min(255, Int($0) * scale)) })
    }
}
