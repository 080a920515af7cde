import Glibc

/// Monotonic time in milliseconds.
func nowMs() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
}

/// Median and 10th/90th percentile of `runs` timings of `body`, after `warmup` runs.
func measure(runs: Int, warmup: Int = 3, _ body: () -> Void) -> (median: Double, p10: Double, p90: Double) {
    for _ in 0..<warmup { body() }
    var t: [Double] = []
    for _ in 0..<runs {
        let s = nowMs()
        body()
        t.append(nowMs() - s)
    }
    t.sort()
    return (t[t.count / 2], bestDecile(t), t[min(t.count - 1, t.count * 9 / 10)])
}

/// The 10th percentile of `v`: the figure the benchmarks compare on a host whose speed
/// drifts (noise only ever adds time).
func bestDecile(_ v: [Double]) -> Double { v.sorted()[v.count / 10] }
