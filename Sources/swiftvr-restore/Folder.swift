import Glibc

/// `swiftvr-restore DIR OUTDIR` (or `swiftvr-restore A B … OUTDIR`): every video and image
/// in DIR (or each file named) restored into OUTDIR under the same name, `--jobs` at a
/// time, each in its own process (this executable with `--quiet --report
/// --all-or-nothing`), so one file's failure, or crash, cannot stop the others. A file
/// whose output exists is skipped unless --overwrite: an output exists only once it is
/// complete (each job renames its partial file at the very end, and one that was cut short
/// leaves none), so a rerun redoes exactly what did not finish. A table follows on stdout.
/// Nothing is kept between files, so a scheduler (GNU parallel, a Kubernetes Job per
/// file) can spread the same command over machines.

/// Extensions taken as media; those with no matching output container are written as
/// .mkv (video) or .png (image).
let videoExtensions: Set<String> = ["mp4", "m4v", "mkv", "webm", "mov", "ts", "m2ts", "avi", "mpg", "mpeg", "flv", "ogv", "3gp", "wmv"]

private struct Outcome {
    let name: String
    var frames = "", faces = "", seconds = ""
    var result: String
    var failed = false
}

private struct Running {
    let started: Double
    let stdout: String, stderr: String
}

/// One file of the run: where it is read from and written to, and its name in the table.
private struct Item {
    let input: Path, output: Path, name: String
}

/// OUT's name for IN: the same, or with the extension of a container swiftvr-restore writes.
func outputName(_ name: Path) -> Path {
    if Container.forOutput(name) != nil { return name }
    return name.replacingExtension(with: Container.imageExtensions.contains(name.fileExtension) ? "png" : "mkv")
}

