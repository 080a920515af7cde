/// One plane of a mapped video frame: rows of `rowBytes` bytes, `stride` apart.
/// SAFETY: `row(y)` for 0 ≤ y < rows points at `rowBytes` valid bytes while the frame is
/// mapped; `FrameView.init` checks that the extents cover the frame, so stages that stay
/// inside the frame's width and height stay inside the plane.
public struct Plane {
    public let base: UnsafeMutablePointer<UInt8>
    public let stride: Int
    public let rowBytes: Int
    public let rows: Int

    public init(base: UnsafeMutablePointer<UInt8>, stride: Int, rowBytes: Int, rows: Int) {
        self.base = base
        self.stride = stride
        self.rowBytes = rowBytes
        self.rows = rows
    }

    @inlinable public func row(_ y: Int) -> UnsafeMutablePointer<UInt8> { base + y * stride }
}

/// A non-owning view of one video frame's pixels, valid while its owner keeps it mapped.
/// Strides and plane offsets come from the producer (GstVideoMeta in the element), so
/// padded and cropped layouts are read correctly.
public struct FrameView {
    public let format: PixelFormat
    public let width: Int
    public let height: Int
    public let planes: [Plane]

    /// Checks that the planes cover the frame, so later stages never read out of bounds.
    public init(format: PixelFormat, width: Int, height: Int, planes: [Plane]) throws(PipelineError) {
        guard width > 0, height > 0 else { throw .invalidFrame("frame size \(width)x\(height) is empty") }
        guard planes.count == format.planeCount else {
            throw .invalidFrame("\(format.rawValue) needs \(format.planeCount) planes, got \(planes.count)")
        }
        for (i, p) in planes.enumerated() {
            let need = format.planeExtent(i, width: width, height: height)
            guard p.rowBytes >= need.rowBytes, p.rows >= need.rows, abs(p.stride) >= need.rowBytes else {
                throw .invalidFrame("plane \(i) of a \(width)x\(height) \(format.rawValue) frame has stride \(p.stride) for \(need.rowBytes) bytes a row")
            }
        }
        self.format = format
        self.width = width
        self.height = height
        self.planes = planes
    }
}
