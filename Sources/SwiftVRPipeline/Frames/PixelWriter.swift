extension FrameView {
    /// Sets one pixel to an R'G'B' colour (0…255). For 4:2:0 formats the chroma sample
    /// shared by the 2×2 block is set too. Out-of-frame coordinates are ignored.
    public func setPixel(_ x: Int, _ y: Int, _ c: SIMD3<Float>, colorimetry: Colorimetry) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        func byte(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        switch format {
        case .rgb, .rgba, .rgbx, .bgr, .bgra, .bgrx:
            let bpp = format.bytesPerPixel
            let p = planes[0].row(y) + x * bpp
            let bgr = format == .bgr || format == .bgra || format == .bgrx
            p[bgr ? 2 : 0] = byte(c.x); p[1] = byte(c.y); p[bgr ? 0 : 2] = byte(c.z)
        case .i420:
            let yuv = colorimetry.yuv(c)
            planes[0].row(y)[x] = byte(yuv.x)
            planes[1].row(y >> 1)[x >> 1] = byte(yuv.y)
            planes[2].row(y >> 1)[x >> 1] = byte(yuv.z)
        case .nv12:
            let yuv = colorimetry.yuv(c)
            planes[0].row(y)[x] = byte(yuv.x)
            let uv = planes[1].row(y >> 1) + (x >> 1) * 2
            uv[0] = byte(yuv.y); uv[1] = byte(yuv.z)
        }
    }
}
