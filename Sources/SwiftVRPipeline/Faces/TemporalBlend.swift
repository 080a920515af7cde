import Glibc
import SwiftVRTensor

/// Motion-adaptive averaging of a face track's restored crops over its window, in the
/// aligned space: each restored crop becomes a weighted mean of itself and the restored
/// crops of the `frames` earlier frames of the same face, per pixel, weighted as
/// non-local means weighs patches: an earlier frame counts with `strength`·exp(−γ·max(0,
/// B/2σ² − 1)), where B is the 7×7 mean of the squared difference between the lumas of
/// the two *input* crops (the earlier one first moved onto this one by the shift that
/// matches them best) and 2σ² the level B has where only noise differs (from B's low
/// quantile).
///
/// Why: the tracker's alignment already registers a face's crops frame to frame, so
/// what differs between them where the face has not changed is noise, compression
/// blocks and the restorer's own frame-to-frame wobble — averaging removes it (the
/// learned temporal prior of the shipped weights does not yet, docs/EVAL.md). Where the
/// face really moved, blinked or spoke, or where the alignment slipped by a pixel on
/// fine texture, B rises above the noise level, the weight falls to nothing and the
/// frame keeps its own restoration: motion does not ghost and a clean face is not
/// blurred. With `frames` = 0 (window 1) or `strength` 0 the crop is left as it is.
/// SAFETY: the scratch is sized in `measure` for the crop's R (9 planes and each band's
/// rows, `Bands`) and carved into the planes named in `apply` and `blendBands`; history
/// tensors are (5, R, R) and are dropped when R changes, so no plane is read at another size.
public final class TemporalBlend {
    /// Earlier frames each crop is averaged with (the element's `window` − 1).
    public var frames = 3
    /// Weight of a matching earlier frame, 0 (off) … 1.
    public var strength: Float = 1
    /// How fast the weight falls as B rises above the noise level: e^−γ at twice it.
    public static let falloff: Float = 2
    /// The smallest noise level σ assumed (grey levels): below it any difference counts
    /// as change. Decoded video is never cleaner than this where the crops are compared:
    /// a compressed stream's skipped blocks repeat the last frame exactly, so B's low
    /// quantile reads nearly zero there, and a smaller floor took the codec's frame-to-frame
    /// changes for motion and averaged nothing (compressed faces flickered more than their
    /// input; docs/EVAL.md). On a clean face, differences under it are resampling only.
    public static let minimumNoise: Float = 2.5
    static let radius = 3  // the box is (2·radius + 1)²
    /// Where B's 10 % quantile lies, as a fraction of its mean, where only noise differs.
    /// B is then a mean of squares, a scaled χ² whose degrees of freedom are the box's
    /// independent samples. A video's noise is not white: compression, blur before the
    /// noise and the crop's upsampling correlate it over two or three pixels, so the 7×7
    /// box holds about 10 independent samples, not 49, and χ²₁₀'s 10 % quantile is 0.487 of
    /// its mean (χ²₄₉'s, 0.75, took correlated noise for change and averaged it too little:
    /// docs/EVAL.md).
    static let noiseQuantile: Float = 0.487

    /// Per track, its last `frames` frames, oldest first, each (5, R, R): the input's luma
    /// (channel mean), that luma 5×5-smoothed (for the shift search), the restoration; and
    /// each frame's shift from the frame before it (previous(p + shift) ≈ this(p)), so one
    /// search per frame finds every earlier frame's shift as a sum.
    /// Entries leave only through `forget(tracks:)` (the track ended) or `reset()`.
    private var history: [UInt32: (size: Int, frames: [Tensor], shifts: [(Float, Float)])] = [:]
    /// Scratch for one crop size, R² floats each: this frame's luma and smoothed luma, its
    /// gradients, the box mean B, the weight sums, 3·R² for this frame's own restoration;
    /// then each band's rows (`Bands`).
    var scratch = Tensor(shape: [0])
    /// Planes are moved, box-filtered and weighed on the pool's threads.
    let pool: ThreadPool

    public init(pool: ThreadPool = .shared) { self.pool = pool }

