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

/// The whole NAF backbone blocked end to end (blocked space-to-depth and depth-to-space
/// around the 1×1 layers, skips kept blocked) against the layer-by-layer NCHW path.
final class NAFBackboneBlockedTests: XCTestCase {
    func testBlockedBackboneMatchesLayerByLayer() throws {
        let store = try WeightStore(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        let config = try RestorerConfig(json: try XCTUnwrap(store.metadata["config"]))
        let encoder = try NAFEncoder(store.root.pp("encoder"), config)
        let decoder = try NAFDecoder(store.root.pp("decoder"), config)
        XCTAssertNotNil(encoder.packed)
        XCTAssertNotNil(decoder.packed)
        var rng = SeededRandom(seed: 9)
        let x = rng.tensor([1, 4, 48, 40], scale: 0.5)
        let mods = rng.tensor([2 * config.channels.reduce(0, +)], scale: 0.3)
        let ch = config.channels
        let m = [UnsafePointer(mods.data), UnsafePointer(mods.data + 2 * ch[2]), UnsafePointer(mods.data + 2 * (ch[2] + ch[1]))]
        let arena = Arena()
        let (zr, skipsR) = encoder(x, arena: arena, reference: true)
        let (zb, skipsB) = encoder(x, arena: arena)
        assertClose(zb, zr, tolerance: 1e-5, "latent")
        for (b, r) in zip(skipsB, skipsR) {
            assertClose(ChannelBlocked.toNCHW(b, arena: arena), r, tolerance: 1e-5, "skip \(r.shape)")
        }
        let outR = decoder(zr, skips: skipsR, mods: m, arena: arena, reference: true)
        let outB = decoder(zb, skips: skipsB, mods: m, arena: arena)
        assertClose(outB, outR, tolerance: 1e-5, "decoder output")
    }
}
