import CampaignEngine

/// The state in a file (the default): read with its journal, locked with `flock` beside its real path, written
/// through a ``StateJournal``.
public struct FileStateBackend: StateBackend {
    public let location: StateLocation

    public init(location: StateLocation) { self.location = location }

    public var shown: String { location.path }

    public func exists() async throws(DeployError) -> Bool { location.exists }

    public func read() async throws(DeployError) -> EngineState? {
        let store = StateStore(location: location)
        guard store.exists else { return nil }
        return try store.load()
    }

    public func lease(command: String) async throws(DeployError) -> any StateLease {
        FileStateLease(location: location, lock: try StateLock.acquire(location: location, command: command))
    }
}

/// The `flock` on a state file, and the identity of the file read under it (the journal's fence).
final class FileStateLease: StateLease, @unchecked Sendable {
    let location: StateLocation
    let lock: StateLock
    // Set once by `read()` before `writer(_:)` is asked for, both from the one task that holds the lease.
    private var identity: FileIdentity?

    init(location: StateLocation, lock: StateLock) {
        self.location = location
        self.lock = lock
    }

    var shown: String { location.path }

    func read() async throws(DeployError) -> EngineState? {
        let store = StateStore(location: location)
        guard store.exists else {
            identity = nil
            return nil
        }
        let (state, read) = try store.loadWithIdentity()
        identity = read
        return state
    }

    func writer(_ state: EngineState) async -> any StateWriter {
        StateJournal(state: state, store: StateStore(location: location), lock: lock, read: .some(identity))
    }

    func replace(with state: EngineState) async throws(DeployError) {
        try lock.verify()
        let store = StateStore(location: location)
        var copy = state
        copy.serial = max(state.serial, (try? store.load().serial) ?? 0) + 1
        try store.compact(&copy)
    }

    func release() async { lock.release() }
}
