import Glibc

/// Reading a whole file the process depends on (a model, a mask) into memory it owns.
///
/// Opened without blocking (a FIFO with no writer cannot hang the caller), taken only
/// if it is a regular file (anything else is refused naming its kind), refused when
/// larger than the caller allows before anything is allocated, and checked for changes
/// while it was read: a file shrinking or being rewritten under the reader fails with a
/// message naming it, where a mapping of it would fault the process (SIGBUS).
public enum RegularFile {
    /// What `st_mode` says a path is, for messages ("a FIFO", "a directory").
    public static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Opens `path` for reading; the descriptor and its status. `what` names the file in
    /// messages ("model file", "inpaint mask").
    public static func open(_ path: String, what: String) throws(TensorError) -> (fd: Int32, info: stat) {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(what) '\(path)': \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .io("cannot read \(what) '\(path)': \(why)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io("\(what) '\(path)' is \(kind(info.st_mode)), not a regular file")
        }
        return (fd, info)
    }

    /// The whole file, at most `maxBytes` long.
    public static func read(_ path: String, what: String, maxBytes: Int) throws(TensorError) -> [UInt8] {
        let (fd, info) = try open(path, what: what)
        defer { close(fd) }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw .io("\(what) '\(path)' is \(size) bytes, more than the \(maxBytes) a \(what) may have")
        }
        return try read(fd, count: size, from: 0, path: path, what: what, opened: info)
    }

    /// `count` bytes at `offset` of an open regular file; fails if the file ends early or
    /// changed (size or modification time) since `opened` was taken.
    public static func read(_ fd: Int32, count: Int, from offset: Int, path: String, what: String,
                            opened: stat) throws(TensorError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .io(n < 0 ? "cannot read \(what) '\(path)': \(String(cString: strerror(errno)))"
                                : "\(what) '\(path)' changed while it was read (it ended at byte \(offset + done), not \(offset + count))")
            }
            done += n
        }
        var now = stat()
        guard fstat(fd, &now) == 0, now.st_size == opened.st_size, now.st_mtim.tv_sec == opened.st_mtim.tv_sec,
              now.st_mtim.tv_nsec == opened.st_mtim.tv_nsec else {
            throw .io("\(what) '\(path)' changed while it was read; try again once it is written")
        }
        return bytes
    }
}
