import SwiftVRTensor

/// Restores the aligned crops of one face track over one window, in place.
/// Crops are (3, R, R) planar RGB in 0…255, in presentation order; `masks`, when the
/// stream carries one (the alpha channel), are (1, R, R) with 1 where pixels are
/// missing; `strength` in 0…1 blends the restoration with the input. `ModelRestorer`
/// implements it with the restoration model.
public protocol FaceRestorer: AnyObject {
    /// `track` identifies the face, so a restorer may carry state from its previous window.
    func restore(track: UInt32, _ crops: [Tensor], masks: [Tensor]?, strength: Float) throws(PipelineError)
    /// Forgets state carried between windows (a flush, a seek, a new stream).
    func reset()
}
