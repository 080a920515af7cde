import FuzzSupport
import Glibc
import SwiftVRModels
import SwiftVRPipeline

/// Frames of any format, size (1…96 a side), stride and plane layout, with any pixels,
/// through the face pipeline (the real detector, the tiny NAF restorer of the tests):
/// a frame whose planes cover it is processed, any other is a thrown error. The
/// processor lives across inputs, as it does across a stream's frames.
nonisolated(unsafe) var processor: FaceWindowProcessor!
nonisolated(unsafe) var settings = ProcessingSettings()

/// Made before the first input, so its models are not counted against one input's
/// allocations by libFuzzer's leak check.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let root = getenv("SWIFTVR_REPO").map { String(cString: $0) } ?? "."
    do {
        processor = FaceWindowProcessor(detector: try Detectors.load(path: root + "/models/centerface.safetensors"),
                                        restorer: try ModelRestorer(path: root + "/Tests/Fixtures/restorer-naf.safetensors"))
        settings.detector.inputLongSide = 64
        // Freed at exit: LeakSanitizer's final scan does not recognise a pointer that Swift
        // packs with an enum's tag bits (the restorer's `Backbone`), so a model still held
        // there would be reported as leaked.
        atexit { processor = nil }
    } catch {
        fatalError("fuzz-frame: run from the repository root (or set SWIFTVR_REPO): \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var r = ByteReader(data, size)
    let format = PixelFormat.allCases[Int(r.byte()) % PixelFormat.allCases.count]
    let width = r.int(1...96), height = r.int(1...96)
    settings.faceResolution = r.int(8...96)
    settings.detectEvery = r.int(1...3)
    settings.restore.strength = Float(r.byte()) / 255
    let colorimetry: Colorimetry = r.byte() % 2 == 0 ? .bt601 : .bt709
    // Each plane: its declared rows and row bytes (sometimes short of what the frame
    // needs: the view must refuse them), a stride with padding, maybe bottom-up.
    var layout: [(rowBytes: Int, rows: Int, stride: Int)] = []
    for i in 0..<format.planeCount {
        let need = format.planeExtent(i, width: width, height: height)
        let short = r.byte() % 16 == 0
        let rowBytes = short ? max(0, need.rowBytes - r.int(1...4)) : need.rowBytes
        let rows = short ? max(0, need.rows - r.int(0...2)) : need.rows
        let stride = (rowBytes + r.int(0...24)) * (r.byte() % 8 == 0 ? -1 : 1)
        layout.append((rowBytes, rows, stride))
    }
    let total = layout.reduce(0) { $0 + max(1, abs($1.stride) * $1.rows) }
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: total)
    defer { buffer.deallocate() }
    let pixels = r.rest
    for k in 0..<total { buffer[k] = pixels.isEmpty ? UInt8(truncatingIfNeeded: k) : pixels[k % pixels.count] }
    var offset = 0
    let planes = layout.map { p -> Plane in
        defer { offset += max(1, abs(p.stride) * p.rows) }
        let top = p.stride < 0 ? offset + abs(p.stride) * max(0, p.rows - 1) : offset
        return Plane(base: buffer + top, stride: p.stride, rowBytes: p.rowBytes, rows: p.rows)
    }
    guard let view = try? FrameView(format: format, width: width, height: height, planes: planes) else { return 0 }
    _ = try? processor.process([view], colorimetry: colorimetry, settings: settings)
    return 0
}
