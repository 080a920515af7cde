/// e^x and erf(x) for eight floats at once (an AVX register), for the activations and the
/// attention softmax.
///
/// Why: libm's scalar `expf`/`erff`, called once per element, are a visible share of the
/// restorer's time in perf; these vector forms are several times faster and accurate to
/// a few units in the last place (exp) and 1.5e-7 absolute (erf), far inside the parity
/// tests' 1e-6 relative tolerance on the activations.

/// e^x: x = n·ln 2 + r with |r| ≤ ln 2 / 2; e^r from a degree-6 polynomial (the Cephes
/// `expf` coefficients), 2^n written straight into the exponent bits.
@inlinable @inline(__always)
public func expLanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamped by compare-and-blend: the standard library's pointwiseMin/Max on floats
    // compile to a generic NaN-aware call per vector here.
    let hi = SIMD8<Float>(repeating: 88.3), lo = SIMD8<Float>(repeating: -87.3)
    let x = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
    // Round x·log2(e) to an integer by adding and removing 1.5·2^23, where a float's unit
    // in the last place is 1 (rounding through the FPU, no per-lane library call); the
    // integer then sits in the low mantissa bits of the sum.
    let magic = SIMD8<Float>(repeating: 12582912)
    let shifted = x * 1.44269504088896341 + magic
    let n = shifted - magic
    let r = x - n * 0.693359375 + n * 2.12194440e-4        // ln 2 split in two: no rounding loss
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r * r + r + 1
    let k = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let bits = (k &+ 127) &<< 23
    return er * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// erf(x): Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), odd symmetry.
@inline(__always)
func erfLanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let a = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.3275911 * a)
    var p = SIMD8<Float>(repeating: 1.061405429)
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = 1 - p * t * expLanes(-(a * a))
    return y.replacing(with: -y, where: x .< 0)
}

/// Applies `f` to n floats in place, eight at a time (the tail through a padded vector).
@inline(__always)
func mapLanes(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var i = 0
    while i + 8 <= n {
        vstore(f(vload(p + i)), p + i)
        i += 8
    }
    if i < n {
        var v = SIMD8<Float>(repeating: 0)
        for j in 0..<(n - i) { v[j] = p[i + j] }
        let y = f(v)
        for j in 0..<(n - i) { p[i + j] = y[j] }
    }
}

/// p[i] = e^p[i] for n floats in place, eight at a time (`expLanes`).
public func expInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    mapLanes(p, n) { expLanes($0) }
}
