import Glibc
import SwiftVRTensor

/// Token indices of attention windows over an h×w grid, grouped by window size, and
/// rotary position tables. Mirrors `window_groups` / `rope_tables` in restorer/windows.py.
public enum Windows {
    /// Window borders sit at shift, shift+window, …; border windows shrink instead of
    /// wrapping or being masked, so each group is a dense (windows × L) index list.
    public static func groups(h: Int, w: Int, window: Int, shift: Int) -> [(count: Int, length: Int, indices: [Int])] {
        func cuts(_ n: Int) -> [(Int, Int)] {
            var edges = [0]
            var e = shift > 0 ? shift : window
            while e < n { edges.append(e); e += window }
            edges.append(n)
            return zip(edges, edges.dropFirst()).filter { $0.1 > $0.0 }.map { ($0.0, $0.1) }
        }
        var bySize: [Int: (count: Int, length: Int, indices: [Int])] = [:]
        for (y0, y1) in cuts(h) {
            for (x0, x1) in cuts(w) {
                let key = (y1 - y0) * 10_000 + (x1 - x0)
                var g = bySize[key] ?? (0, (y1 - y0) * (x1 - x0), [])
                for y in y0..<y1 { for x in x0..<x1 { g.indices.append(y * w + x) } }
                g.count += 1
                bySize[key] = g
            }
        }
        return bySize.keys.sorted().map { bySize[$0]! }
    }

    /// cos and sin (N, d/2) for `positions` (N points of `axes` coordinates each); the
    /// d/2 rotation pairs are split evenly across the axes.
    public static func rope(positions: [[Int]], headDim d: Int) -> (cos: [Float], sin: [Float]) {
        let axes = positions.first?.count ?? 1
        let per = d / axes
        let freqs = stride(from: 0, to: per, by: 2).map { 1 / powf(10000, Float($0) / Float(per)) }
        var c: [Float] = [], s: [Float] = []
        c.reserveCapacity(positions.count * d / 2)
        s.reserveCapacity(positions.count * d / 2)
        for p in positions {
            for a in 0..<axes {
                for f in freqs {
                    let angle = Float(p[a]) * f
                    c.append(cosf(angle))
                    s.append(sinf(angle))
                }
            }
        }
        return (c, s)
    }

    public static func gridPositions(h: Int, w: Int) -> [[Int]] {
        (0..<(h * w)).map { [$0 / w, $0 % w] }
    }
}

/// Rotary embedding of one head vector: pairs (2i, 2i+1) turned by angle i of row
/// `position` of the cos/sin tables (position × headDim/2).
@inline(__always)
func rotateHead(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ hd: Int,
                cos: [Float], sin: [Float], _ position: Int) {
    precondition((position + 1) * (hd / 2) <= min(cos.count, sin.count), "rotary positions: position \(position) past the table")
    withUnsafePointers(cos, sin) { cos, sin in rotateHead(src, into: dst, hd, cos: cos, sin: sin, position) }
}

/// The same on tables the caller has checked: rows up to `position` exist.
@inline(__always)
func rotateHead(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ hd: Int,
                cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, _ position: Int) {
    let base = position &* (hd / 2)
    for i in 0..<hd / 2 {
        let (c, s) = (cos[base &+ i], sin[base &+ i])
        let (a, b) = (src[2 &* i], src[2 &* i &+ 1])
        dst[2 &* i] = a * c - b * s
        dst[2 &* i &+ 1] = a * s + b * c
    }
}

/// Raw pointers to the elements of several arrays at once, for loops that run on the
/// pool (an array read from two threads bounces its reference count between them). The
/// arrays must not be empty (callers with nothing to do return before).
func withUnsafePointers<A, B, R>(_ a: [A], _ b: [B], _ body: (UnsafePointer<A>, UnsafePointer<B>) -> R) -> R {
    precondition(!a.isEmpty && !b.isEmpty, "withUnsafePointers: an empty array has no element pointer")
    return a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in body(a.baseAddress!, b.baseAddress!) } }
}

func withUnsafePointers<A, B, C, R>(_ a: [A], _ b: [B], _ c: [C], _ body: (UnsafePointer<A>, UnsafePointer<B>, UnsafePointer<C>) -> R) -> R {
    precondition(!c.isEmpty, "withUnsafePointers: an empty array has no element pointer")
    return withUnsafePointers(a, b) { a, b in c.withUnsafeBufferPointer { c in body(a, b, c.baseAddress!) } }
}

func withUnsafePointers<A, B, C, D, R>(_ a: [A], _ b: [B], _ c: [C], _ d: [D],
                                       _ body: (UnsafePointer<A>, UnsafePointer<B>, UnsafePointer<C>, UnsafePointer<D>) -> R) -> R {
    withUnsafePointers(a, b) { a, b in withUnsafePointers(c, d) { c, d in body(a, b, c, d) } }
}
