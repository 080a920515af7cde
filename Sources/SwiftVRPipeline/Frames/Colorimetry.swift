/// How Y'CbCr samples map to R'G'B' (ITU-R BT.601 or BT.709 coefficients, limited or
/// full range). The element reads it from the caps' colorimetry; RGB formats ignore it.
public struct Colorimetry: Sendable, Equatable {
    public var kr: Float, kb: Float
    public var fullRange: Bool

    public static let bt601 = Colorimetry(kr: 0.299, kb: 0.114, fullRange: false)
    public static let bt709 = Colorimetry(kr: 0.2126, kb: 0.0722, fullRange: false)

    public init(kr: Float, kb: Float, fullRange: Bool) {
        (self.kr, self.kb, self.fullRange) = (kr, kb, fullRange)
    }

    /// GStreamer's default when caps say nothing: BT.709 for HD sizes, BT.601 below.
    public static func defaultFor(width: Int, height: Int) -> Colorimetry {
        height >= 720 || width >= 1280 ? .bt709 : .bt601
    }

    /// R'G'B' in 0…255 from 8-bit Y', Cb, Cr.
    @inline(__always)
    public func rgb(y: Float, u: Float, v: Float) -> SIMD3<Float> {
        let kg = 1 - kr - kb
        let (yy, cb, cr): (Float, Float, Float) = fullRange
            ? (y, u - 128, v - 128)
            : ((y - 16) * (255 / 219), (u - 128) * (255 / 224), (v - 128) * (255 / 224))
        let r = yy + 2 * (1 - kr) * cr
        let b = yy + 2 * (1 - kb) * cb
        let g = yy - (2 * kb * (1 - kb) * cb + 2 * kr * (1 - kr) * cr) / kg
        return SIMD3(r, g, b)
    }

    /// 8-bit-scale Y', Cb, Cr (unrounded) from R'G'B' in 0…255; the inverse of `rgb`.
    @inline(__always)
    public func yuv(_ c: SIMD3<Float>) -> SIMD3<Float> {
        let kg = 1 - kr - kb
        let y = kr * c.x + kg * c.y + kb * c.z
        let cb = (c.z - y) / (2 * (1 - kb))
        let cr = (c.x - y) / (2 * (1 - kr))
        return fullRange
            ? SIMD3(y, cb + 128, cr + 128)
            : SIMD3(y * (219 / 255) + 16, cb * (224 / 255) + 128, cr * (224 / 255) + 128)
    }
}
