import Glibc

/// A face crop's scale and rotation, steadied over the face's frames.
///
/// The crop's transform is fitted to five smoothed landmarks each frame, and their
/// remaining jitter (a pixel or two on each point) turns into a scale change of about
/// 1 % and a turn of about 0.01 rad from one crop to the next: at a 256² crop's border
/// that is one or two pixels, which no translation undoes. The temporal blend then sees
/// every earlier crop as moved, weighs it to nothing and averages nothing, and the
/// restorer's strided layers see a new picture each frame and change it differently
/// (flicker). A real face turns and nears the camera slowly, so the scale and angle
/// follow the landmarks through an adaptive exponential filter: jitter is damped,
/// a real change is followed within a few frames, a jump at once. The crop's centre
/// stays where the landmarks put it (the blend measures translations itself).
public struct SteadyPose: Sendable, Equatable {
    /// log(frame→crop scale / crop side): the same pose at any crop size.
    var logScale: Float
    var angle: Float

    /// The share of a change followed at once; a change of `followedAt` (in log scale or
    /// radians) or more is followed whole. A head turning 0.35 rad/s at 24 FPS is followed
    /// about 0.06 rad behind, well inside the angles the restorer trained on (σ 0.1 rad).
    static let damping: Float = 0.05
    static let followedAt: Float = 0.3

    /// `raw` (frame → crop, `size` crop pixels) with its scale and rotation moved from
    /// `previous` toward its own, and the pose to pass on; `raw` itself (and its pose)
    /// for a face's first crop.
    public static func steadied(_ raw: SimilarityTransform, size: Int,
                                previous: SteadyPose?) -> (SimilarityTransform, SteadyPose) {
        let own = SteadyPose(logScale: logf(raw.scale / Float(size)), angle: atan2f(raw.b, raw.a))
        guard let previous, own.logScale.isFinite, own.angle.isFinite else { return (raw, own) }
        func follow(_ old: Float, _ new: Float) -> Float {
            let alpha = min(1, damping + (1 - damping) * abs(new - old) / followedAt)
            return old + alpha * (new - old)
        }
        // The angle's change on the short way round (atan2 wraps at ±π).
        var turn = own.angle - previous.angle
        if turn > .pi { turn -= 2 * .pi } else if turn < -.pi { turn += 2 * .pi }
        let pose = SteadyPose(logScale: follow(previous.logScale, own.logScale),
                              angle: previous.angle + follow(0, turn))
        let scale = expf(pose.logScale) * Float(size)
        let (a, b) = (scale * cosf(pose.angle), scale * sinf(pose.angle))
        // The crop's centre stays on the frame point the raw transform put there.
        let c = Float(size) / 2
        let centre = raw.inverse.apply(c, c)
        let steady = SimilarityTransform(a: a, b: b, tx: c - (a * centre.x - b * centre.y),
                                         ty: c - (b * centre.x + a * centre.y))
        return (steady, pose)
    }
}
