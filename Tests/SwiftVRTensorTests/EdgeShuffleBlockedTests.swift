import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The backbone's two ends against the layer-by-layer evaluation they replace:
/// pixel_unshuffle, an NCHW 1×1 convolution and a transpose into blocks; a 1×1
/// convolution and pixel_shuffle out of blocks.
final class EdgeShuffleBlockedTests: XCTestCase {
    func testUnshuffleStemMatchesUnshuffleThenConvolution() {
        var random = SeededRandom(seed: 3)
        for (n, c, cout, h, w) in [(1, 4, 16, 12, 10), (2, 3, 8, 6, 14), (1, 8, 24, 4, 2)] {
            let conv = Conv2d(weight: random.tensor([cout, 4 * c, 1, 1]), bias: random.tensor([cout]))
            let x = random.tensor([n, c, h, w])
            let arena = Arena()
            let expected = ChannelBlocked.from(conv(ShapeOps.pixelUnshuffle(x, 2, arena: arena), arena: arena), arena: arena)
            let got = UnshuffleStemBlocked(conv)(x, arena: arena)
            XCTAssertEqual(got.shape, [n, cout / 8, h / 2, w / 2, 8])
            assertClose(got, expected, tolerance: 1e-5, "stem \(n)×\(c)×\(h)×\(w) → \(cout)")
        }
    }

    func testPointwiseShuffleToNCHWMatchesConvolutionThenShuffle() {
        var random = SeededRandom(seed: 4)
        for (n, cin, cout, h, w) in [(1, 16, 12, 5, 7), (2, 8, 4, 3, 2), (1, 24, 32, 2, 9)] {
            let conv = Conv2d(weight: random.tensor([cout, cin, 1, 1]), bias: random.tensor([cout]))
            let x = random.tensor([n, cin, h, w])
            let arena = Arena()
            let expected = ShapeOps.pixelShuffle(conv(x, arena: arena), 2, arena: arena)
            let got = PointwiseShuffleNCHW(conv)(ChannelBlocked.from(x, arena: arena), arena: arena)
            XCTAssertEqual(got.shape, [n, cout / 4, 2 * h, 2 * w])
            assertClose(got, expected, tolerance: 1e-5, "shuffle \(n)×\(cin)×\(h)×\(w) → \(cout / 4)")
        }
    }
}
