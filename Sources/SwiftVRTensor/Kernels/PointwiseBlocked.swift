/// A 1×1 convolution in the channel-blocked layout with its weights packed once:
/// y[o] = act(bias[o] + Σ_i W[o, i] · x[i]) (+ r[o]), per pixel.
///
/// The kernel holds a tile of 2 output blocks × 6 pixels in twelve AVX registers and
/// runs over the input channels with one weight load per block and one broadcast per
/// pixel: twelve multiply-adds for eight loads, nothing written until the tile is done.
/// At MobileNet's shapes (K = 16…960, a few thousand pixels) this beats OpenBLAS's SGEMM,
/// which packs both operands again on every call (`swiftvr-bench sgemm` compares them).
/// SAFETY: the input's block count is checked against `inChannels` (precondition); a
/// tile reads 6 pixels and the last, shorter tile only its own, so every pointer stays
/// within the input's H·W·8 floats per block and the output's, sized from it
/// (ChannelBlockedTests: pixel counts that are not multiples of 6).
public struct PointwiseBlocked: ConvKernel, Sendable {
    public typealias Vector = ChannelBlocked.Vector
    /// The layer's channel counts rounded up to multiples of 8: other counts are padded
    /// with zero weights (the extra outputs are zeros, the extra inputs are ignored).
    public let inChannels: Int, outChannels: Int
    /// (out/8, in, 8): for output block o and input channel i, the eight weights W[8o…8o+7, i]
    /// (gated: twice the blocks, each gate pair side by side).
    let packed: Tensor
    let bias: Tensor  // (out), zeros when the layer has none
    /// NAFNet's simple gate after the layer (`init(gating:)`): output block k is the
    /// product of the layer's blocks k and k + out/16, which are packed side by side.
    public let gated: Bool
    static let tilePixels = 6

    /// Any 1×1 convolution: other channel counts are padded to multiples of 8.
    public static func fits(_ conv: ConvParameters) -> Bool {
        conv.kernel == (1, 1) && conv.stride == 1 && conv.padding == 0 && conv.groups == 1
    }

    public init(_ conv: ConvParameters) {
        precondition(Self.fits(conv), "blocked pointwise: a 1×1 convolution")
        let (cin, cout) = (conv.inChannels, conv.outChannels)
        inChannels = ChannelBlocked.blocks(cin) * 8
        outChannels = ChannelBlocked.blocks(cout) * 8
        packed = Tensor(shape: [outChannels / 8, inChannels, 8])
        for o in 0..<cout {
            for i in 0..<cin { packed.data[((o / 8) * inChannels + i) * 8 + o % 8] = conv.weight.data[o * cin + i] }
        }
        bias = Tensor(shape: [outChannels])
        if let b = conv.bias { bias.data.update(from: b.data, count: cout) }
        gated = false
    }

    /// The layer over a whole blocked tensor (N, in/8, H, W, 8) → (N, out/8, H, W, 8) from
    /// the arena, pixels split across the pool; `residual` (same shape as the output) is
    /// added after the ReLU.
    public func callAsFunction(_ x: Tensor, relu: Bool, residual: Tensor? = nil, arena: Arena,
                               pool: ThreadPool = .shared) -> Tensor {
        let (n, h, w) = (x.dim(0), x.dim(2), x.dim(3))
        precondition(x.shape.count == 5 && x.dim(1) * 8 == inChannels, "blocked pointwise: input \(x.shape), layer wants \(inChannels) channels")
        let y = arena.tensor([n, outChannels / 8, h, w, 8])
        precondition(residual.map { $0.shape == y.shape } ?? true, "blocked pointwise: residual shape")
        let hw = h * w
        for b in 0..<n {
            let xb = x.data + b * inChannels * hw, yb = y.data + b * outChannels * hw
            let rb = residual.map { UnsafePointer($0.data + b * outChannels * hw) }
            pool.parallelRanges(hw, minimum: 64) { px in
                self(x: xb + px.lowerBound * 8, xStride: hw * 8, pixels: px.count, y: yb + px.lowerBound * 8,
                     yStride: hw * 8, relu: relu, residual: rb.map { $0 + px.lowerBound * 8 }, rStride: hw * 8)
            }
        }
        return y
    }

