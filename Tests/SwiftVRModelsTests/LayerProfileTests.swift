import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// `Restorer.profiledLayers`, which `swiftvr-bench layers` times: every layer of the
/// shipped model's causal pass is there once, runs on its own, and its FLOPs follow the
/// crop (the backbone's layers grow with the pixels).
final class LayerProfileTests: XCTestCase {
    func testEveryLayerOfTheShippedPassIsProfiledAndRuns() throws {
        let model = try Restorer(path: TestPaths.restorer)
        let c = model.config
        let small = model.profiledLayers(crop: 64), large = model.profiledLayers(crop: 128)
        XCTAssertEqual(Set(small.map(\.name)).count, small.count, "one row per layer")
        let naf = small.filter { $0.name.contains("NAF block") }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(naf, c.encBlocks.reduce(0, +) + c.decBlocks.reduce(0, +), "every NAF block counted")
        XCTAssertEqual(small.filter { $0.name.hasPrefix("fusion block") }.count, c.blocks)
        for layer in small {
            XCTAssertGreaterThan(layer.flops, 0, layer.name)
            XCTAssertGreaterThan(layer.bytes, 0, layer.name)
            layer.run()
        }
        for (a, b) in zip(small, large) where a.name.contains("NAF block") {
            XCTAssertEqual(b.flops / a.flops, 4, accuracy: 1e-9, "\(a.name): FLOPs per pixel")
        }
    }
}
