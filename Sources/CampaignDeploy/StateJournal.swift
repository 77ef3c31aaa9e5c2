import CampaignEngine
import Foundation

/// The state being changed by one run: every change is saved at once (atomically), so what succeeded stays recorded
/// whatever happens next.
///
/// Every save is fenced: the lock file must still be the one this run locked, and the state file on disk must still
/// be the one this run read or last wrote. Either check failing means another process could be writing the same
/// state, and the run stops rather than overwrite it (no lost update, no second runner sending the same campaign).
public actor StateJournal {
    public private(set) var state: EngineState
    let store: StateStore
    let lock: StateLock?
    /// The file this run read or last wrote; nil while there is none on disk.
    private var expected: FileIdentity?

    /// A journal for `state`, read from `store` while holding `lock` (the state file on disk is taken as read now).
    public init(state: EngineState, store: StateStore, lock: StateLock? = nil) {
        self.state = state
        self.store = store
        self.lock = lock
        self.expected = store.identity
    }

    /// Changes one campaign's record (nil removes it) and saves.
    public func update(_ key: String, _ change: (inout StateRecord?) -> Void) throws(DeployError) {
        var record = state.campaigns[key]
        change(&record)
        var next = state
        next.campaigns[key] = record
        try save(next)
    }

    /// Changes several records (or other state) and saves once.
    public func updateAll(_ change: (inout EngineState) -> Void) throws(DeployError) {
        var next = state
        change(&next)
        try save(next)
    }

    /// Saves `next` if the fences hold; the journal's state changes only once it is on disk.
    private func save(_ next: EngineState) throws(DeployError) {
        try lock?.verify()
        guard store.identity == expected else {
            throw DeployError("S014", "the state \(store.path) was changed by another process during this run; stopping before anything else is written",
                              hint: "run `campaign plan` again to see the state as it is now")
        }
        var next = next
        expected = try store.save(&next)
        state = next
    }

    static func timestamp() -> String { Date().formatted(.iso8601) }
}
