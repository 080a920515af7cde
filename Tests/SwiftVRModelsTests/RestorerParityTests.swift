import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The Swift restoration model against its PyTorch twin, stage by stage, on a window of
/// three 96×96 crops with random weights (every path active, both window layouts with
/// border windows). Fixtures: Tests/Fixtures/restorer*.safetensors, made by
/// training/fixtures/make_restorer_fixtures.py.
final class RestorerParityTests: XCTestCase {
    func testEveryStageMatchesPyTorch() throws {
        let model = try Restorer(path: TestPaths.fixtures + "/restorer.safetensors")
        XCTAssertTrue(model.config.temporalResidual && model.config.prefill && model.config.causalTemporal,
                      "the fixture should exercise every optional path")
        XCTAssertEqual(model.config.backbone, .conv)
        try checkStages(model, io: "restorer-io")
    }

    /// The NAFNet-style backbone with soft code assignment and both prior residuals
    /// (model.py NAF_CONFIG), every residual scale random so every block contributes.
    func testNAFBackboneMatchesPyTorch() throws {
        let model = try Restorer(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        XCTAssertEqual(model.config.backbone, .naf)
        XCTAssertTrue(model.config.codeTemperature > 0 && model.config.spatialResidual && model.config.temporalResidual
                      && model.config.pastFeatures)
        try checkStages(model, io: "restorer-naf-io")
    }

    private func checkStages(_ model: Restorer, io name: String) throws {
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/\(name).safetensors")
        let state = Restorer.RunState()
        let first = model(frames: try io.tensor("frames"), mask: try io.tensor("mask"), tasks: try io.tensor("tasks").array,
                          state: state, trace: true)
        let (out, trace) = (first.frames, try XCTUnwrap(first.trace))
        for (name, t) in [("z", trace.z), ("tokens", trace.tokens), ("spatial_logits", trace.spatialLogits),
                          ("temporal_logits", trace.temporalLogits), ("z_hq", trace.zHQ), ("output", out)] {
            let e = relativeError(t, try io.tensor(name))
            print("restorer parity \(name): relative error \(e)")
            assertClose(t, try io.tensor(name), tolerance: 1e-4, name)
        }
        XCTAssertEqual(trace.spatialIndices.map(Float.init), try io.tensor("spatial_indices").array, "spatial code indices")
        XCTAssertEqual(trace.temporalIndices.map(Float.init), try io.tensor("temporal_indices").array, "temporal code indices")

        // The next window of the same face attends to the cached first window.
        let second = model(frames: try io.tensor("frames2"), mask: try io.tensor("mask2"), tasks: try io.tensor("tasks").array,
                           cache: first.nextCache, state: state, trace: true)
        let out2 = second.frames
        assertClose(try XCTUnwrap(second.trace).temporalLogits, try io.tensor("temporal_logits2"), tolerance: 1e-4, "temporal_logits2")
        assertClose(out2, try io.tensor("output2"), tolerance: 1e-4, "output2")
        print("restorer parity output2 (cached window): relative error \(relativeError(out2, try io.tensor("output2")))")
    }

    /// A causal model restoring the window one frame at a time, each frame seeing the two
    /// before it through the rolling cache, gives PyTorch's frames — and the same frames
    /// as the whole window at once (frame i sees frames ≤ i either way).
    func testFrameByFrameWithRollingContextMatchesPyTorch() throws {
        for fixture in ["restorer", "restorer-naf"] { try checkFrameByFrame(fixture) }
    }

    /// The same stream with each cached frame's crop shifted by a fraction of a pixel to a
    /// few pixels (the shift the element's temporal blend measures): the past features are
    /// moved by it before they are compared, as model.py moves them — and the output is
    /// not the unshifted stream's.
    func testShiftedPastFeaturesMatchPyTorch() throws {
        let model = try Restorer(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/restorer-naf-io.safetensors")
        let (frames, mask, tasks) = (try io.tensor("frames"), try io.tensor("mask"), try io.tensor("tasks").array)
        let shifts = try io.tensor("stream_shifts").array
        let streamed = stream(model, frames, mask, tasks, shifts: (0..<3).map { (shifts[2 * $0], shifts[2 * $0 + 1]) })
        assertClose(streamed, try io.tensor("stream_shift_output"), tolerance: 1e-4, "stream_shift_output")
        print("restorer-naf parity, shifted past features: relative error \(relativeError(streamed, try io.tensor("stream_shift_output")))")
        XCTAssertGreaterThan(relativeError(streamed, try io.tensor("stream_output")), 1e-4, "the shift changed nothing")
    }

    /// Context 0 (the element's window 1) carries nothing to the next frame: each frame is
    /// restored exactly as if it were the face's first.
    func testContextZeroRestoresEachFrameAlone() throws {
        let model = try Restorer(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/restorer-naf-io.safetensors")
        let (frames, mask, tasks) = (try io.tensor("frames"), try io.tensor("mask"), try io.tensor("tasks").array)
        let arena = Arena(), state = Restorer.RunState()
        let one = { (f: Int) in (ShapeOps.narrow(frames, axis: 0, range: f..<(f + 1), arena: arena),
                                 ShapeOps.narrow(mask, axis: 0, range: f..<(f + 1), arena: arena)) }
        let (f0, m0) = one(0), (f1, m1) = one(1)
        let first = model(frames: f0, mask: m0, tasks: tasks, context: 0, state: state)
        XCTAssertNil(first.nextCache, "nothing is kept with context 0")
        let streamed = model(frames: f1, mask: m1, tasks: tasks, cache: first.nextCache, context: 0, state: state).frames.array
        let alone = model(frames: f1, mask: m1, tasks: tasks, state: Restorer.RunState()).frames.array
        XCTAssertEqual(streamed, alone)
    }

    private func checkFrameByFrame(_ fixture: String) throws {
        let model = try Restorer(path: TestPaths.fixtures + "/\(fixture).safetensors")
        XCTAssertTrue(model.config.causalTemporal)
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/\(fixture)-io.safetensors")
        let (frames, mask, tasks) = (try io.tensor("frames"), try io.tensor("mask"), try io.tensor("tasks").array)
        let streamed = stream(model, frames, mask, tasks, shifts: nil)
        assertClose(streamed, try io.tensor("stream_output"), tolerance: 1e-4, "stream_output")
        assertClose(streamed, try io.tensor("output"), tolerance: 1e-4, "stream vs window")
        print("\(fixture) parity frame by frame: relative error \(relativeError(streamed, try io.tensor("stream_output")))")
    }

    /// The window restored one frame at a time, each frame seeing the two before it through
    /// the rolling cache, with frame f's cached features moved by shifts[f] when given.
    private func stream(_ model: Restorer, _ frames: Tensor, _ mask: Tensor, _ tasks: [Float],
                        shifts: [(Float, Float)]?) -> Tensor {
        let arena = Arena(), state = Restorer.RunState()
        var cache: TemporalCache?
        var outs: [Tensor] = []
        for f in 0..<frames.dim(0) {
            let one = ShapeOps.narrow(frames, axis: 0, range: f..<(f + 1), arena: arena)
            let m = ShapeOps.narrow(mask, axis: 0, range: f..<(f + 1), arena: arena)
            let pass = model(frames: one, mask: m, tasks: tasks, cache: cache, context: 2, pastShift: shifts?[f], state: state)
            outs.append(Tensor(shape: pass.frames.shape, values: pass.frames.array))   // valid until the next pass
            cache = pass.nextCache
        }
        return ShapeOps.concat(outs, axis: 0, arena: arena)
    }

    /// The push-pull fill of missing pixels against model.py's `fill_missing` at an odd
    /// size (a large hole; 70 % of pixels missing): known pixels unchanged, holes filled.
    func testFillMissingMatchesPyTorch() throws {
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/restorer-io.safetensors")
        let (input, mask) = (try io.tensor("fill_input"), try io.tensor("fill_mask"))
        let arena = Arena()
        let out = fillMissing(input, missing: mask, arena: arena)
        assertClose(out, try io.tensor("fill_output"), tolerance: 1e-4, "fill_output")
        print("fill_missing parity: relative error \(relativeError(out, try io.tensor("fill_output")))")
        let plane = 25 * 37
        for f in 0..<2 { for c in 0..<3 { for i in 0..<plane where mask.data[f * plane + i] == 0 {
            XCTAssertEqual(out.data[(f * 3 + c) * plane + i], input.data[(f * 3 + c) * plane + i])
        } } }
        // Nothing missing: the frames come back bit for bit.
        let none = Tensor(shape: [2, 1, 25, 37])
        none.data.initialize(repeating: 0, count: none.count)
        XCTAssertEqual(fillMissing(input, missing: none, arena: arena).array, input.array)
    }

    /// Files written before `temporal_residual` and `prefill` existed load as without them; a value that is
    /// not a boolean is named in the error.
    func testLaterOptionsAreOptionalInTheConfig() throws {
        let base = #"{"in_channels": 4, "channels": [32, 48, 64], "latent": 16, "dim": 64, "heads": 2, "window": 8, "mlp_ratio": 2, "blocks": 4, "spatial_codes": 256, "temporal_codes": 64, "t_star": 1.0"#
        XCTAssertFalse(try RestorerConfig(json: base + "}").temporalResidual)
        XCTAssertTrue(try RestorerConfig(json: base + #", "temporal_residual": true}"#).temporalResidual)
        XCTAssertFalse(try RestorerConfig(json: base + "}").prefill)
        XCTAssertTrue(try RestorerConfig(json: base + #", "prefill": true}"#).prefill)
        XCTAssertFalse(try RestorerConfig(json: base + "}").causalTemporal)
        XCTAssertTrue(try RestorerConfig(json: base + #", "causal_temporal": true}"#).causalTemporal)
        XCTAssertFalse(try RestorerConfig(json: base + "}").pastFeatures)
        XCTAssertTrue(try RestorerConfig(json: base + #", "past_features": true, "backbone": "naf", "enc_blocks": [1, 1, 1], "dec_blocks": [1, 1, 1]}"#).pastFeatures)
        XCTAssertThrowsError(try RestorerConfig(json: base + #", "temporal_residual": 1}"#)) { error in
            XCTAssertTrue("\(error)".contains("temporal_residual"), "\(error)")
        }
    }

    func testWindowGroupsCoverEveryTokenOnce() {
        for (h, w, shift) in [(12, 12, 0), (12, 12, 4), (32, 32, 4), (5, 9, 0), (5, 9, 4)] {
            let groups = Windows.groups(h: h, w: w, window: 8, shift: shift)
            let all = groups.flatMap(\.indices).sorted()
            XCTAssertEqual(all, Array(0..<(h * w)), "\(h)x\(w) shift \(shift)")
            for g in groups { XCTAssertEqual(g.indices.count, g.count * g.length) }
        }
    }

    func testRejectsDetectorWeights() {
        XCTAssertThrowsError(try Restorer(path: TestPaths.centerface)) { e in
            XCTAssertTrue("\(e)".contains("not a swiftvr restoration model"))
        }
    }
}
