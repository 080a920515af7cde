import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Fixture files under Tests/Fixtures, made by the scripts under training/fixtures/.
enum Fixtures {
    static let directory = TestPaths.fixtures

    static func open(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: directory + "/" + name)
    }

    /// "k=v;k=v" metadata of one case.
    static func params(_ file: SafetensorsFile, _ name: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (file.metadata[name] ?? "").split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }
}
