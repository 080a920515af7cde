/// Catmull-Rom cubic interpolation (Keys, a = −0.5): it passes through the samples,
/// so warping a face into its crop and back loses far less than bilinear does.
@inline(__always)
func cubicWeights(_ t: Float) -> SIMD4<Float> {
    let t2 = t * t, t3 = t2 * t
    return SIMD4((-t3 + 2 * t2 - t) * 0.5, (3 * t3 - 5 * t2 + 2) * 0.5, (-3 * t3 + 4 * t2 + t) * 0.5, (t3 - t2) * 0.5)
}

/// Samples `at(x, y)` (integer pixel fetch, 0..<width, 0..<height) at index coordinates
/// (x, y) with edge clamping.
@inline(__always)
func bicubic(width: Int, height: Int, _ x: Float, _ y: Float, _ at: (Int, Int) -> SIMD3<Float>) -> SIMD3<Float> {
    let xc = min(max(x, 0), Float(width - 1)), yc = min(max(y, 0), Float(height - 1))
    let x0 = Int(xc), y0 = Int(yc)
    let wx = cubicWeights(xc - Float(x0)), wy = cubicWeights(yc - Float(y0))
    var out = SIMD3<Float>(repeating: 0)
    for j in 0..<4 {
        let yy = min(max(y0 + j - 1, 0), height - 1)
        var row = SIMD3<Float>(repeating: 0)
        for i in 0..<4 {
            row += at(min(max(x0 + i - 1, 0), width - 1), yy) * wx[i]
        }
        out += row * wy[j]
    }
    return out
}