func mediaFiles(in dir: Path) throws(Failure) -> [Path] {
    guard let d = dir.withCString({ opendir($0) }) else { throw Failure(.inputUnreadable, "'\(dir.display)': \(systemError())") }
    defer { closedir(d) }
    var names: [Path] = []
    while let entry = readdir(d) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { Path(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        let ext = name.fileExtension
        guard name.bytes.first != UInt8(ascii: "."), videoExtensions.contains(ext) || Container.imageExtensions.contains(ext) else { continue }
        guard let info = dir.joined(name).status(), (info.st_mode & S_IFMT) == S_IFREG else { continue }
        names.append(name)
    }
    return names.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
}

private func readFile(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while case let n = fread(&buf, 1, buf.count, f), n > 0 { bytes += buf[0..<n] }
    return String(decoding: bytes, as: UTF8.self)
}

private func temporaryFile() -> String {
    var template = Array("/tmp/swiftvr-restore-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    if fd >= 0 { close(fd) }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Starts this executable on one file, in its own process group (a terminal's Ctrl-C
/// reaches this process, which passes one interrupt on), stdout and stderr to files.
private func spawn(_ arguments: [Path], stdout: String, stderr: String) -> pid_t? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    var argv: [UnsafeMutablePointer<CChar>?] = ([Path("/proc/self/exe")] + arguments).map { $0.withCString { strdup($0) } } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, &argv, environ) == 0 else { return nil }
    return pid
}

func restoreFolder(_ options: Options) -> ExitCode {
    if options.compare != nil || options.faces != nil {
        fail(Failure(.usage, "--compare and --faces name one file: use them with a file, not a folder"))
    }
    let out = options.output
    var items: [Item] = []
    if options.inputs.count == 1 {
        let dir = options.input
        if let a = dir.resolved, let b = out.resolved, a == b {
            fail(Failure(.usage, "'\(out.display)' is the input folder: give another folder, the inputs are never written over"))
        }
        let names: [Path]
        do { names = try mediaFiles(in: dir) } catch { fail(error) }
        guard !names.isEmpty else { fail(Failure(.noVideo, "'\(dir.display)': no video or image files in this folder")) }
        items = names.map { Item(input: dir.joined($0), output: out.joined(outputName($0)), name: $0.display) }
    } else {
        for input in options.inputs {
            if input.isStdio { fail(Failure(.usage, "'-' (standard input) takes one output file, not a folder")) }
            let output = out.joined(outputName(input.lastComponent))
            if let twin = items.first(where: { $0.output == output }) {
                fail(Failure(.usage, "'\(twin.input.display)' and '\(input.display)' would both be written to '\(output.display)'"))
            }
            items.append(Item(input: input, output: output, name: input.display))
        }
    }
    if out.status() == nil && out.withCString({ mkdir($0, 0o755) }) != 0 {
        fail(Failure(.outputUnwritable, "'\(out.display)': \(systemError())"))
    }
    guard let info = out.status(), (info.st_mode & S_IFMT) == S_IFDIR, out.withCString({ access($0, W_OK) }) == 0 else {
        fail(Failure(.outputUnwritable, "'\(out.display)': not a writable folder"))
    }
    handleInterrupts()
    var outcomes = items.map { Outcome(name: $0.name, result: "not started") }
    var pending = Array(items.indices)
    var running: [pid_t: (index: Int, job: Running)] = [:]
    var forwarded: Int32 = 0
    var finished = 0
    func report(_ o: Outcome) {
        finished += 1
        guard !options.quiet else { return }
        let detail = o.failed ? o.result : "\(o.result)\(o.frames.isEmpty ? "" : ", \(o.frames) frames, \(o.faces) faces, \(o.seconds) s")"
        printError("swiftvr-restore: [\(finished)/\(items.count)] \(o.name): \(detail)\n")
    }
    while !pending.isEmpty || !running.isEmpty {
        // At the first signal no file is started any more; the running ones end, cut short.
        if interrupts > 0 && !pending.isEmpty {
            for i in pending { outcomes[i].result = "not started (\(signalName))" }
            pending = []
        }
        while running.count < options.jobs, !pending.isEmpty {
            let i = pending.removeFirst()
            let item = items[i]
            if !options.overwrite && item.output.withCString({ access($0, F_OK) }) == 0 {
                outcomes[i].result = "skipped (done)"
                report(outcomes[i])
                continue
            }
            let job = Running(started: Progress.now(), stdout: temporaryFile(), stderr: temporaryFile())
            let arguments = [item.input, item.output] + (["--quiet", "--report", "--all-or-nothing"] + options.perFileArguments).map(Path.init)
            guard let pid = spawn(arguments, stdout: job.stdout, stderr: job.stderr) else {
                outcomes[i].result = "failed: could not start a process: \(systemError())"
                outcomes[i].failed = true
                report(outcomes[i])
                continue
            }
            running[pid] = (i, job)
        }
        // Each signal here is passed on once to every file in progress.
        while forwarded < interrupts {
            forwarded += 1
            for pid in running.keys { kill(pid, firstSignal) }
        }
        var status: Int32 = 0
        let pid = waitpid(-1, &status, WNOHANG)
        guard pid > 0, let (i, job) = running.removeValue(forKey: pid) else {
            usleep(100_000)
            continue
        }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        outcomes[i].seconds = Progress.tenths(Progress.now() - job.started)
        let out = readFile(job.stdout), err = readFile(job.stderr)
        unlink(job.stdout)
        unlink(job.stderr)
        for field in out.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if field.hasPrefix("frames=") { outcomes[i].frames = String(field.dropFirst(7)) }
            if field.hasPrefix("faces=") { outcomes[i].faces = String(field.dropFirst(6)) }
        }
        if code == 0 {
            outcomes[i].result = "restored"
        } else if code == ExitCode.interrupted.rawValue || code == ExitCode.terminated.rawValue {
            outcomes[i].result = "interrupted (not written; a rerun restores it)"
            outcomes[i].frames = ""
        } else {
            let why = err.split(separator: "\n").last { $0.hasPrefix("swiftvr-restore: ") }.map { String($0.dropFirst(17)) }
            outcomes[i].result = "failed (\(code)): \(why ?? "exit status \(code)")"
            outcomes[i].failed = true
        }
        report(outcomes[i])
    }
    printTable(outcomes)
    if interrupts > 0 { return interruptedExit }
    return outcomes.contains(where: \.failed) ? .someFailed : .ok
}

/// The summary, one row per file, in columns.
private func printTable(_ outcomes: [Outcome]) {
    let rows = [["file", "frames", "faces", "seconds", "result"]]
        + outcomes.map { [$0.name, $0.frames, $0.faces, $0.seconds, $0.result] }
    let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
    for (n, row) in rows.enumerated() {
        var line = ""
        for c in 0..<4 {
            let pad = String(repeating: " ", count: widths[c] - row[c].count)
            line += c == 0 ? row[c] + pad + "  " : pad + row[c] + "  "
        }
        print(line + row[4])
        if n == 0 { print(String(repeating: "-", count: widths.reduce(0, +) + 8 + 7)) }
    }
}
