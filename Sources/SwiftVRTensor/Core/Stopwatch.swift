import Glibc

/// Monotonic milliseconds, for the per-stage timings the benchmarks read.
public enum Stopwatch {
    @inline(__always)
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
