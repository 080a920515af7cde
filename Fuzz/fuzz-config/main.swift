import SwiftVRModels

/// The restorer's configuration: any text gives a configuration that passed every
/// rule, or a thrown error naming the key.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? RestorerConfig(json: String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
    return 0
}
