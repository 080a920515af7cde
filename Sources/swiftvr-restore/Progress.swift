import Glibc

/// Progress on stderr: a line redrawn in place on a terminal (percent, frames, restoring
/// speed, ETA, faces in the current frame), a plain line every five seconds otherwise.
struct Progress {
    let quiet: Bool
    let terminal = isatty(2) != 0
    let start = Progress.now()
    private var lastLine = 0.0
    private(set) var drawn = false

    init(quiet: Bool) { self.quiet = quiet }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func clock(_ s: Double) -> String {
        guard s.isFinite, s >= 0, s < 1e7 else { return "--:--" }
        let t = Int(s.rounded())
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return t >= 3600 ? "\(t / 3600):\(two(t / 60 % 60)):\(two(t % 60))" : "\(t / 60):\(two(t % 60))"
    }

    /// One decimal: 24.1.
    static func tenths(_ v: Double) -> String {
        guard v.isFinite, abs(v) < 1e9 else { return "-" }
        let t = Int((v * 10).rounded())
        return "\(t / 10).\(abs(t % 10))"
    }

    mutating func update(frames: Int, faces: Int, position: Int, duration: Int) {
        guard !quiet else { return }
        let now = Progress.now(), elapsed = now - start
        guard terminal || now - lastLine >= 5 else { return }
        lastLine = now
        let fraction = duration > 0 && position >= 0 ? min(1, Double(position) / Double(duration)) : nil
        let fps = elapsed > 0 ? Double(frames) / elapsed : 0
        let eta = fraction.map { $0 > 0.001 ? elapsed * (1 - $0) / $0 : .nan } ?? .nan
        let percent: String = fraction.map { f -> String in
            let p = "\(Int((f * 100).rounded()))%"
            return String(repeating: " ", count: max(0, 4 - p.count)) + p
        } ?? "   ?%"
        let total = fraction.flatMap { $0 > 0.001 ? Int((Double(frames) / $0).rounded()) : nil }
        let framesText = total.map { "\(frames)/\($0) frames" } ?? "\(frames) frames"
        let bar: String = {
            guard let f = fraction else { return "" }
            let filled = Int(f * 20)
            return " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "]"
        }()
        let speed = Progress.tenths(fps), remaining = Progress.clock(eta)
        let facesText = "\(faces) face" + (faces == 1 ? "" : "s")
        let line: String = percent + bar + " " + framesText + " · " + speed + " fps · ETA " + remaining + " · " + facesText
        if terminal {
            printError("\r\u{1B}[K" + line)
            drawn = true
        } else {
            printError("progress: " + line + "\n")
        }
    }

    mutating func note(_ text: String) {
        if drawn { printError("\n"); drawn = false }
        printError("swiftvr-restore: \(text)\n")
    }

    mutating func finish(frames: Int, output: String, audio: String) {
        guard !quiet else { return }
        if drawn { printError("\n") }
        let elapsed = Progress.now() - start
        printError("swiftvr-restore: \(frames) frame\(frames == 1 ? "" : "s") in \(Progress.clock(elapsed)) (\(Progress.tenths(Double(frames) / max(elapsed, 1e-3))) fps), audio \(audio) → \(output)\n")
    }
}
