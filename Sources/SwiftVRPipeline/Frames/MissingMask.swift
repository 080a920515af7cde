import Glibc
import SwiftVRTensor

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

    /// The largest mask read: a 16384×16384 frame's worth of pixels.
    public static let maxPixels = 16384 * 16384

    /// Reads the mask; only a regular file, opened without blocking, its header checked
    /// before the pixels are read (an endless or huge file is refused from its first bytes).
    public static func load(pgm path: String) throws(PipelineError) -> MissingMask {
        do {
            return try read(path)
        } catch let error as PipelineError {
            throw error
        } catch {
            throw .invalidFrame("\(error)")   // TensorError from RegularFile: its message names the file
        }
    }

    private static func read(_ path: String) throws -> MissingMask {
        let (fd, info) = try RegularFile.open(path, what: "inpaint mask")
        defer { close(fd) }
        let size = Int(info.st_size)
        let header = try RegularFile.read(fd, count: min(size, 4096), from: 0, path: path, what: "inpaint mask", opened: info)
        // Header: "P5" <ws> width <ws> height <ws> maxval <one ws byte> data; '#' comments allowed.
        var i = 0
        func token() -> String? {
            while i < header.count {
                if header[i] == UInt8(ascii: "#") { while i < header.count, header[i] != 10 { i += 1 } }
                else if [9, 10, 13, 32].contains(header[i]) { i += 1 } else { break }
            }
            let start = i
            while i < header.count, ![9, 10, 13, 32].contains(header[i]), i - start < 20 { i += 1 }
            return start < i ? String(decoding: header[start..<i], as: UTF8.self) : nil
        }
        guard token() == "P5", let w = token().flatMap({ Int($0) }), let h = token().flatMap({ Int($0) }),
              let maxval = token().flatMap({ Int($0) }), w > 0, h > 0, maxval > 0, maxval < 256, i < header.count else {
            throw PipelineError.invalidFrame("inpaint mask '\(path)' is not an 8-bit binary PGM (P5)")
        }
        i += 1
        // The product is checked before use: "P5 4611686018427387904 4 255" would overflow it.
        let (pixels, overflow) = w.multipliedReportingOverflow(by: h)
        guard !overflow, pixels <= maxPixels else {
            throw PipelineError.invalidFrame("inpaint mask '\(path)' is \(w)x\(h), larger than the largest frame (\(maxPixels) pixels)")
        }
        guard size - i >= pixels else {
            throw PipelineError.invalidFrame("inpaint mask '\(path)' holds \(size - i) bytes for \(w)x\(h) pixels")
        }
        let data = try RegularFile.read(fd, count: pixels, from: i, path: path, what: "inpaint mask", opened: info)
        let scale = 255 / maxval
        return MissingMask(width: w, height: h, pixels: data.map { UInt8(min(255, Int($0) * scale)) })
    }
}
