@testable import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The banded, channel-blocked inverted residual against the same three layers run one
/// after another in NCHW (themselves matched to PyTorch by the op fixtures), on odd
/// sizes, both strides, with and without the residual and the expansion, with bands of
/// one row and of many, one thread and two; and the blocked kernels and layout alone.
final class InvertedResidualTests: XCTestCase {
    private var rng = SeededRandom()
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor { rng.tensor(shape, scale: scale) }

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
}