    /// Where a call reads and writes. Input block b of pixel 0 is at x + b·xStride, or at
    /// x + xBlocks[b] when a table is given (a 3×3 convolution's nine shifted views of
    /// a padded input, see Conv3x3Blocked); output block o at y + o·yStride, residual
    /// block o at r + o·rStride. Pixel p is xPixelStride·p floats further in x (16 for a
    /// stride-2 convolution), 8·p in r, yPixelStride·p in y.
    struct Operands {
        var x: UnsafePointer<Float>
        let xStride: Int, xBlocks: UnsafePointer<Int>?, xPixelStride: Int
        var y: UnsafeMutablePointer<Float>
        let yStride: Int, yPixelStride: Int
        let relu: Bool
        var r: UnsafePointer<Float>?
        let rStride: Int

        @inline(__always) func at(pixel p: Int) -> Operands {
            var t = self
            t.x += p * xPixelStride
            t.y += p * yPixelStride
            t.r = r.map { $0 + p * 8 }
            return t
        }

        @inline(__always) func input(block b: Int) -> UnsafePointer<Float> {
            if let xBlocks { return x + xBlocks[b] }
            return x + b * xStride
        }
    }

    /// `pixels` pixels of every output block. Block b of x starts at x + b·xStride, of y
    /// at y + b·yStride, of the residual (added after the activation, as MobileNet's
    /// skip is) at r + b·rStride; pixel p of a block is the eight floats at p·8 (in y at
    /// p·yPixelStride: 16 writes every other pixel of a row, as a ×2 upsampling does).
    public func callAsFunction(x: UnsafePointer<Float>, xStride: Int, pixels: Int,
                               y: UnsafeMutablePointer<Float>, yStride: Int, yPixelStride: Int = 8, relu: Bool,
                               residual r: UnsafePointer<Float>? = nil, rStride: Int = 0) {
        run(Operands(x: x, xStride: xStride, xBlocks: nil, xPixelStride: 8, y: y, yStride: yStride, yPixelStride: yPixelStride,
                     relu: relu, r: r, rStride: rStride), pixels: pixels)
    }

    /// Row-major rows as pixels (a linear layer's tokens): x (count, in), y (count, out),
    /// `inChannels` and `outChannels` floats a row, so both must be the layer's own
    /// multiples of 8 (`Linear` uses this only then). Input block b of row p is at
    /// x + p·in + 8b, output block o at y + p·out + 8o.
    public func rows(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
        run(Operands(x: x, xStride: 8, xBlocks: nil, xPixelStride: inChannels, y: y, yStride: 8,
                     yPixelStride: outChannels, relu: false, r: nil, rStride: 0), pixels: count)
    }

    func run(_ t: Operands, pixels: Int) {
        precondition(!gated || (!t.relu && t.r == nil), "gated pointwise: no activation or residual after the gate")
        let blocks = (gated ? 2 * outChannels : outChannels) / ChannelBlocked.width
        // Pixels in chunks whose inputs stay in L2 while every output block pair passes
        // over them; each pair's weights (in · 16 floats) stay in L1 across the chunk.
        let chunk = max(1, Self.chunkFloats / (inChannels * Self.tilePixels)) * Self.tilePixels
        var c0 = 0
        while c0 < pixels {
            let c1 = min(pixels, c0 + chunk)
            var o = 0
            if !gated && blocks % 2 == 1 && blocks >= 3 {
                // An odd count (24 channels): three blocks × 3 pixels first, the rest in pairs.
                var p = c0
                while p < c1 {
                    tile3(t.at(pixel: p), min(3, c1 - p))
                    p += 3
                }
                o = 3
            }
            while o < blocks {
                if o + 2 <= blocks { tilePair(o, t, c0, c1) } else { tileSingle(o, t, c0, c1) }
                o += 2
            }
            c0 = c1
        }
    }

    /// Input floats per pixel chunk: a quarter of a 512 KB L2.
    static let chunkFloats = 32 * 1024

