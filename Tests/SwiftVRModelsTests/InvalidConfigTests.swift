import Foundation
import Glibc
import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Restoration model files whose weights agree with their configuration but whose
/// configuration breaks a rule the model relies on (Tests/Fixtures/invalid/, made by
/// training/fixtures/make_invalid_restorers.py): each fails to load, with an error
/// naming the key; none loads to trap on the first face.
final class InvalidConfigTests: XCTestCase {
    func testEveryInvalidConfigurationFailsToLoadNamingItsKey() throws {
        let dir = TestPaths.fixtures + "/invalid"
        let names = try XCTUnwrap(try? listSafetensors(dir))
        XCTAssertGreaterThanOrEqual(names.count, 6)
        for name in names {
            let path = dir + "/" + name
            let key = try XCTUnwrap(try SafetensorsFile(path: path).metadata["expected_key"], name)
            XCTAssertThrowsError(try Restorer(path: path), name) { error in
                XCTAssertTrue("\(error)".contains("config.\(key)"), "\(name): '\(error)' should name config.\(key)")
            }
        }
    }

    /// Config arrays holding a non-number are refused naming the key (the junk was dropped
    /// and the rest loaded); malformed JSON inside `config` is named as the config's, not
    /// blamed on the file's header.
    func testJunkInsideTheConfigIsRefusedNamingIt() throws {
        let (conv, naf) = (TestPaths.fixtures + "/restorer.safetensors", TestPaths.restorer)
        let path = HostileFiles.temporary("junk.safetensors")
        defer { unlink(path) }
        let cases: [(source: String, from: String, to: String, mentions: [String])] = [
            (conv, #""channels": ["#, #""channels": ["x", "#, ["config.channels"]),
            (naf, #""enc_blocks": ["#, #""enc_blocks": [null, "#, ["config.enc_blocks"]),
            (conv, #""in_channels": 4,"#, #""in_channels": 4,,"#, ["config", "JSON at byte"]),
        ]
        for c in cases {
            try HostileFiles.rewrite(c.source, to: path) { meta in
                let config = meta["config"] ?? ""
                XCTAssertTrue(config.contains(c.from), "fixture config: \(config)")
                meta["config"] = config.replacingOccurrences(of: c.from, with: c.to)
            }
            XCTAssertThrowsError(try Restorer(path: path), c.to) { error in
                for m in c.mentions { XCTAssertTrue("\(error)".contains(m), "'\(error)' should mention \(m)") }
                XCTAssertFalse("\(error)".contains("header JSON"), "\(error)")
            }
        }
    }

    private func listSafetensors(_ dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw TensorError.io("cannot open \(dir)") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasSuffix(".safetensors") { names.append(name) }
        }
        return names.sorted()
    }
}
