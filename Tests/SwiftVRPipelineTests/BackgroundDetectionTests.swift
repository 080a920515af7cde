import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import Dispatch
import XCTest
@testable import SwiftVRPipeline

/// The periodic whole-frame detection runs beside the stream while faces are followed:
/// the frame it is due on does not wait for it, a face that appears is still found, and
/// a reset (flushing seek, caps change) in the middle of a detection leaves no stale face.
final class BackgroundDetectionTests: XCTestCase {
    static let (width, height) = (528, 260)

    /// A grey frame with the astronaut portrait at each of `at` (top-left corners).
    static func frame(_ rgb: [UInt8], at corners: [(x: Int, y: Int)]) -> [UInt8] {
        var f = [UInt8](repeating: 90, count: width * height * 3)
        for (ox, oy) in corners {
            for y in 0..<256 { for x in 0..<256 { for c in 0..<3 { f[((oy + y) * width + ox + x) * 3 + c] = rgb[(y * 256 + x) * 3 + c] } } }
        }
        return f
    }

    func process(_ processor: FaceWindowProcessor, _ bytes: [UInt8], settings: ProcessingSettings) throws -> [FaceTrack] {
        var b = bytes
        return try b.withUnsafeMutableBufferPointer { buf in
            let view = try FrameView(format: .rgb, width: Self.width, height: Self.height,
                                     planes: [Plane(base: buf.baseAddress!, stride: Self.width * 3, rowBytes: Self.width * 3, rows: Self.height)])
            return try processor.process([view], colorimetry: .bt601, settings: settings).reports[0].faces
        }
    }

    func settings() -> ProcessingSettings {
        var s = ProcessingSettings()
        s.detectEvery = 5
        s.detector.minFaceSize = 0
        s.detector.inputLongSide = 320   // the debug-built network at a third of the default cost
        return s
    }

    func testANewFaceIsFoundWhileTheFollowedOneKeepsItsId() throws {
        let (rgb, _) = try AlignmentTests.astronaut()
        let one = Self.frame(rgb, at: [(4, 2)]), two = Self.frame(rgb, at: [(4, 2), (268, 2)])
        let processor = FaceWindowProcessor(detector: try Detectors.load(path: TestPaths.centerface))
        let first = try process(processor, one, settings: settings())
        XCTAssertEqual(first.count, 1, "no face followed yet: the first detection runs on the frame itself")
        let id = try XCTUnwrap(first.first?.id)
        var foundAt: Int?
        for n in 1..<60 {
            let faces = try process(processor, two, settings: settings())
            XCTAssertTrue(faces.contains { $0.id == id }, "frame \(n): the followed face keeps its id")
            if n == 5 { XCTAssertTrue(processor.background.busy, "frame 5 is due: its detection runs beside the stream") }
            if faces.count == 2 { foundAt = n; break }
            usleep(20_000)   // frames arrive at a stream's pace while the detection runs
        }
        let at = try XCTUnwrap(foundAt, "the face that appeared is found")
        XCTAssertGreaterThan(at, 5, "found by the detection that ran beside the stream")
    }

    func testAStarvedDetectionIsGivenUpAndTheFrameDetectedOn() throws {
        let (rgb, _) = try AlignmentTests.astronaut()
        let one = Self.frame(rgb, at: [(4, 2)]), two = Self.frame(rgb, at: [(4, 2), (268, 2)])
        let gate = DispatchSemaphore(value: 0)
        let processor = FaceWindowProcessor(detector: Starved(try Detectors.load(path: TestPaths.centerface), gate: gate))
        defer {
            gate.signal()   // the detection beside the stream may end, so its thread can be joined
            _ = processor.background.waitUntilIdle(seconds: 120)
        }
        var often = settings()
        often.detectEvery = 2   // the same rule in fewer (slow, debug-built) frames
        XCTAssertEqual(try process(processor, one, settings: often).count, 1)
        let limit = FaceWindowProcessor.starvedAfter * often.detectEvery
        var foundAt: Int?
        for n in 1...(limit + 8) {
            if try process(processor, two, settings: often).count == 2 { foundAt = n; break }
        }
        let at = try XCTUnwrap(foundAt, "the face that appeared is found though the detection beside the stream never ends")
        XCTAssertGreaterThan(at, limit, "found by the frame's own detection once the one beside the stream was given up")
        XCTAssertLessThanOrEqual(at, limit + 6)
        XCTAssertTrue(processor.background.busy, "the starved detection is still blocked: its result was not waited for")
    }

    func testAResetDropsTheDetectionInFlight() throws {
        let (rgb, _) = try AlignmentTests.astronaut()
        let face = Self.frame(rgb, at: [(4, 2)]), grey = Self.frame(rgb, at: [])
        let processor = FaceWindowProcessor(detector: try Detectors.load(path: TestPaths.centerface))
        for _ in 0..<6 { _ = try process(processor, face, settings: settings()) }   // frame 5 is due
        XCTAssertTrue(processor.background.busy, "a detection is in flight")
        processor.reset()   // a flushing seek: what follows is other content
        XCTAssertTrue(processor.background.waitUntilIdle(seconds: 120), "the detection in flight ends (SCHED_IDLE: slow on a loaded host)")
        for n in 0..<8 {
            XCTAssertEqual(try process(processor, grey, settings: settings()).count, 0, "frame \(n) after the reset: no stale face")
        }
    }
}

/// The shipped detector, whose detections beside the stream get no cycle until `gate` is
/// signalled (a host whose other work takes every cycle SCHED_IDLE would get).
private final class Starved: FaceDetecting {
    let real: FaceDetecting, gate: DispatchSemaphore, beside: Bool

    init(_ real: FaceDetecting, gate: DispatchSemaphore, beside: Bool = false) {
        (self.real, self.gate, self.beside) = (real, gate, beside)
    }

    func prepare(_ frame: FrameView, colorimetry: Colorimetry, settings: DetectorSettings) -> PreparedFrame {
        real.prepare(frame, colorimetry: colorimetry, settings: settings)
    }

    func finish(_ input: PreparedFrame, settings: DetectorSettings) -> Detected {
        if beside { gate.wait(); gate.signal() }
        return real.finish(input, settings: settings)
    }

    func detect(around expected: [FaceDetection], in frame: FrameView, colorimetry: Colorimetry,
                settings: DetectorSettings) -> Detected {
        real.detect(around: expected, in: frame, colorimetry: colorimetry, settings: settings)
    }

    func sibling() -> FaceDetecting { Starved(real.sibling(), gate: gate, beside: true) }
}
