/// Timing of a frame held in a window, in nanoseconds (GStreamer's clock unit).
public enum WindowLatency {
    /// Nominal rate assumed for variable-framerate streams (caps framerate 0/1)
    /// that give no `max-framerate`: the holding delay then depends on arrival
    /// times, and 30 fps is the usual rate of the talking-head video we target.
    public static let nominalVariableRate = (numerator: 30, denominator: 1)

    /// The delay a window of `capacity` frames adds: the first frame waits for
    /// `capacity - 1` more. `framerate` is (n, d); a non-positive one means variable.
    public static func holding(capacity: Int, framerate: (numerator: Int, denominator: Int),
                               maxFramerate: (numerator: Int, denominator: Int)? = nil) -> UInt64 {
        let held = UInt64(min(max(capacity - 1, 0), 1 << 32))
        var rate = framerate
        if rate.numerator <= 0 || rate.denominator <= 0 {
            if let maxRate = maxFramerate, maxRate.numerator > 0, maxRate.denominator > 0 {
                rate = maxRate
            } else {
                rate = nominalVariableRate
            }
        }
        // held * 1e9 * d / n, rounded up, in 128 bits: with d near 2^31 the product passes
        // 2^64. A delay past what a clock time holds saturates at `maxTime`.
        let den = UInt64(rate.numerator)
        let product = (held * 1_000_000_000).multipliedFullWidth(by: UInt64(rate.denominator))
        guard product.high < den else { return maxTime }
        let (q, r) = den.dividingFullWidth(product)
        return min(r == 0 ? q : q + 1, maxTime)
    }

    /// The largest clock time: GStreamer's GST_CLOCK_TIME_NONE (all ones) is not a time.
    public static let maxTime = UInt64.max - 1

    /// `a + b` for clock times, saturating at `maxTime` instead of overflowing.
    public static func adding(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? maxTime : min(sum, maxTime)
    }
}
