import CampaignDeploy
import Logging
import PostgresNIO

/// The tool's tables, in a schema of their own (`schema=` in the URL), created and migrated by the tool. Each
/// migration runs once, in a transaction, under a transaction-level advisory lock, so two runners starting on a
/// new database do not both create the tables; `schema_version` records which have run.
///
/// - `workspaces`: one row per workspace (an environment: `--env`, else `default`) with its lineage, serial,
///   applied plans and account fingerprints;
/// - `records`: one row per resource key, the record as JSON (the state file's record form, without its delivered
///   lists), intents included;
/// - `deliveries`: a send's delivered members, one row per batch (or one row when a list is rewritten whole), so a
///   batch commits one small row;
/// - `locks`: who holds each workspace's advisory lock (host, pid, command, since), for the message a second runner
///   gets.
enum PostgresSchema {
    /// The newest schema this build knows.
    static let currentVersion = 1

    /// Table names, qualified with the schema (a plain identifier, checked when the URL was read).
    struct Names: Sendable {
        let schema: String
        var versions: String { "\(schema).schema_version" }
        var workspaces: String { "\(schema).workspaces" }
        var records: String { "\(schema).records" }
        var deliveries: String { "\(schema).deliveries" }
        var locks: String { "\(schema).locks" }
    }

    static func migrations(_ t: Names) -> [[String]] {
        [
            // 1: workspaces, records, deliveries, locks.
            [
                """
                CREATE TABLE \(t.workspaces) (
                    name text PRIMARY KEY,
                    lineage text NOT NULL,
                    serial bigint NOT NULL,
                    format_version integer NOT NULL,
                    applied_plans text NOT NULL,
                    accounts text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now())
                """,
                """
                CREATE TABLE \(t.records) (
                    workspace text NOT NULL REFERENCES \(t.workspaces) (name) ON DELETE CASCADE,
                    key text NOT NULL,
                    body text NOT NULL,
                    PRIMARY KEY (workspace, key))
                """,
                """
                CREATE TABLE \(t.deliveries) (
                    workspace text NOT NULL,
                    key text NOT NULL,
                    seq bigserial NOT NULL,
                    members text NOT NULL,
                    PRIMARY KEY (workspace, key, seq),
                    FOREIGN KEY (workspace, key) REFERENCES \(t.records) (workspace, key) ON DELETE CASCADE)
                """,
                """
                CREATE TABLE \(t.locks) (
                    workspace text PRIMARY KEY,
                    host text NOT NULL,
                    pid integer NOT NULL,
                    command text NOT NULL,
                    since timestamptz NOT NULL)
                """,
                compression(t),
            ],
        ]
    }

    /// Record and batch rows (a batch of a thousand members, and the record with the next batch's intent, are about
    /// 15 KB each) compressed with lz4 rather than the default pglz: each batch's commit took 0.38 ms to execute with
    /// pglz and 0.16 ms with lz4 (server log durations, the million-recipient apply). A server without lz4 (built
    /// without it, or before PostgreSQL 14) keeps its default: the statements run through EXECUTE so that either
    /// refusal can be caught. Part of migration 1, and run again by `campaign state init` (idempotent) for tables
    /// created before it was.
    static func compression(_ t: Names) -> String {
        """
        DO $$ BEGIN
            EXECUTE 'ALTER TABLE \(t.records) ALTER COLUMN body SET COMPRESSION lz4';
            EXECUTE 'ALTER TABLE \(t.deliveries) ALTER COLUMN members SET COMPRESSION lz4';
        EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN NULL;
        END $$
        """
    }

    /// The schema's version in the database: nil when the tool's tables are not there yet.
    static func version(_ connection: PostgresConnection, _ t: Names, logger: Logger) async throws -> Int? {
        let exists = try await connection.run("SELECT to_regclass(\(t.versions)) IS NOT NULL", logger: logger)
        var found = false
        for try await (present) in exists.decode(Bool.self) { found = present }
        guard found else { return nil }
        let rows = try await connection.run(PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(t.versions)"), logger: logger)
        var version = 0
        for try await (value) in rows.decode(Int.self) { version = value }
        return version
    }

    /// Creates or migrates the tables to ``currentVersion``; refuses a database migrated by a newer release.
    static func migrate(_ connection: PostgresConnection, _ t: Names, logger: Logger) async throws(DeployError) {
        do {
            if let version = try await version(connection, t, logger: logger), version >= currentVersion {
                try refuseNewer(version)
                return
            }
            try await connection.transaction(doing: "creating the state tables in schema \(t.schema)", logger: logger) {
                // One runner migrates at a time; the others wait here and then find the work done.
                try await connection.run("SELECT pg_advisory_xact_lock(hashtextextended(\("campaign-state-schema/" + t.schema), 0))", logger: logger)
                try await connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(t.schema)"), logger: logger)
                try await connection.run(PostgresQuery(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(t.versions) (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """), logger: logger)
                let version = try await self.version(connection, t, logger: logger) ?? 0
                try refuseNewer(version)
                for (index, statements) in migrations(t).enumerated() where index + 1 > version {
                    for statement in statements { try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    try await connection.run(PostgresQuery(unsafeSQL: "INSERT INTO \(t.versions) (version) VALUES (\(index + 1))"), logger: logger)
                }
            }
        } catch let error as DeployError {
            throw error
        } catch {
            throw PostgresConnector.failure(error, doing: "creating the state tables in schema \(t.schema)")
        }
    }

    static func refuseNewer(_ version: Int) throws(DeployError) {
        guard version <= currentVersion else {
            throw DeployError("S066", "the state database's tables are at version \(version); this campaign knows up to \(currentVersion)",
                              hint: "upgrade campaign (a newer release migrated them)")
        }
    }
}
