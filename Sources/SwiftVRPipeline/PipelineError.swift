/// Errors raised by the pure-Swift stages. The element turns each into a bus ERROR
/// and a GST_FLOW_ERROR; nothing here may trap on stream data.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// A frame whose layout does not match its declared format and size.
    case invalidFrame(String)
    /// A processing stage failed on valid input.
    case processingFailed(String)

    public var description: String {
        switch self {
        case .invalidFrame(let why): return "invalid frame: \(why)"
        case .processingFailed(let why): return "processing failed: \(why)"
        }
    }
}
