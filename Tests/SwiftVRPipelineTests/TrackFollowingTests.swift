import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Detection every k frames with the tracked faces followed in between: the astronaut
/// portrait slides across a larger frame at a known speed; the followed landmarks must
/// stay where the face really is (the fixture's reference landmarks, shifted), with one
/// track id throughout — where merely coasting at the last velocity lags behind.
final class TrackFollowingTests: XCTestCase {
    static let (width, height, frames) = (512, 352, 8)
    static let step = (x: 7, y: 4)  // pixels per frame

    /// The clip as packed RGB frames, and each frame's true landmarks.
    static func clip() throws -> (frames: [[UInt8]], landmarks: [[(x: Float, y: Float)]]) {
        let (rgb, face) = try AlignmentTests.astronaut()
        var frames: [[UInt8]] = [], truth: [[(x: Float, y: Float)]] = []
        for t in 0..<Self.frames {
            let (ox, oy) = (20 + t * step.x, 30 + t * step.y)
            var f = [UInt8](repeating: 90, count: width * height * 3)
            for y in 0..<256 {
                for x in 0..<256 {
                    for c in 0..<3 { f[((oy + y) * width + ox + x) * 3 + c] = rgb[(y * 256 + x) * 3 + c] }
                }
            }
            frames.append(f)
            truth.append(face.landmarks.map { ($0.x + Float(ox), $0.y + Float(oy)) })
        }
        return (frames, truth)
    }

    /// The mean and largest landmark error (pixels) over the clip, of the newest track on each frame,
    /// and the track ids seen.
    func run(detectEvery: Int, follow: Bool) throws -> (mean: Float, worst: Float, ids: Set<UInt32>) {
        let (frames, truth) = try Self.clip()
        let processor = FaceWindowProcessor(detector: try Detectors.load(path: TestPaths.centerface))
        var settings = ProcessingSettings()
        settings.detectEvery = detectEvery
        settings.followTracks = follow
        settings.detector.minFaceSize = 0
        // One buffer holding every frame, so all views stay valid for the whole window.
        var bytes = frames.flatMap { $0 }
        let size = Self.width * Self.height * 3
        let reports = try bytes.withUnsafeMutableBufferPointer { buf in
            let views = try (0..<frames.count).map { i in
                try FrameView(format: .rgb, width: Self.width, height: Self.height,
                              planes: [Plane(base: buf.baseAddress! + i * size, stride: Self.width * 3, rowBytes: Self.width * 3, rows: Self.height)])
            }
            return try processor.process(views, colorimetry: .bt601, settings: settings).reports
        }
        var worst: Float = 0, sum: Float = 0, count = 0, ids: Set<UInt32> = []
        for (t, report) in reports.enumerated() {
            for track in report.faces { ids.insert(track.id) }
            guard let track = report.faces.max(by: { $0.id < $1.id }) else { worst = .infinity; continue }
            for (p, q) in zip(track.face.landmarks, truth[t]) {
                let e = ((p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y)).squareRoot()
                (worst, sum, count) = (max(worst, e), sum + e, count + 1)
            }
        }
        return (sum / Float(max(count, 1)), worst, ids)
    }

    func testFollowedFacesStayOnTheFaceBetweenDetections() throws {
        let everyFrame = try run(detectEvery: 1, follow: false)
        let followed = try run(detectEvery: 4, follow: true)
        let coasted = try run(detectEvery: 4, follow: false)
        print("landmark error over the clip, mean / worst: detect-every 1 \(everyFrame.mean) / \(everyFrame.worst) px; "
              + "detect-every 4 followed \(followed.mean) / \(followed.worst) px, coasted \(coasted.mean) / \(coasted.worst) px")
        XCTAssertEqual(everyFrame.ids, [1])
        XCTAssertEqual(followed.ids, [1], "one track throughout")
        // The tracker's smoothing lags a moving face by a pixel or two either way.
        XCTAssertLessThanOrEqual(followed.mean, everyFrame.mean + 0.75, "followed landmarks about as close as detecting every frame")
        XCTAssertLessThanOrEqual(followed.worst, 5)
        XCTAssertGreaterThan(coasted.mean, 3 * followed.mean, "coasting from a standing start lags the moving face")
    }
}
