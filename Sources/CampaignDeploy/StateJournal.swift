#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CampaignEngine
import Foundation
import Workspace

/// The state being changed by one run. A change to one record is appended to the state's journal as one line and
/// fsynced before the run goes on (so what succeeded stays recorded whatever happens next, and a delivery writes
/// only its own members); the state file itself is rewritten once, when the run ends (``finish()``), or for
/// changes to many records at once.
///
/// Every write is fenced: the lock file must still be the one this run locked, and the state file and journal on
/// disk must still be the ones this run read or wrote. Either check failing means another process could be writing
/// the same state, and the run stops rather than overwrite it (no lost update, no second runner sending the same
/// campaign).
public actor StateJournal: StateWriter {
    public private(set) var state: EngineState
    let store: StateStore
    let lock: StateLock?
    /// The state file this run read or last wrote; nil while there is none on disk.
    private var expected: FileIdentity?
    /// The journal open for appending, and which file it is.
    private var journal: (fd: Int32, identity: FileIdentity?)?
    /// Whether the journal holds lines not yet folded into the state file.
    private var pending: Bool
    /// Bytes written to the state file and journal by this run.
    public private(set) var bytesWritten = 0

    /// A journal for `state`, read from `store` while holding `lock`. `read` is the identity of the state file when
    /// it was read (``StateStore/loadWithIdentity()``): a file replaced since (while a plan was shown and confirmed)
    /// stops the first write. Without it, the file on disk now is taken as the one read.
    public init(state: EngineState, store: StateStore, lock: StateLock? = nil, read: FileIdentity?? = nil) {
        self.state = state
        self.store = store
        self.lock = lock
        self.expected = read ?? store.identity
        self.pending = FileIdentity.of(store.journalPath) != nil
    }

    deinit {
        if let journal { close(journal.fd) }
    }

    /// Changes one record (nil removes it) and appends the change. `delivered`: the members the change appended to
    /// the record's delivered lists, when that is all it did to them (the line then carries only those).
    public func update(_ key: String, delivered added: [String: [String]]?, _ change: (inout StateRecord?) -> Void) throws(DeployError) {
        // Taken out of the state while it changes: its delivered lists are then held once, and a batch appended to a
        // list of a million recipients is appended in place instead of copying the list (measured: the copy made a
        // 1,000,000-recipient send spend most of its time in memmove).
        var record = state.campaigns.removeValue(forKey: key)
        let was = DeliveredChange.counts(record)
        change(&record)
        // The line carries only the added members when they are exactly what changed in the lists.
        let hint = DeliveredChange.appended(added, counts: was, record: record)
        let line = JournalLine(lineage: state.lineage, serial: state.serial + 1, key: key, record: record, deliveredAdded: hint)
        // In memory the change stands even when it cannot be appended: the run stops then, and what this process holds
        // is what it knows happened (an intent it recorded, an answer it got).
        state.campaigns[key] = record
        try append(line.bytes)
        state.serial += 1
    }

    public var shown: String { store.path }

    /// Writes the state as the first one, under the lock, before any request (and only if no state appeared since
    /// it was found missing).
    public func create() throws(DeployError) {
        guard expected == nil, !store.exists else {
            throw DeployError("S014", "a state appeared at \(store.path) while this plan was made", hint: "run the command again")
        }
        try lock?.verify()
        var first = state
        expected = try store.save(&first)
        bytesWritten += Self.size(of: store.target)
        state = first
    }

    /// Changes several records (or other state) and rewrites the state file once.
    public func updateAll(_ change: (inout EngineState) -> Void) throws(DeployError) {
        var next = state
        change(&next)
        try fence()
        closeJournal()
        let identity = try store.save(&next)
        bytesWritten += Self.size(of: store.target)
        expected = identity
        pending = false
        state = next
    }

    /// Folds the journal into the state file (at the end of a run). Nothing to do when nothing was appended.
    public func finish() throws(DeployError) {
        guard pending || journal != nil else { return }
        try fence()
        closeJournal()
        var next = state
        expected = try store.compact(&next)
        bytesWritten += Self.size(of: store.target)
        pending = false
        state = next
    }

    /// Throws unless the lock and the state file are still this run's.
    private func fence() throws(DeployError) {
        try lock?.verify()
        guard store.identity == expected else {
            throw DeployError("S014", "the state \(store.path) was changed by another process during this run; stopping before anything else is written",
                              hint: "run `campaign plan` again to see the state as it is now")
        }
    }

    /// Appends `bytes` to the journal and fsyncs it.
    private func append(_ bytes: [UInt8]) throws(DeployError) {
        try fence()
        if let journal, FileIdentity.of(store.journalPath) != journal.identity {
            throw DeployError("S014", "the state journal \(store.journalPath) was removed or replaced during this run; stopping before anything else is written",
                              hint: "run `campaign plan` again to see the state as it is now")
        }
        if journal == nil {
            try? FileManager.default.createDirectory(atPath: (store.target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if expected == nil {
                // A first state: the file exists before the journal does, so the journal always follows a file.
                var first = state
                expected = try store.compact(&first)
            }
            let fd = open(store.journalPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw DeployError("S004", "cannot open \(store.journalPath): \(String(cString: strerror(errno)))") }
            journal = (fd, FileIdentity.of(descriptor: fd))
        }
        guard let fd = journal?.fd else { return }
        let length = lseek(fd, 0, SEEK_END)
        if let reason = FileWriter.writeAll(fd, bytes) {
            // The partial line is cut off again, so the journal never holds a fragment a later line could follow.
            if length >= 0 { _ = ftruncate(fd, length) }
            throw DeployError("S004", "cannot append to \(store.journalPath): \(reason)", hint: "the change was not recorded; free space and run `campaign reconcile`")
        }
        guard fsync(fd) == 0 else {
            throw DeployError("S004", "cannot fsync \(store.journalPath): \(String(cString: strerror(errno)))")
        }
        bytesWritten += bytes.count
        pending = true
    }

    private func closeJournal() {
        if let journal { close(journal.fd) }
        journal = nil
    }

    private static func size(of path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func timestamp() -> String { Date().formatted(.iso8601) }
}
