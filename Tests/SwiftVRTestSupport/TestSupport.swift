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

/// The astronaut portrait (256×256) of the CenterFace fixtures as packed RGB bytes, and
/// the face the reference detector found in it: box (x1, y1, x2, y2, score) and five
/// landmarks (x, y) (training/fixtures/make_centerface_fixtures.py).
public func astronautFixture() throws -> (rgb: [UInt8], box: [Float], landmarks: [Float]) {
    let fx = try SafetensorsFile(path: TestPaths.fixtures + "/centerface.safetensors")
    let blob = try fx.tensor("astronaut.input"), boxes = try fx.tensor("astronaut.boxes"), points = try fx.tensor("astronaut.points")
    let plane = 256 * 256
    var rgb = [UInt8](repeating: 0, count: plane * 3)
    for i in 0..<plane { for c in 0..<3 { rgb[i * 3 + c] = UInt8(blob.data[c * plane + i]) } }
    return (rgb, Array(boxes.array.prefix(5)), Array(points.array.prefix(10)))
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

/// Element by element, as numpy's `allclose`: |a − b| ≤ atol + rtol·|b| for every element.
public func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float, atol: Float, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
    var worst = (excess: -Float.infinity, index: 0)
    for i in 0..<min(a.count, b.count) {
        let excess = abs(a.data[i] - b.data[i]) - (atol + rtol * abs(b.data[i]))
        if !(excess <= worst.excess) { worst = (excess.isNaN ? .infinity : excess, i) }
    }
    guard worst.excess > 0 else { return }
    let i = worst.index
    XCTFail("\(what): element \(i) is \(a.data[i]), expected \(b.data[i]) within \(atol) + \(rtol)·|expected|",
            file: file, line: line)
}

/// `assertClose` with `tolerance` as the relative part and, as the absolute part, the
/// same fraction of the reference's mean magnitude (so elements near zero are held to
/// the tensor's scale, not to their own).
public func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    var mean: Float = 0
    for i in 0..<b.count { mean += abs(b.data[i]) }
    mean /= Float(max(b.count, 1))
    assertClose(a, b, rtol: tolerance, atol: tolerance * max(mean, 1e-12), what, file: file, line: line)
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
