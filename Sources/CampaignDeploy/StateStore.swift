#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CampaignEngine
import Foundation
import JSON
import Workspace

/// Reads and writes the state file. Writes are atomic and durable: a temporary file is written and fsynced,
/// renamed over the old one, and the folder is fsynced, so a crash leaves either the old or the new state, never
/// a partial one.
public struct StateStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The state, or a new one (fresh lineage) when the file does not exist.
    /// State files hold a record per campaign (and every recipient of sends); this bounds what is read.
    static let maxFileSize = 1 << 30

    public func load() throws(DeployError) -> EngineState {
        guard FileManager.default.fileExists(atPath: path) else { return EngineState() }
        let bytes: [UInt8]
        switch FileReader.read(path, limit: Self.maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem): throw DeployError("S001", "state file: \(problem.message)")
        }
        do {
            return try EngineState(jsonText: bytes)
        } catch {
            if let syntax = error.syntax {
                throw DeployError("S002", "the state file \(path) is not valid JSON: \(syntax)", hint: "restore it from version control or a backup")
            }
            throw DeployError("S003", "\(path): \(error.description)")
        }
    }

    /// Writes `state` with its serial incremented.
    public func save(_ state: inout EngineState) throws(DeployError) {
        state.serial += 1
        let bytes = JSONWriter(indent: 2).bytes(state.json) + [0x0A]
        let folder = Paths.parent(path)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployError("S004", "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw DeployError("S004", "cannot write \(temporary): \(reason)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw DeployError("S004", "cannot fsync \(temporary)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw DeployError("S004", "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        let dir = open(folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}

/// An exclusive lock on a state file, held through a separate `.lock` file with `flock`: the kernel releases it
/// when the process dies, however it dies. The file says who holds it.
public final class StateLock: @unchecked Sendable {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock for `statePath` at once, or fails naming the holder.
    public static func acquire(statePath: String, command: String) throws(DeployError) -> StateLock {
        let lockPath = statePath + ".lock"
        try? FileManager.default.createDirectory(atPath: Paths.parent(lockPath), withIntermediateDirectories: true)
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployError("S010", "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = n > 0 ? (try? JSONParser().parse(Array(buffer[0..<n]))) : nil
            let who = holder.map { h in
                "pid \(h["pid"]?.intValue.map(String.init) ?? "?") on \(h["host"]?.stringValue ?? "?"), running `\(h["command"]?.stringValue ?? "?")` since \(h["since"]?.stringValue ?? "?")"
            } ?? "another process"
            throw DeployError("S011", "the state \(statePath) is locked by \(who)", hint: "wait for it to finish; the lock is released when that process exits")
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let info = JSONValue.object([
            ("pid", .int(Int(getpid()))), ("host", .string(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))), ("command", .string(command)),
            ("since", .string(Date().formatted(.iso8601))),
        ])
        let bytes = JSONWriter(indent: nil).bytes(info)
        ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, 0) }
        fsync(fd)
        return StateLock(fd: fd)
    }

    /// Releases the lock (also released when the process exits).
    public func release() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
