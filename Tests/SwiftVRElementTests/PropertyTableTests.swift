import CGStreamer
import Foundation
import SwiftVRTestSupport
import XCTest
@testable import SwiftVRElement

/// The README's property table says what the element installs: every property once, with
/// its type, range, default and whether it may change while PLAYING.
final class PropertyTableTests: XCTestCase {
    /// README rows: name → (type and range, default, while playing).
    func readmeRows() throws -> [String: (type: String, defaultText: String, playing: String)] {
        let text = try String(contentsOfFile: TestPaths.repo + "/README.md", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("| property | type, range | default | while playing |") })
        var rows: [String: (String, String, String)] = [:]
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("| `") else { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            XCTAssertNil(rows[name], "\(name) appears twice in the README")
            rows[name] = (cells[2], cells[3], cells[4])
        }
        return rows
    }

    func testReadmeTableMatchesTheInstalledProperties() throws {
        GstTestEnv.setUp()
        let element = try XCTUnwrap(gst_element_factory_make("swiftvr", nil))
        defer { gst_object_unref(element) }
        let rows = try readmeRows()
        let klass = UnsafeMutableRawPointer(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GTypeInstance.self).pointee.g_class!)
            .assumingMemoryBound(to: GObjectClass.self)
        let playingFlag = swiftvr_param_flags(1).rawValue & ~swiftvr_param_flags(0).rawValue
        var names: [String] = []
        for p in Properties.table {
            let name = "\(p.name)"
            names.append(name)
            let spec = try XCTUnwrap(g_object_class_find_property(klass, name), name)
            let row = try XCTUnwrap(rows[name], "README has no row for \(name)")
            XCTAssertEqual(row.playing, spec.pointee.flags.rawValue & playingFlag != 0 ? "yes" : "NULL/READY", name)
            let serialized: String? = {
                guard let d = g_param_spec_get_default_value(spec), let t = gst_value_serialize(d) else { return nil }
                defer { g_free(t) }
                return String(cString: t)
            }()
            switch p.value {
            case .uint(_, let r):
                XCTAssertEqual(row.type, "uint, \(r.lowerBound)–\(r.upperBound)", name)
                XCTAssertEqual(row.defaultText, serialized, name)
            case .float(_, let r):
                XCTAssertEqual(row.type, "double, \(Self.number(r.lowerBound))–\(Self.number(r.upperBound))", name)
                XCTAssertEqual(row.defaultText, serialized, name)
            case .bool:
                XCTAssertEqual(row.type, "bool", name)
                XCTAssertEqual(row.defaultText, serialized, name)
            case .tasks:
                XCTAssertTrue(row.type.hasPrefix("flags: restore, colorize, inpaint"), name)
                // The default's nicks (gst_value_serialize writes the values' long names).
                let flagsClass = UnsafeMutableRawPointer(g_type_class_ref(spec.pointee.value_type)).assumingMemoryBound(to: GFlagsClass.self)
                defer { g_type_class_unref(flagsClass) }
                let bits = g_value_get_flags(g_param_spec_get_default_value(spec))
                let nicks = (0..<Int(flagsClass.pointee.n_values)).compactMap { i -> String? in
                    let v = flagsClass.pointee.values[i]
                    return v.value & bits != 0 ? String(cString: v.value_nick) : nil
                }
                XCTAssertEqual(row.defaultText, nicks.joined(separator: "+"), name)
            case .path:
                XCTAssertEqual(row.type, "string", name)
            }
        }
        XCTAssertEqual(Set(rows.keys), Set(names), "README rows and installed properties")
        var count: guint = 0
        let specs = g_object_class_list_properties(klass, &count)
        g_free(specs)
        XCTAssertEqual(Int(count), names.count + 2, "the table's rows plus GstObject's name and parent")
    }

    static func number(_ v: Double) -> String { v == v.rounded() ? "\(Int(v))" : "\(v)" }
}
