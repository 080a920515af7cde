import Glibc

/// SIGINT (Ctrl-C) and SIGTERM (what schedulers send) are handled alike: the first ends
/// the current file cleanly, a second abandons it. The handler only counts; the main loop
/// reads the count.
nonisolated(unsafe) var interrupts: Int32 = 0
/// The first signal received (SIGINT or SIGTERM), 0 before any.
nonisolated(unsafe) var firstSignal: Int32 = 0

func handleInterrupts() {
    let handler: @convention(c) (Int32) -> Void = { sig in
        if firstSignal == 0 { firstSignal = sig }
        interrupts += 1
    }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
}

/// 130 after Ctrl-C, 143 after SIGTERM, as a shell reports a process those signals ended.
var interruptedExit: ExitCode { firstSignal == SIGTERM ? .terminated : .interrupted }

/// "Ctrl-C" or "SIGTERM", for messages.
var signalName: String { firstSignal == SIGTERM ? "SIGTERM" : "Ctrl-C" }
