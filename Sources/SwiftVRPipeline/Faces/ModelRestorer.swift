import SwiftVRModels
import SwiftVRTensor

/// The restoration model as the face pipeline's `FaceRestorer`: a track's window of
/// crops (0…255) goes through the model in one pass and is blended back with `strength`.
public final class ModelRestorer: FaceRestorer {
    public let model: Restorer
    public var isCausal: Bool { model.config.causalTemporal }
    private let blend = TemporalBlend()
    /// This restorer's memory for the model's passes (the weights may be shared).
    private let state = Restorer.RunState()
    private let arena = Arena()
    /// Per face: the model's cache of its earlier frames, at the crop size it was made at.
    private var caches: [UInt32: (size: Int, cache: TemporalCache)] = [:]
    /// Faces whose state this restorer holds (the model's cache and the blend's frames).
    public var facesHeld: Int { max(caches.count, blend.facesHeld) }

    public init(model: Restorer) { self.model = model }

    public convenience init(path: String) throws(TensorError) {
        self.init(model: try Restorer(path: path))
    }

    public func restore(track: UInt32, _ crops: [Tensor], masks: [Tensor]?,
                        settings: RestoreSettings) throws(PipelineError) -> RestoreTimings {
        guard let first = crops.first else { return RestoreTimings() }
        let (tasks, strength, context) = (settings.tasks, settings.strength, settings.context)
        (blend.frames, blend.strength) = (context, settings.temporalSmoothing)
        let r = first.dim(-1)
        guard r % 8 == 0 else { throw .processingFailed("face-resolution \(r) is not a multiple of 8") }
        arena.reset()
        let t = crops.count, plane = 3 * r * r
        let frames = arena.tensor([t, 3, r, r])                  // (T, 3, R, R) in [0, 1]
        for (i, c) in crops.enumerated() {
            let dst = frames.data + i * plane
            for k in 0..<plane { dst[k] = c.data[k] / 255 }
        }
        let mask = arena.tensor([t, 1, r, r])                    // 1 = missing (inpaint task only)
        mask.data.initialize(repeating: 0, count: mask.count)
        if tasks.contains(.inpaint), let masks {
            for (i, m) in masks.enumerated() {
                (mask.data + i * r * r).update(from: m.data, count: r * r)
                // Missing pixels reach the model as zeros, as in training.
                let p = frames.data + i * plane
                for k in 0..<(r * r) where m.data[k] > 0.5 { (p[k], p[r * r + k], p[2 * r * r + k]) = (0, 0, 0) }
            }
        }
        if tasks.contains(.colorize) {                           // the model expects gray input
            for i in 0..<t {
                let p = frames.data + i * plane
                for k in 0..<(r * r) {
                    let y = 0.299 * p[k] + 0.587 * p[r * r + k] + 0.114 * p[2 * r * r + k]
                    (p[k], p[r * r + k], p[2 * r * r + k]) = (y, y, y)
                }
            }
        }
        // Each face's window attends to its previous window (causal chunk-wise streaming),
        // or, for a causal model, to the last `context` frames of the face; a cache made
        // at another crop size is not reused.
        let cache = caches[track].flatMap { $0.size == r ? $0.cache : nil }
        // The cached past features are moved onto this window's first crop by the shift the
        // temporal blend measures between it and the face's last crop.
        let t0 = Stopwatch.now()
        let measured = cache == nil || !model.config.pastFeatures ? nil : blend.shift(track: track, input: first)
        let measuring = Stopwatch.now() - t0
        let pass = model(frames: frames, mask: mask, tasks: tasks.flags, cache: cache,
                         context: isCausal ? context : nil, pastShift: measured?.shift, state: state)
        let out = pass.frames                                                 // (T, 3, R, R)
        if let next = pass.nextCache { caches[track] = (r, next) }
        let restored = arena.tensor([3, r, r])
        var timings = RestoreTimings(priors: pass.timings.priors, restoration: pass.timings.restoration,
                                     decode: pass.timings.decode)
        timings.smoothing = measuring
        for (i, c) in crops.enumerated() {
            let src = out.data + i * plane
            // A non-finite output (finite but extreme weights can overflow) leaves the face
            // as it came in; the caller hears of it.
            guard (0..<plane).allSatisfy({ src[$0].isFinite }) else {
                timings.passedThrough = true
                continue
            }
            for k in 0..<plane { restored.data[k] = min(max(src[k], 0), 1) * 255 }
            let t0 = Stopwatch.now()
            blend.apply(track: track, input: c, output: restored, measured: i == 0 ? measured : nil)
            timings.smoothing += Stopwatch.now() - t0
            for k in 0..<plane { c.data[k] += strength * (restored.data[k] - c.data[k]) }
        }
        return timings
    }

    public func reset() {
        caches.removeAll()
        blend.reset()
    }

    public func forget(tracks: [UInt32]) {
        for id in tracks { caches[id] = nil }
        blend.forget(tracks: tracks)
    }
}
