@testable import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The NAF block on the channel-blocked kernels (NAFBlocked: banded rows, a ring of
/// expanded rows, the channel mean summed per thread, then the pixelwise pass) against
/// the same block evaluated layer by layer in NCHW, with the random weights of the
/// restorer-naf fixture (every residual scale non-zero), at sizes that leave short bands
/// and short pixel chunks, on one and three threads.
final class NAFBlockedTests: XCTestCase {
    func testBlockedMatchesLayerByLayer() throws {
        let store = try WeightStore(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        var rng = SeededRandom(seed: 3)
        for (prefix, c) in [("encoder.level0.0", 16), ("encoder.level1.0", 32), ("decoder.level2.1", 64)] {
            let block = try NAFBlock(store.root.pp(prefix), channels: c)
            let packed = try XCTUnwrap(block.blocked)
            for (h, w) in [(1, 1), (3, 97), (40, 13), (64, 64)] {
                let x = rng.tensor([1, c, h, w])
                let arena = Arena()
                let reference = block(x, arena: arena)
                for threads in [1, 3] {
                    let y = packed(ChannelBlocked.from(x, arena: arena), arena: arena, pool: ThreadPool(threads: threads))
                    assertClose(ChannelBlocked.toNCHW(y, arena: arena), reference, tolerance: 1e-5, "\(prefix) \(h)×\(w), \(threads) threads")
                }
            }
        }
    }
}