    // Each tile shape is its own function, compiled on its own: inlined into one caller,
    // the compiler kept `two` as a runtime flag and spilled accumulators.
    @inline(never)
    private func tilePair(_ o: Int, _ t: Operands, _ start: Int, _ end: Int) { tiles(o, two: true, t, start, end) }

    @inline(never)
    private func tileSingle(_ o: Int, _ t: Operands, _ start: Int, _ end: Int) { tiles(o, two: false, t, start, end) }

    /// Output blocks `o` (and `o`+1 when `two`) for pixels start..<end, six at a time.
    /// One call runs a whole row of tiles: at K = 16 a tile is 192 multiply-adds, and a
    /// call per tile (its prologue, the bias, the offsets) cost a third of that.
    @inline(__always)
    private func tiles(_ o: Int, two: Bool, _ t: Operands, _ start: Int, _ end: Int) {
        let k = inChannels
        let wa = packed.data + o * k * 8, wb = two ? wa + k * 8 : wa
        let ba = load(bias.data + o * 8), bb = two ? load(bias.data + o * 8 + 8) : ba
        let xp = t.xPixelStride
        let (ya, yb) = (o * t.yStride, (o + 1) * t.yStride)
        let (ra, rb) = (o * t.rStride, (o + 1) * t.rStride)
        var p = start
        while p < end {
            let count = min(Self.tilePixels, end - p)
            let u = t.at(pixel: p)
            var (a0, a1, a2, a3, a4, a5) = (ba, ba, ba, ba, ba, ba)
            var (b0, b1, b2, b3, b4, b5) = (bb, bb, bb, bb, bb, bb)
            // Offsets of the six pixels; a short tile reads its last pixel again in the
            // unused lanes (no branch in the loop) and stores only `count` pixels.
            let last = count - 1
            let (q1, q2, q3) = (min(1, last) &* xp, min(2, last) &* xp, min(3, last) &* xp)
            let (q4, q5) = (min(4, last) &* xp, min(5, last) &* xp)
            // Pointers advanced once per input block and wrapping index arithmetic: with
            // checked `q + j` offsets the inner loop carried an overflow branch per pixel and
            // reloaded the offsets from the stack — a third of its instructions.
            var (pa, pb) = (wa, wb)
            var i = 0
            while i < k {
                let x0 = u.input(block: i &>> 3)
                let (x1, x2, x3, x4, x5) = (x0 + q1, x0 + q2, x0 + q3, x0 + q4, x0 + q5)
                for j in 0..<8 {
                    let va = load(pa + j &* 8)
                    if two {
                        let vb = load(pb + j &* 8)
                        var v = Vector(repeating: x0[j]); a0 = madd(a0, va, v); b0 = madd(b0, vb, v)
                        v = Vector(repeating: x1[j]); a1 = madd(a1, va, v); b1 = madd(b1, vb, v)
                        v = Vector(repeating: x2[j]); a2 = madd(a2, va, v); b2 = madd(b2, vb, v)
                        v = Vector(repeating: x3[j]); a3 = madd(a3, va, v); b3 = madd(b3, vb, v)
                        v = Vector(repeating: x4[j]); a4 = madd(a4, va, v); b4 = madd(b4, vb, v)
                        v = Vector(repeating: x5[j]); a5 = madd(a5, va, v); b5 = madd(b5, vb, v)
                    } else {
                        a0 = madd(a0, va, Vector(repeating: x0[j]))
                        a1 = madd(a1, va, Vector(repeating: x1[j]))
                        a2 = madd(a2, va, Vector(repeating: x2[j]))
                        a3 = madd(a3, va, Vector(repeating: x3[j]))
                        a4 = madd(a4, va, Vector(repeating: x4[j]))
                        a5 = madd(a5, va, Vector(repeating: x5[j]))
                    }
                }
                pa += 64
                pb += 64
                i &+= 8
            }
            if gated {
                let half = (a0 * b0, a1 * b1, a2 * b2, a3 * b3, a4 * b4, a5 * b5)   // first half × second half
                store(half, count, u, block: o / 2)
            } else if count == Self.tilePixels {
                // Straight from the registers: the loop over a short tile's pixels goes
                // through memory.
                let (y, yp, relu) = (u.y, u.yPixelStride, u.relu)
                @inline(__always) func put(_ v: Vector, _ q: Int, _ yo: Int, _ ro: Int) {
                    var out = v
                    if relu { out.replace(with: 0, where: out .< 0) }
                    if let r = u.r { out += load(r + (ro &+ q &* 8)) }
                    UnsafeMutableRawPointer(y + (yo &+ q &* yp)).storeBytes(of: out, as: Vector.self)
                }
                put(a0, 0, ya, ra); put(a1, 1, ya, ra); put(a2, 2, ya, ra)
                put(a3, 3, ya, ra); put(a4, 4, ya, ra); put(a5, 5, ya, ra)
                if two {
                    put(b0, 0, yb, rb); put(b1, 1, yb, rb); put(b2, 2, yb, rb)
                    put(b3, 3, yb, rb); put(b4, 4, yb, rb); put(b5, 5, yb, rb)
                }
            } else {
                store((a0, a1, a2, a3, a4, a5), count, u, block: o)
                if two { store((b0, b1, b2, b3, b4, b5), count, u, block: o + 1) }
            }
            p += Self.tilePixels
        }
    }

