import CampaignEngine
import Foundation

/// The state being changed by one run: every change is saved at once (atomically), so what succeeded stays recorded
/// whatever happens next.
public actor StateJournal {
    public private(set) var state: EngineState
    let store: StateStore

    public init(state: EngineState, store: StateStore) {
        self.state = state
        self.store = store
    }

    /// Changes one campaign's record (nil removes it) and saves.
    public func update(_ key: String, _ change: (inout StateRecord?) -> Void) throws(DeployError) {
        var record = state.campaigns[key]
        change(&record)
        state.campaigns[key] = record
        try store.save(&state)
    }

    /// Changes several records (or other state) and saves once.
    public func updateAll(_ change: (inout EngineState) -> Void) throws(DeployError) {
        change(&state)
        try store.save(&state)
    }

    static func timestamp() -> String { Date().formatted(.iso8601) }
}
