/// Reads one pixel of a frame as R'G'B' floats in 0…255. One conforming type per
/// memory layout, so loops over pixels are specialised per format instead of
/// switching per pixel.
public protocol PixelReader {
    func rgb(_ x: Int, _ y: Int) -> SIMD3<Float>
    /// The stored samples (R'G'B' or Y'CbCr) — linear in the pixel, so interpolating them
    /// and converting once (`toRGB`) equals converting each tap.
    func raw(_ x: Int, _ y: Int) -> SIMD3<Float>
    func toRGB(_ raw: SIMD3<Float>) -> SIMD3<Float>
}

public struct PackedReader: PixelReader {
    let plane: Plane
    let bpp: Int, r: Int, g: Int, b: Int

    @inline(__always)
    public func rgb(_ x: Int, _ y: Int) -> SIMD3<Float> {
        let p = plane.row(y) + x * bpp
        return SIMD3(Float(p[r]), Float(p[g]), Float(p[b]))
    }

    @inline(__always) public func raw(_ x: Int, _ y: Int) -> SIMD3<Float> { rgb(x, y) }
    @inline(__always) public func toRGB(_ raw: SIMD3<Float>) -> SIMD3<Float> { raw }
}

public struct I420Reader: PixelReader {
    let y: Plane, u: Plane, v: Plane
    let colorimetry: Colorimetry

    @inline(__always)
    public func rgb(_ x: Int, _ yy: Int) -> SIMD3<Float> { toRGB(raw(x, yy)) }

    @inline(__always)
    public func raw(_ x: Int, _ yy: Int) -> SIMD3<Float> {
        SIMD3(Float(y.row(yy)[x]), Float(u.row(yy >> 1)[x >> 1]), Float(v.row(yy >> 1)[x >> 1]))
    }

    @inline(__always)
    public func toRGB(_ s: SIMD3<Float>) -> SIMD3<Float> { colorimetry.rgb(y: s.x, u: s.y, v: s.z) }
}

public struct NV12Reader: PixelReader {
    let y: Plane, uv: Plane
    let colorimetry: Colorimetry

    @inline(__always)
    public func rgb(_ x: Int, _ yy: Int) -> SIMD3<Float> { toRGB(raw(x, yy)) }

    @inline(__always)
    public func raw(_ x: Int, _ yy: Int) -> SIMD3<Float> {
        let c = uv.row(yy >> 1) + (x >> 1) * 2
        return SIMD3(Float(y.row(yy)[x]), Float(c[0]), Float(c[1]))
    }

    @inline(__always)
    public func toRGB(_ s: SIMD3<Float>) -> SIMD3<Float> { colorimetry.rgb(y: s.x, u: s.y, v: s.z) }
}

/// The reader for a frame, as a closed set of concrete types: switching on it once
/// outside a pixel loop lets the compiler specialise the loop for each layout.
public enum FrameReader {
    case packed(PackedReader)
    case i420(I420Reader)
    case nv12(NV12Reader)
}

extension FrameView {
    public func reader(_ colorimetry: Colorimetry) -> FrameReader {
        switch format {
        case .rgb: return .packed(PackedReader(plane: planes[0], bpp: 3, r: 0, g: 1, b: 2))
        case .bgr: return .packed(PackedReader(plane: planes[0], bpp: 3, r: 2, g: 1, b: 0))
        case .rgba, .rgbx: return .packed(PackedReader(plane: planes[0], bpp: 4, r: 0, g: 1, b: 2))
        case .bgra, .bgrx: return .packed(PackedReader(plane: planes[0], bpp: 4, r: 2, g: 1, b: 0))
        case .i420: return .i420(I420Reader(y: planes[0], u: planes[1], v: planes[2], colorimetry: colorimetry))
        case .nv12: return .nv12(NV12Reader(y: planes[0], uv: planes[1], colorimetry: colorimetry))
        }
    }
}
