import CampaignDeploy
import CampaignEngine
import Logging
import PostgresNIO

/// Writes one run's changes to a workspace, each committed before the call returns. A change to one record is one
/// statement (so one commit): the workspace's serial is moved on only if it is still the one this run read (the
/// fence), and the record's row, and a delivered batch's row, are written in the same statement. A lost connection,
/// or a serial moved by someone else, stops the run: what was committed stays, nothing else is written.
actor PostgresStateWriter: StateWriter {
    private(set) var state: EngineState
    let shown: String
    private(set) var bytesWritten = 0
    private let connection: PostgresConnection
    private let t: PostgresSchema.Names
    private let workspace: String
    private let logger: Logger
    /// Whether `search_path` names the tool's schema on this connection yet.
    private var schemaSet = false

    init(connection: PostgresConnection, names: PostgresSchema.Names, workspace: String, state: EngineState, shown: String, logger: Logger) {
        self.connection = connection
        t = names
        self.workspace = workspace
        self.state = state
        self.shown = shown
        self.logger = logger
    }

    func create() async throws(DeployError) {
        let serial = state.serial + 1
        try await transaction("creating the state") {
            let rows = try await connection.run("""
                INSERT INTO \(unescaped: t.workspaces) (name, lineage, serial, format_version, applied_plans, accounts)
                VALUES (\(workspace), \(state.lineage), \(serial), \(EngineState.currentFormatVersion), \(PostgresStateRows.plans(state)), \(PostgresStateRows.accounts(state)))
                ON CONFLICT (name) DO NOTHING RETURNING serial
                """, logger: logger)
            var created = false
            for try await _ in rows.decode(Int.self) { created = true }
            guard created else {
                throw DeployError("S014", "a state appeared at \(shown) while this plan was made", hint: "run the command again")
            }
            try await writeRecords(changed: state.campaigns.map { ($0.key, $0.value, true) }, removed: [])
        }
        state.serial = serial
    }

    func update(_ key: String, delivered added: [String: [String]]?, _ change: (inout StateRecord?) -> Void) async throws(DeployError) {
        // Taken out of the state while it changes: a batch appended to a list of a million members is appended in
        // place (see StateJournal).
        var record = state.campaigns.removeValue(forKey: key)
        let was = DeliveredChange.counts(record)
        change(&record)
        let appended = DeliveredChange.appended(added, counts: was, record: record)
        // In memory the change stands even when it cannot be written: the run stops then.
        state.campaigns[key] = record
        let serial = state.serial
        let lineage = state.lineage
        if let record {
            let body = PostgresStateRows.body(record)
            let members = PostgresStateRows.members(appended ?? record.delivered)
            bytesWritten += body.utf8.count + (members?.utf8.count ?? 0)
            // Written whole (not only appended): the record's delivered rows are replaced by one.
            let write = FencedRecordWrite(workspace: workspace, lineage: lineage, serial: serial, key: key, body: body, rewrite: appended == nil, members: members)
            try await fenced(doing: "recording \(EngineState.shown(key))") {
                try await self.useSchema()
                return try await connection.run(write, logger: logger)
            }
        } else {
            let query: PostgresQuery = """
                WITH fence AS (
                    UPDATE \(unescaped: t.workspaces) SET serial = serial + 1, updated_at = now() WHERE name = \(workspace) AND lineage = \(lineage) AND serial = \(serial) RETURNING serial),
                gone AS (
                    DELETE FROM \(unescaped: t.records) WHERE workspace = \(workspace) AND key = \(key) AND EXISTS (SELECT 1 FROM fence))
                SELECT count(*)::bigint FROM fence
                """
            try await fenced(doing: "recording \(EngineState.shown(key))") {
                try await connection.run(query, logger: logger).decode(Int.self)
            }
        }
        state.serial += 1
    }

    /// Sets the connection's `search_path` to the tool's schema, once, for ``FencedRecordWrite``'s unqualified names.
    private func useSchema() async throws {
        guard !schemaSet else { return }
        try await connection.run(PostgresQuery(unsafeSQL: "SET search_path TO \(t.schema)"), logger: logger)
        schemaSet = true
    }

    func updateAll(_ change: (inout EngineState) -> Void) async throws(DeployError) {
        var next = state
        change(&next)
        let before = state
        let changed = next.campaigns.compactMap { key, record -> (String, StateRecord, Bool)? in
            guard let old = before.campaigns[key] else { return (key, record, true) }
            return old == record ? nil : (key, record, old.delivered != record.delivered)
        }
        let removed = before.campaigns.keys.filter { next.campaigns[$0] == nil }
        try await transaction("writing the state") {
            try await fence(before.serial, then: next)
            try await writeRecords(changed: changed, removed: removed)
        }
        state = next
        state.serial = before.serial + 1
    }

    /// Every write is already committed.
    func finish() async throws(DeployError) {}

    /// Writes `state` in place of the workspace's rows (`state push`, `state pull`), with a serial above both.
    func replaceAll() async throws(DeployError) {
        var serial = state.serial
        try await transaction("replacing the state") {
            let rows = try await connection.run("SELECT serial FROM \(unescaped: t.workspaces) WHERE name = \(workspace) FOR UPDATE", logger: logger)
            var old = 0
            for try await (value) in rows.decode(Int.self) { old = value }
            serial = max(old, state.serial) + 1
            try await connection.run("DELETE FROM \(unescaped: t.workspaces) WHERE name = \(workspace)", logger: logger)
            try await connection.run("""
                INSERT INTO \(unescaped: t.workspaces) (name, lineage, serial, format_version, applied_plans, accounts)
                VALUES (\(workspace), \(state.lineage), \(serial), \(EngineState.currentFormatVersion), \(PostgresStateRows.plans(state)), \(PostgresStateRows.accounts(state)))
                """, logger: logger)
            try await writeRecords(changed: state.campaigns.map { ($0.key, $0.value, true) }, removed: [])
        }
        state.serial = serial
    }

    // MARK: - Statements

    /// Runs a statement whose one result is the number of workspace rows the fence matched: 1, or the run stops.
    private func fenced<Rows: AsyncSequence>(doing what: String, _ statement: () async throws -> Rows) async throws(DeployError) where Rows.Element == Int {
        do {
            var matched = 0
            for try await count in try await statement() { matched = count }
            guard matched == 1 else { throw Self.moved(shown) }
        } catch let error as DeployError {
            throw error
        } catch {
            throw PostgresConnector.failure(error, doing: "\(what) in the state \(shown)")
        }
    }

    /// Moves the serial on from `serial` (or stops the run) and writes the workspace row's other parts.
    private func fence(_ serial: Int, then next: EngineState) async throws {
        let lineage = next.lineage
        let rows = try await connection.run("""
            UPDATE \(unescaped: t.workspaces) SET serial = serial + 1, updated_at = now(), format_version = \(EngineState.currentFormatVersion),
                applied_plans = \(PostgresStateRows.plans(next)), accounts = \(PostgresStateRows.accounts(next))
            WHERE name = \(workspace) AND lineage = \(lineage) AND serial = \(serial) RETURNING serial
            """, logger: logger)
        var matched = false
        for try await _ in rows.decode(Int.self) { matched = true }
        guard matched else { throw Self.moved(shown) }
    }

    /// Upserts `changed` records (and rewrites the delivered rows of those whose lists changed), removes `removed`:
    /// a few statements whatever the number of records (arrays unnested by the server).
    private func writeRecords(changed: [(key: String, record: StateRecord, deliveredChanged: Bool)], removed: [String]) async throws {
        if !removed.isEmpty {
            try await connection.run("DELETE FROM \(unescaped: t.records) WHERE workspace = \(workspace) AND key = ANY(\(removed))", logger: logger)
        }
        guard !changed.isEmpty else { return }
        let keys = changed.map(\.key)
        let bodies = changed.map { PostgresStateRows.body($0.record) }
        bytesWritten += bodies.reduce(0) { $0 + $1.utf8.count }
        try await connection.run("""
            INSERT INTO \(unescaped: t.records) (workspace, key, body) SELECT \(workspace), k, b FROM unnest(\(keys)::text[], \(bodies)::text[]) AS u (k, b)
            ON CONFLICT (workspace, key) DO UPDATE SET body = EXCLUDED.body
            """, logger: logger)
        let rewritten = changed.filter(\.deliveredChanged)
        guard !rewritten.isEmpty else { return }
        try await connection.run("DELETE FROM \(unescaped: t.deliveries) WHERE workspace = \(workspace) AND key = ANY(\(rewritten.map(\.key)))", logger: logger)
        let lists = rewritten.compactMap { item in PostgresStateRows.members(item.record.delivered).map { (item.key, $0) } }
        guard !lists.isEmpty else { return }
        bytesWritten += lists.reduce(0) { $0 + $1.1.utf8.count }
        try await connection.run("""
            INSERT INTO \(unescaped: t.deliveries) (workspace, key, members) SELECT \(workspace), k, m FROM unnest(\(lists.map(\.0))::text[], \(lists.map(\.1))::text[]) AS u (k, m)
            """, logger: logger)
    }

    /// Runs `body` in a transaction: committed whole, or rolled back and the error thrown.
    private func transaction(_ what: String, _ body: () async throws -> Void) async throws(DeployError) {
        try await connection.transaction(doing: "\(what) \(shown)", logger: logger, body)
    }

    static func moved(_ shown: String) -> DeployError {
        DeployError("S014", "the state \(shown) was changed by another runner during this run; stopping before anything else is written",
                    hint: "run `campaign plan` again to see the state as it is now")
    }
}
