import Glibc

/// A fixed set of worker threads for the engine's own loops and for splitting GEMMs.
///
/// OpenBLAS runs single-threaded under it (see `BLAS.threads`): with OpenBLAS's own
/// pool, its second thread spins while Swift loops run on one core, and tiny GEMMs pay
/// for waking it. Here every op splits its work into the same number of parts, one
/// per core, so two cores are used throughout and never oversubscribed.
/// Foundation and Dispatch stay out of the plugin, so this is plain pthreads.
public final class ThreadPool: @unchecked Sendable {
    /// One pool per process, sized to the online cores (at most 8), or `$SWIFTVR_THREADS`.
    public static let shared = ThreadPool(threads: defaultThreads())

    public let threads: Int
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var finished = pthread_cond_t()
    private var generation = 0
    /// The running job, by address: workers never hold a reference to the caller's
    /// closure beyond a call, so it never outlives `parallelFor`.
    private var job: UnsafeRawPointer?
    private var count = 0
    private var next = 0
    private var done = 0
    /// Held by the caller of `parallelFor`: a second caller (another element) runs serially.
    private var busy = pthread_mutex_t()

    static func defaultThreads() -> Int {
        if let s = getenv("SWIFTVR_THREADS"), let n = Int(String(cString: s)), n > 0 { return min(n, 64) }
        return min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 8)
    }

    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&busy, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&finished, nil)
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

    /// Calls `body(i)` for every i in 0..<n across the pool and returns when all are done.
    public func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        guard n > 1, threads > 1, pthread_mutex_trylock(&busy) == 0 else {
            for i in 0..<n { body(i) }
            return
        }
        defer { pthread_mutex_unlock(&busy) }
        withoutActuallyEscaping(body) { escapable in
            var current = Job(body: escapable)
            withUnsafePointer(to: &current) { pointer in
                pthread_mutex_lock(&mutex)
                job = UnsafeRawPointer(pointer)
                count = n
                next = 0
                done = 0
                generation &+= 1
                pthread_cond_broadcast(&wake)
                pthread_mutex_unlock(&mutex)
                drain(pointer)
                pthread_mutex_lock(&mutex)
                while done < threads - 1 { pthread_cond_wait(&finished, &mutex) }
                job = nil
                pthread_mutex_unlock(&mutex)
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

    private func claim() -> Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let i = next
        next += 1
        return i
    }

    private struct Job {
        let body: (Int) -> Void
    }

    private func drain(_ job: UnsafePointer<Job>) {
        while true {
            let i = claim()
            if i >= count { return }
            job.pointee.body(i)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            pthread_mutex_lock(&mutex)
            while generation == seen { pthread_cond_wait(&wake, &mutex) }
            seen = generation
            let current = job
            pthread_mutex_unlock(&mutex)
            if let current { drain(current.assumingMemoryBound(to: Job.self)) }
            pthread_mutex_lock(&mutex)
            done += 1
            if done == threads - 1 { pthread_cond_signal(&finished) }
            pthread_mutex_unlock(&mutex)
        }
    }
}
