import CampaignEngine

/// Where the state is kept: a file beside the project (the default) or a workspace in a database shared by every
/// runner. A backend reads the state, and gives a run that writes it a lease: the lock, held until released (or
/// until the process or its connection dies), under which the state is read again and then written through a
/// ``StateWriter``.
///
/// Every backend keeps the same promises: every write is durable before the run goes on (an intent is recorded
/// before its request leaves), every write is fenced on what the run read (a second writer, even one that got past
/// a broken lock, makes the run stop instead of overwriting), and what cannot be written stops the run.
public protocol StateBackend: Sendable {
    /// The state as named in messages; never carries a password.
    var shown: String { get }
    /// Whether a state exists here (a first apply needs `--init-state`).
    func exists() async throws(DeployError) -> Bool
    /// The state as it is now, without a lock (a plan); nil when there is none yet.
    func read() async throws(DeployError) -> EngineState?
    /// Takes the lock for a run that writes, at once, or fails naming who holds it.
    func lease(command: String) async throws(DeployError) -> any StateLease
}

/// A held lock on a state.
public protocol StateLease: Sendable {
    /// The state as named in messages.
    var shown: String { get }
    /// Reads the state under the lock; nil when there is none yet. The writer's first write is fenced on what this
    /// read.
    func read() async throws(DeployError) -> EngineState?
    /// A writer that starts from `state`: the state ``read()`` returned, or (when it returned nil) a new one, which
    /// is written only by ``StateWriter/create()``.
    func writer(_ state: EngineState) async -> any StateWriter
    /// Writes `state` in place of whatever is here (`state push` and `state pull`), as it is but for its serial,
    /// which is set above both the copied state's and the one replaced (a plan saved against either is stale).
    func replace(with state: EngineState) async throws(DeployError)
    /// Gives up the lock (also given up when the process ends).
    func release() async
}

/// Writes one run's changes to a state, each change durable before the call returns.
public protocol StateWriter: Actor {
    /// The state with every change of this run.
    var state: EngineState { get }
    /// The state as named in messages.
    var shown: String { get }
    /// Bytes this run wrote (reported by benchmarks).
    var bytesWritten: Int { get }
    /// Writes the state as a new one (the first apply, `--init-state`); fails when a state appeared meanwhile.
    func create() async throws(DeployError)
    /// Changes one record (nil removes it) and makes the change durable. `delivered`: the members the change appended
    /// to the record's delivered lists, when that is all it did to them (then only those are written).
    func update(_ key: String, delivered added: [String: [String]]?, _ change: (inout StateRecord?) -> Void) async throws(DeployError)
    /// Changes several records, or the state's other parts, in one durable write.
    func updateAll(_ change: (inout EngineState) -> Void) async throws(DeployError)
    /// Ends the run's writing (a file folds its journal in); nothing to do when nothing was written.
    func finish() async throws(DeployError)
}

extension StateWriter {
    /// Changes one record (nil removes it) and makes the change durable.
    public func update(_ key: String, _ change: (inout StateRecord?) -> Void) async throws(DeployError) {
        try await update(key, delivered: nil, change)
    }
}

/// The members a change appended to a record's delivered lists, when that is exactly what changed in them: then a
/// writer writes only those (a batch of a million-recipient send writes its own members, not the whole list).
public enum DeliveredChange {
    /// The counts of `record`'s delivered lists, taken before a change.
    public static func counts(_ record: StateRecord?) -> [String: Int] { record?.delivered.mapValues(\.count) ?? [:] }

    /// `added` when the lists of `record` grew by exactly `added` from `counts`; nil otherwise (write them whole).
    public static func appended(_ added: [String: [String]]?, counts was: [String: Int], record: StateRecord?) -> [String: [String]]? {
        guard let added, let record else { return nil }
        let now = record.delivered.mapValues(\.count)
        let exact = !Set(now.keys).union(was.keys).contains { (now[$0] ?? 0) != (was[$0] ?? 0) + (added[$0]?.count ?? 0) }
        return exact ? added : nil
    }
}
