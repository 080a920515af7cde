import Foundation
import SwiftVRTensor
import SwiftVRTestSupport
import XCTest

/// docs/figures.json is the one source of the headline figures: the parameter counts are
/// those of the shipped files, the measured figures are those of the docs' latest tables,
/// and every place the README and the docs quote one says the same.
final class HeadlineFigureTests: XCTestCase {
    private func figure(_ key: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.repo + "/docs/figures.json"))
        let all = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try XCTUnwrap(all[key] as? [String: Any], key)
        return try XCTUnwrap(entry["value"] as? String, key)
    }

    private func text(_ rel: String) throws -> String {
        try String(contentsOfFile: TestPaths.repo + "/" + rel, encoding: .utf8)
    }

    /// The reference pages and the README (docs/runs/ keeps history and is not checked).
    private let pages = ["README.md", "models/README.md", "docs/ARCHITECTURE.md", "docs/BENCHMARKS.md",
                         "docs/EVAL.md", "docs/RELIABILITY.md"]

    /// Every match of `pattern`'s first capture group in the pages.
    private func quotes(_ pattern: String, in files: [String]? = nil) throws -> [(String, String)] {
        let re = try NSRegularExpression(pattern: pattern)
        var out: [(String, String)] = []
        for f in files ?? pages {
            let t = try text(f)
            for m in re.matches(in: t, range: NSRange(t.startIndex..., in: t)) {
                out.append((f, String(t[Range(m.range(at: 1), in: t)!])))
            }
        }
        return out
    }

    private func parametersM(_ path: String) throws -> String {
        let file = try SafetensorsFile(path: path)
        let count = file.tensors.values.reduce(0) { $0 + $1.shape.reduce(1, *) }
        return String(format: "%.2f", Double(count) / 1e6)
    }

    func testParameterCountsAreTheShippedFiles() throws {
        XCTAssertEqual(try parametersM(TestPaths.restorer), try figure("restorer_parameters_M"))
        XCTAssertEqual(try parametersM(TestPaths.centerface), try figure("detector_parameters_M"))
    }

    func testEveryQuotedModelSizeIsTheSource() throws {
        let (params, gflop) = (try figure("restorer_parameters_M"), try figure("restorer_gflop_256"))
        let sizes = try quotes(#"(\d+\.\d+ M parameters, \d+\.\d+ GFLOP)"#)
        XCTAssertGreaterThanOrEqual(sizes.count, 3, "README, EVAL and models/README quote the restorer's size")
        for (file, q) in sizes {
            XCTAssertEqual(q, "\(params) M parameters, \(gflop) GFLOP", file)
        }
        for (file, q) in try quotes(#"CenterFace face detector \(MobileNetV2 \+ neck \+ heads, (\d+\.\d+) M parameters"#) {
            XCTAssertEqual(q, try figure("detector_parameters_M"), file)
        }
    }

    func testCleanFaceFigureIsEvalsLatestRun() throws {
        let db = try figure("clean_face_db")
        let readme = try quotes(#"clean faces come out at (\d+\.\d) dB"#, in: ["README.md"])
        XCTAssertEqual(readme.map(\.1), [db])
        let eval = try quotes(#"\| clean \| swiftvr window=4 \| (\d+\.\d+) \|"#, in: ["docs/EVAL.md"])
        XCTAssertEqual(eval.count, 1, "EVAL's latest table has one clean window-4 row")
        XCTAssertEqual(try XCTUnwrap(Double(eval[0].1)), try XCTUnwrap(Double(db)), accuracy: 0.05)
    }

    func testSpeedFigureIsBenchmarksLatestRun() throws {
        let ratio = try figure("fps_per_sgemm_gflops_720p_one_face")
        let readme = try quotes(#"one face at the defaults runs at (\d\.\d+) FPS per GFLOP/s"#, in: ["README.md"])
        XCTAssertEqual(readme.map(\.1), [ratio])
        let bench = try quotes(#"\| 1280x720 \| 1 \| [0-9.]+ \| (\d\.\d+) \|"#, in: ["docs/BENCHMARKS.md"])
        XCTAssertEqual(bench.map(\.1), [ratio], "BENCHMARKS' per-unit-of-compute table")
    }
}
