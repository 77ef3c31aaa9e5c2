#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CampaignEngine
import CampaignLanguage
import Foundation
import JSON
import Workspace

/// Which file is on disk at a path (device and inode): a save or a lock is fenced on it, so that a file replaced or
/// removed behind a run's back is noticed before the run writes again.
public struct FileIdentity: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64

    /// The identity of the file at `path` (without following a link at the last component), or nil.
    static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The identity of the open file `fd`.
    static func of(descriptor fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// Reads and writes the state file. Writes are atomic and durable: a temporary file is written and fsynced,
/// renamed over the old one, and the folder is fsynced, so a crash leaves either the old or the new state, never
/// a partial one. Reads and writes go to the resolved path (``StateLocation``).
public struct StateStore: Sendable {
    /// The path as shown.
    public let path: String
    /// Where the file really is (symbolic links resolved).
    public let target: String

    public init(location: StateLocation) {
        path = location.path
        target = location.resolved
    }

    /// A store for `path`, resolved now (a path that cannot be resolved is used as it is; ``load()`` then reports it).
    public init(path: String) {
        self.path = path
        target = (try? StateLocation.resolve(path).resolved) ?? path
    }

    /// State files hold a record per campaign (and every recipient of sends); this bounds what is read.
    static let maxFileSize = 1 << 30

    /// Whether the state file exists.
    public var exists: Bool { FileIdentity.of(target) != nil }

    /// The identity of the file now on disk, if any.
    public var identity: FileIdentity? { FileIdentity.of(target) }

    /// ``load()`` and the identity of the file read (taken before reading and checked after, so the two belong
    /// together; a file replaced in between is read again).
    public func loadWithIdentity() throws(DeployError) -> (state: EngineState, identity: FileIdentity?) {
        for _ in 0..<3 {
            let before = identity
            let state = try load()
            if identity == before { return (state, before) }
        }
        throw DeployError("S014", "the state \(path) keeps changing while it is read", hint: "another process is writing it; stop it first")
    }

    /// The state, or a new one (fresh lineage) when the file does not exist; callers that must not start from an empty
    /// state check ``exists`` first.
    public func load() throws(DeployError) -> EngineState {
        guard exists else { return EngineState() }
        let bytes: [UInt8]
        switch FileReader.read(target, limit: Self.maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem): throw DeployError("S001", "state file \(path): \(problem.message)")
        }
        var state: EngineState
        do {
            state = try EngineState(jsonText: bytes)
        } catch {
            if let syntax = error.syntax {
                throw DeployError("S002", "the state file \(path) is not valid JSON: \(syntax)", hint: "restore it from version control or a backup")
            }
            throw DeployError("S003", "\(path): \(error.description)", hint: "restore it from version control or a backup")
        }
        if let journal = try readJournal() {
            do throws(StateFileError) {
                try state.replay(journal: journal)
            } catch {
                throw DeployError("S006", "\(journalPath): \(error.description)", hint: "restore the state and its journal from a backup")
            }
        }
        // Sorted only when one is bad, for a stable message (this runs on every read).
        if state.campaigns.keys.contains(where: { !CampaignDecoder.isValidKey($0) }),
            let bad = state.campaigns.keys.sorted().first(where: { !CampaignDecoder.isValidKey($0) }) {
            throw DeployError("S003", "\(path): the campaign key `\(EngineState.shown(bad))` is not a valid key", hint: "restore the file from version control or a backup")
        }
        return state
    }

    /// The journal beside the state: changes appended since the state file was last written.
    public var journalPath: String { target + ".journal" }

    /// The journal's bytes, or nil when there is none.
    func readJournal() throws(DeployError) -> [UInt8]? {
        guard FileIdentity.of(journalPath) != nil else { return nil }
        switch FileReader.read(journalPath, limit: Self.maxFileSize) {
        case .success(let bytes): return bytes
        case .failure(let problem): throw DeployError("S001", "state journal \(journalPath): \(problem.message)")
        }
    }

    /// Writes `state` with its serial incremented (and the journal folded in, so removed); the identity of the file
    /// written.
    @discardableResult
    public func save(_ state: inout EngineState) throws(DeployError) -> FileIdentity? {
        state.serial += 1
        return try writeFile(&state)
    }

    /// Writes `state` as it is (its serial already counts the journal's lines) and removes the journal: the
    /// journal's changes are in the state file from now on.
    @discardableResult
    public func compact(_ state: inout EngineState) throws(DeployError) -> FileIdentity? {
        try writeFile(&state)
    }

    private func writeFile(_ state: inout EngineState) throws(DeployError) -> FileIdentity? {
        if state.formatVersion < EngineState.currentFormatVersion {
            try keepOldFormat(version: state.formatVersion)
            state.formatVersion = EngineState.currentFormatVersion
        }
        let folder = Paths.parent(target)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(target).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw DeployError("S004", "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        // Written as it is serialized, a megabyte at a time (the same bytes as `JSONWriter(indent: 2)` of
        // `state.json`): measured on the million-recipient apply (`make bench`, apply-sends), peak RSS 193 MiB with
        // the whole text and its tree in memory before the write, 129 MiB now.
        var emitter = FlushingJSONEmitter(indent: 2) { FileWriter.writeAll(fd, $0) }
        state.emit(into: &emitter)
        emitter.append([0x0A])
        if let reason = emitter.finish() {
            close(fd)
            unlink(temporary)
            throw DeployError("S004", "cannot write \(temporary): \(reason)", hint: "the state is unchanged; free space and run again")
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw DeployError("S004", "cannot fsync \(temporary): \(reason)")
        }
        let written_ = FileIdentity.of(descriptor: fd)
        close(fd)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DeployError("S004", "cannot replace \(path): \(reason)")
        }
        // Every line of the journal is in the file now (a crash before this unlink leaves lines the next read skips:
        // their serials are not above the file's).
        unlink(journalPath)
        let dir = open(folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return written_
    }
}

extension StateStore {
    /// Before the first write in the current format: the file as it is, kept beside it as `NAME.vN.bak` (a hard
    /// link, or a copy), so an older release can still be pointed at it. An existing backup is left as it is.
    func keepOldFormat(version: Int) throws(DeployError) {
        let backup = "\(target).v\(version).bak"
        guard exists, FileIdentity.of(backup) == nil else { return }
        if link(target, backup) == 0 { return }
        switch FileReader.read(target, limit: Self.maxFileSize) {
        case .success(let bytes):
            let fd = open(backup, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw DeployError("S004", "cannot keep the old state as \(backup): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            if let reason = FileWriter.writeAll(fd, bytes) {
                unlink(backup)
                throw DeployError("S004", "cannot keep the old state as \(backup): \(reason)")
            }
            fsync(fd)
        case .failure(let problem):
            throw DeployError("S004", "cannot keep the old state as \(backup): \(problem.message)")
        }
    }
}

/// An exclusive lock on a state file, held through a separate `.lock` file beside the state's real path with
/// `flock`: the kernel releases it when the process dies, however it dies. The file says who holds it. After the
/// lock is taken, and before every save, the lock file on disk must still be the one locked: a lock file deleted
/// or replaced during a run (which would let a second run in) stops the run.
public final class StateLock: @unchecked Sendable {
    private var fd: Int32
    public let lockPath: String
    private let identity: FileIdentity?

    private init(fd: Int32, lockPath: String, identity: FileIdentity?) {
        self.fd = fd
        self.lockPath = lockPath
        self.identity = identity
    }

    /// Takes the lock for `statePath` at once, or fails naming the holder.
    public static func acquire(statePath: String, command: String) throws(DeployError) -> StateLock {
        try acquire(location: StateLocation.resolve(statePath), command: command)
    }

    /// Takes the lock for the state at `location` at once, or fails naming the holder.
    public static func acquire(location: StateLocation, command: String) throws(DeployError) -> StateLock {
        let lockPath = location.resolved + ".lock"
        try? FileManager.default.createDirectory(atPath: Paths.parent(lockPath), withIntermediateDirectories: true)
        // A lock file replaced between our open and our flock is not the lock: try again with the new one.
        for _ in 0..<5 {
            // O_NONBLOCK: a FIFO planted as the lock file must not block the open; O_NOFOLLOW: nor a link elsewhere.
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
            guard fd >= 0 else { throw DeployError("S010", "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))") }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw DeployError("S010", "the lock file \(lockPath) is not a regular file", hint: "remove it; it is created by the tool")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let who = holder(fd)
                close(fd)
                throw DeployError("S011", "the state \(location.path) is locked by \(who)", hint: "wait for it to finish; the lock is released when that process exits")
            }
            let mine = FileIdentity.of(descriptor: fd)
            guard mine != nil, FileIdentity.of(lockPath) == mine else {
                flock(fd, LOCK_UN)
                close(fd)
                continue
            }
            var host = [CChar](repeating: 0, count: 256)
            gethostname(&host, host.count - 1)
            let holder = JSONValue.object([
                ("pid", .int(Int(getpid()))), ("host", .string(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))),
                ("command", .string(command)), ("since", .string(Date().formatted(.iso8601))),
            ])
            let bytes = JSONWriter(indent: nil).bytes(holder)
            ftruncate(fd, 0)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, 0) }
            fsync(fd)
            return StateLock(fd: fd, lockPath: lockPath, identity: mine)
        }
        throw DeployError("S010", "the lock file \(lockPath) keeps being replaced while it is taken", hint: "another tool is removing it; stop that first")
    }

    /// Who holds the lock, from what the holder wrote in the file.
    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = pread(fd, &buffer, buffer.count, 0)
        let holder = n > 0 ? (try? JSONParser().parse(Array(buffer[0..<n]))) : nil
        return holder.map { h in
            "pid \(h["pid"]?.intValue.map(String.init) ?? "?") on \(EngineState.shown(h["host"]?.stringValue ?? "?")), running `\(EngineState.shown(h["command"]?.stringValue ?? "?"))` since \(EngineState.shown(h["since"]?.stringValue ?? "?"))"
        } ?? "another process"
    }

    /// Throws when the lock file on disk is no longer the one this lock holds (deleted or replaced): another run
    /// could have taken a new lock, so this run must not write again.
    public func verify() throws(DeployError) {
        guard fd >= 0, FileIdentity.of(lockPath) == identity else {
            throw DeployError("S013", "the lock file \(lockPath) was removed or replaced during this run; stopping before anything else is written",
                              hint: "another run may now hold the state; check it with `campaign state list` and `campaign reconcile`")
        }
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
