/// Strict weight loading over a safetensors file, in the manner of candle's VarBuilder:
/// a model asks for each tensor by its PyTorch state-dict path with the shape it
/// expects; `finish()` then fails if the file held anything the model did not use.
public final class WeightStore {
    public let file: SafetensorsFile
    private var used: Set<String> = []

    public init(file: SafetensorsFile) { self.file = file }

    public convenience init(path: String) throws(TensorError) {
        self.init(file: try SafetensorsFile(path: path))
    }

    public var metadata: [String: String] { file.metadata }

    public func get(_ key: String, shape: [Int]) throws(TensorError) -> Tensor {
        guard let info = file.tensors[key] else { throw .missingKey(key) }
        guard info.shape == shape else { throw .shapeMismatch(key: key, expected: shape, found: info.shape) }
        used.insert(key)
        let t = try file.tensor(key)
        // A NaN or infinite weight would turn every output it touches into NaN.
        for k in 0..<t.count where !t.data[k].isFinite { throw .nonFinite(key: key, index: k) }
        return t
    }

    /// Throws when the file has weights no layer asked for.
    public func finish() throws(TensorError) {
        let unused = Set(file.tensors.keys).subtracting(used)
        guard unused.isEmpty else { throw .unusedKeys(unused.sorted()) }
    }

    public var root: VarBuilder { VarBuilder(store: self, prefix: "") }
}

/// A path into a `WeightStore`: `vb.pp("backbone").pp("features.0")["weight"]`.
public struct VarBuilder {
    public let store: WeightStore
    public let prefix: String

    public func pp(_ name: String) -> VarBuilder {
        VarBuilder(store: store, prefix: prefix.isEmpty ? name : prefix + "." + name)
    }

    public func path(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    public func get(_ name: String, shape: [Int]) throws(TensorError) -> Tensor {
        try store.get(path(name), shape: shape)
    }

}
