import Glibc
import SwiftVRModels
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// The shipped restoration model end to end: a window of four degraded face crops (the
/// held-out astronaut, blurred, noised and JPEG-compressed) in, the restored window out,
/// against what PyTorch made of the same window with the same file
/// (Tests/Fixtures/golden-window.safetensors, from training/fixtures/make_golden_fixture.py).
final class GoldenWindowTests: XCTestCase {
    func testShippedModelRestoresTheGoldenWindowAsPyTorchDoes() throws {
        let io = try SafetensorsFile(path: TestPaths.fixtures + "/golden-window.safetensors")
        let expected = try XCTUnwrap(io.metadata["model_fnv1a64"])
        XCTAssertEqual(try fnv1a64(TestPaths.restorer), expected,
                       "models/swiftvr-restorer.safetensors changed: rerun training/fixtures/make_golden_fixture.py")

        let model = try Restorer(path: TestPaths.restorer)
        let degraded = try io.tensor("degraded"), clean = try io.tensor("clean")
        let out = model(frames: degraded, mask: try io.tensor("mask"), tasks: try io.tensor("tasks").array,
                        state: Restorer.RunState()).frames
        print("golden window: relative error \(relativeError(out, try io.tensor("restored")))")
        assertClose(out, try io.tensor("restored"), tolerance: 1e-4, "restored window")

        // And the restoration is one: closer to the clean crops than the input was.
        let before = psnr(degraded, clean), after = psnr(out, clean)
        print(String(format: "golden window: PSNR degraded %.2f dB, restored %.2f dB", before, after))
        XCTAssertGreaterThan(after, before + 0.02, "the shipped model must improve a degraded face")
    }

    private func psnr(_ a: Tensor, _ b: Tensor) -> Double {
        var se = 0.0
        for i in 0..<a.count {
            let d = Double(min(max(a.data[i], 0), 1) - b.data[i])
            se += d * d
        }
        return 10 * log10(1 / (se / Double(a.count)))
    }

    /// 64-bit FNV-1a of a file's bytes (the fixture script computes the same).
    private func fnv1a64(_ path: String) throws -> String {
        let f = try XCTUnwrap(fopen(path, "rb"), "cannot open \(path)")
        defer { fclose(f) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            for i in 0..<n { h = (h ^ UInt64(buffer[i])) &* 0x100_0000_01b3 }
        }
        return String(h, radix: 16).leftPadded(to: 16)
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
