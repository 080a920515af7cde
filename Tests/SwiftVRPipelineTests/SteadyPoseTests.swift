import Glibc
import SwiftVRModels
import SwiftVRPipeline
import XCTest

/// SteadyPose: landmark jitter no longer turns and rescales a face's crop from frame to
/// frame, a real turn is followed, and the crop's centre stays where the landmarks put it.
final class SteadyPoseTests: XCTestCase {
    /// The frame → crop transform of a face at (cx, cy) with crop scale `scale` (crop pixels
    /// per frame pixel) turned by `angle`, for a `size`² crop.
    func pose(_ cx: Float, _ cy: Float, scale: Float, angle: Float, size: Int = 256) -> SimilarityTransform {
        let (a, b) = (scale * cosf(angle), scale * sinf(angle)), c = Float(size) / 2
        return SimilarityTransform(a: a, b: b, tx: c - (a * cx - b * cy), ty: c - (b * cx + a * cy))
    }

    func testJitterIsDampedAndTheCentreKept() {
        var previous: SteadyPose?
        var rawTurns: [Float] = [], steadyTurns: [Float] = [], rawScales: [Float] = [], steadyScales: [Float] = []
        var last: (raw: SimilarityTransform, steady: SimilarityTransform)?
        for t in 0..<40 {
            // A face moving right, its fitted scale and angle jittering by ±1 % and ±0.01 rad.
            let jitter = Float(t % 2 == 0 ? 1 : -1)
            let raw = pose(300 + 3 * Float(t), 200, scale: 1.2 * (1 + 0.01 * jitter), angle: 0.1 + 0.01 * jitter)
            let (steady, next) = SteadyPose.steadied(raw, size: 256, previous: previous)
            previous = next
            if t == 0 { XCTAssertEqual(steady, raw, "a face's first crop is the landmarks' own") }
            // The crop's centre lands on the same frame point as the raw transform's.
            let (p, q) = (raw.inverse.apply(128, 128), steady.inverse.apply(128, 128))
            XCTAssertEqual(p.x, q.x, accuracy: 1e-2)
            XCTAssertEqual(p.y, q.y, accuracy: 1e-2)
            if let last, t > 10 {
                rawTurns.append(abs(atan2f(raw.b, raw.a) - atan2f(last.raw.b, last.raw.a)))
                steadyTurns.append(abs(atan2f(steady.b, steady.a) - atan2f(last.steady.b, last.steady.a)))
                rawScales.append(abs(logf(raw.scale / last.raw.scale)))
                steadyScales.append(abs(logf(steady.scale / last.steady.scale)))
            }
            last = (raw, steady)
        }
        let mean = { (x: [Float]) in x.reduce(0, +) / Float(x.count) }
        XCTAssertLessThan(mean(steadyTurns), 0.15 * mean(rawTurns), "the crop still turns with the jitter")
        XCTAssertLessThan(mean(steadyScales), 0.15 * mean(rawScales), "the crop still rescales with the jitter")
        // And it settles on the jitter's mean.
        XCTAssertEqual(atan2f(last!.steady.b, last!.steady.a), 0.1, accuracy: 0.005)
        XCTAssertEqual(last!.steady.scale, 1.2, accuracy: 0.01)
    }

    func testARealTurnIsFollowed() {
        var previous: SteadyPose?
        var angle: Float = 0
        for t in 0..<30 {
            // Turning 0.35 rad/s at 24 FPS, then a jump of 0.4 rad (a new detection).
            angle = t < 20 ? 0.015 * Float(t) : 0.015 * 19 + 0.4
            let raw = pose(400, 300, scale: 1, angle: angle, size: 128)
            let (steady, next) = SteadyPose.steadied(raw, size: 128, previous: previous)
            previous = next
            let lag = abs(atan2f(steady.b, steady.a) - angle)
            if t == 19 { XCTAssertLessThan(lag, 0.08, "a steady turn is followed closely") }
            if t == 20 { XCTAssertLessThan(lag, 0.05, "a jump is followed at once") }
        }
    }

    func testTheSamePoseAtAnotherCropSizeIsNoChange() {
        let (_, first) = SteadyPose.steadied(pose(100, 100, scale: 2, angle: 0.2, size: 128), size: 128, previous: nil)
        let raw = pose(100, 100, scale: 4, angle: 0.2, size: 256)
        let (steady, _) = SteadyPose.steadied(raw, size: 256, previous: first)
        XCTAssertEqual(steady.a, raw.a, accuracy: 1e-4)
        XCTAssertEqual(steady.b, raw.b, accuracy: 1e-4)
    }
}
