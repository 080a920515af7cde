/// Causal chunking of a stream into windows of up to `capacity` frames.
///
/// Frames go in one at a time; a full window comes out as soon as its last frame
/// arrives, so each frame waits for at most `capacity - 1` later ones. Partial
/// windows come out only through `drain()` (EOS, segment, caps change, discont).
/// Generic over the frame handle so the element can hold GstBuffers and the tests
/// plain integers.
public struct TemporalWindow<Frame> {
    public static var capacityRange: ClosedRange<Int> { 1...16 }

    public private(set) var capacity: Int
    private var frames: [Frame] = []

    public init(capacity: Int) {
        self.capacity = Self.clamp(capacity)
        frames.reserveCapacity(Self.capacityRange.upperBound)
    }

    public var count: Int { frames.count }
    public var isEmpty: Bool { frames.isEmpty }

    /// Adds a frame; returns the completed window when this frame fills it.
    public mutating func append(_ frame: Frame) -> [Frame]? {
        frames.append(frame)
        return frames.count >= capacity ? drain() : nil
    }

    /// Takes whatever is held, in arrival order, leaving the window empty.
    public mutating func drain() -> [Frame] {
        defer { frames.removeAll(keepingCapacity: true) }
        return frames
    }

    /// Changes the window length. When the frames already held reach the new length
    /// they are returned as a window, so shrinking never strands a frame.
    public mutating func setCapacity(_ newCapacity: Int) -> [Frame]? {
        capacity = Self.clamp(newCapacity)
        return frames.count >= capacity ? drain() : nil
    }

    private static func clamp(_ n: Int) -> Int { min(max(n, capacityRange.lowerBound), capacityRange.upperBound) }
}
