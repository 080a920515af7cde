/// A 3×3 depthwise convolution (padding 1, stride 1 or 2) in the channel-blocked
/// layout, weights packed once as (C/8, 9, 8): each output pixel of a block is nine
/// eight-wide multiply-adds, the image borders only drop taps.
/// SAFETY: `row` reads three input rows of w·8 floats (a shared zero row stands in above
/// and below the image) and drops the taps past either end of a row, writing ow·8
/// floats; callers size the rows from the input's shape (ChannelBlockedTests: widths 1…).
public struct DepthwiseBlocked: ConvKernel, Sendable {
    public typealias Vector = ChannelBlocked.Vector
    public let channels: Int, stride: Int
    let packed: Tensor  // (C/8, 9, 8): tap t = 3·ki + kj of channels 8b…8b+7
    let bias: Tensor    // (C), zeros when the layer has none

    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.isDepthwise && conv.kernel == (3, 3) && conv.padding == 1 && conv.dilation == 1
            && (conv.stride == 1 || conv.stride == 2) && ChannelBlocked.fits(conv.inChannels)
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked depthwise: a 3×3 depthwise convolution, padding 1, stride 1 or 2, channels a multiple of 8")
        channels = conv.inChannels
        stride = conv.stride
        packed = Tensor(shape: [channels / 8, 9, 8])
        for c in 0..<channels {
            for t in 0..<9 { packed.data[((c / 8) * 9 + t) * 8 + c % 8] = conv.weight.data[c * 9 + t] }
        }
        bias = conv.bias ?? Tensor(shape: [channels])
    }

    /// Output row `d` (ow pixels) of channel block `b` from input rows r0, r1, r2 (w
    /// pixels each; a row of zeros above or below the image).
    @inline(__always)
    public func row(block b: Int, _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
                    w: Int, ow: Int, into d: UnsafeMutablePointer<Float>, relu: Bool) {
        let k = packed.data + b * 72
        let (k0, k1, k2, k3, k4, k5) = (load(k), load(k + 8), load(k + 16), load(k + 24), load(k + 32), load(k + 40))
        let (k6, k7, k8) = (load(k + 48), load(k + 56), load(k + 64))
        let b0 = load(bias.data + b * 8)
        let s = stride
        // Pixel ox reads input columns ox·s − 1, ox·s, ox·s + 1; the outer two may fall off the row.
        @inline(__always) func pixel(_ ox: Int, left: Bool, right: Bool) {
            let c = ox &* s &* 8
            var acc = madd(madd(madd(b0, k1, load(r0 + c)), k4, load(r1 + c)), k7, load(r2 + c))
            if left { acc = madd(madd(madd(acc, k0, load(r0 + (c &- 8))), k3, load(r1 + (c &- 8))), k6, load(r2 + (c &- 8))) }
            if right { acc = madd(madd(madd(acc, k2, load(r0 + (c &+ 8))), k5, load(r1 + (c &+ 8))), k8, load(r2 + (c &+ 8))) }
            if relu { acc.replace(with: 0, where: acc .< 0) }
            UnsafeMutableRawPointer(d + ox &* 8).storeBytes(of: acc, as: Vector.self)
        }
        // Two interior pixels at once: their column windows overlap (four columns for six
        // taps per row at stride 1, five at stride 2), so each loaded column serves both,
        // and each pixel's three rows sum in separate chains rather than one of nine.
        @inline(__always) func pair(_ ox: Int) {
            let c = ox &* s &* 8, e = c &+ s &* 8  // the centre columns of the two pixels
            var p = madd(madd(madd(b0, k0, load(r0 + (c &- 8))), k1, load(r0 + c)), k2, load(r0 + (c &+ 8)))
            var q = madd(madd(madd(b0, k0, load(r0 + (e &- 8))), k1, load(r0 + e)), k2, load(r0 + (e &+ 8)))
            let p1 = madd(madd(k3 * load(r1 + (c &- 8)), k4, load(r1 + c)), k5, load(r1 + (c &+ 8)))
            let q1 = madd(madd(k3 * load(r1 + (e &- 8)), k4, load(r1 + e)), k5, load(r1 + (e &+ 8)))
            let p2 = madd(madd(k6 * load(r2 + (c &- 8)), k7, load(r2 + c)), k8, load(r2 + (c &+ 8)))
            let q2 = madd(madd(k6 * load(r2 + (e &- 8)), k7, load(r2 + e)), k8, load(r2 + (e &+ 8)))
            p += p1 + p2
            q += q1 + q2
            if relu { p.replace(with: 0, where: p .< 0); q.replace(with: 0, where: q .< 0) }
            UnsafeMutableRawPointer(d + ox &* 8).storeBytes(of: p, as: Vector.self)
            UnsafeMutableRawPointer(d + (ox &* 8 &+ 8)).storeBytes(of: q, as: Vector.self)
        }
        var ox = 0
        while ox < ow {
            let c = ox * s
            if c >= 1 && c + 1 < w {
                let end = min(ow, (w - 2) / s + 1)  // the pixels whose three columns all lie in the row
                while ox &+ 1 < end { pair(ox); ox &+= 2 }
                while ox < end { pixel(ox, left: true, right: true); ox += 1 }
            } else {
                pixel(ox, left: c >= 1, right: c + 1 < w)
                ox += 1
            }
        }
    }
}
