import SwiftVRTensor
import XCTest

/// Paths every test target needs: the repository, its fixtures and its models.
public enum TestPaths {
    public static let repo: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/SwiftVRTestSupport/TestSupport.swift
        return parts.joined(separator: "/")
    }()
    /// Made by the scripts under training/fixtures/.
    public static let fixtures = repo + "/Tests/Fixtures"
    public static let centerface = repo + "/models/centerface.safetensors"
    /// The shipped restoration model.
    public static let restorer = repo + "/models/swiftvr-restorer.safetensors"
}

/// ‖a − b‖∞ / max(‖b‖∞, 1e-12): the error measure of every parity test.
public func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    var num: Float = 0, den: Float = 0
    for i in 0..<min(a.count, b.count) {
        num = max(num, abs(a.data[i] - b.data[i]))
        den = max(den, abs(b.data[i]))
    }
    return num / max(den, 1e-12)
}

public func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
    let e = relativeError(a, b)
    XCTAssertLessThanOrEqual(e, tolerance, "\(what): relative error \(e)", file: file, line: line)
}

/// Reproducible uniform values in (−scale, scale): a 64-bit LCG, so tests that draw
/// random weights see the same ones on every run and machine.
public struct SeededRandom {
    private var state: UInt64

    public init(seed: UInt64 = 0x9e37_79b9_7f4a_7c15) { state = seed }

    public mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            t.data[i] = (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
        }
        return t
    }
}
