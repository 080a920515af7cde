import FuzzSupport
import SwiftVRModels
import SwiftVRTensor

/// Whole model files, restorer or detector: a file the loader accepts runs (one
/// window of two 16² frames, or one 32² detection); every other file is a thrown error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withInputFile(data, size) { path in
        if let model = try? Restorer(path: path) {
            let frames = Tensor(shape: [2, 3, 16, 16], values: (0..<(2 * 3 * 256)).map { Float($0 % 7) / 7 })
            let mask = Tensor(shape: [2, 1, 16, 16], values: [Float](repeating: 0, count: 2 * 256))
            let out = model(frames: frames, mask: mask, tasks: [1, 0, 0], cache: nil, context: nil, state: Restorer.RunState()).frames
            precondition(out.shape == [2, 3, 16, 16], "a loaded restorer returns its input's shape")
        }
        if let detector = try? CenterFace(path: path) {
            _ = detector(Tensor(shape: [1, 3, 32, 32], values: [Float](repeating: 0.5, count: 3 * 32 * 32)), state: CenterFace.RunState())
        }
    }
    return 0
}
