import Glibc

/// The command's exit status, one per class of failure (README documents them).
enum ExitCode: Int32 {
    case ok = 0
    case processingFailed = 1
    case usage = 2
    case inputUnreadable = 3
    case noVideo = 4
    case outputUnwritable = 5
    case badModel = 6
    /// A folder run in which some files failed (the others were restored).
    case someFailed = 7
    /// Ended by Ctrl-C (SIGINT).
    case interrupted = 130
    /// Ended by SIGTERM.
    case terminated = 143
}

/// A failure a person can act on: one line, what and where, and its exit status.
struct Failure: Error {
    let code: ExitCode
    let message: String
    init(_ code: ExitCode, _ message: String) { (self.code, self.message) = (code, message) }
}

func fail(_ f: Failure) -> Never {
    printError("swiftvr-restore: \(f.message)\n")
    exit(f.code.rawValue)
}

/// Writes to standard error (file descriptor 2).
func printError(_ text: String) {
    var t = text
    t.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}
