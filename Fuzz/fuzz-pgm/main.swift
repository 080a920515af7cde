import FuzzSupport
import SwiftVRPipeline

/// The `inpaint-mask` reader: any file gives a mask or a thrown error; a mask answers
/// for any frame size.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withInputFile(data, size) { path in
        guard let mask = try? MissingMask.load(pgm: path) else { return }
        for (w, h) in [(1, 1), (7, 3), (1920, 1080)] {
            _ = mask.isMissing(0, 0, frameWidth: w, frameHeight: h)
            _ = mask.isMissing(w - 1, h - 1, frameWidth: w, frameHeight: h)
        }
    }
    return 0
}
