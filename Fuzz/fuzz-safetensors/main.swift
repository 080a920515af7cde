import FuzzSupport
import SwiftVRTensor

/// The safetensors reader and the strict loader: any file gives its tensors or a thrown
/// error; every tensor the header declares is read in full.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withInputFile(data, size) { path in
        guard let file = try? SafetensorsFile(path: path) else { return }
        let store = WeightStore(file: file)
        var sum: Float = 0
        for key in file.keys {
            guard let info = file.tensors[key], let t = try? store.get(key, shape: info.shape) else { continue }
            if t.count > 0 { sum += t.data[t.count - 1] }
        }
        _ = try? store.finish()
        blackHole(sum)
    }
    return 0
}

@inline(never) func blackHole(_ x: Float) {}
