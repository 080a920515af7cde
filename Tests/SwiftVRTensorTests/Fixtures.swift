import SwiftVRTensor
import XCTest

/// Fixture files under Tests/Fixtures, made by the scripts under training/fixtures/.
enum Fixtures {
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Fixtures"
    }()

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

/// ‖a − b‖∞ / max(‖b‖∞, 1e-12): the error measure of every parity test.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    var num: Float = 0, den: Float = 0
    for i in 0..<min(a.count, b.count) {
        num = max(num, abs(a.data[i] - b.data[i]))
        den = max(den, abs(b.data[i]))
    }
    return num / max(den, 1e-12)
}

func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
    let e = relativeError(a, b)
    XCTAssertLessThanOrEqual(e, tolerance, "\(what): relative error \(e)", file: file, line: line)
}
