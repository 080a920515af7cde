/// The raw video layouts swiftvr accepts, named as in GStreamer caps.
/// The element maps GStreamer's formats onto these; nothing here knows GStreamer.
public enum PixelFormat: String, CaseIterable, Sendable {
    case rgb = "RGB", bgr = "BGR"
    case rgba = "RGBA", bgra = "BGRA", rgbx = "RGBx", bgrx = "BGRx"
    case i420 = "I420", nv12 = "NV12"

    /// Number of memory planes.
    public var planeCount: Int {
        switch self {
        case .rgb, .bgr, .rgba, .bgra, .rgbx, .bgrx: return 1
        case .nv12: return 2
        case .i420: return 3
        }
    }

    /// Bytes per pixel of a packed format, per sample of a planar one.
    public var bytesPerPixel: Int {
        switch self {
        case .rgb, .bgr: return 3
        case .rgba, .bgra, .rgbx, .bgrx: return 4
        case .i420, .nv12: return 1
        }
    }

    /// Whether the fourth byte carries meaning (an inpainting mask, later).
    public var hasAlpha: Bool { self == .rgba || self == .bgra }

    /// Bytes of one row and number of rows of `plane` for a frame of `width`×`height`.
    /// Chroma planes round up, so odd sizes keep their last column and row.
    public func planeExtent(_ plane: Int, width: Int, height: Int) -> (rowBytes: Int, rows: Int) {
        let halfW = (width + 1) / 2, halfH = (height + 1) / 2
        switch (self, plane) {
        case (.i420, 0), (.nv12, 0): return (width, height)
        case (.i420, _): return (halfW, halfH)
        case (.nv12, _): return (halfW * 2, halfH)
        default: return (width * bytesPerPixel, height)
        }
    }
}
