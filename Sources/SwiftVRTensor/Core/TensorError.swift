/// Errors from the engine: malformed weight files, strict-loading failures, shape errors.
/// Each names the file offset or the key path so the message alone tells what is wrong.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case malformedFile(String)
    case unsupportedDType(key: String, dtype: String)
    case missingKey(String)
    case unusedKeys([String])
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case nonFinite(key: String, index: Int)
    case badMetadata(String)
    case io(String)

    public var description: String {
        switch self {
        case .malformedFile(let why): return "malformed safetensors file: \(why)"
        case .unsupportedDType(let key, let dtype): return "tensor '\(key)' has dtype \(dtype); only F32, F16 and BF16 are supported"
        case .missingKey(let key): return "weight '\(key)' is missing from the file"
        case .unusedKeys(let keys): return "the file has weights the model does not use: \(keys.prefix(8).joined(separator: ", "))\(keys.count > 8 ? " and \(keys.count - 8) more" : "")"
        case .shapeMismatch(let key, let e, let f): return "weight '\(key)' has shape \(f), the model expects \(e)"
        case .nonFinite(let key, let index): return "weight '\(key)' holds a value that is not a finite number (element \(index))"
        case .badMetadata(let why): return "bad model metadata: \(why)"
        case .io(let why): return why
        }
    }
}
