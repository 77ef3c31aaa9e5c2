#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Diagnostics

/// Reads whole regular files with plain POSIX calls: no Foundation bridging on the hot path, and special files
/// (FIFOs, devices) are refused instead of read forever.
public enum FileReader {
    /// The bytes of the regular file at `path`, or a diagnostic saying why not. Files over `limit` bytes are refused
    /// before anything is read.
    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Diagnostic> {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever, before the file-type check
        // below could refuse it. Regular files ignore the flag.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(failure(path, errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(failure(path, errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            return .failure(.error(FileDiagnosticCode.unreadable, "cannot read \(Quoting.code(path, limit: 200)): \(what)", at: nil))
        }
        let size = Int(info.st_size)
        guard size <= limit else {
            return .failure(.error(
                FileDiagnosticCode.tooLarge, "\(Quoting.code(path, limit: 200)) is \(size) bytes; the limit is \(limit) bytes",
                at: SourceLocation(file: path, line: 1, column: 1)))
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + filled, size - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(failure(path, errno))
            }
            if count == 0 { break }  // the file shrank while we read it
            filled += count
        }
        if filled < size { bytes.removeLast(size - filled) }
        return .success(bytes)
    }

    private static func failure(_ path: String, _ code: Int32) -> Diagnostic {
        let reason = String(cString: strerror(code))
        if code == ENOENT {
            return .error(FileDiagnosticCode.notFound, "no such file or directory: \(Quoting.code(path, limit: 200))", at: nil)
        }
        return .error(FileDiagnosticCode.unreadable, "cannot read \(Quoting.code(path, limit: 200)): \(reason)", at: nil)
    }
}
