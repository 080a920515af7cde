import Glibc

/// Where one output (OUT, --compare, --faces) is written. A regular file (or a name not
/// yet taken) is written to `partial` beside it and renamed over it only when complete;
/// a symbolic link's target is written that way and the link is kept; a character device
/// (/dev/null) is written in place. Everything else is refused before anything is opened.
struct OutputTarget {
    /// The name as given, for messages.
    let given: Path
    /// The file that ends up written: `given`, or the target of the link `given` names.
    let final: Path
    /// The file written while the job runs; nil where the output is written in place.
    let partial: Path?
    /// Which option named it, for messages ("OUT", "--compare", "--faces").
    let role: String

    var writePath: Path { partial ?? final }
}

/// The identity of an existing file.
private struct FileID: Equatable {
    let device: UInt, inode: UInt
    init(_ s: stat) { (device, inode) = (UInt(s.st_dev), UInt(s.st_ino)) }
}

/// The absolute name of a file that may not exist yet: its folder resolved, its name kept.
private func canonical(_ p: Path) -> Path? {
    if let r = p.resolved { return r }
    return p.parent.resolved.map { $0.joined(p.lastComponent) }
}

/// The file a symbolic link points at (possibly not existing yet), relative to the link's folder.
private func linkTarget(_ p: Path) -> Path? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = p.withCString { readlink($0, &buf, buf.count - 1) }
    guard n > 0 else { return nil }
    let target = Path(bytes: buf[0..<n].map { UInt8(bitPattern: $0) })
    return target.bytes.first == UInt8(ascii: "/") ? target : p.parent.joined(target)
}

/// Checks the outputs against the input and each other and decides how each is written;
/// nothing is created. Usage errors (exit 2) for clashes, output errors (exit 5) for
/// places that cannot be written.
func planOutputs(input: Path, inputID: stat?, outputs: [(role: String, path: Path)]) throws(Failure) -> [OutputTarget] {
    var plans: [OutputTarget] = []
    let inputName = input.isStdio ? nil : canonical(input)
    for (role, given) in outputs {
        let label = role == "OUT" ? "'\(given.display)'" : "\(role) '\(given.display)'"
        if given.isStdio {
            throw Failure(.usage, "\(label): writing to standard output is not supported: every output is a file, "
                + "renamed into place only when complete (give a file name)")
        }
        var final = given
        var link = stat(), hops = 0
        while hops < 40, final.withCString({ lstat($0, &link) }) == 0, (link.st_mode & S_IFMT) == S_IFLNK,
              let target = linkTarget(final) {
            final = target
            hops += 1
        }
        var partial: Path? = final.appending(".partial")
        if let info = final.status() {
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFCHR: partial = nil
            case S_IFDIR: throw Failure(.usage, "\(label) is a folder: give a file name (a folder output takes a folder or several inputs)")
            case S_IFIFO: throw Failure(.usage, "\(label) is a FIFO: give a regular file (or a character device such as /dev/null)")
            default: throw Failure(.usage, "\(label) is not a regular file: give a file name")
            }
            if let inputID, FileID(info) == FileID(inputID) {
                throw Failure(.usage, "\(label) is the input file: give another name, the input is never written over")
            }
        }
        if let partial, let inputID, let p = partial.status(), FileID(p) == FileID(inputID) {
            throw Failure(.usage, "\(label): its partial file '\(partial.display)' is the input: give another name")
        }
        if let inputName, let name = canonical(final), name == inputName {
            throw Failure(.usage, "\(label) is the input file: give another name, the input is never written over")
        }
        for other in plans {
            let sameName = canonical(other.final) != nil && canonical(other.final) == canonical(final)
            let ids = (final.status().map(FileID.init), other.final.status().map(FileID.init))
            let same = sameName || (ids.0 != nil && ids.0 == ids.1)
            if same && partial != nil {
                throw Failure(.usage, "\(label) and \(other.role == "OUT" ? "OUT" : other.role) name the same file: give each its own")
            }
        }
        plans.append(OutputTarget(given: given, final: final, partial: partial, role: role))
    }
    return plans
}

/// Creates each partial file (empty, replacing a stale one of a previous run), so a name
/// too long or a folder not writable is reported with the system's reason before the
/// pipeline starts.
func createPartials(_ plans: [OutputTarget]) throws(Failure) {
    for (n, plan) in plans.enumerated() {
        guard let partial = plan.partial else { continue }
        var info = stat()
        if partial.withCString({ lstat($0, &info) }) == 0 && (info.st_mode & S_IFMT) != S_IFDIR {
            _ = partial.withCString { unlink($0) }
        }
        let fd = partial.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            let why = systemError()
            removePartials(Array(plans[..<n]))
            let label = plan.role == "OUT" ? "'\(plan.given.display)'" : "\(plan.role) '\(plan.given.display)'"
            throw Failure(.outputUnwritable, "\(label): cannot write '\(partial.display)': \(why)")
        }
        close(fd)
    }
}

func removePartials(_ plans: [OutputTarget]) {
    for p in plans { if let partial = p.partial { _ = partial.withCString { unlink($0) } } }
}

/// Renames every partial file over its output: the only step that marks a job done.
func commitPartials(_ plans: [OutputTarget]) throws(Failure) {
    for plan in plans {
        guard let partial = plan.partial else { continue }
        let ok = partial.withCString { from in plan.final.withCString { to in rename(from, to) } } == 0
        guard ok else { throw Failure(.outputUnwritable, "'\(plan.final.display)': \(systemError())") }
    }
}
