import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The banded, channel-blocked inverted residual against the same three layers run one
/// after another in NCHW (themselves matched to PyTorch by the op fixtures), on odd
/// sizes, both strides, with and without the residual and the expansion, with bands of
/// one row and of many, one thread and two; and the blocked kernels and layout alone.
final class InvertedResidualTests: XCTestCase {
    private var state: UInt64 = 0x9e37_79b9_7f4a_7c15
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            t.data[i] = (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
        }
        return t
    }

    private func block(cin: Int, hidden: Int, cout: Int, stride: Int) -> InvertedResidual {
        InvertedResidual(expand: cin == hidden ? nil : Conv2d(weight: random([hidden, cin, 1, 1], scale: 0.5), bias: random([hidden], scale: 0.2)),
                         depthwise: Conv2d(weight: random([hidden, 1, 3, 3], scale: 0.5), bias: random([hidden], scale: 0.2),
                                           stride: stride, padding: 1, groups: hidden),
                         project: Conv2d(weight: random([cout, hidden, 1, 1], scale: 0.3), bias: random([cout], scale: 0.2)))
    }

    func testBandsMatchLayerByLayer() {
        let cases = [(cin: 8, hidden: 48, cout: 8, stride: 1, h: 13, w: 17),
                     (cin: 8, hidden: 48, cout: 24, stride: 2, h: 13, w: 17),   // an odd number of output blocks
                     (cin: 16, hidden: 96, cout: 24, stride: 2, h: 32, w: 40),
                     (cin: 16, hidden: 96, cout: 16, stride: 1, h: 24, w: 40),
                     (cin: 8, hidden: 48, cout: 8, stride: 1, h: 1, w: 9),
                     (cin: 8, hidden: 48, cout: 16, stride: 2, h: 2, w: 2),
                     (cin: 8, hidden: 48, cout: 8, stride: 2, h: 1, w: 1),
                     (cin: 16, hidden: 16, cout: 8, stride: 1, h: 11, w: 19),   // no expansion
                     (cin: 16, hidden: 16, cout: 16, stride: 1, h: 11, w: 19),
                     (cin: 16, hidden: 16, cout: 8, stride: 2, h: 11, w: 19)]
        for pool in [ThreadPool(threads: 1), ThreadPool(threads: 2)] {
            for c in cases {
                var b = block(cin: c.cin, hidden: c.hidden, cout: c.cout, stride: c.stride)
                XCTAssertEqual(b.residual, c.stride == 1 && c.cin == c.cout)
                XCTAssertTrue(b.runsBlocked, "\(c)")
                let x = random([2, c.cin, c.h, c.w])
                let reference = b.layerByLayer(x, arena: Arena(), pool: pool)
                for budget in [1, 4096, 1 << 20] {  // one row per band, a few, the whole map
                    b.bandBudget = budget
                    let y = b(x, arena: Arena(), pool: pool)
                    assertClose(y, reference, tolerance: 1e-5, "\(c) budget \(budget) threads \(pool.threads)")
                }
            }
        }
    }

    /// Channels that are not multiples of 8 run the three layers in NCHW.
    func testOtherChannelCountsRunLayerByLayer() {
        let b = block(cin: 6, hidden: 36, cout: 10, stride: 2)
        XCTAssertFalse(b.runsBlocked)
        let x = random([1, 6, 9, 11])
        assertClose(b(x, arena: Arena()), b.layerByLayer(x, arena: Arena()), tolerance: 0, "fallback")
    }

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

    func testChannelBlockedRoundTrip() {
        let x = random([2, 24, 5, 7]), arena = Arena()
        let b = ChannelBlocked.from(x, arena: arena)
        XCTAssertEqual(b.shape, [2, 3, 5, 7, 8])
        XCTAssertEqual(b.data[(((1 * 3 + 2) * 5 + 4) * 7 + 6) * 8 + 5], x.data[((1 * 24 + 21) * 5 + 4) * 7 + 6])
        XCTAssertEqual(ChannelBlocked.toNCHW(b, arena: arena).array, x.array)
    }
}
