import Glibc
import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor

/// `swiftvr-bench restore`: the restoration model on windows of T face crops.
/// Prints `swift R T ms_per_window ms_per_face_frame`, read by scripts/bench-restore.sh;
/// `stream R median p10 priors restore decode` for one frame per call with three earlier
/// frames as context (the element's causal mode), stages as best deciles;
/// and `blend R ms_per_face_frame`: the element's temporal blend (TemporalBlend) with
/// three earlier frames, on crops that differ by noise and a sub-pixel drift.
enum RestoreBench {
    static func run(modelPath: String, runs: Int, crops: [Int] = [128, 256]) throws {
        let model = try Restorer(path: modelPath)
        let state = Restorer.RunState()
        for r in crops {
            for t in [1, 4] {
                let frames = Tensor(shape: [t, 3, r, r]), mask = Tensor(shape: [t, 1, r, r])
                for i in 0..<frames.count { frames.data[i] = Float(i % 251) / 251 }
                let m = measure(runs: runs) { _ = model(frames: frames, mask: mask, tasks: [1, 0, 0], state: state) }
                print("swift \(r) \(t) \(fmt(m.median)) \(fmt(m.median / Double(t)))")
            }
            // As the element runs a causal model: one frame per call, the face's three
            // earlier frames as context through the cache; stages as best deciles.
            let frame = Tensor(shape: [1, 3, r, r]), mask = Tensor(shape: [1, 1, r, r])
            for i in 0..<frame.count { frame.data[i] = Float(i % 251) / 251 }
            var cache: TemporalCache? = nil
            var stages: [(Double, Double, Double)] = []
            let m = measure(runs: runs * 2) {
                let pass = model(frames: frame, mask: mask, tasks: [1, 0, 0], cache: cache, context: 3, state: state)
                cache = pass.nextCache
                stages.append((pass.timings.priors, pass.timings.restoration, pass.timings.decode))
            }
            let stage = { (i: Int) in fmt(bestDecile(stages.map { [$0.0, $0.1, $0.2][i] })) }
            print("stream \(r) \(fmt(m.median)) \(fmt(m.p10)) \(stage(0)) \(stage(1)) \(stage(2))")
        }
        blend(runs: runs, crops: crops)
    }

    /// `blend R ms_per_face_frame` for each crop size (also `swiftvr-bench blend`).
    static func blend(runs: Int, crops: [Int]) {
        for r in crops {
            let blend = TemporalBlend()
            let crops = (0..<4).map { f in
                let t = Tensor(shape: [3, r, r])
                for i in 0..<t.count {
                    let x = Float(i % r) + 0.3 * Float(f), y = Float((i / r) % r)
                    let wave: Float = 60 * sinf(x * 0.11) * cosf(y * 0.07)
                    let noise = Float((i &* 2_654_435_761 &+ f) % 17) - 8
                    t.data[i] = 128 + wave + noise
                }
                return t
            }
            let output = Tensor(shape: [3, r, r])
            var f = 0
            let m = measure(runs: runs * 4) {
                output.data.update(from: crops[f % 4].data, count: output.count)
                blend.apply(track: 1, input: crops[f % 4], output: output)
                f += 1
            }
            print("blend \(r) \(fmt(m.median))")
        }
    }
}
