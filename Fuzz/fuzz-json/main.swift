import SwiftVRTensor

/// The JSON parser (safetensors headers, model configurations): any bytes give a
/// value or a thrown error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? JSON.parse(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
