import Glibc
import Synchronization

/// A fixed set of worker threads for the engine's own loops and for splitting GEMMs.
///
/// OpenBLAS runs single-threaded under it (see `BLAS.threads`): with OpenBLAS's own
/// pool, its second thread spins while Swift loops run on one core, and tiny GEMMs pay
/// for waking it. Here every op splits its work into parts, one per core, so two cores
/// are used throughout and never oversubscribed. A network makes ~100 such calls per
/// frame, so workers spin briefly for the next job before sleeping on a condition
/// variable. Foundation and Dispatch stay out of the plugin: plain pthreads.
///
/// Note: OpenBLAS's thread count is process-wide; a host that also uses OpenBLAS
/// (numpy in a Python application) sees it set to 1 once swiftvr runs a model.
/// Sendable: the job and its count are written under `mutex` and read by workers after
/// the generation counter (an atomic) moves; concurrent callers are serialised by `busy`.
public final class ThreadPool: @unchecked Sendable {
    /// One pool per process, sized to the online cores (at most 8), or `$SWIFTVR_THREADS`.
    public static let shared = ThreadPool(threads: defaultThreads())

    public let threads: Int
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    /// The running job, by address: workers never hold a reference to the caller's
    /// closure beyond a call, so it never outlives `parallelFor`.
    private var job: UnsafeRawPointer?
    private var count = 0
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    /// Held by the caller of `parallelFor`: a second caller (another element) runs serially.
    private var busy = pthread_mutex_t()

    /// Spins before sleeping: about 50 µs.
    static let spins = 20_000

    static func defaultThreads() -> Int {
        if let s = getenv("SWIFTVR_THREADS"), let n = Int(String(cString: s)), n > 0 { return min(n, 64) }
        return min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 8)
    }

    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&busy, nil)
        pthread_cond_init(&wake, nil)
        for _ in 1..<self.threads {
            var thread = pthread_t()
            let me = Unmanaged.passRetained(self).toOpaque()
            pthread_create(&thread, nil, { arg in
                let pool = Unmanaged<ThreadPool>.fromOpaque(arg!).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, me)
            pthread_detach(thread)
        }
        BLAS.threads = 1
    }

    /// Marks the calling thread as one that never uses a pool: its `parallelFor` calls run
    /// serially on it. For work beside the stream (a background detection), which must not
    /// take the pool from the streaming thread.
    public static func runSeriallyOnThisThread() {
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
    }

    /// Set (non-nil) on threads that run serially.
    nonisolated(unsafe) private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Calls `body(i)` for every i in 0..<n across the pool and returns when all are done.
    public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        guard n > 1, threads > 1, pthread_getspecific(Self.serialKey) == nil, pthread_mutex_trylock(&busy) == 0 else {
            for i in 0..<n { body(i) }
            return
        }
        defer { pthread_mutex_unlock(&busy) }
        withoutActuallyEscaping(body) { escapable in
            var current = Job(body: escapable)
            // SAFETY: `current` outlives every worker's use of `job`: this call waits in
            // the loop below until all parts are done before `withUnsafePointer` returns.
            withUnsafePointer(to: &current) { pointer in
                job = UnsafeRawPointer(pointer)
                count = n
                next.store(0, ordering: .relaxed)
                done.store(0, ordering: .relaxed)
                // Publishing the new generation releases job/count to the workers.
                pthread_mutex_lock(&mutex)
                generation.add(1, ordering: .releasing)
                pthread_cond_broadcast(&wake)
                pthread_mutex_unlock(&mutex)
                drain(pointer)
                var spin = 0
                while done.load(ordering: .acquiring) < threads - 1 {
                    spin += 1
                    if spin > Self.spins { sched_yield() }
                }
                job = nil
            }
        }
    }

    /// Splits 0..<total into at most `threads` contiguous ranges (each at least `minimum`
    /// long) and runs them in parallel.
    public func parallelRanges(_ total: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, total / max(minimum, 1)))
        guard parts > 1 else { return body(0..<total) }
        parallelFor(parts) { p in body((total * p / parts)..<(total * (p + 1) / parts)) }
    }

    private struct Job {
        let body: (Int) -> Void
    }

    private func drain(_ job: UnsafePointer<Job>) {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            job.pointee.body(i)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spin = 0
            while generation.load(ordering: .acquiring) == seen, spin < Self.spins { spin += 1 }
            if generation.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(&mutex)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wake, &mutex) }
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            if let current = job { drain(current.assumingMemoryBound(to: Job.self)) }
            done.add(1, ordering: .releasing)
        }
    }
}
