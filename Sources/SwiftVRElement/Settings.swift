import CGStreamer
import SwiftVRPipeline

/// What the application sets; read under a lock by the streaming thread. Each field is
/// one property (`Properties.table`). What reaches the face pipeline is the pipeline's own
/// settings value, so each property has one field and one default.
struct Settings {
    /// Every setting the face pipeline reads: passed whole into `process`.
    var processing = ProcessingSettings()
    var postMessages = true
    /// nil: the shipped model found beside the plugin (see ModelLocator).
    var detectorModel: String?
    /// nil: the shipped restoration model if one is installed, else no restoration.
    var restorationModel: String?
    /// The file `processing.inpaintMask` was read from.
    var inpaintMaskPath: String?
    /// Why `inpaintMaskPath` could not be read: posted as a WARNING when the element
    /// starts (a property set before the element is in a pipeline has no bus to post to).
    var inpaintMaskError: String?
    /// Frames in each face's temporal window (the `window` property).
    var window: Int { processing.restore.window }
}
