import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import JSON
import Logging
import PostgresNIO

/// Reading a workspace's rows into an ``EngineState``, and the text of the rows written. A record row holds the
/// record as the state file holds it (``StateRecord/json(includingDelivered:)``) without its delivered lists, which
/// are rows of their own: one codec for both backends.
enum PostgresStateRows {
    /// The workspace's state, read in one repeatable-read transaction; nil when the workspace (or the tables) do not
    /// exist yet.
    static func load(_ connection: PostgresConnection, _ t: PostgresSchema.Names, workspace: String, shown: String, logger: Logger) async throws(DeployError) -> EngineState? {
        do {
            guard let version = try await PostgresSchema.version(connection, t, logger: logger) else { return nil }
            try PostgresSchema.refuseNewer(version)
            return try await connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", doing: "reading the state \(shown)", logger: logger) {
                try await read(connection, t, workspace: workspace, shown: shown, logger: logger)
            }
        } catch let error as DeployError {
            throw error
        } catch {
            throw PostgresConnector.failure(error, doing: "reading the state \(shown)")
        }
    }

    private static func read(_ connection: PostgresConnection, _ t: PostgresSchema.Names, workspace: String, shown: String, logger: Logger) async throws -> EngineState? {
        let head = try await connection.run("""
            SELECT lineage, serial, format_version, applied_plans, accounts FROM \(unescaped: t.workspaces) WHERE name = \(workspace)
            """, logger: logger)
        var meta: (String, Int, Int, String, String)?
        for try await row in head.decode((String, Int, Int, String, String).self) { meta = row }
        guard let (lineage, serial, format, plans, accounts) = meta else { return nil }
        var state = EngineState(lineage: lineage)
        state.serial = serial
        state.formatVersion = format
        // Damaged, these would switch checks off (a plan applied twice, a state used with another account): refused.
        guard let planList = (try? JSONParser().parse(Array(plans.utf8)))?.arrayValue, planList.allSatisfy({ $0.stringValue != nil }),
            let accountList = (try? JSONParser().parse(Array(accounts.utf8)))?.objectValue, accountList.allSatisfy({ $0.1.stringValue != nil })
        else {
            throw DeployError("S003", "\(shown): the workspace's applied plans or accounts are damaged", hint: "restore the workspace from a backup")
        }
        state.appliedPlans = planList.compactMap(\.stringValue)
        for (provider, value) in accountList { state.accounts[provider] = value.stringValue }
        let records = try await connection.run("SELECT key, body FROM \(unescaped: t.records) WHERE workspace = \(workspace)", logger: logger)
        var campaigns: [String: StateRecord] = [:]
        for try await (key, body) in records.decode((String, String).self) {
            guard CampaignDecoder.isValidKey(key) else {
                throw DeployError("S003", "\(shown): the campaign key `\(EngineState.shown(key))` is not a valid key", hint: "restore the workspace from a backup")
            }
            do {
                campaigns[key] = try StateRecord(jsonText: Array(body.utf8), key: key)
            } catch {
                throw DeployError("S003", "\(shown): the record `\(EngineState.shown(key))`: \(error.description)", hint: "restore the workspace from a backup")
            }
        }
        let deliveries = try await connection.run("""
            SELECT key, members FROM \(unescaped: t.deliveries) WHERE workspace = \(workspace) ORDER BY key, seq
            """, logger: logger)
        for try await (key, members) in deliveries.decode((String, String).self) {
            guard let json = try? JSONParser().parse(Array(members.utf8)), json.objectValue != nil else {
                throw DeployError("S003", "\(shown): a delivered batch of `\(EngineState.shown(key))` is not an object of lists", hint: "restore the workspace from a backup")
            }
            for (kind, ids) in StateRecord.recipients(json) { campaigns[key]?.delivered[kind, default: []] += ids }
        }
        state.campaigns = campaigns
        do { try state.checkIds() } catch { throw DeployError("S003", "\(shown): \(error.description)", hint: "restore the workspace from a backup") }
        return state
    }

    /// A record's row text: its JSON without the delivered lists.
    static func body(_ record: StateRecord) -> String {
        // Straight to text, without a tree: written once per delivered batch, with the next batch's members.
        var out: [UInt8] = []
        JSONWriter(indent: nil).append(into: &out) { record.emit(into: &$0, includingDelivered: false) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Delivered members as a row's text; nil when there are none.
    static func members(_ lists: [String: [String]]) -> String? {
        guard lists.values.contains(where: { !$0.isEmpty }) else { return nil }
        return JSONWriter(indent: nil).string(StateRecord.recipientsJSON(lists.filter { !$0.value.isEmpty }))
    }

    static func plans(_ state: EngineState) -> String { JSONWriter(indent: nil).string(.array(state.appliedPlans.map(JSONValue.string))) }

    static func accounts(_ state: EngineState) -> String {
        JSONWriter(indent: nil).string(.object(state.accounts.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
}
