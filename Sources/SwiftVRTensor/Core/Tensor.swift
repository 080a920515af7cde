/// Owned, 64-byte aligned float32 memory. Tensors share it by reference, so an op can
/// write into a buffer the caller allocated once (see `Arena`).
/// SAFETY: `pointer` holds `capacity` initialised floats from init to deinit; a Tensor
/// keeps its Storage alive, and every op reads and writes within `shape`'s product ≤
/// capacity. Sendable because the engine's ops hand disjoint ranges to the pool's threads.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: self.capacity * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: self.capacity)
        pointer.initialize(repeating: 0, count: self.capacity)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A dense float32 tensor, row-major (the last dimension is contiguous).
/// Images and feature maps are NCHW: (batch, channels, height, width), as in PyTorch.
/// Sendable as its Storage is: the pool's threads write disjoint ranges of it.
public struct Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: Storage

    public init(shape: [Int]) {
        self.shape = shape
        storage = Storage(capacity: shape.reduce(1, *))
    }

    public init(shape: [Int], storage: Storage) {
        precondition(shape.reduce(1, *) <= storage.capacity, "storage too small for \(shape)")
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
    }

    public var count: Int { shape.reduce(1, *) }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    /// The same memory seen with another shape of equal size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }
}

/// Activation memory for one model, reused frame after frame.
///
/// A model's forward pass asks for its intermediate tensors in the same order every
/// time; the arena hands back the buffer it gave at the same position last time when
/// it is large enough, so once shapes are steady nothing is allocated (llama2.c's
/// RunState, without writing every buffer out by hand).
public final class Arena {
    private var slots: [Storage] = []
    private var cursor = 0
    private var scratchSlots: [Storage] = []
    private var scratchCursor = 0
    public private(set) var allocations = 0

    public init() {}

    /// Starts a new forward pass.
    public func reset() { cursor = 0; scratchCursor = 0 }

    public func tensor(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        defer { cursor += 1 }
        if cursor < slots.count, slots[cursor].capacity >= n {
            return Tensor(shape: shape, storage: slots[cursor])
        }
        allocations += 1
        let s = Storage(capacity: n)
        if cursor < slots.count { slots[cursor] = s } else { slots.append(s) }
        return Tensor(shape: shape, storage: s)
    }

    /// Scratch memory of at least `count` floats (im2col columns and the like), valid until
    /// the enclosing `scoped` call returns (or the next `reset` outside any).
    /// SAFETY: the storage stays in `scratchSlots` until then, so the pointer stays valid.
    public func scratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        defer { scratchCursor += 1 }
        if scratchCursor < scratchSlots.count, scratchSlots[scratchCursor].capacity >= count {
            return scratchSlots[scratchCursor].pointer
        }
        allocations += 1
        let s = Storage(capacity: count)
        if scratchCursor < scratchSlots.count { scratchSlots[scratchCursor] = s } else { scratchSlots.append(s) }
        return s.pointer
    }

    /// Runs `body` and then takes back the scratch it took, for the next op to reuse: an
    /// arena holds as much scratch as the hungriest single op, not the sum over a pass
    /// (a 256² window of four crops has ~300 MB of im2col columns in all, 28 MB at most at once).
    public func scoped<R>(_ body: () throws -> R) rethrows -> R {
        let mark = scratchCursor
        defer { scratchCursor = mark }
        return try body()
    }
}
