import Glibc

/// The fuzz input as a file, for the readers that take a path (they mmap or fread it,
/// as they do a model or mask file): written to one file per process in /dev/shm and
/// reused, so an iteration costs a write, not a new file.
public func withInputFile<R>(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: (String) -> R) -> R {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let path = "\(dir)/swiftvr-fuzz-\(getpid())"
    guard let f = fopen(path, "wb") else { fatalError("fuzz harness: cannot write \(path)") }
    if size > 0 { _ = fwrite(data, 1, size, f) }
    fclose(f)
    return body(path)
}

/// Reads little pieces of the input in order: the frame target's sizes and choices.
public struct ByteReader {
    var bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) { bytes = UnsafeBufferPointer(start: data, count: size) }
    public mutating func byte() -> UInt8 {
        defer { i += 1 }
        return i < bytes.count ? bytes[i] : 0
    }
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let v = Int(byte()) | Int(byte()) << 8
        return range.lowerBound + v % (range.upperBound - range.lowerBound + 1)
    }
    /// What is left, for pixels.
    public var rest: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[min(i, bytes.count)...]) }
}
