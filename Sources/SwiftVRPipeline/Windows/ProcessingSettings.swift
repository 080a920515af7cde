import SwiftVRModels

/// Which restoration tasks to run, in one pass (SVFR's task ids 0, 1, 2).
public struct RestorationTasks: OptionSet, Sendable, Equatable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let restore = RestorationTasks(rawValue: 1)
    public static let colorize = RestorationTasks(rawValue: 2)
    public static let inpaint = RestorationTasks(rawValue: 4)

    /// The model's task-conditioning input: one flag per task.
    public var flags: [Float] { [contains(.restore) ? 1 : 0, contains(.colorize) ? 1 : 0, contains(.inpaint) ? 1 : 0] }
}

/// How a face's crops are restored: the restorer's part of `ProcessingSettings`.
public struct RestoreSettings: Sendable, Equatable {
    /// Blend of the input (0) and the full restoration (1); at 0 nothing is written.
    public var strength: Float = 1
    public var tasks: RestorationTasks = [.restore]
    /// Weight of the temporal blend with the face's earlier restorations, 0 (off) … 1.
    public var temporalSmoothing: Float = 1
    /// Frames in each face's temporal window (the element's `window`): the frame itself
    /// and `context` earlier ones.
    public var window = 4
    /// Earlier frames kept per face: a causal model's context and the frames the temporal
    /// blend averages with.
    public var context: Int { window - 1 }
    public init() {}
}

/// How one window is processed: every setting that reaches the face pipeline, in one
/// value passed into `WindowProcessor.process` (there is no other route). The defaults
/// are the element's property defaults.
public struct ProcessingSettings: Sendable {
    public var restore = RestoreSettings()
    public var detector = DetectorSettings()
    /// Run the detector on the whole frame every n-th frame; in between, tracked faces
    /// are followed (`followTracks`) or coast at their last velocity.
    public var detectEvery = 5
    /// Between full detections, detect each tracked face again in a small neighbourhood
    /// of its predicted position (cheap, and as precise as a full detection).
    public var followTracks = true
    /// Frames a track survives without a matching detection.
    public var maxMissed = 5
    public var drawFaces = false
    /// Side of the aligned square crops handed to the restorer (the largest, with
    /// `adaptiveResolution`); `largestCrop` is the size used.
    public var faceResolution = 256
    /// Crops only as large as the face needs, so small faces cost less: twice its box
    /// side. The FFHQ template's crop spans about twice the face box, so the crop then
    /// samples the face at the frame's own density: larger crops only interpolate, and
    /// since only the restorer's change is pasted back, the frame's own detail stays.
    public var adaptiveResolution = true
    /// Missing pixels in frame coordinates (`inpaint-mask`); alpha is used when nil.
    public var inpaintMask: MissingMask?

    public init() {}

    /// `faceResolution` as the restorer takes it: a multiple of 8, at least 64.
    public var largestCrop: Int { max(64, faceResolution / 8 * 8) }
}
