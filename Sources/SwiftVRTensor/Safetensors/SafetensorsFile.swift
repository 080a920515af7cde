import Glibc

/// Element types a safetensors file may hold for swiftvr.
public enum DType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    var size: Int { self == .f32 ? 4 : 2 }
}

/// One tensor's entry in the header, already checked against the file.
public struct TensorInfo: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    /// Byte range inside the data section.
    public let range: Range<Int>
}

/// A safetensors file, read whole into memory this object owns and validated before
/// anything is read: header length, JSON syntax, dtypes, shapes, offsets inside the data
/// section, sizes that match shapes, and no two tensors overlapping. Every error names the
/// key or the byte where the file goes wrong. Not memory-mapped: a model file rewritten
/// while it is loaded (a package upgrade, a shared folder) would fault a mapping with
/// SIGBUS; read with `RegularFile`, it fails with a message instead.
public final class SafetensorsFile: @unchecked Sendable {   // immutable after init
    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let bytes: [UInt8]
    private let dataStart: Int

    /// The largest header accepted (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000
    /// The largest model file read (swiftvr's are a few MB).
    public static let maxFileBytes = 1 << 30

    public init(path: String) throws(TensorError) {
        self.path = path
        let bytes = try RegularFile.read(path, what: "model file", maxBytes: Self.maxFileBytes)
        guard bytes.count >= 8 else { throw .malformedFile("'\(path)' is \(bytes.count) bytes, shorter than the 8-byte header length") }
        let parsed: (tensors: [String: TensorInfo], metadata: [String: String], dataStart: Int)
        do {
            parsed = try bytes.withUnsafeBytes { raw in try Self.parseHeader(bytes: raw, path: path) }
        } catch let error as TensorError {
            throw error
        } catch {
            throw .io("'\(path)': \(error)")
        }
        (tensors, metadata, dataStart) = (parsed.tensors, parsed.metadata, parsed.dataStart)
        self.bytes = bytes
    }

    public var keys: [String] { tensors.keys.sorted() }

    /// The tensor's values as float32 (F16 and BF16 widened).
    public func tensor(_ key: String) throws(TensorError) -> Tensor {
        guard let info = tensors[key] else { throw .missingKey(key) }
        let t = Tensor(shape: info.shape)
        let n = t.count
        bytes.withUnsafeBytes { file in
            let src = file.baseAddress! + dataStart + info.range.lowerBound
            switch info.dtype {
            case .f32:
                // SAFETY: the range was checked to lie inside the file's bytes and to hold n*4
                // bytes; memcpy because offsets in the file need not be 4-byte aligned.
                memcpy(t.data, src, n * 4)
            case .f16:
                for k in 0..<n { t.data[k] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self))) }
            case .bf16:
                for k in 0..<n { t.data[k] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)) << 16) }
            }
        }
        return t
    }

    static func parseHeader(bytes: UnsafeRawBufferPointer, path: String) throws(TensorError)
        -> (tensors: [String: TensorInfo], metadata: [String: String], dataStart: Int) {
        let n64 = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard n64 > 0, n64 <= UInt64(maxHeaderBytes), 8 + Int(n64) <= bytes.count else {
            throw .malformedFile("'\(path)' declares a \(n64)-byte header in a \(bytes.count)-byte file")
        }
        let headerLength = Int(n64)
        let json = try JSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)]))
        guard let root = json.objectValue else { throw .malformedFile("the header is not a JSON object") }
        let dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (key, entry) in root {
            if key == "__metadata__" {
                guard let m = entry.objectValue else { throw .malformedFile("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v.stringValue else { throw .malformedFile("__metadata__ value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let fields = entry.objectValue else { throw .malformedFile("entry '\(key)' is not an object") }
            guard let dtypeName = fields["dtype"]?.stringValue else { throw .malformedFile("tensor '\(key)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType(key: key, dtype: dtypeName) }
            guard let dims = fields["shape"]?.arrayValue else { throw .malformedFile("tensor '\(key)' has no shape") }
            var shape: [Int] = []
            var elements = 1
            for d in dims {
                guard let v = d.indexValue, v <= Int(Int32.max) else { throw .malformedFile("tensor '\(key)' has a bad dimension in its shape") }
                shape.append(v)
                let (m, overflow) = elements.multipliedReportingOverflow(by: v)
                guard !overflow, m <= dataSize else { throw .malformedFile("tensor '\(key)' shape \(shape) is larger than the file") }
                elements = m
            }
            guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].indexValue, let end = offsets[1].indexValue else {
                throw .malformedFile("tensor '\(key)' has no valid data_offsets")
            }
            guard begin <= end, end <= dataSize else {
                throw .malformedFile("tensor '\(key)' data_offsets [\(begin), \(end)] lie outside the \(dataSize)-byte data section")
            }
            guard end - begin == elements * dtype.size else {
                throw .malformedFile("tensor '\(key)' holds \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(elements * dtype.size)")
            }
            tensors[key] = TensorInfo(dtype: dtype, shape: shape, range: begin..<end)
        }
        // Empty tensors (a dimension of 0) take no bytes and overlap nothing.
        let sorted = tensors.filter { !$0.value.range.isEmpty }.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw .malformedFile("tensors '\(a.key)' and '\(b.key)' overlap in the data section")
        }
        return (tensors, metadata, dataStart)
    }
}
