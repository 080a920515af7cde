import SwiftVRModels
import SwiftVRTensor

/// `swiftvr-bench restore`: the restoration model on windows of T face crops.
/// Prints `swift R T ms_per_window ms_per_face_frame`, read by scripts/bench-restore.sh.
enum RestoreBench {
    static func run(modelPath: String, runs: Int) throws {
        let model = try Restorer(path: modelPath)
        for r in [128, 256] {
            for t in [1, 4] {
                let frames = Tensor(shape: [t, 3, r, r]), mask = Tensor(shape: [t, 1, r, r])
                for i in 0..<frames.count { frames.data[i] = Float(i % 251) / 251 }
                let m = measure(runs: runs) { _ = model(frames: frames, mask: mask, tasks: [1, 0, 0]) }
                print("swift \(r) \(t) \(fmt(m.median)) \(fmt(m.median / Double(t)))")
            }
        }
    }
}
