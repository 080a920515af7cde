import Foundation
import SwiftVRTensor
import XCTest

/// The safetensors reader refuses every malformed file with an error naming the problem,
/// and strict loading refuses missing, unused and mis-shaped weights.
final class SafetensorsTests: XCTestCase {
    private var paths: [String] = []

    override func tearDown() { paths.forEach { try? FileManager.default.removeItem(atPath: $0) } }

    /// A file with the given header text and data bytes.
    private func write(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> String {
        let path = NSTemporaryDirectory() + "swiftvr-st-\(UUID().uuidString).safetensors"
        paths.append(path)
        var bytes: [UInt8] = []
        var n = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: data)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    private func floats(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0) { Array($0) } } }

    private func assertRejects(_ path: String, mentioning words: [String], line: UInt = #line) {
        do {
            _ = try SafetensorsFile(path: path)
            XCTFail("accepted a malformed file", line: line)
        } catch {
            for w in words { XCTAssertTrue(error.description.contains(w), "'\(error)' should mention \(w)", line: line) }
        }
    }

    func testReadsF32F16AndBF16() throws {
        let h: [UInt16] = [0x3C00, 0xC000]  // 1.0, -2.0 in f16
        let bf: [UInt16] = [0x3F80, 0x4040]  // 1.0, 3.0 in bf16
        let data = floats([0.5, 1.5, -3]) + h.flatMap { withUnsafeBytes(of: $0) { Array($0) } }
            + bf.flatMap { withUnsafeBytes(of: $0) { Array($0) } }
        let path = write(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F16","shape":[2],"data_offsets":[12,16]},"c":{"dtype":"BF16","shape":[1,2],"data_offsets":[16,20]},"__metadata__":{"arch":"x"}}"#, data: data)
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(try f.tensor("a").array, [0.5, 1.5, -3])
        XCTAssertEqual(try f.tensor("b").array, [1, -2])
        XCTAssertEqual(try f.tensor("c").array, [1, 3])
        XCTAssertEqual(try f.tensor("c").shape, [1, 2])
        XCTAssertEqual(f.metadata["arch"], "x")
    }

    func testRejectsMalformedFiles() {
        assertRejects(write(header: "", declaredLength: nil), mentioning: ["header"])
        assertRejects(write(header: "{}", declaredLength: 4096), mentioning: ["4096"])
        assertRejects(write(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]"#), mentioning: ["JSON"])
        assertRejects(write(header: #"{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                      mentioning: ["'a'", "I32"])
        assertRejects(write(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]),
                      mentioning: ["'w'", "outside"])
        assertRejects(write(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: floats([1, 2])),
                      mentioning: ["'w'", "needs 12"])
        assertRejects(write(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                            data: floats([1, 2, 3])), mentioning: ["overlap"])
        assertRejects(write(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: floats([1])),
                      mentioning: ["'a'", "dimension"])
        assertRejects(write(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                            data: floats([1])), mentioning: ["duplicate"])
        assertRejects(write(header: #"[1,2]"#), mentioning: ["not a JSON object"])
        assertRejects(String(repeating: "[", count: 100).withCString { _ in write(header: String(repeating: "[", count: 100)) },
                      mentioning: ["nested"])
        XCTAssertThrowsError(try SafetensorsFile(path: "/nonexistent/model.safetensors")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/model.safetensors"))
        }
    }

    func testStrictLoadingNamesTheKey() throws {
        let path = write(header: #"{"conv.weight":{"dtype":"F32","shape":[2,1,1,1],"data_offsets":[0,8]},"conv.bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"extra":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#,
                         data: floats([1, 2, 3, 4, 5]))
        let store = try WeightStore(path: path)
        XCTAssertThrowsError(try Conv2d(store.root.pp("conv"), inChannels: 2, outChannels: 2, kernel: 1)) { e in
            XCTAssertEqual(e as? TensorError, .shapeMismatch(key: "conv.weight", expected: [2, 2, 1, 1], found: [2, 1, 1, 1]))
        }
        XCTAssertThrowsError(try Conv2d(store.root.pp("other"), inChannels: 1, outChannels: 2, kernel: 1)) { e in
            XCTAssertEqual(e as? TensorError, .missingKey("other.weight"))
        }
        _ = try Conv2d(store.root.pp("conv"), inChannels: 1, outChannels: 2, kernel: 1)
        XCTAssertThrowsError(try store.finish()) { e in
            XCTAssertEqual(e as? TensorError, .unusedKeys(["extra"]))
        }
    }

    /// A NaN or infinite weight fails at load, naming the weight, instead of turning
    /// every face it touches into NaN.
    func testNonFiniteWeightsAreRejectedNamingTheKey() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            let path = write(header: #"{"conv.weight":{"dtype":"F32","shape":[2,1,1,1],"data_offsets":[0,8]},"conv.bias":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                             data: floats([1, 2, bad, 4]))
            let store = try WeightStore(path: path)
            XCTAssertThrowsError(try Conv2d(store.root.pp("conv"), inChannels: 1, outChannels: 2, kernel: 1)) { e in
                XCTAssertEqual(e as? TensorError, .nonFinite(key: "conv.bias", index: 0))
                XCTAssertTrue("\(e)".contains("conv.bias"))
            }
        }
    }

    func testJSONEscapesAndNumbers() throws {
        let j = try JSON.parse(#"{"s":"a\"b\\c\u00e9\ud83d\ude00","n":[0,12,1e3,-1.5],"t":true,"z":null}"#)
        XCTAssertEqual(j.objectValue?["s"], .string("a\"b\\cé😀"))
        XCTAssertEqual(j.objectValue?["n"]?.arrayValue?.map(\.indexValue), [0, 12, 1000, nil])
        XCTAssertThrowsError(try JSON.parse(#"{"a":01x}"#))
        XCTAssertThrowsError(try JSON.parse(#"{"a":1} x"#))
    }
}