    /// Replaces `output` (3, R, R), the restoration of `input` (3, R, R), both 0…255, by
    /// its blend with the track's earlier restorations; then remembers this frame.
    /// `measured`: what `shift(track:input:)` returned for this same input, so nothing is
    /// measured twice.
    public func apply(track: UInt32, input: Tensor, output: Tensor, measured: MeasuredShift? = nil) {
        let r = input.dim(-1), plane = r * r
        // Window 1 or smoothing off: nothing to blend, nothing to keep (turned on again, a
        // face starts afresh).
        guard frames > 0 && strength > 0 else { history[track] = nil; return }
        // Taken out of the dictionary while it changes, so its arrays are not copied.
        var entry = history.removeValue(forKey: track) ?? (r, [], [])
        if entry.size != r { entry = (r, [], []) }  // a new crop size: nothing to align with
        // A shift measured on this crop by the last measurement: the scratch still holds its planes.
        let measured = measured.flatMap { $0.track == track && $0.measurement == measurements ? $0.shift : nil }
        let luma = measured == nil ? measure(input, gradients: !entry.frames.isEmpty) : scratch.data
        let smooth = luma + plane, gx = smooth + plane, gy = gx + plane
        let box = gy + plane, weights = box + plane, own = weights + plane
        let y = output.data
        own.update(from: y, count: 3 * plane)
        // The alignment leaves a face's crops a pixel or two apart from frame to frame:
        // find this frame's shift from the one before, and move each earlier frame onto
        // this one by the sum of the shifts between them before comparing.
        var ownShift: (Float, Float) = (0, 0)
        if let measured, !entry.frames.isEmpty {
            ownShift = measured
        } else if let newest = entry.frames.last {
            ownShift = Self.shift(of: UnsafePointer(newest.data) + plane, onto: smooth, gx, gy, size: r)
        }
        if !entry.frames.isEmpty {
            weights.initialize(repeating: 1, count: plane)
            var (dx, dy) = ownShift
            for n in stride(from: entry.frames.count - 1, through: 0, by: -1) {  // newest first
                if n < entry.frames.count - 1 { (dx, dy) = (dx + entry.shifts[n + 1].0, dy + entry.shifts[n + 1].1) }
                let move = Move(dx: dx, dy: dy, size: r)
                let earlier = UnsafePointer(entry.frames[n].data)
                blendBands(earlier, move: move, luma: luma, box: box, weights: weights, output: y, last: n == 0)
            }
        }
        // Remember this frame's lumas and its own restoration (the average is not fed back:
        // each frame blends with its window's frames, not with everything before them).
        let kept = entry.frames.count >= frames ? entry.frames.removeFirst() : Tensor(shape: [5, r, r])
        kept.data.update(from: luma, count: 2 * plane)
        (kept.data + 2 * plane).update(from: own, count: 3 * plane)
        if entry.shifts.count >= frames { entry.shifts.removeFirst() }
        entry.frames.append(kept)
        entry.shifts.append(ownShift)
        while entry.frames.count > frames { entry.frames.removeFirst(); entry.shifts.removeFirst() }
        history[track] = entry
    }

    /// A crop's shift from its track's newest kept crop, and which measurement of the
    /// scratch found it: `apply` on the same crop reuses the planes while no other
    /// measurement has replaced them.
    public struct MeasuredShift: Sendable {
        /// previous(p + shift) ≈ this(p), in crop pixels.
        public let shift: (Float, Float)
        let track: UInt32
        let measurement: Int
    }

    /// This crop's shift from the track's newest kept crop, measured before the crop is
    /// restored (the restorer moves its past features by it); pass it to the `apply` of the
    /// same crop. nil when this track keeps no frame at this crop size (window 1,
    /// smoothing off, a new face or crop size).
    public func shift(track: UInt32, input: Tensor) -> MeasuredShift? {
        let r = input.dim(-1), plane = r * r
        guard frames > 0 && strength > 0, let entry = history[track], entry.size == r,
              let newest = entry.frames.last else { return nil }
        let smooth = measure(input, gradients: true) + plane
        let shift = Self.shift(of: UnsafePointer(newest.data) + plane, onto: smooth, smooth + plane, smooth + 2 * plane, size: r)
        return MeasuredShift(shift: shift, track: track, measurement: measurements)
    }

    /// Measurements made into the scratch so far: names which crop's planes it holds.
    private var measurements = 0

    /// Sizes the scratch for `input`'s crop size and fills its first planes: the luma
    /// (channel mean), that luma 5×5-smoothed, and (when asked: only a shift search needs
    /// them) the smoothed luma's gradients. Returns the scratch (the luma plane first).
    private func measure(_ input: Tensor, gradients: Bool) -> UnsafeMutablePointer<Float> {
        let r = input.dim(-1), plane = r * r
        measurements &+= 1
        let bands = Bands(size: r, parts: pool.threads)
        let size = 9 * plane + bands.parts * bands.floats
        if scratch.count != size { scratch = Tensor(shape: [size]) }
        let luma = scratch.data, smooth = luma + plane, x = input.data
        for k in 0..<plane { luma[k] = (x[k] + x[plane + k] + x[2 * plane + k]) / 3 }
        pool.parallelFor(bands.parts) { part in
            Self.boxRows(bands.rows(part), radius: 2, size: r, source: { UnsafePointer(luma + $0 * r) },
                         sums: bands.sums(luma + 9 * plane, part: part), into: { smooth + $0 * r })
        }
        if gradients { Self.gradients(smooth, smooth + plane, smooth + 2 * plane, size: r) }
        return luma
    }

    public func reset() { history.removeAll() }

    /// Forgets the frames kept for these faces (their tracks ended).
    public func forget(tracks: [UInt32]) {
        for id in tracks { history[id] = nil }
    }

    /// Faces whose earlier frames are kept.
    public var facesHeld: Int { history.count }

    private var samples: [Float] = []
    /// The q-quantile of every 29th of x's n values (thousands at face sizes: enough for a level).
    func quantile(_ x: UnsafePointer<Float>, _ n: Int, _ q: Float) -> Float {
        samples.removeAll(keepingCapacity: true)
        for k in stride(from: 0, to: n, by: 29) { samples.append(x[k]) }
        let k = Int(Float(samples.count - 1) * q)
        samples.withUnsafeMutableBufferPointer { select(k, in: $0) }
        return samples[k]
    }
}

/// Puts the element that sorting would put at `k` there (Hoare's selection: expected
/// linear time, where sorting the samples was a sixth of the blend's time).
func select(_ k: Int, in a: UnsafeMutableBufferPointer<Float>) {
    var (lo, hi) = (0, a.count - 1)
    while lo < hi {
        let pivot = a[(lo + hi) / 2]
        var (i, j) = (lo, hi)
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return }
    }
}
