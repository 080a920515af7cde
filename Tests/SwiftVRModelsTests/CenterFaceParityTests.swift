import Dispatch
import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

typealias Paths = TestPaths

/// The Swift CenterFace against the original ONNX model in onnxruntime, on the held-out
/// portraits and composites of them (rotated, small, cut by the frame edge).
/// Fixtures: Tests/Fixtures/centerface.safetensors, made by
/// training/fixtures/make_centerface_fixtures.py.
final class CenterFaceParityTests: XCTestCase {
    static let cases = ["astronaut", "grace_hopper", "composite_rotated_cut", "composite_small_faces"]

    func testRawOutputsMatchOnnxRuntime() throws {
        let model = try CenterFace(path: Paths.centerface)
        let fx = try SafetensorsFile(path: Paths.fixtures + "/centerface.safetensors")
        for name in Self.cases {
            let out = model(try fx.tensor("\(name).input"), state: CenterFace.RunState())
            for (key, t) in [("heatmap", out.heatmap), ("scale", out.scale), ("offset", out.offset), ("landmarks", out.landmarks)] {
                let ref = try fx.tensor("\(name).\(key)")
                XCTAssertEqual(t.shape, ref.shape, "\(name).\(key)")
                let e = relativeError(t, ref)
                print("centerface parity \(name).\(key): relative error \(e)")
                XCTAssertLessThanOrEqual(e, 1e-4, "\(name).\(key): relative error \(e)")
            }
        }
    }

    func testDecodedFacesMatchReferenceWithinOnePixel() throws {
        let model = try CenterFace(path: Paths.centerface)
        let fx = try SafetensorsFile(path: Paths.fixtures + "/centerface.safetensors")
        var total = 0
        for name in Self.cases {
            let faces = model(try fx.tensor("\(name).input"), state: CenterFace.RunState()).decode(threshold: 0.5)
            let boxes = try fx.tensor("\(name).boxes"), points = try fx.tensor("\(name).points")
            let n = boxes.dim(0)
            XCTAssertEqual(faces.count, n, "\(name): number of faces")
            total += n
            for i in 0..<min(n, faces.count) {
                let b = boxes.data + 5 * i, p = points.data + 10 * i
                // Match by IoU rather than order: equal scores may sort either way.
                let ref = FaceDetection(x1: b[0], y1: b[1], x2: b[2], y2: b[3], score: b[4],
                                        landmarks: (0..<5).map { (p[2 * $0], p[2 * $0 + 1]) })
                guard let f = faces.max(by: { $0.iou(ref) < $1.iou(ref) }) else { continue }
                for (a, r) in [(f.x1, ref.x1), (f.y1, ref.y1), (f.x2, ref.x2), (f.y2, ref.y2)] {
                    XCTAssertEqual(a, r, accuracy: 1, "\(name) face \(i) box")
                }
                XCTAssertEqual(f.score, ref.score, accuracy: 1e-4)
                for (q, r) in zip(f.landmarks, ref.landmarks) {
                    XCTAssertEqual(q.x, r.x, accuracy: 1, "\(name) face \(i) landmark")
                    XCTAssertEqual(q.y, r.y, accuracy: 1, "\(name) face \(i) landmark")
                }
            }
        }
        XCTAssertEqual(total, 9, "every face in the fixtures, the cut ones included")
    }

    func testSteadyStateAllocatesNothing() throws {
        let model = try CenterFace(path: Paths.centerface)
        let x = Tensor(shape: [1, 3, 64, 96])
        let state = CenterFace.RunState()
        _ = model(x, state: state)
        _ = model(x, state: state)
        let before = state.allocations
        _ = model(x, state: state)
        XCTAssertEqual(state.allocations, before)
    }

    /// The weights are shared, the run state is not: two threads each with its own state
    /// run one loaded model at once and get exactly what a single caller gets.
    func testOneModelServesTwoCallersAtOnce() throws {
        let model = try CenterFace(path: Paths.centerface)
        let fx = try SafetensorsFile(path: Paths.fixtures + "/centerface.safetensors")
        let inputs = [try fx.tensor("astronaut.input"), try fx.tensor("grace_hopper.input")]
        let alone = inputs.map { model($0, state: CenterFace.RunState()).heatmap.array }
        /// One thread's result, read after both have finished.
        final class Slot: @unchecked Sendable { var heatmap: [Float] = [] }
        let slots = [Slot(), Slot()]
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let state = CenterFace.RunState()
            for _ in 0..<3 { slots[i].heatmap = model(inputs[i], state: state).heatmap.array }
        }
        XCTAssertEqual(slots[0].heatmap, alone[0])
        XCTAssertEqual(slots[1].heatmap, alone[1])
    }

    func testRefusesAFileOfAnotherModel() throws {
        XCTAssertThrowsError(try CenterFace(path: Paths.fixtures + "/ops.safetensors")) { e in
            XCTAssertTrue("\(e)".contains("not a CenterFace model"), "\(e)")
        }
    }

    func testWildOutputsNeverBecomeNonFiniteFaces() {
        // One confident cell whose size overflows exp() and whose landmarks are 0 (0·∞ = NaN):
        // the face is dropped instead of reaching integer conversions downstream.
        let heat = Tensor(shape: [1, 1, 2, 2], values: [0.9, 0, 0, 0])
        let scale = Tensor(shape: [1, 2, 2, 2], values: [200, 0, 0, 0, 200, 0, 0, 0])
        let offset = Tensor(shape: [1, 2, 2, 2])
        let landmarks = Tensor(shape: [1, 10, 2, 2])
        let out = CenterFace.Output(heatmap: heat, scale: scale, offset: offset, landmarks: landmarks)
        XCTAssertEqual(out.decode(threshold: 0.5).count, 0)
        XCTAssertTrue(FaceDetection(x1: 0, y1: 0, x2: 1, y2: 1, score: 1, landmarks: [(0, 0)]).isFinite)
        XCTAssertFalse(FaceDetection(x1: 0, y1: 0, x2: .infinity, y2: 1, score: 1, landmarks: []).isFinite)
    }
}
