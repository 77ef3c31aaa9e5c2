#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes with plain POSIX calls, every byte or an error: the one write loop behind state files, journals, saved
/// plans and standard output.
public enum FileWriter {
    /// Writes all of `bytes` to `fd`, retrying after interruptions and short writes; the `strerror` text of the first
    /// failure, or nil.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            guard let start = buffer.baseAddress else { return nil }
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, start + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}
