import SwiftVRPipeline
import XCTest

final class TemporalWindowTests: XCTestCase {
    func testFullWindowComesOutOnItsLastFrame() {
        var w = TemporalWindow<Int>(capacity: 3)
        XCTAssertNil(w.append(1))
        XCTAssertNil(w.append(2))
        XCTAssertEqual(w.append(3), [1, 2, 3])
        XCTAssertTrue(w.isEmpty)
    }

    func testDrainReturnsPartialWindowInOrder() {
        var w = TemporalWindow<Int>(capacity: 4)
        _ = w.append(7)
        _ = w.append(8)
        XCTAssertEqual(w.drain(), [7, 8])
        XCTAssertEqual(w.drain(), [])
    }

    func testCapacityIsClampedToRange() {
        XCTAssertEqual(TemporalWindow<Int>(capacity: 0).capacity, 1)
        XCTAssertEqual(TemporalWindow<Int>(capacity: 99).capacity, 16)
    }

    func testShrinkingReleasesHeldFramesGrowingKeepsThem() {
        var w = TemporalWindow<Int>(capacity: 8)
        for i in 0..<3 { _ = w.append(i) }
        XCTAssertNil(w.setCapacity(10))
        XCTAssertEqual(w.count, 3)
        XCTAssertEqual(w.setCapacity(2), [0, 1, 2])
        XCTAssertEqual(w.capacity, 2)
    }
}

final class WindowLatencyTests: XCTestCase {
    func testHoldingDelayIsWindowMinusOneFrames() {
        XCTAssertEqual(WindowLatency.holding(capacity: 1, framerate: (30, 1)), 0)
        XCTAssertEqual(WindowLatency.holding(capacity: 4, framerate: (30, 1)), 100_000_000)
        XCTAssertEqual(WindowLatency.holding(capacity: 2, framerate: (30000, 1001)), 33_366_667)
    }

    func testVariableRateFallsBack() {
        XCTAssertEqual(WindowLatency.holding(capacity: 3, framerate: (0, 1), maxFramerate: (50, 1)), 40_000_000)
        XCTAssertEqual(WindowLatency.holding(capacity: 3, framerate: (0, 1)), 66_666_667)
    }
}

final class FrameViewTests: XCTestCase {
    func testPlaneExtentsRoundChromaUp() {
        XCTAssertTrue(PixelFormat.i420.planeExtent(1, width: 17, height: 13) == (9, 7))
        XCTAssertTrue(PixelFormat.nv12.planeExtent(1, width: 17, height: 13) == (18, 7))
        XCTAssertTrue(PixelFormat.rgbx.planeExtent(0, width: 17, height: 13) == (68, 13))
    }

    func testRejectsStrideShorterThanARow() {
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        defer { buf.deallocate() }
        XCTAssertThrowsError(try FrameView(format: .rgb, width: 10, height: 2,
                                           planes: [Plane(base: buf, stride: 20, rowBytes: 30, rows: 2)]))
        XCTAssertThrowsError(try FrameView(format: .i420, width: 10, height: 2,
                                           planes: [Plane(base: buf, stride: 10, rowBytes: 10, rows: 2)]))
        XCTAssertNoThrow(try FrameView(format: .rgb, width: 10, height: 2,
                                       planes: [Plane(base: buf, stride: 32, rowBytes: 30, rows: 2)]))
    }
}
