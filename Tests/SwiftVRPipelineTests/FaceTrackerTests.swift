import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTestSupport
import XCTest

/// Tracking: ids persist, landmarks are smoothed, tracks survive short misses.
final class FaceTrackerTests: XCTestCase {
    func face(_ x: Float, _ y: Float, size: Float = 100, jitter: Float = 0) -> FaceDetection {
        let lm: [(x: Float, y: Float)] = [(0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8)].map {
            (x + $0.0 * size + jitter, y + $0.1 * size - jitter)
        }
        return FaceDetection(x1: x, y1: y, x2: x + size, y2: y + size, score: 0.9, landmarks: lm)
    }

    func testIdsPersistWhileFacesMove() {
        let t = FaceTracker()
        var ids: [[UInt32]] = []
        for i in 0..<20 {
            let f = Float(i) * 4
            let tracks = t.update([face(100 + f, 50), face(400 - f, 200, size: 80)])
            ids.append(tracks.map(\.id).sorted())
        }
        XCTAssertTrue(ids.allSatisfy { $0 == [1, 2] }, "\(ids)")
    }

    func testTrackSurvivesShortMissesThenEnds() {
        let t = FaceTracker(maxMissed: 3)
        t.update([face(100, 100)])
        for _ in 0..<3 { XCTAssertEqual(t.update([]).map(\.id), [1]) }
        XCTAssertEqual(t.update([]).map(\.id), [])
        XCTAssertEqual(t.update([face(100, 100)]).map(\.id), [2], "a new track gets a new id")
    }

    /// More than 64 faces come and go while two stay: every ended track is reported
    /// once, the two steady ones never, and the live set stays small.
    func testEndedTracksAreReportedOnceAndOnlyThem() {
        let t = FaceTracker(maxMissed: 1)
        var ended: [UInt32] = [], most = 0
        for i in 0..<210 {
            let passing = i % 3 == 0 ? [face(600, 100 + Float(i % 7) * 10)] : []
            let tracks = t.update([face(100, 100), face(300, 100)] + passing)
            most = max(most, tracks.count)
            ended += t.takeEnded()
        }
        XCTAssertEqual(ended.count, Set(ended).count, "each ended track once")
        XCTAssertEqual(ended.count, 70, "the 70 passing faces")
        XCTAssertFalse(ended.contains(1) || ended.contains(2))
        XCTAssertEqual(t.tracks.prefix(2).map(\.id), [1, 2])
        XCTAssertLessThanOrEqual(most, 3)
        t.reset()
        XCTAssertEqual(t.takeEnded(), [], "a reset is not an end: the owners reset themselves")
    }

    func testDetectorJitterIsDamped() {
        let t = FaceTracker()
        var rawSpread: Float = 0, smoothSpread: Float = 0
        var previous: Float?
        for i in 0..<40 {
            let j: Float = i % 2 == 0 ? 1.5 : -1.5
            let tracks = t.update([face(200, 200, jitter: j)])
            let x = tracks[0].face.landmarks[0].x
            if let p = previous { smoothSpread = max(smoothSpread, abs(x - p)) }
            previous = x
            rawSpread = 3
        }
        XCTAssertLessThan(smoothSpread, rawSpread * 0.7, "landmark jitter of ±1.5 px is damped")
    }

    func testLargeMotionIsFollowedAtOnce() {
        let t = FaceTracker()
        t.update([face(100, 100)])
        let tracks = t.update([face(130, 100)])
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(tracks[0].face.x1, 130, accuracy: 1, "a 30 px move is not lagged")
    }

    func testDetectorInputGeometry() {
        let g = CenterFaceDetector.inputGeometry(width: 1920, height: 1080, longSide: 640)
        XCTAssertTrue(g.scaled == (640, 360) && g.padded == (640, 384))
        let small = CenterFaceDetector.inputGeometry(width: 17, height: 13, longSide: 640)
        XCTAssertTrue(small.scaled == (17, 13) && small.padded == (32, 32), "never upscaled")
        let native = CenterFaceDetector.inputGeometry(width: 1280, height: 720, longSide: 0)
        XCTAssertTrue(native.padded == (1280, 736))
    }

