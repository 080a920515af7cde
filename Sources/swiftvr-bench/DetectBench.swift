import Glibc
import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor

/// `swiftvr-bench detect`: the Swift detector on RGB frames at three sizes.
/// Prints one line per size: `swift W H inputW inputH model_ms total_ms faces`, and one
/// for following those faces between whole-frame detections (`detect(around:)`):
/// `follow W H side side model_ms total_ms faces`, model_ms for one face's neighbourhood,
/// total_ms for all of them (total = resample + network + decode); and the network by
/// stage and by backbone block, best deciles: `stages W H inputW inputH stem backbone
/// head whole`, `block W H index ms gflops`. Read by scripts/bench-detect.sh.
func fmt(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return "\(r)"
}

enum DetectBench {
    static func run(modelPath: String, framesDir: String?, threads: Int, runs: Int) throws {
        _ = threads  // the pool reads $SWIFTVR_THREADS
        let detector = try CenterFaceDetector(modelPath: modelPath)
        var settings = DetectorSettings()
        settings.inputLongSide = 640
        for (w, h) in [(640, 360), (1280, 720), (1920, 1080)] {
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            if let dir = framesDir, let f = fopen("\(dir)/frame-\(w)x\(h).rgb", "rb") {
                _ = fread(&pixels, 1, pixels.count, f)
                fclose(f)
            } else {
                for i in 0..<pixels.count { pixels[i] = UInt8(truncatingIfNeeded: (i / 3) % w + i % 3 * 40) }
            }
            let g = CenterFaceDetector.inputGeometry(width: w, height: h, longSide: settings.inputLongSide)
            var faces: [FaceDetection] = [], followed = 0
            let (total, follow) = try pixels.withUnsafeMutableBufferPointer { buf in
                let view = try FrameView(format: .rgb, width: w, height: h,
                                         planes: [Plane(base: buf.baseAddress!, stride: w * 3, rowBytes: w * 3, rows: h)])
                var resamples: [Double] = []
                let total = measure(runs: runs) {
                    let found = detector.detect(view, colorimetry: .bt709, settings: settings)
                    faces = found.faces
                    resamples.append(found.resample)
                }
                print("prep \(w) \(h) \(fmt(bestDecile(resamples)))")
                let follow = measure(runs: runs) {
                    followed = detector.detect(around: faces, in: view, colorimetry: .bt709, settings: settings).faces.count
                }
                return (total, follow)
            }
            let blob = Tensor(shape: [1, 3, g.padded.h, g.padded.w])
            var stages: [(Double, Double, Double)] = [], blocks: [[Double]] = []
            let state = CenterFace.RunState()
            let model = measure(runs: runs) {
                let t = detector.model(blob, state: state).timings
                stages.append((t.stem, t.backbone, t.head))
                blocks.append(t.blocks)
            }
            print("swift \(w) \(h) \(g.padded.w) \(g.padded.h) \(fmt(model.median)) \(fmt(total.median)) \(faces.count)")
            // The network by stage, each stage's best decile (robust to the host's noise).
            print("stages \(w) \(h) \(g.padded.w) \(g.padded.h) \(fmt(bestDecile(stages.map(\.0)))) \(fmt(bestDecile(stages.map(\.1)))) \(fmt(bestDecile(stages.map(\.2)))) \(fmt(model.p10))")
            let flops = detector.model.blockFlops(height: g.padded.h, width: g.padded.w)
            for i in 0..<flops.count {
                let ms = bestDecile(blocks.map { $0[i] })
                print("block \(w) \(h) \(i + 1) \(fmt(ms)) \(fmt(flops[i] / (ms * 1e6)))")
            }
            let side = settings.neighbourhoodSide
            let small = Tensor(shape: [1, 3, side, side])
            let one = measure(runs: runs) { _ = detector.model(small, state: state) }
            print("follow \(w) \(h) \(side) \(side) \(fmt(one.median)) \(fmt(follow.median)) \(followed)")
        }
    }
}
