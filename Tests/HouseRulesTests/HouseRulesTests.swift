import Foundation
import SwiftVRTestSupport
import XCTest

/// The rules of docs/ARCHITECTURE.md that the compiler does not check, read from the
/// source tree: one-way layers, files of one screen of thought, no unexplained escapes
/// from Swift's checks.
final class HouseRulesTests: XCTestCase {
    /// Every Swift file under Sources/ and Tests/, with its lines.
    private func swiftFiles() throws -> [(path: String, lines: [Substring])] {
        var out: [(String, [Substring])] = []
        for root in ["Sources", "Tests"] {
            let base = TestPaths.repo + "/" + root
            let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: base))
            for case let rel as String in walker where rel.hasSuffix(".swift") {
                let text = try String(contentsOfFile: base + "/" + rel, encoding: .utf8)
                out.append((root + "/" + rel, text.split(separator: "\n", omittingEmptySubsequences: false)))
            }
        }
        XCTAssertGreaterThan(out.count, 50, "the walk found the source tree")
        return out
    }

    func testNoSwiftFileIsOverThreeHundredLines() throws {
        for f in try swiftFiles() {
            XCTAssertLessThanOrEqual(f.lines.count, 301, "\(f.path): \(f.lines.count) lines; split it by what it holds")
        }
    }

    /// Only the element, the plugin entry and the command (a GStreamer application) see
    /// GStreamer; the engine, the models and the face pipeline know nothing of it.
    func testOnlyTheElementLayerImportsGStreamer() throws {
        let allowed = ["Sources/SwiftVRElement/", "Sources/SwiftVRPlugin/", "Sources/swiftvr-restore/", "Tests/"]
        for f in try swiftFiles() where f.lines.contains(where: { $0.hasPrefix("import CGStreamer") }) {
            XCTAssertTrue(allowed.contains { f.path.hasPrefix($0) }, "\(f.path) imports GStreamer")
        }
    }

    /// Lower layers never import higher ones (Tensor → Models → Pipeline → Element).
    func testLayersImportOnlyDownwards() throws {
        let above: [String: [String]] = [
            "Sources/SwiftVRTensor/": ["SwiftVRModels", "SwiftVRPipeline", "SwiftVRElement"],
            "Sources/SwiftVRModels/": ["SwiftVRPipeline", "SwiftVRElement"],
            "Sources/SwiftVRPipeline/": ["SwiftVRElement"],
        ]
        for f in try swiftFiles() {
            for (folder, higher) in above where f.path.hasPrefix(folder) {
                for module in higher {
                    XCTAssertFalse(f.lines.contains { $0.hasPrefix("import \(module)") }, "\(f.path) imports \(module)")
                }
            }
        }
    }

    /// An `@unchecked Sendable` says why the type is safe to share: a comment on the line
    /// or in the doc comment just above it.
    func testEveryUncheckedSendableSaysWhy() throws {
        for f in try swiftFiles() where f.path.hasPrefix("Sources/") {
            for (i, line) in f.lines.enumerated() where line.contains("@unchecked Sendable") {
                var doc = i - 1
                var reason = line.contains("//")
                while doc >= 0, f.lines[doc].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    if f.lines[doc].contains("Sendable") || f.lines[doc].contains("SAFETY") { reason = true }
                    doc -= 1
                }
                XCTAssertTrue(reason, "\(f.path):\(i + 1) is @unchecked Sendable without a reason")
            }
        }
    }

    /// No public mutable global: kernels' tuning values are constants.
    func testNoPublicMutableGlobals() throws {
        for f in try swiftFiles() where f.path.hasPrefix("Sources/") {
            for (i, line) in f.lines.enumerated() where line.contains("public static var") && line.contains("nonisolated(unsafe)") {
                XCTFail("\(f.path):\(i + 1): a public mutable global")
            }
        }
    }

    /// The reference pages name code by type and function: line numbers drift.
    func testReferencePagesCiteNoLineNumbers() throws {
        let re = try NSRegularExpression(pattern: #"(`\w[\w.]*` :\d+|\.swift:\d+)"#)
        for page in ["README.md", "docs/ARCHITECTURE.md", "docs/BENCHMARKS.md", "docs/EVAL.md", "docs/RELIABILITY.md"] {
            let t = try String(contentsOfFile: TestPaths.repo + "/" + page, encoding: .utf8)
            let hits = re.matches(in: t, range: NSRange(t.startIndex..., in: t)).map { String(t[Range($0.range, in: t)!]) }
            XCTAssertEqual(hits, [], "\(page) cites line numbers")
        }
    }
}
