import SwiftVRTensor

/// Restores the aligned crops of one face track over one window, in place.
/// Crops are (3, R, R) planar RGB in 0…255, in presentation order; `strength` in
/// 0…1 blends the restoration with the input. The restoration model (issue #4)
/// implements this; until then the element runs without one and leaves faces as
/// they are.
public protocol FaceRestorer: AnyObject {
    func restore(_ crops: [Tensor], strength: Float) throws(PipelineError)
    /// Forgets state carried between windows (a flush, a seek, a new stream).
    func reset()
}
