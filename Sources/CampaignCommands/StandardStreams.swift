#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Workspace

/// Standard output and error through checked `write(2)` calls.
///
/// Foundation's `FileHandle.write` traps on a full disk or a closed pipe; here a failed write is remembered instead,
/// so that every command can end with a clear error and exit 1 (and `apply` can keep applying and save state when
/// its output goes away). SIGPIPE is ignored from the start (``ignoreBrokenPipes()``), so a closed pipe is an
/// `EPIPE` error rather than the end of the process.
enum StandardStreams {
    /// The first failed write to standard output, as `strerror` text.
    private static let outputFailure = Mutex<String?>(nil)

    /// Makes writes to a closed pipe fail with EPIPE instead of killing the process.
    static func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

    /// Why standard output could not be written, if it could not.
    static var outputError: String? { outputFailure.withLock { $0 } }

    /// Writes to standard output; after a failure, further output is dropped (the failure is kept).
    static func out(_ bytes: [UInt8]) {
        guard outputError == nil else { return }
        if let failure = write(STDOUT_FILENO, bytes) {
            outputFailure.withLock { if $0 == nil { $0 = failure } }
        }
    }

    /// Writes to standard error; failures are ignored (there is nowhere left to report them).
    static func err(_ bytes: [UInt8]) { _ = write(STDERR_FILENO, bytes) }

    /// Writes all of `bytes` to `fd`; the reason on failure.
    static func write(_ fd: Int32, _ bytes: [UInt8]) -> String? { FileWriter.writeAll(fd, bytes) }

    /// The exit status to end with: `status`, or 1 with a message when standard output could not be written (a
    /// command whose output was lost has not done its job, whatever it computed).
    static func finalStatus(_ status: Int32) -> Int32 {
        guard let failure = outputError else { return status }
        err(Array("campaign: error[IO001]: cannot write to standard output: \(failure)\n".utf8))
        return status == 0 ? 1 : status
    }
}
