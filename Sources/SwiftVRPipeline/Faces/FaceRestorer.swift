import SwiftVRTensor

/// Restores the aligned crops of one face track over one window, in place.
/// Crops are (3, R, R) planar RGB in 0…255, in presentation order; `masks`, when the
/// stream carries one (the alpha channel), are (1, R, R) with 1 where pixels are
/// missing; `settings.strength` in 0…1 blends the restoration with the input.
/// `ModelRestorer` implements it with the restoration model.
public protocol FaceRestorer: AnyObject {
    /// `track` identifies the face, so a restorer may carry state from its previous
    /// window (up to `settings.context` earlier frames). Returns where the time went.
    func restore(track: UInt32, _ crops: [Tensor], masks: [Tensor]?, settings: RestoreSettings) throws(PipelineError) -> RestoreTimings
    /// Forgets state carried between windows (a flush, a seek, a new stream).
    func reset()
    /// Forgets what it keeps for these faces: their tracks ended (the tracker's one
    /// end-of-track event; nothing per face is dropped any other way).
    func forget(tracks: [UInt32])
    /// Whether a frame's result depends only on it and earlier frames (a causal model):
    /// the element then restores every frame as it arrives, and the restorer keeps
    /// `settings.context` earlier frames of each face itself, instead of the element
    /// holding a window of later frames back.
    var isCausal: Bool { get }
}

extension FaceRestorer {
    public var isCausal: Bool { false }
}

/// Milliseconds one `restore` call spent per stage.
public struct RestoreTimings: Sendable {
    public var priors = 0.0, restoration = 0.0, decode = 0.0, smoothing = 0.0
    /// The model's output held a value that is not a finite number (weights that overflow):
    /// the face was left as it came in.
    public var passedThrough = false
    public init(priors: Double = 0, restoration: Double = 0, decode: Double = 0, smoothing: Double = 0) {
        (self.priors, self.restoration, self.decode, self.smoothing) = (priors, restoration, decode, smoothing)
    }
}
