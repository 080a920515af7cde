import Glibc
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The transformer path's ops (window attention, softmax, layer norm) and the shape ops
/// around it (concat, narrow, nearest upsampling) against onnxruntime or float64 numpy.
/// Fixtures: Tests/Fixtures/ops.safetensors, made by training/fixtures/make_op_fixtures.py.
final class TransformerOpParityTests: XCTestCase {
    var file: SafetensorsFile!
    override func setUpWithError() throws { file = try Fixtures.open("ops.safetensors") }
    func t(_ key: String) throws -> Tensor { try file.tensor(key) }
    func p(_ name: String, _ key: String) -> Int { Int(Fixtures.params(file, name)[key]!)! }

    func testNearestUpsampling() throws {
        assertClose(Upsample.nearest(try t("upsample_nearest.input"), scale: 2, arena: Arena()),
                    try t("upsample_nearest.output"), tolerance: 0, "nearest")
    }

    func testConcatAndNarrow() throws {
        let c = ShapeOps.concat([try t("concat_channels.a"), try t("concat_channels.b")], axis: 1, arena: Arena())
        assertClose(c, try t("concat_channels.output"), tolerance: 0, "concat")
        let n = ShapeOps.narrow(try t("narrow_width.input"), axis: 3, range: 1..<4, arena: Arena())
        assertClose(n, try t("narrow_width.output"), tolerance: 0, "narrow")
    }

    func testSoftmaxLayerNorm() throws {
        let s = try t("softmax_last.input")
        softmaxLastAxisInPlace(s)
        assertClose(s, try t("softmax_last.output"), tolerance: 1e-5, "softmax")
        let x = try t("layernorm.input")
        LayerNorm(weight: try t("layernorm.weight"), bias: try t("layernorm.bias")).normalizeInPlace(x)
        assertClose(x, try t("layernorm.output"), tolerance: 1e-5, "layernorm")
    }

    func testWindowAttention() throws {
        let y = scaledDotProductAttention(try t("sdpa_windows.q"), try t("sdpa_windows.k"), try t("sdpa_windows.v"), arena: Arena())
        assertClose(y, try t("sdpa_windows.output"), tolerance: 1e-5, "sdpa")
    }

    /// Every attention path — direct loops for small windows, SIMD lanes over the keys for
    /// windows of up to 128 keys, SGEMM for the rest — against
    /// a float64 evaluation of the definition, with and without the causal offset.
    func testSmallAndLargeWindowAttentionAgreeWithTheDefinition() {
        var random = SeededRandom(seed: 7)
        // Direct loops; SGEMM; 8×8 windows of 24-float heads and ragged ones (attendWindows).
        for (batch, lq, lk, d, dv) in [(37, 1, 4, 32, 32), (5, 3, 7, 8, 12), (4, 24, 24, 12, 12), (6, 64, 64, 24, 24),
                                       (5, 49, 61, 16, 8), (3, 7, 100, 8, 32)] {
            let (q, k, v) = (random.tensor([batch, lq, d], scale: 2), random.tensor([batch, lk, d], scale: 2), random.tensor([batch, lk, dv]))
            for offset in [nil, 0, lk - lq] as [Int?] {
                let y = scaledDotProductAttention(q, k, v, causalOffset: offset, arena: Arena())
                let expected = Tensor(shape: [batch, lq, dv])
                for b in 0..<batch {
                    for r in 0..<lq {
                        let seen = offset.map { max(1, min(lk, r + $0 + 1)) } ?? lk
                        var scores = (0..<seen).map { j in
                            (0..<d).reduce(0.0) { $0 + Double(q.data[(b * lq + r) * d + $1]) * Double(k.data[(b * lk + j) * d + $1]) } / Double(d).squareRoot()
                        }
                        let top = scores.max()!
                        scores = scores.map { exp($0 - top) }
                        let sum = scores.reduce(0, +)
                        for c in 0..<dv {
                            let value = (0..<seen).reduce(0.0) { $0 + scores[$1] / sum * Double(v.data[(b * lk + $1) * dv + c]) }
                            expected.data[(b * lq + r) * dv + c] = Float(value)
                        }
                    }
                }
                assertClose(y, expected, tolerance: 1e-5, "sdpa \(batch)×\(lq)×\(lk), causal offset \(offset.map(String.init) ?? "none")")
            }
        }
    }
}
