/// Eight floats at a time from and to any float pointer (unaligned), for the loops over
/// planes and channel blocks in every layer above the engine.
@inlinable @inline(__always)
public func vload(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inlinable @inline(__always)
public func vload(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { vload(UnsafePointer(p)) }

@inlinable @inline(__always)
public func vstore(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