    func testColorimetryRoundTrips() {
        for c in [Colorimetry.bt601, .bt709, Colorimetry(kr: 0.2126, kb: 0.0722, fullRange: true)] {
            for rgb in [SIMD3<Float>(0, 0, 0), [255, 255, 255], [200, 30, 90], [12, 250, 128]] {
                let yuv = c.yuv(rgb)
                let back = c.rgb(y: yuv.x, u: yuv.y, v: yuv.z)
                XCTAssertEqual(back.x, rgb.x, accuracy: 0.01)
                XCTAssertEqual(back.y, rgb.y, accuracy: 0.01)
                XCTAssertEqual(back.z, rgb.z, accuracy: 0.01)
            }
        }
        XCTAssertEqual(Colorimetry.bt601.yuv([255, 255, 255]).x, 235, accuracy: 0.01)
    }

    func testCoastingFollowsTheLastMotion() {
        let t = FaceTracker()
        t.update([face(100, 100)])
        t.update([face(110, 100)])          // moving +10 px per frame (smoothing lags a little)
        let v = t.tracks[0].velocity.x
        XCTAssertGreaterThan(v, 5)
        let before = t.tracks[0].face.x1
        t.coast()
        XCTAssertEqual(t.tracks[0].face.x1, before + v, accuracy: 1e-3, "no detection: the face moves on")
        t.update([face(130, 100)])
        XCTAssertEqual(t.tracks.count, 1, "and is found again where it went")
    }

    func testCropSizeFollowsTheFaceWithinBounds() {
        var s = ProcessingSettings()
        XCTAssertEqual(FaceWindowProcessor.cropSize(for: face(0, 0, size: 45), settings: s), 96, "twice the box side")
        XCTAssertEqual(FaceWindowProcessor.cropSize(for: face(0, 0, size: 10), settings: s), 64, "never below 64")
        XCTAssertEqual(FaceWindowProcessor.cropSize(for: face(0, 0, size: 300), settings: s), 256, "never above face-resolution")
        XCTAssertEqual(FaceWindowProcessor.cropSize(for: face(0, 0, size: 41), settings: s) % 8, 0)
        s.adaptiveResolution = false
        XCTAssertEqual(FaceWindowProcessor.cropSize(for: face(0, 0, size: 30), settings: s), 256)
    }

    /// `max-faces` is a limit on live tracks: faces already followed keep their place (ids
    /// do not flicker when another face scores higher on a frame), new faces join best
    /// first only where there is room, and a lowered limit ends the lowest-scoring tracks.
    func testNeverMoreTracksThanTheLimit() {
        let t = FaceTracker()
        t.maxTracks = 2
        func scored(_ f: FaceDetection, _ s: Float) -> FaceDetection { var g = f; g.score = s; return g }
        let five = (0..<5).map { scored(face(Float($0) * 150, 0), 0.5 + Float($0) * 0.1) }
        XCTAssertEqual(t.update(five).count, 2)
        let kept = Set(t.tracks.map(\.id))
        XCTAssertEqual(t.tracks.map(\.score).sorted(), [0.8, 0.9], "the best two joined")
        for round in 0..<10 {
            // Scores flip: the other faces now score higher; the followed two stay.
            let flipped = five.enumerated().map { scored($0.element, $0.offset >= 3 ? 0.55 : 0.95 - Float(round) * 0.01) }
            XCTAssertLessThanOrEqual(t.update(flipped).count, 2)
            XCTAssertEqual(Set(t.tracks.map(\.id)), kept, "round \(round): ids do not flicker")
        }
        t.maxTracks = 1
        XCTAssertEqual(t.update(five).count, 1)
        XCTAssertEqual(t.takeEnded().count, 1, "the dropped track ends (its per-face state is freed)")
    }
}
