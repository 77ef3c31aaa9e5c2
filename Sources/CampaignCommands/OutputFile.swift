#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole output file (a saved plan, a compiled request) so that a write error is never silent.
///
/// A regular file (or a new one) is written to a temporary file beside it, fsynced and renamed over it, so readers
/// see the old file or the new one; anything else that already exists (`/dev/stdout`, `/dev/full`) is written in
/// place, and a failed write is reported, never taken for success.
enum OutputFile {
    struct Failure: Error {
        var reason: String
    }

    static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists, info.st_mode & S_IFMT != S_IFREG {
            guard info.st_mode & S_IFMT != S_IFDIR else { throw Failure(reason: "it is a folder") }
            let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            if let failure = StandardStreams.write(fd, bytes) { throw Failure(reason: failure) }
            return
        }
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        if let failure = StandardStreams.write(fd, bytes) {
            close(fd)
            unlink(temporary)
            throw Failure(reason: failure)
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw Failure(reason: reason)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(reason: reason)
        }
    }
}
