#if canImport(Glibc)
import Glibc
#endif
import CampaignDeploy
import CampaignEngine
import Foundation
import Logging
import PostgresNIO

/// The state in a PostgreSQL workspace (one per environment: `--env`, else `default`), shared by every runner that
/// names the same database. Reads need no lock; a run that writes holds the workspace's advisory lock on its own
/// connection for as long as it runs (a runner that dies releases it with its connection), and every write is
/// fenced on the workspace's serial.
public struct PostgresStateBackend: StateBackend {
    public let connector: PostgresConnector
    public let workspace: String
    let names: PostgresSchema.Names

    /// A backend for `workspace` at the connector's URL; the workspace name must be a plain name.
    public init(connector: PostgresConnector, workspace: String) throws(DeployError) {
        guard Self.isWorkspaceName(workspace) else {
            throw DeployError("S067", "the workspace name must be letters, digits, `.`, `_` or `-` (at most 100)")
        }
        self.connector = connector
        self.workspace = workspace
        names = PostgresSchema.Names(schema: connector.url.schema)
    }

    public var shown: String { "\(connector.url.shown) (workspace \(workspace))" }

    public func exists() async throws(DeployError) -> Bool { try await read() != nil }

    public func read() async throws(DeployError) -> EngineState? {
        let connection = try await connector.connect()
        do {
            let state = try await PostgresStateRows.load(connection, names, workspace: workspace, shown: shown, logger: connector.logger)
            await Self.close(connection)
            return state
        } catch {
            await Self.close(connection)
            throw error
        }
    }

    public func lease(command: String) async throws(DeployError) -> any StateLease {
        let connection = try await connector.connect()
        do {
            try await PostgresSchema.migrate(connection, names, logger: connector.logger)
            try await Self.lock(connection, names, workspace: workspace, command: command, shown: shown, logger: connector.logger)
        } catch {
            await Self.close(connection)
            throw error
        }
        return PostgresStateLease(connection: connection, names: names, workspace: workspace, shown: shown, logger: connector.logger)
    }

    /// Sets the large columns' compression (``PostgresSchema/compression(_:)``) on tables that exist: `campaign state
    /// init` does, for tables made before it was part of migration 1. Idempotent.
    public func tuneStorage() async throws(DeployError) {
        let connection = try await connector.connect()
        do {
            try await connection.run(PostgresQuery(unsafeSQL: PostgresSchema.compression(names)), logger: connector.logger)
        } catch {
            await Self.close(connection)
            throw PostgresConnector.failure(error, doing: "setting the compression of the state tables in schema \(names.schema)")
        }
        await Self.close(connection)
    }

    /// The advisory lock of the workspace, taken at once or refused naming the holder (from the `locks` row the
    /// holder wrote).
    static func lock(_ connection: PostgresConnection, _ t: PostgresSchema.Names, workspace: String, command: String, shown: String, logger: Logger) async throws(DeployError) {
        let key = lockKey(t, workspace)
        do {
            var taken = false
            for try await (ok) in try await connection.run("SELECT pg_try_advisory_lock(hashtextextended(\(key), 0))", logger: logger).decode(Bool.self) {
                taken = ok
            }
            guard taken else {
                var holder = "another runner"
                let rows = try await connection.run("""
                    SELECT host, pid, command, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM \(unescaped: t.locks) WHERE workspace = \(workspace)
                    """, logger: logger)
                for try await (host, pid, command, since) in rows.decode((String, Int, String, String).self) {
                    holder = "pid \(pid) on \(EngineState.shown(host)), running `\(EngineState.shown(command))` since \(since)"
                }
                throw DeployError("S011", "the state \(shown) is locked by \(holder)",
                                  hint: "wait for it to finish; the lock is released when that runner's connection ends")
            }
            try await connection.run("""
                INSERT INTO \(unescaped: t.locks) (workspace, host, pid, command, since) VALUES (\(workspace), \(hostName()), \(Int(getpid())), \(command), now())
                ON CONFLICT (workspace) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, command = EXCLUDED.command, since = EXCLUDED.since
                """, logger: logger)
        } catch let error as DeployError {
            throw error
        } catch {
            throw PostgresConnector.failure(error, doing: "locking the state \(shown)")
        }
    }

    static func lockKey(_ t: PostgresSchema.Names, _ workspace: String) -> String { "campaign-state/\(t.schema)/\(workspace)" }

    static func hostName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isWorkspaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 100 && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    /// Closes a connection (its session's advisory locks go with it); a connection already lost is closed already.
    static func close(_ connection: PostgresConnection) async {
        try? await connection.close()
    }
}
