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
        let held = UInt64(max(capacity - 1, 0))
        var rate = framerate
        if rate.numerator <= 0 || rate.denominator <= 0 {
            if let maxRate = maxFramerate, maxRate.numerator > 0, maxRate.denominator > 0 {
                rate = maxRate
            } else {
                rate = nominalVariableRate
            }
        }
        // held * 1e9 * d / n, rounded up, without overflow for any sane rate.
        let num = held * 1_000_000_000 * UInt64(rate.denominator)
        let den = UInt64(rate.numerator)
        return (num + den - 1) / den
    }
}
