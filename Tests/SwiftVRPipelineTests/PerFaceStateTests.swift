import SwiftVRModels
import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// Per-face state has one owner event: the tracker's list of ended tracks
/// (FaceTrackerTests checks it over 70 faces coming and going). Here, with the real
/// detector, faces come and go while two stay: the two keep their context (one track
/// each, every frame seen by the restorer), every ended face is forgotten by the
/// restorer and the processor, and nothing holds more faces than the frame shows; and
/// the model restorer forgets exactly the faces it is told to.
final class PerFaceStateTests: XCTestCase {
    static let (slot, slots) = (128, 3)

    /// The astronaut at 128² (2×2 box average of the 256² fixture), packed RGB.
    static func smallAstronaut() throws -> [UInt8] {
        let (rgb, _) = try AlignmentTests.astronaut()
        var out = [UInt8](repeating: 0, count: slot * slot * 3)
        for y in 0..<slot {
            for x in 0..<slot {
                for c in 0..<3 {
                    var s = 0
                    for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] { s += Int(rgb[((2 * y + dy) * 256 + 2 * x + dx) * 3 + c]) }
                    out[(y * slot + x) * 3 + c] = UInt8(s / 4)
                }
            }
        }
        return out
    }

    /// A restorer that keeps something per face, as a real one does, and forgets it
    /// only when told.
    final class PerTrackRestorer: FaceRestorer {
        var held: [UInt32: Int] = [:]   // crops seen, per face
        var forgotten: [UInt32] = []
        var mostHeld = 0
        func restore(track: UInt32, _ crops: [Tensor], masks: [Tensor]?, settings: RestoreSettings) throws(PipelineError) -> RestoreTimings {
            held[track, default: 0] += crops.count
            mostHeld = max(mostHeld, held.count)
            return RestoreTimings()
        }
        func reset() { held.removeAll() }
        func forget(tracks: [UInt32]) {
            forgotten += tracks
            for id in tracks { held[id] = nil }
        }
    }

    func testEndedTracksTakeTheirStateWithThem() throws {
        let face = try Self.smallAstronaut()
        let (w, h) = (Self.slot * Self.slots, Self.slot)
        let restorer = PerTrackRestorer()
        let processor = FaceWindowProcessor(detector: try Detectors.load(path: TestPaths.centerface), restorer: restorer)
        var settings = ProcessingSettings()
        settings.detector.inputLongSide = w / 2   // the faces are large: a debug build's detector is slow
        settings.detector.minFaceSize = 0
        settings.detectEvery = 1
        settings.maxMissed = 1   // a face gone for two frames has ended
        let cycles = 5, frames = 3 * cycles
        var steady: [Set<UInt32>] = [[], []]
        var mostSizes = 0
        for t in 0..<frames {
            // Slots 0 and 1 always hold a face; slot 2 a new one on every third frame.
            var f = [UInt8](repeating: 90, count: w * h * 3)
            for s in 0..<Self.slots where s < 2 || t % 3 == 0 {
                for y in 0..<Self.slot {
                    let row = (y * w + s * Self.slot) * 3
                    for k in 0..<(Self.slot * 3) { f[row + k] = face[y * Self.slot * 3 + k] }
                }
            }
            let report = try f.withUnsafeMutableBufferPointer { buf in
                let view = try FrameView(format: .rgb, width: w, height: h,
                                         planes: [Plane(base: buf.baseAddress!, stride: w * 3, rowBytes: w * 3, rows: h)])
                return try processor.process([view], colorimetry: .bt601, settings: settings).reports[0]
            }
            for track in report.faces {
                let centre = (track.face.x1 + track.face.x2) / 2
                if centre < Float(2 * Self.slot) { steady[Int(centre) / Self.slot].insert(track.id) }
            }
            mostSizes = max(mostSizes, processor.facesHeld)
        }
        XCTAssertEqual(steady.map(\.count), [1, 1], "each steady face keeps one track throughout")
        let ids = steady.map { $0.first! }
        XCTAssertEqual(Set(restorer.forgotten).count, cycles, "every passing face came and went")
        XCTAssertFalse(restorer.forgotten.contains(ids[0]) || restorer.forgotten.contains(ids[1]), "live faces are never forgotten")
        XCTAssertEqual(ids.map { restorer.held[$0] }, [frames, frames], "the steady faces' state saw every frame")
        XCTAssertLessThanOrEqual(restorer.mostHeld, 3, "the restorer never held more faces than were in the frame")
        XCTAssertLessThanOrEqual(mostSizes, 3, "the processor never held more faces than were in the frame")
    }

    /// The model restorer drops a face's cache and blend frames when told the track
    /// ended, and only then: a face that stays restores exactly as if no other face had
    /// come and gone.
    func testModelRestorerForgetsOnlyEndedFaces() throws {
        let model = try Restorer(path: TestPaths.fixtures + "/restorer-naf.safetensors")
        let churned = ModelRestorer(model: model), alone = ModelRestorer(model: model)   // one set of weights, two run states
        var settings = RestoreSettings()
        settings.window = 3
        var rng = SplitMix(seed: 7)
        func crop() -> Tensor { Tensor(shape: [3, 32, 32], values: (0..<(3 * 32 * 32)).map { _ in Float(rng.next() % 256) }) }
        var last: (Tensor, Tensor)?
        for step in 0..<30 {
            let mine = crop()
            let copy = Tensor(shape: mine.shape, values: mine.array)
            _ = try churned.restore(track: 1, [mine], masks: nil, settings: settings)
            _ = try alone.restore(track: 1, [copy], masks: nil, settings: settings)
            last = (mine, copy)
            let passing = UInt32(100 + step)    // a face seen once, then its track ends
            _ = try churned.restore(track: passing, [crop()], masks: nil, settings: settings)
            churned.forget(tracks: [passing])
        }
        XCTAssertEqual(churned.facesHeld, 1)
        XCTAssertEqual(last!.0.array, last!.1.array, "the face that stayed kept its context")
        churned.forget(tracks: [1])
        XCTAssertEqual(churned.facesHeld, 0)
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
