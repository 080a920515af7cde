import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The configuration's defaults describe what ships: the shipped file's config, read,
/// equals `RestorerConfig()` (and training's DEFAULT_CONFIG wrote that file).
final class RestorerConfigTests: XCTestCase {
    func testDefaultsAreTheShippedModel() throws {
        let store = try WeightStore(path: TestPaths.restorer)
        let json = try XCTUnwrap(store.metadata["config"], "the shipped file has a config")
        XCTAssertEqual(try RestorerConfig(json: json), RestorerConfig())
    }
}
