import CampaignDeploy
import CampaignEngine
import Logging
import PostgresNIO

/// A workspace's advisory lock, held on the connection every write of the run goes through.
final class PostgresStateLease: StateLease {
    let connection: PostgresConnection
    let names: PostgresSchema.Names
    let workspace: String
    let shown: String
    let logger: Logger

    init(connection: PostgresConnection, names: PostgresSchema.Names, workspace: String, shown: String, logger: Logger) {
        self.connection = connection
        self.names = names
        self.workspace = workspace
        self.shown = shown
        self.logger = logger
    }

    deinit {
        // A lease given up without release (a command that failed): its connection is closed now, and kept alive
        // until it is (the library requires a connection to be closed before it goes); the lock goes with it.
        let connection = connection
        if !connection.isClosed { connection.close().whenComplete { _ in withExtendedLifetime(connection) {} } }
    }

    func read() async throws(DeployError) -> EngineState? {
        try await PostgresStateRows.load(connection, names, workspace: workspace, shown: shown, logger: logger)
    }

    func writer(_ state: EngineState) async -> any StateWriter {
        PostgresStateWriter(connection: connection, names: names, workspace: workspace, state: state, shown: shown, logger: logger)
    }

    func replace(with state: EngineState) async throws(DeployError) {
        let writer = PostgresStateWriter(connection: connection, names: names, workspace: workspace, state: state, shown: shown, logger: logger)
        try await writer.replaceAll()
    }

    func release() async {
        guard !connection.isClosed else { return }
        let t = names
        _ = try? await connection.run("""
            DELETE FROM \(unescaped: t.locks) WHERE workspace = \(workspace) AND pid = \(Int(getpid())) AND host = \(PostgresStateBackend.hostName())
            """, logger: logger)
        _ = try? await connection.run("SELECT pg_advisory_unlock(hashtextextended(\(PostgresStateBackend.lockKey(t, workspace)), 0))", logger: logger)
        await PostgresStateBackend.close(connection)
    }
}
