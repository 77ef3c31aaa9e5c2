import Foundation
import JSON
import Synchronization

/// The sandbox's one ledger: every change that any provider's half of the sandbox accepted, in one sequence across
/// providers, each entry a JSON object naming its provider (`{"seq": 3, "provider": "cleverpush", …}`), optionally
/// appended to a file as JSON lines (`campaign-sandbox --ledger FILE`).
///
/// Synchronous and safe from any thread or actor: a provider's state records an entry within the same step that
/// makes the change, so no other request sees the change without its entry.
public final class SandboxLedger: Sendable {
    private struct Storage {
        var entries: [JSONValue] = []
        var file: FileHandle?
    }

    private let storage: Mutex<Storage>
    /// The file entries are appended to, if any.
    public let path: String?

    /// A ledger that appends every new entry to `path` (created if missing; never truncated) when given.
    public init(path: String? = nil) {
        self.path = path
        var file: FileHandle?
        if let path {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            file = FileHandle(forWritingAtPath: path)
            _ = try? file?.seekToEnd()
        }
        storage = Mutex(Storage(file: file))
    }

    /// Appends `{"seq": N, "provider": provider, …fields}` (a `seq` or `provider` among `fields` is left out) and
    /// returns it.
    @discardableResult
    public func append(provider: String, fields: [(String, JSONValue)]) -> JSONValue {
        storage.withLock { storage in
            let entry = JSONValue.object(
                [("seq", .int(storage.entries.count + 1)), ("provider", .string(provider))] + fields.filter { $0.0 != "seq" && $0.0 != "provider" })
            storage.entries.append(entry)
            if let file = storage.file { try? file.write(contentsOf: JSONWriter(indent: nil).bytes(entry) + [0x0A]) }
            return entry
        }
    }

    /// Appends a JSON object that names its provider (`{"provider": "personaclick", "action": …}`), numbered in the
    /// one sequence; nil, and nothing appended, when `entry` is not an object with a string `provider`.
    @discardableResult
    public func append(_ entry: JSONValue) -> JSONValue? {
        guard let fields = entry.objectValue, let provider = entry["provider"]?.stringValue else { return nil }
        return append(provider: provider, fields: fields)
    }

    /// Puts back `entries` kept by the sandbox's persistence (`--data`), as they were (not written to the file
    /// again); one without a `provider` is `provider`'s (entries saved before the ledger was shared). Only into an
    /// empty ledger.
    public func restore(_ entries: [JSONValue], provider: String) {
        storage.withLock { storage in
            guard storage.entries.isEmpty else { return }
            storage.entries = entries.map { entry in
                guard var fields = entry.objectValue, entry["provider"] == nil else { return entry }
                fields.insert(("provider", .string(provider)), at: fields.first?.0 == "seq" ? 1 : 0)
                return .object(fields)
            }
        }
    }

    /// Every entry in order, or only `provider`'s.
    public func entries(provider: String? = nil) -> [JSONValue] {
        storage.withLock { storage in
            guard let provider else { return storage.entries }
            return storage.entries.filter { $0["provider"]?.stringValue == provider }
        }
    }
}
