import SwiftVRPipeline
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The motion-adaptive blend of a track's restored crops: noise that differs frame to
/// frame is averaged down, a face that moved keeps its own restoration (no ghost), and
/// window 1, a reset and a new crop size blend nothing.
final class TemporalBlendTests: XCTestCase {
    private var rng = SeededRandom()
    static let r = 48

    /// A smooth gradient with a bright square at (x0, y0), plus uniform noise of standard deviation `sigma`.
    private func frame(square x0: Int, _ y0: Int, sigma: Float) -> Tensor {
        let r = Self.r, t = Tensor(shape: [3, r, r]), noise = rng.tensor([3, r, r], scale: sigma * Float(3).squareRoot())
        for c in 0..<3 {
            for y in 0..<r {
                for x in 0..<r {
                    let inside = (x0..<(x0 + 12)).contains(x) && (y0..<(y0 + 12)).contains(y)
                    t.data[(c * r + y) * r + x] = 60 + Float(x + y + 10 * c) + (inside ? 100 : 0) + noise.data[(c * r + y) * r + x]
                }
            }
        }
        return t
    }

    /// The same frame with noise correlated over about three pixels, as compression and the
    /// crop's upsampling leave it in video: white noise box-filtered 3×3, scaled back to `sigma`.
    private func correlatedFrame(square x0: Int, _ y0: Int, sigma: Float, lift: Float = 0) -> Tensor {
        let r = Self.r, t = frame(square: x0, y0, sigma: 0)
        let white = rng.tensor([3, r, r], scale: 3 * sigma * Float(3).squareRoot())
        for c in 0..<3 {
            for y in 0..<r {
                for x in 0..<r {
                    var s: Float = 0
                    for dy in -1...1 { for dx in -1...1 { s += white.data[(c * r + min(max(y + dy, 0), r - 1)) * r + min(max(x + dx, 0), r - 1)] } }
                    let inside = (x0..<(x0 + 12)).contains(x) && (y0..<(y0 + 12)).contains(y)
                    t.data[(c * r + y) * r + x] += s / 9 + (inside ? lift : 0)
                }
            }
        }
        return t
    }

    /// Four noisy frames of a still square through a window-4 blend with an identity
    /// restorer (the blend alone removes noise): the last frame's RMS noise before and after.
    private func noiseBeforeAndAfter(_ noisy: () -> Tensor) -> (before: Float, after: Float) {
        let blend = TemporalBlend()
        blend.frames = 3
        let clean = frame(square: 10, 10, sigma: 0)
        var last: (before: Float, after: Float) = (0, 0)
        for _ in 0..<4 {
            let input = noisy(), output = copy(input)
            blend.apply(track: 1, input: input, output: output)
            last = (rms(input, clean), rms(output, clean))
        }
        return last
    }

    private func copy(_ t: Tensor) -> Tensor {
        let c = Tensor(shape: t.shape)
        c.data.update(from: t.data, count: t.count)
        return c
    }

