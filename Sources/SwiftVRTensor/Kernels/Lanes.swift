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

/// Lane i holds the sum of v_i's eight lanes: eight horizontal sums in seven
/// shuffle-and-add steps, where eight `.sum()` calls take three each and leave eight
/// scalars (per-pixel statistics over channel blocks, eight pixels at once).
@inlinable @inline(__always)
public func laneSums(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>,
                     _ v4: SIMD8<Float>, _ v5: SIMD8<Float>, _ v6: SIMD8<Float>, _ v7: SIMD8<Float>) -> SIMD8<Float> {
    @inline(__always) func fold(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {   // halves of a, then of b
        SIMD8(lowHalf: a.lowHalf + a.highHalf, highHalf: b.lowHalf + b.highHalf)
    }
    @inline(__always) func pairs(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {  // neighbours of a, then of b
        SIMD8(lowHalf: a.evenHalf + a.oddHalf, highHalf: b.evenHalf + b.oddHalf)
    }
    // fold: lanes [v0 ×4, v1 ×4]; pairs: [v0 v0 v1 v1 v2 v2 v3 v3]; pairs: [v0 … v7].
    return pairs(pairs(fold(v0, v1), fold(v2, v3)), pairs(fold(v4, v5), fold(v6, v7)))
}

/// Runs `body(k)` for k = start, start + 8, … while eight floats fit in `range`, then
/// `tail(k)` for each one left.
@inlinable @inline(__always)
public func eightAtATime(_ range: Range<Int>, _ body: (Int) -> Void, tail: (Int) -> Void) {
    var k = range.lowerBound
    while k + 8 <= range.upperBound { body(k); k += 8 }
    while k < range.upperBound { tail(k); k += 1 }
}
