/// Catmull-Rom cubic interpolation (Keys, a = −0.5): it passes through the samples,
/// so warping a face into its crop and back loses far less than bilinear does.
@inline(__always)
func cubicWeights(_ t: Float) -> SIMD4<Float> {
    let t2 = t * t, t3 = t2 * t
    return SIMD4((-t3 + 2 * t2 - t) * 0.5, (3 * t3 - 5 * t2 + 2) * 0.5, (-3 * t3 + 4 * t2 + t) * 0.5, (t3 - t2) * 0.5)
}

/// Pixel `index` of a packed image: four floats (R, G, B and a spare lane) per pixel.
@inline(__always)
func pixel4(_ p: UnsafeRawPointer, _ index: Int) -> SIMD4<Float> {
    p.loadUnaligned(fromByteOffset: index &* 16, as: SIMD4<Float>.self)
}

/// Samples a packed image (`pixel4`; rows `width` pixels apart) at index coordinates
/// (x, y), edges clamped. Packed, one tap is one vector load; where the 4×4 taps lie
/// inside the image (nearly every sample of a face) no index is clamped.
@inline(__always)
func bicubic(_ p: UnsafeRawPointer, width: Int, height: Int, _ x: Float, _ y: Float) -> SIMD4<Float> {
    let xc = min(max(x, 0), Float(width - 1)), yc = min(max(y, 0), Float(height - 1))
    let x0 = Int(xc), y0 = Int(yc)
    let wx = cubicWeights(xc - Float(x0)), wy = cubicWeights(yc - Float(y0))
    var out = SIMD4<Float>(repeating: 0)
    if x0 >= 1, y0 >= 1, x0 + 2 < width, y0 + 2 < height {
        // Two neighbouring taps per eight-lane load: a row is two multiply-adds, and the
        // halves are summed once at the end.
        let w01 = SIMD8(lowHalf: SIMD4(repeating: wx[0]), highHalf: SIMD4(repeating: wx[1]))
        let w23 = SIMD8(lowHalf: SIMD4(repeating: wx[2]), highHalf: SIMD4(repeating: wx[3]))
        var acc = SIMD8<Float>()
        var o = ((y0 - 1) * width + (x0 - 1)) &* 16
        for j in 0..<4 {
            let a = p.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let b = p.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self)
            acc += (a * w01 + b * w23) * wy[j]
            o &+= width &* 16
        }
        return acc.lowHalf + acc.highHalf
    }
    for j in 0..<4 {
        let r = min(max(y0 + j - 1, 0), height - 1) * width
        var row = SIMD4<Float>(repeating: 0)
        for i in 0..<4 { row += pixel4(p, r + min(max(x0 + i - 1, 0), width - 1)) * wx[i] }
        out += row * wy[j]
    }
    return out
}

/// Planar (3, pixels) → packed (pixels, 4), the spare lane 0.
func pack(_ planar: UnsafePointer<Float>, pixels: Int, into packed: UnsafeMutableRawPointer) {
    for o in 0..<pixels {
        packed.storeBytes(of: SIMD4(planar[o], planar[pixels + o], planar[2 * pixels + o], 0), toByteOffset: o &* 16, as: SIMD4<Float>.self)
    }
}
