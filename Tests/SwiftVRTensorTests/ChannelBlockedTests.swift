@testable import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The channel-blocked layout and its kernels against the NCHW ops (themselves matched
/// to PyTorch by the op fixtures): pixel counts that leave short tiles, output blocks in
/// odd numbers, ReLU, residuals, strided outputs.
final class ChannelBlockedTests: XCTestCase {
    private var rng = SeededRandom()
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor { rng.tensor(shape, scale: scale) }

    /// The blocked 1×1 kernel against the NCHW convolution (itself matched to PyTorch),
    /// over pixel counts that leave short tiles and output blocks in odd numbers, with
    /// ReLU and with a residual.
    func testPointwiseBlockedMatchesConv() {
        for (cin, cout, pixels) in [(8, 8, 1), (16, 24, 7), (24, 40, 13), (64, 16, 6), (8, 32, 35)] {
            let conv = Conv2d(weight: random([cout, cin, 1, 1]), bias: random([cout]))
            let x = random([1, cin, 1, pixels]), r = random([1, cout, 1, pixels])
            let arena = Arena()
            let reference = conv(x, activation: .relu, arena: arena)
            addInPlace(reference, r)
            let (xb, rb) = (ChannelBlocked.from(x, arena: arena), ChannelBlocked.from(r, arena: arena))
            let yb = arena.tensor([1, cout / 8, 1, pixels, 8])
            PointwiseBlocked(conv)(x: xb.data, xStride: pixels * 8, pixels: pixels, y: yb.data, yStride: pixels * 8,
                                   relu: true, residual: rb.data, rStride: pixels * 8)
            assertClose(ChannelBlocked.toNCHW(yb, arena: arena), reference, tolerance: 1e-5, "\(cin)→\(cout) × \(pixels)")
        }
    }

    /// The gated 1×1 kernel (NAFNet's expand + simple gate in one pass) against the plain
    /// kernel followed by the gate: block k of the output is block k times block k + C/8,
    /// bit for bit (the same sums, the same product), over short tiles and 1–3 gate blocks.
    func testGatedPointwiseIsThePlainKernelThenTheGate() {
        for (cin, half, pixels) in [(8, 8, 1), (16, 16, 7), (32, 24, 13), (16, 8, 35)] {
            let conv = Conv2d(weight: random([2 * half, cin, 1, 1]), bias: random([2 * half]))
            let x = random([1, cin, 1, pixels])
            let arena = Arena()
            let xb = ChannelBlocked.from(x, arena: arena)
            let full = arena.tensor([1, 2 * half / 8, 1, pixels, 8]), gated = arena.tensor([1, half / 8, 1, pixels, 8])
            PointwiseBlocked(conv)(x: xb.data, xStride: pixels * 8, pixels: pixels, y: full.data, yStride: pixels * 8, relu: false)
            PointwiseBlocked(gating: conv.parameters)(x: xb.data, xStride: pixels * 8, pixels: pixels, y: gated.data,
                                                      yStride: pixels * 8, relu: false)
            let plane = pixels * 8
            var differing = 0
            for k in 0..<(half / 8) {
                for i in 0..<plane where gated.data[k * plane + i] != full.data[k * plane + i] * full.data[(k + half / 8) * plane + i] {
                    differing += 1
                }
            }
            XCTAssertEqual(differing, 0, "\(cin)→2·\(half) × \(pixels)")
        }
    }

    /// A linear layer's rows through the blocked kernel (widths multiples of 8) against
    /// plain sums, over row counts that leave short tiles, output blocks in odd numbers
    /// (24, 40) and the restorer's token shapes; other widths take SGEMM, also checked.
    func testLinearRowsMatchPlainSums() {
        for (cin, cout, rows) in [(48, 144, 1024), (96, 48, 37), (48, 256, 5), (24, 24, 7), (16, 40, 13), (8, 8, 1), (12, 20, 9)] {
            let linear = Linear(weight: random([cout, cin]), bias: random([cout]))
            XCTAssertEqual(linear.blocked != nil, cin % 8 == 0 && cout % 8 == 0)
            let x = random([rows, cin])
            let y = linear(x, arena: Arena())
            var worst: Float = 0
            for r in 0..<rows {
                for o in 0..<cout {
                    var sum = linear.bias!.data[o]
                    for i in 0..<cin { sum += x.data[r * cin + i] * linear.weight.data[o * cin + i] }
                    worst = max(worst, abs(y.data[r * cout + o] - sum))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "\(cin)→\(cout) × \(rows)")
        }
    }

    func testChannelBlockedRoundTrip() {
        let x = random([2, 24, 5, 7]), arena = Arena()
        let b = ChannelBlocked.from(x, arena: arena)
        XCTAssertEqual(b.shape, [2, 3, 5, 7, 8])
        XCTAssertEqual(b.data[(((1 * 3 + 2) * 5 + 4) * 7 + 6) * 8 + 5], x.data[((1 * 24 + 21) * 5 + 4) * 7 + 6])
        XCTAssertEqual(ChannelBlocked.toNCHW(b, arena: arena).array, x.array)
    }

    /// The whole-tensor form (pixels split across the pool) with a residual.
    func testPointwiseBlockedOverTensors() {
        for pool in [ThreadPool(threads: 1), ThreadPool(threads: 2)] {
            let conv = Conv2d(weight: random([24, 32, 1, 1]), bias: random([24]))
            let x = random([2, 32, 7, 9]), r = random([2, 24, 7, 9]), arena = Arena()
            let reference = conv(x, activation: .relu, arena: arena)
            addInPlace(reference, r)
            let y = PointwiseBlocked(conv)(ChannelBlocked.from(x, arena: arena), relu: true,
                                           residual: ChannelBlocked.from(r, arena: arena), arena: arena, pool: pool)
            assertClose(ChannelBlocked.toNCHW(y, arena: arena), reference, tolerance: 1e-5, "threads \(pool.threads)")
        }
    }

    /// The ×2 upsampling (kernel = stride = 2) and a ×3 one against ConvTranspose2d, with
    /// a folded-in bias, odd sizes, ReLU.
    func testConvTransposeBlockedMatchesConvTranspose() {
        for (cin, cout, k, h, w) in [(24, 24, 2, 5, 7), (8, 16, 3, 3, 4), (16, 8, 2, 1, 13)] {
            let layer = ConvTranspose2d(weight: random([cin, cout, k, k]), bias: random([cout]), stride: k)
            XCTAssertTrue(ConvTransposeBlocked.fits(layer))
            let x = random([2, cin, h, w]), arena = Arena()
            let reference = layer(x, activation: .relu, arena: arena)
            let y = ConvTransposeBlocked(layer)(ChannelBlocked.from(x, arena: arena), activation: .relu, arena: arena)
            XCTAssertEqual(y.shape, [2, cout / 8, k * h, k * w, 8])
            assertClose(ChannelBlocked.toNCHW(y, arena: arena), reference, tolerance: 1e-5, "\(cin)→\(cout) ×\(k) at \(h)×\(w)")
        }
        XCTAssertFalse(ConvTransposeBlocked.fits(ConvTranspose2d(weight: random([8, 8, 3, 3]), bias: nil, stride: 2)))
    }

    /// The 3×3 convolution through shifted views of a padded copy, against Conv2d's
    /// im2col, at odd sizes (1×1 and single rows included), stride 1 and 2, channel
    /// counts that are not multiples of 8 (padded), two images, ReLU, SiLU or none.
    func testConv3x3BlockedMatchesConv() {
        let cases: [(Int, Int, Int, Int, Int, Activation)] = [
            (24, 24, 1, 7, 9, .relu), (8, 16, 1, 1, 1, .none), (16, 8, 1, 1, 11, .relu), (8, 24, 1, 13, 2, .none),
            (32, 48, 2, 9, 12, .silu), (16, 32, 2, 1, 5, .silu), (12, 20, 1, 6, 5, .silu), (32, 12, 1, 4, 4, .none)]
        for (cin, cout, stride, h, w, act) in cases {
            let conv = Conv2d(weight: random([cout, cin, 3, 3]), bias: random([cout]), stride: stride, padding: 1)
            XCTAssertTrue(Conv3x3Blocked.fits(conv))
            let x = random([2, cin, h, w]), arena = Arena()
            let reference = conv(x, activation: act, arena: arena)
            let y = Conv3x3Blocked(conv)(ChannelBlocked.from(x, arena: arena), activation: act, arena: arena)
            assertClose(ChannelBlocked.toNCHW(y, channels: cout, arena: arena), reference, tolerance: 1e-5,
                        "\(cin)→\(cout) stride \(stride) at \(h)×\(w)")
        }
        XCTAssertFalse(Conv3x3Blocked.fits(Conv2d(weight: random([8, 8, 3, 3]), bias: nil, stride: 3, padding: 1)))
    }

    /// The network stem (a few input channels straight to the blocked layout) against
    /// Conv2d's im2col: RGB and gray, stride 1 and 2, odd and tiny sizes (pixels past a row
    /// end in the last tile), output blocks in fours and leftovers (40, and 20 padded to
    /// 24), two images, one and two threads, ReLU, SiLU or none.
    func testStemBlockedMatchesConv() {
        let cases: [(Int, Int, Int, Int, Int, Activation)] = [
            (3, 32, 2, 64, 96, .relu), (3, 32, 2, 7, 9, .relu), (3, 40, 1, 5, 8, .none), (1, 8, 2, 1, 1, .relu),
            (4, 20, 2, 6, 11, .silu), (3, 16, 1, 3, 2, .silu)]
        for pool in [ThreadPool(threads: 1), ThreadPool(threads: 2)] {
            for (cin, cout, stride, h, w, act) in cases {
                let conv = Conv2d(weight: random([cout, cin, 3, 3]), bias: random([cout]), stride: stride, padding: 1)
                XCTAssertTrue(StemBlocked.fits(conv))
                let x = random([2, cin, h, w], scale: 50), arena = Arena()
                let reference = conv(x, activation: act, arena: arena)
                let y = StemBlocked(conv)(x, activation: act, arena: arena, pool: pool)
                XCTAssertEqual(y.shape, [2, ChannelBlocked.blocks(cout), reference.dim(2), reference.dim(3), 8])
                assertClose(ChannelBlocked.toNCHW(y, channels: cout, arena: arena), reference, tolerance: 1e-5,
                            "\(cin)→\(cout) stride \(stride) at \(h)×\(w), \(pool.threads) threads")
                if cout % 8 != 0 {  // the padded lanes are zeros
                    let padded = ChannelBlocked.toNCHW(y, arena: arena)
                    let hw = reference.dim(2) * reference.dim(3)
                    XCTAssertTrue(padded.array[(cout * hw)..<(ChannelBlocked.blocks(cout) * 8 * hw)].allSatisfy { $0 == 0 })
                }
            }
        }
        XCTAssertFalse(StemBlocked.fits(Conv2d(weight: random([8, 8, 3, 3]), bias: nil, stride: 2, padding: 1)))
    }

    /// Partial last blocks are zero-padded one way and dropped the other.
    func testPaddedChannels() {
        let x = random([2, 12, 3, 5]), arena = Arena()
        let b = ChannelBlocked.from(x, arena: arena)
        XCTAssertEqual(b.shape, [2, 2, 3, 5, 8])
        XCTAssertEqual(b.data[(((1 * 2 + 1) * 3 + 2) * 5 + 4) * 8 + 3], x.data[((1 * 12 + 11) * 3 + 2) * 5 + 4])
        XCTAssertEqual(b.data[(((1 * 2 + 1) * 3 + 2) * 5 + 4) * 8 + 4], 0)
        XCTAssertEqual(ChannelBlocked.toNCHW(b, channels: 12, arena: arena).array, x.array)
    }

    /// A 1×1 layer whose widths are not multiples of 8 runs zero-padded: the real
    /// outputs match, the padded lanes are zeros.
    func testPointwiseBlockedPadsOtherWidths() {
        let conv = Conv2d(weight: random([20, 12, 1, 1]), bias: random([20]))
        let x = random([1, 12, 3, 7]), arena = Arena()
        let layer = PointwiseBlocked(conv)
        XCTAssertEqual([layer.inChannels, layer.outChannels], [16, 24])
        let y = layer(ChannelBlocked.from(x, arena: arena), relu: false, arena: arena)
        assertClose(ChannelBlocked.toNCHW(y, channels: 20, arena: arena), conv(x, arena: arena), tolerance: 1e-5, "12→20")
        XCTAssertEqual(ChannelBlocked.toNCHW(y, arena: arena).array[(20 * 21)..<(24 * 21)].max(), 0)
    }
}