    /// Output blocks 0, 1, 2 for `count` ≤ 3 pixels: the tile for 24 output channels,
    /// where pairs would leave a single block whose tile loads as much as it multiplies.
    /// (Three blocks × 4 pixels needs all sixteen registers and spills: 4× slower.)
    @inline(never)
    private func tile3(_ t: Operands, _ count: Int) {
        let k = inChannels
        let (wa, wb, wc) = (packed.data, packed.data + k * 8, packed.data + 2 * k * 8)
        let (ba, bb, bc) = (load(bias.data), load(bias.data + 8), load(bias.data + 16))
        var (a0, a1, a2) = (ba, ba, ba)
        var (b0, b1, b2) = (bb, bb, bb)
        var (c0, c1, c2) = (bc, bc, bc)
        let (q1, q2) = (min(1, count - 1) * t.xPixelStride, min(2, count - 1) * t.xPixelStride)
        var (pa, pb, pc) = (wa, wb, wc)  // as in `tile`: pointers, wrapping offsets
        var i = 0
        while i < k {
            let x0 = t.input(block: i &>> 3)
            let (x1, x2) = (x0 + q1, x0 + q2)
            for j in 0..<8 {
                let (va, vb, vc) = (load(pa + j &* 8), load(pb + j &* 8), load(pc + j &* 8))
                var v = Vector(repeating: x0[j])
                a0 = madd(a0, va, v); b0 = madd(b0, vb, v); c0 = madd(c0, vc, v)
                v = Vector(repeating: x1[j])
                a1 = madd(a1, va, v); b1 = madd(b1, vb, v); c1 = madd(c1, vc, v)
                v = Vector(repeating: x2[j])
                a2 = madd(a2, va, v); b2 = madd(b2, vb, v); c2 = madd(c2, vc, v)
            }
            pa += 64
            pb += 64
            pc += 64
            i &+= 8
        }
        let z = Vector()
        store((a0, a1, a2, z, z, z), count, t, block: 0)
        store((b0, b1, b2, z, z, z), count, t, block: 1)
        store((c0, c1, c2, z, z, z), count, t, block: 2)
    }

    @inline(__always)
    private func store(_ acc: (Vector, Vector, Vector, Vector, Vector, Vector), _ count: Int, _ t: Operands, block o: Int) {
        let y = t.y + o * t.yStride, yp = t.yPixelStride, relu = t.relu, r = t.r.map { $0 + o * t.rStride }
        withUnsafeBytes(of: acc) { raw in
            let v = raw.bindMemory(to: Vector.self)
            for p in 0..<count {
                var out = v[p]
                if relu { out.replace(with: 0, where: out .< 0) }
                if let r { out += load(r + p * 8) }
                UnsafeMutableRawPointer(y + p * yp).storeBytes(of: out, as: Vector.self)
            }
        }
    }
}

@inline(__always)
func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(p)) }
