import SwiftVRModels
import SwiftVRTensor

/// `swiftvr-bench layers`: the restorer's causal pass at crop R, layer by layer
/// (`Restorer.profiledLayers`), each layer timed on its own at its best decile, beside
/// the whole pass and square-512 SGEMM measured in the same run. Prints a Markdown table:
/// FLOPs, the bytes a layer must move at least and their ratio, ms, GFLOP/s, the share of
/// SGEMM's rate, and the share of the layers' summed time. `--only TEXT` keeps the layers
/// whose names contain TEXT (to profile one under perf).
enum LayerBench {
    static func run(modelPath: String, runs: Int, crop r: Int, only: String? = nil) throws {
        let model = try Restorer(path: modelPath)
        let layers = model.profiledLayers(crop: r).filter { only.map($0.name.contains) ?? true }
        guard !layers.isEmpty else {
            printError("swiftvr-bench layers: '\(modelPath)' does not run the blocked NAF backbone; nothing to profile")
            return
        }
        let sgemm = SgemmBench.rate(m: 512, n: 512, k: 512, runs: runs).0
        let state = Restorer.RunState()
        let frame = Tensor(shape: [1, 3, r, r]), mask = Tensor(shape: [1, 1, r, r])
        for i in 0..<frame.count { frame.data[i] = Float(i % 251) / 251 }
        var cache: TemporalCache?
        let pass = measure(runs: only == nil ? runs * 2 : 1) {
            cache = model(frames: frame, mask: mask, tasks: [1, 0, 0], cache: cache, context: 3, state: state).nextCache
        }
        let timed = layers.map { layer in (layer, measure(runs: runs) { layer.run() }.p10) }
        let sum = timed.reduce(0) { $0 + Double($1.0.count) * $1.1 }
        let flops = layers.reduce(0) { $0 + Double($1.count) * $1.flops }
        print("Crop \(r)², one frame per call with 3 cached frames; SGEMM (square 512, same run): \(fmt(sgemm)) GFLOP/s.")
        print("Whole pass: \(fmt(pass.p10)) ms at its best decile (median \(fmt(pass.median))); layers timed on their own sum to \(fmt(sum)) ms.")
        print("Model: \(fmt(flops / 1e9)) GFLOP per face-frame counted here; at the whole pass's best decile \(fmt(flops / (pass.p10 * 1e6))) GFLOP/s = \(Int((100 * flops / (pass.p10 * 1e6) / sgemm).rounded())) % of SGEMM.")
        print("")
        print("| layer | × | MFLOP | KB moved | FLOP/byte | ms | GFLOP/s | of SGEMM | of the time |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (layer, ms) in timed {
            let rate = layer.flops / (ms * 1e6)
            print("| \(layer.name) | \(layer.count) | \(fmt(layer.flops / 1e6)) | \(fmt(layer.bytes / 1024)) | \(fmt(layer.flops / layer.bytes)) | "
                  + "\(fmt(ms)) | \(fmt(rate)) | \(Int((100 * rate / sgemm).rounded())) % | \(Int((100 * Double(layer.count) * ms / sum).rounded())) % |")
        }
    }
}
