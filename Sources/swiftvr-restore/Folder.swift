import Glibc

/// `swiftvr-restore DIR OUTDIR`: every video and image in DIR restored into OUTDIR under
/// the same name, `--jobs` at a time, each in its own process (this executable with
/// `--quiet --report`), so one file's failure, or crash, cannot stop the others. Files
/// whose output exists are skipped unless --overwrite. A table follows on stdout.
/// Nothing is kept between files, so a scheduler (GNU parallel, a Kubernetes Job per
/// file) can spread the same command over machines.

/// Extensions taken as media; those with no matching output container are written as
/// .mkv (video) or .png (image).
let videoExtensions: Set<String> = ["mp4", "m4v", "mkv", "webm", "mov", "ts", "m2ts", "avi", "mpg", "mpeg", "flv", "ogv", "3gp", "wmv"]
let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp"]

private struct Outcome {
    let name: String
    var frames = "", faces = "", seconds = ""
    var result: String
    var failed = false
}

private struct Running {
    let name: String
    let started: Double
    let stdout: String, stderr: String
}

func extensionOf(_ name: String) -> String {
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return name[name.index(after: dot)...].lowercased()
}

/// OUT's name for IN: the same, or with the extension of a container swiftvr-restore writes.
func outputName(_ name: String) -> String {
    let ext = extensionOf(name)
    if Container.forOutput(name) != nil { return name }
    let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
    return stem + (imageExtensions.contains(ext) ? ".png" : ".mkv")
}

func mediaFiles(in dir: String) throws(Failure) -> [String] {
    guard let d = opendir(dir) else { throw Failure(.inputUnreadable, "'\(dir)': \(String(cString: strerror(errno)))") }
    defer { closedir(d) }
    var names: [String] = []
    while let entry = readdir(d) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        let ext = extensionOf(name)
        guard !name.hasPrefix("."), videoExtensions.contains(ext) || imageExtensions.contains(ext) else { continue }
        var info = stat()
        guard stat(dir + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
        names.append(name)
    }
    return names.sorted()
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
private func spawn(_ arguments: [String], stdout: String, stderr: String) -> pid_t? {
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
    var argv: [UnsafeMutablePointer<CChar>?] = (["/proc/self/exe"] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, &argv, environ) == 0 else { return nil }
    return pid
}

func restoreFolder(_ options: Options) -> ExitCode {
    if options.compare != nil || options.faces != nil {
        fail(Failure(.usage, "--compare and --faces name one file: use them with a file, not a folder"))
    }
    let names: [String]
    do { names = try mediaFiles(in: options.input) } catch { fail(error) }
    guard !names.isEmpty else { fail(Failure(.noVideo, "'\(options.input)': no video or image files in this folder")) }
    var info = stat()
    if stat(options.output, &info) != 0 && mkdir(options.output, 0o755) != 0 {
        fail(Failure(.outputUnwritable, "'\(options.output)': \(String(cString: strerror(errno)))"))
    }
    guard stat(options.output, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, access(options.output, W_OK) == 0 else {
        fail(Failure(.outputUnwritable, "'\(options.output)': not a writable folder"))
    }
    signal(SIGINT) { _ in interrupts += 1 }
    var outcomes = names.map { Outcome(name: $0, result: "not started") }
    var pending = Array(names.indices)
    var running: [pid_t: (index: Int, job: Running)] = [:]
    var forwarded: Int32 = 0
    var finished = 0
    func report(_ o: Outcome) {
        finished += 1
        guard !options.quiet else { return }
        let detail = o.failed ? o.result : "\(o.result)\(o.frames.isEmpty ? "" : ", \(o.frames) frames, \(o.faces) faces, \(o.seconds) s")"
        printError("swiftvr-restore: [\(finished)/\(names.count)] \(o.name): \(detail)\n")
    }
    while !pending.isEmpty || !running.isEmpty {
        while running.count < options.jobs, interrupts == 0, !pending.isEmpty {
            let i = pending.removeFirst()
            let input = options.input + "/" + names[i], output = options.output + "/" + outputName(names[i])
            if !options.overwrite && access(output, F_OK) == 0 {
                outcomes[i].result = "skipped (done)"
                report(outcomes[i])
                continue
            }
            let job = Running(name: names[i], started: Progress.now(), stdout: temporaryFile(), stderr: temporaryFile())
            guard let pid = spawn([input, output, "--quiet", "--report"] + options.perFileArguments, stdout: job.stdout, stderr: job.stderr) else {
                outcomes[i].result = "failed: could not start a process: \(String(cString: strerror(errno)))"
                outcomes[i].failed = true
                report(outcomes[i])
                continue
            }
            running[pid] = (i, job)
        }
        // Each Ctrl-C here is passed on once to every file in progress (a second one abandons them).
        while forwarded < interrupts {
            forwarded += 1
            for pid in running.keys { kill(pid, SIGINT) }
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
        } else {
            let why = err.split(separator: "\n").last { $0.hasPrefix("swiftvr-restore: ") }.map { String($0.dropFirst(17)) }
            outcomes[i].result = code == ExitCode.interrupted.rawValue && outcomes[i].frames.isEmpty == false
                ? "interrupted (kept up to there)" : "failed (\(code)): \(why ?? "exit status \(code)")"
            outcomes[i].failed = code != ExitCode.interrupted.rawValue || outcomes[i].frames.isEmpty
        }
        report(outcomes[i])
    }
    printTable(outcomes)
    if interrupts > 0 { return .interrupted }
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