    private func rms(_ a: Tensor, _ b: Tensor) -> Float {
        var s: Float = 0
        for i in 0..<a.count { s += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]) }
        return (s / Float(a.count)).squareRoot()
    }

    /// A still face with fresh noise in every frame: four frames averaged cut the noise
    /// to about half (1/√4 where every weight is 1).
    func testStillFaceNoiseIsAveraged() {
        let last = noiseBeforeAndAfter { frame(square: 10, 10, sigma: 6) }
        XCTAssertEqual(last.before, 6, accuracy: 0.5)
        XCTAssertLessThan(last.after, 0.6 * last.before, "noise \(last.before) → \(last.after)")
    }

    /// Noise correlated over a few pixels (most of a video's noise, after compression and the
    /// crop's upsampling) is averaged as well: its box means spread more than white noise's,
    /// and the noise level read from their low quantile must allow for that. Four frames
    /// with every weight 1 would cut the noise to 1/√4 of it.
    func testStillFaceCorrelatedNoiseIsAveraged() {
        let last = noiseBeforeAndAfter { correlatedFrame(square: 10, 10, sigma: 6) }
        XCTAssertEqual(last.before, 6, accuracy: 1)
        XCTAssertLessThan(last.after, 0.53 * last.before, "noise \(last.before) → \(last.after)")
    }

    /// Under the same correlated noise, a square that brightens by 12 grey levels (twice the
    /// noise; a mouth opening, an eye closing) keeps its new level: earlier frames are not
    /// blended into it.
    func testChangeUnderCorrelatedNoiseDoesNotGhost() {
        let blend = TemporalBlend()
        blend.frames = 3
        for _ in 0..<3 {
            let input = correlatedFrame(square: 18, 18, sigma: 6)
            blend.apply(track: 3, input: input, output: copy(input))
        }
        let input = correlatedFrame(square: 18, 18, sigma: 6, lift: 12), output = copy(input)
        blend.apply(track: 3, input: input, output: output)
        let r = Self.r
        var change: Float = 0
        for c in 0..<3 { for y in 20..<28 { for x in 20..<28 { let i = (c * r + y) * r + x; change += input.data[i] - output.data[i] } } }
        change /= 3 * 64
        XCTAssertLessThan(abs(change), 1, "the square's inside pulled \(change) grey levels back toward its old level")
    }

    /// The square (100 grey levels above the background) moves by 16 pixels: where it was
    /// and where it is now the frame keeps its own restoration — a ghost would be tens of
    /// grey levels. (The moving square pulls the shift search a little, so the still
    /// background may move by a grey level.)
    func testMovedFaceDoesNotGhost() {
        let blend = TemporalBlend()
        blend.frames = 3
        for _ in 0..<3 {
            let input = frame(square: 8, 8, sigma: 0)
            blend.apply(track: 7, input: input, output: copy(input))
        }
        let input = frame(square: 24, 24, sigma: 0), output = copy(input)
        blend.apply(track: 7, input: input, output: output)
        XCTAssertLessThan(rms(output, input), 1)
        var worst: Float = 0
        for i in 0..<input.count { worst = max(worst, abs(output.data[i] - input.data[i])) }
        XCTAssertLessThan(worst, 2, "the old square's ghost or the new one's fading")
    }

    /// The shift measured before restoring (for the restorer's past features) is the
    /// crop's shift from the track's last crop, and `apply` then blends exactly as it does
    /// when it measures the shift itself; a track with nothing kept has none.
    func testShiftMeasuredBeforeApplyIsTheOneApplyUses() throws {
        let (measured, plain) = (TemporalBlend(), TemporalBlend())
        (measured.frames, plain.frames) = (3, 3)
        XCTAssertNil(measured.shift(track: 4, input: frame(square: 10, 10, sigma: 0)), "nothing kept yet")
        for x0 in [10, 12, 14] {                                 // the square moves 2 pixels right
            let input = frame(square: x0, 14, sigma: 2)
            let shift = measured.shift(track: 4, input: input)
            let (a, b) = (copy(input), copy(input))
            if x0 == 14 {
                // A measurement in between (another crop) replaced the scratch: the stale
                // value is not trusted, apply measures again and blends the same.
                _ = measured.shift(track: 4, input: frame(square: 30, 30, sigma: 0))
            }
            measured.apply(track: 4, input: input, output: a, measured: shift)
            plain.apply(track: 4, input: input, output: b)
            XCTAssertEqual(a.array, b.array, "x0 \(x0)")
            if x0 == 12 {
                // previous(p + shift) ≈ this(p): the square was 2 pixels further left.
                let (dx, dy) = try XCTUnwrap(shift).shift
                XCTAssertEqual(dx, -2, accuracy: 0.5)
                XCTAssertEqual(dy, 0, accuracy: 0.5)
            }
        }
        XCTAssertNil(measured.shift(track: 5, input: frame(square: 10, 10, sigma: 0)), "another track")
    }

    /// Window 1 (no earlier frames), another track, a reset or a new crop size: nothing to blend with.
    func testNothingToBlendWith() {
        let blend = TemporalBlend()
        blend.frames = 3
        let first = frame(square: 10, 10, sigma: 6)
        blend.apply(track: 1, input: first, output: copy(first))
        func unchanged(_ track: UInt32, _ size: Int, _ what: String) {
            let input = size == Self.r ? frame(square: 10, 10, sigma: 6) : rng.tensor([3, size, size], scale: 50)
            let output = copy(input)
            blend.apply(track: track, input: input, output: output)
            XCTAssertEqual(output.array, input.array, what)
        }
        unchanged(2, Self.r, "another track")
        blend.reset()
        unchanged(1, Self.r, "after a reset")
        unchanged(1, 40, "a new crop size")
        blend.frames = 0
        unchanged(1, 40, "window 1")
        unchanged(1, 40, "window 1, again")
    }

    /// The blend's planes and bands split across threads: one thread and three (each
    /// box-filter band then starts its column sums from the rows above it) agree.
    func testThreadsDoNotChangeTheBlend() {
        let (one, three) = (TemporalBlend(pool: ThreadPool(threads: 1)), TemporalBlend(pool: ThreadPool(threads: 3)))
        for f in 0..<4 {
            let input = frame(square: 10 + 3 * f, 12, sigma: 4)
            let (a, b) = (copy(input), copy(input))
            one.apply(track: 1, input: input, output: a)
            three.apply(track: 1, input: input, output: b)
            XCTAssertLessThan(rms(a, b), 1e-3, "frame \(f)")
        }
    }

    /// The blend against its definition, written out plainly: each earlier frame's luma
    /// and restoration moved onto this crop by the summed shifts (separable Catmull-Rom,
    /// edges clamped), B the 7×7 mean (clipped at the borders) of the squared luma
    /// difference, 2σ² from B's 10 % quantile, and the normalised weighted mean.
    func testBlendMatchesItsDefinition() throws {
        let r = Self.r, plane = r * r
        let blend = TemporalBlend()
        blend.frames = 3
        var inputs: [Tensor] = [], restored: [Tensor] = [], shifts: [(Float, Float)] = [], last = Tensor(shape: [0])
        for f in 0..<4 {
            let input = correlatedFrame(square: 10 + f, 12, sigma: 5)
            let output = copy(input)
            for i in 0..<output.count { output.data[i] = 0.9 * output.data[i] + 10 + Float(i % 7) }
            restored.append(copy(output))
            inputs.append(input)
            let measured = blend.shift(track: 9, input: input)
            shifts.append(measured?.shift ?? (0, 0))
            blend.apply(track: 9, input: input, output: output, measured: measured)
            last = output
        }
        func luma(_ t: Tensor) -> [Float] { (0..<plane).map { (t.data[$0] + t.data[plane + $0] + t.data[2 * plane + $0]) / 3 } }
        func cubic(_ t: Float) -> [Float] {
            let (t2, t3) = (t * t, t * t * t)
            return [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2]
        }
        func moved(_ p: [Float], _ dx: Float, _ dy: Float) -> [Float] {
            let (ix, iy) = (Int(dx.rounded(.down)), Int(dy.rounded(.down)))
            let (wx, wy) = (cubic(dx - Float(ix)), cubic(dy - Float(iy)))
            func at(_ i: Int, _ j: Int) -> Float { p[min(max(i, 0), r - 1) * r + min(max(j, 0), r - 1)] }
            var out = [Float](repeating: 0, count: plane)
            for i in 0..<r {
                for j in 0..<r {
                    var v: Float = 0
                    for a in 0..<4 { for b in 0..<4 { v += wy[a] * wx[b] * at(i + iy + a - 1, j + ix + b - 1) } }
                    out[i * r + j] = v
                }
            }
            return out
        }
        let now = luma(inputs[3])
        var sum = (0..<3 * plane).map { restored[3].data[$0] }, weights = [Float](repeating: 1, count: plane)
        var (dx, dy): (Float, Float) = (0, 0)
        for n in stride(from: 2, through: 0, by: -1) {
            (dx, dy) = (dx + shifts[n + 1].0, dy + shifts[n + 1].1)
            let m = moved(luma(inputs[n]), dx, dy)
            var box = [Float](repeating: 0, count: plane)
            for i in 0..<r {
                for j in 0..<r {
                    var (s, count): (Float, Float) = (0, 0)
                    for a in max(0, i - 3)...min(r - 1, i + 3) {
                        for b in max(0, j - 3)...min(r - 1, j + 3) { s += (now[a * r + b] - m[a * r + b]) * (now[a * r + b] - m[a * r + b]); count += 1 }
                    }
                    box[i * r + j] = s / count
                }
            }
            let samples = stride(from: 0, to: plane, by: 29).map { box[$0] }.sorted()
            let noise = max(samples[Int(Float(samples.count - 1) * 0.1)] / 0.487, 2 * 2.5 * 2.5)
            let channels = (0..<3).map { c in moved(Array(restored[n].array[c * plane..<(c + 1) * plane]), dx, dy) }
            for k in 0..<plane {
                let w = expf(-2 * max(0, box[k] / noise - 1))
                weights[k] += w
                for c in 0..<3 { sum[c * plane + k] += w * channels[c][k] }
            }
        }
        var worst: Float = 0
        for c in 0..<3 { for k in 0..<plane { worst = max(worst, abs(sum[c * plane + k] / weights[k] - last.data[c * plane + k])) } }
        XCTAssertLessThan(worst, 0.01, "grey levels from the definition")
        XCTAssertNotEqual(shifts[3].0, 0, "the square moved: the frames were shifted")
    }
}
