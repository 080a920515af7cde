import Foundation
import XCTest

/// Files that try to hurt the reader: rewritten copies of a safetensors fixture, FIFOs
/// that never get a writer, and a time bound for calls that must not block.
public enum HostileFiles {
    /// A temporary path (removed by the caller).
    public static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "swiftvr-hostile-\(getpid())-\(UUID().uuidString.prefix(8))-\(name)"
    }

    /// Copies the safetensors file `source` to `destination`, with its `__metadata__`
    /// strings changed by `metadata` and every F32 value multiplied by `scale`.
    public static func rewrite(_ source: String, to destination: String, scale: Float = 1,
                               metadata: (inout [String: String]) -> Void = { _ in }) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let n = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as? [String: Any])
        var meta = header["__metadata__"] as? [String: String] ?? [:]
        metadata(&meta)
        header["__metadata__"] = meta
        var data = bytes.subdata(in: (8 + n)..<bytes.count)
        if scale != 1 {
            data.withUnsafeMutableBytes { raw in
                for (key, value) in header where key != "__metadata__" {
                    guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                          let offsets = entry["data_offsets"] as? [Int] else { continue }
                    for o in stride(from: offsets[0], to: offsets[1], by: 4) {
                        let v = raw.loadUnaligned(fromByteOffset: o, as: Float.self) * scale
                        raw.storeBytes(of: v, toByteOffset: o, as: Float.self)
                    }
                }
            }
        }
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        try out.write(to: URL(fileURLWithPath: destination))
    }

    /// A FIFO at a fresh path that no one writes to, for `body`. Should `body` block
    /// opening it (the defect these tests look for), a helper opens the write end after
    /// `rescueAfter` seconds so the test ends and fails instead of hanging.
    public static func withFIFO<R>(rescueAfter: Double = 10, _ body: (String) throws -> R) throws -> R {
        let path = temporary("fifo")
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let done = DispatchSemaphore(value: 0)
        let rescuer = Thread {
            if done.wait(timeout: .now() + rescueAfter) == .timedOut {
                let fd = open(path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
        rescuer.start()
        defer {
            done.signal()
            unlink(path)
        }
        return try body(path)
    }

    /// Seconds `body` took.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = Date()
        try body()
        return Date().timeIntervalSince(t0)
    }
}
