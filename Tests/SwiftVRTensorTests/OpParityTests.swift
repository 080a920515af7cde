import Foundation
@testable import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Each engine op against onnxruntime (or float64 numpy for activations).
/// Fixtures: Tests/Fixtures/ops.safetensors, made by training/fixtures/make_op_fixtures.py.
final class OpParityTests: XCTestCase {
    var file: SafetensorsFile!

    override func setUpWithError() throws { file = try Fixtures.open("ops.safetensors") }

    private func cases(_ prefix: String) -> [String] {
        file.metadata.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    func testConv2dMatchesOnnxRuntime() throws {
        let names = cases("conv") + cases("depthwise")
        XCTAssertEqual(names.count, 10)
        for name in names {
            let p = Fixtures.params(file, name)
            let bias = file.tensors["\(name).bias"] != nil ? try file.tensor("\(name).bias") : nil
            let conv = Conv2d(weight: try file.tensor("\(name).weight"), bias: bias,
                              stride: Int(p["stride"]!)!, padding: Int(p["padding"]!)!,
                              dilation: Int(p["dilation"]!)!, groups: Int(p["groups"]!)!)
            let y = conv(try file.tensor("\(name).input"), arena: Arena())
            assertClose(y, try file.tensor("\(name).output"), tolerance: 1e-5, name)
        }
    }

    func testConvTranspose2dMatchesOnnxRuntime() throws {
        let names = cases("deconv").filter { !$0.hasSuffix("_bn") }
        XCTAssertEqual(names.count, 3)
        for name in names {
            let p = Fixtures.params(file, name)
            let bias = file.tensors["\(name).bias"] != nil ? try file.tensor("\(name).bias") : nil
            let deconv = ConvTranspose2d(weight: try file.tensor("\(name).weight"), bias: bias,
                                         stride: Int(p["stride"]!)!, padding: Int(p["padding"]!)!,
                                         outputPadding: Int(p["output_padding"]!)!)
            let y = deconv(try file.tensor("\(name).input"), arena: Arena())
            assertClose(y, try file.tensor("\(name).output"), tolerance: 1e-5, name)
        }
    }

    func testBatchNormFoldedIntoConvTranspose() throws {
        let store = WeightStore(file: file)
        let vb = store.root.pp("deconv_bn")
        var deconv = ConvTranspose2d(weight: try vb.get("weight", shape: [5, 3, 2, 2]), bias: nil, stride: 2)
        let bn = BatchNormParameters(
            weight: try vb.get("bn_weight", shape: [3]), bias: try vb.get("bn_bias", shape: [3]),
            runningMean: try vb.get("bn_mean", shape: [3]), runningVar: try vb.get("bn_var", shape: [3]), eps: 1e-5)
        deconv.fold(bn)
        let y = deconv(try vb.get("input", shape: [1, 5, 4, 6]), arena: Arena())
        assertClose(y, try vb.get("output", shape: [1, 3, 8, 12]), tolerance: 1e-5, "deconv+bn")
    }

    func testActivationsMatchFloat64Reference() throws {
        let kinds: [String: Activation] = ["relu": .relu, "sigmoid": .sigmoid,
                                           "silu": .silu, "gelu": .gelu]
        for (name, act) in kinds {
            let x = try file.tensor("act_\(name).input")
            act.applyInPlace(x)
            assertClose(x, try file.tensor("act_\(name).output"), tolerance: 1e-6, name)
        }
    }

    /// Far outside the fixture's ±12, where the vector exp clamps its argument: the
    /// activations saturate to the right limits instead of overflowing to inf or NaN.
    func testActivationsSaturateFarOut() {
        let xs: [Float] = [-1e4, -200, -100, -88, -87, 87, 88, 100, 200, 1e4, 0.5]
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        func silu(_ v: Double) -> Double { v * sigmoid(v) }
        func gelu(_ v: Double) -> Double { 0.5 * v * (1 + Foundation.erf(v / 2.squareRoot())) }
        let cases: [(Activation, (Double) -> Double)] = [(.sigmoid, sigmoid), (.silu, silu), (.gelu, gelu)]
        for (act, ref) in cases {
            let t = Tensor(shape: [xs.count], values: xs)
            act.applyInPlace(t)
            for (x, y) in zip(xs, t.array) {
                let want = ref(Double(x))
                XCTAssertTrue(y.isFinite, "\(act)(\(x)) = \(y)")
                XCTAssertEqual(Double(y), want, accuracy: 1e-6 * max(1, abs(want)), "\(act)(\(x))")
            }
        }
    }

    func testArenaReusesMemoryOnceShapesAreSteady() throws {
        let name = "conv3x3_s2"
        let p = Fixtures.params(file, name)
        let conv = Conv2d(weight: try file.tensor("\(name).weight"), bias: try file.tensor("\(name).bias"),
                          stride: Int(p["stride"]!)!, padding: Int(p["padding"]!)!)
        let x = try file.tensor("\(name).input")
        let arena = Arena()
        for _ in 0..<3 { arena.reset(); _ = conv(x, arena: arena) }
        let after = arena.allocations
        for _ in 0..<5 { arena.reset(); _ = conv(x, arena: arena) }
        XCTAssertEqual(arena.allocations, after, "steady state allocates nothing")
    }
}
