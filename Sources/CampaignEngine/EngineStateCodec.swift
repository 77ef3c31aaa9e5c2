import Foundation
import JSON

/// Why a state file cannot be used.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension EngineState {
    /// The state as JSON, keys sorted so that diffs of the file are readable.
    public var json: JSONValue {
        .object([
            ("format_version", .int(formatVersion)),
            ("lineage", .string(lineage)),
            ("serial", .int(serial)),
            ("applied_plans", .array(appliedPlans.map(JSONValue.string))),
            ("campaigns", .object(campaigns.keys.sorted().map { ($0, campaigns[$0]!.json) })),
        ])
    }

    /// Reads a state file's JSON; refuses newer formats.
    public init(json: JSONValue) throws(StateFileError) {
        guard let version = json["format_version"]?.intValue else { throw StateFileError("not a campaign state file (no format_version)") }
        guard version <= Self.currentFormatVersion else {
            throw StateFileError("the state file has format_version \(version); this campaign understands up to \(Self.currentFormatVersion): upgrade campaign")
        }
        guard let lineage = json["lineage"]?.stringValue, let serial = json["serial"]?.intValue else {
            throw StateFileError("the state file has no lineage or serial")
        }
        self.init(lineage: lineage)
        formatVersion = version
        self.serial = serial
        appliedPlans = json["applied_plans"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for (key, value) in json["campaigns"]?.objectValue ?? [] {
            campaigns[key] = try StateRecord(json: value, key: key)
        }
    }
}

extension StateRecord {
    public static func recipientsJSON(_ lists: [String: [String]]) -> JSONValue {
        .object(lists.keys.sorted().map { ($0, .array(lists[$0]!.map(JSONValue.string))) })
    }

    public static func recipients(_ json: JSONValue?) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (kind, list) in json?.objectValue ?? [] { result[kind] = list.arrayValue?.compactMap(\.stringValue) ?? [] }
        return result
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string(kind.rawValue)), ("name", .string(name)), ("file", .string(file)),
            (kind == .scheduled ? "request_sha256" : "content_sha256", .string(hash)),
            ("status", .string(status.rawValue)),
        ]
        if let when { members.append(("when", .string(when))) }
        if let scheduledDate { members.append(("scheduled_date", .int(scheduledDate))) }
        if let startsAt { members.append(("starts_at", .string(startsAt.formatted(.iso8601)))) }
        if let id { members.append(("id", .int(id))) }
        if let stats { members.append(("stats", .object([("sent", .int(stats.sent)), ("clicked", .int(stats.clicked))]))) }
        if kind == .send {
            members.append(("batches_sent", .int(batchesSent)))
            members.append(("delivered", Self.recipientsJSON(delivered)))
        }
        if let intent {
            var fields: [(String, JSONValue)] = [("action", .string(intent.action.rawValue)), ("started_at", .string(intent.startedAt))]
            if let batch = intent.batch { fields.append(("batch", .int(batch))) }
            if let hash = intent.requestHash { fields.append(("request_sha256", .string(hash))) }
            if !intent.recipients.isEmpty { fields.append(("recipients", Self.recipientsJSON(intent.recipients))) }
            members.append(("intent", .object(fields)))
        }
        members.append(("created_at", .string(createdAt)))
        members.append(("updated_at", .string(updatedAt)))
        return .object(members)
    }

    init(json: JSONValue, key: String) throws(StateFileError) {
        // One pass over the members (state files hold thousands of records).
        var fields: [String: JSONValue] = [:]
        for (name, value) in json.objectValue ?? [] { fields[name] = value }
        guard let kindText = fields["type"]?.stringValue, let kind = Kind(rawValue: kindText),
            let statusText = fields["status"]?.stringValue, let status = RecordStatus(rawValue: statusText)
        else { throw StateFileError("campaign `\(key)` in the state file has no valid type or status") }
        let hash = fields["request_sha256"]?.stringValue ?? fields["content_sha256"]?.stringValue ?? ""
        self.init(kind: kind, name: fields["name"]?.stringValue ?? "", file: fields["file"]?.stringValue ?? "", hash: hash, status: status,
                  at: fields["created_at"]?.stringValue ?? "")
        updatedAt = fields["updated_at"]?.stringValue ?? createdAt
        when = fields["when"]?.stringValue
        scheduledDate = fields["scheduled_date"]?.intValue
        startsAt = fields["starts_at"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) }
        id = fields["id"]?.intValue
        if let sent = fields["stats"]?["sent"]?.intValue, let clicked = fields["stats"]?["clicked"]?.intValue { stats = (sent, clicked) }
        batchesSent = fields["batches_sent"]?.intValue ?? 0
        if let delivered = fields["delivered"] { self.delivered = Self.recipients(delivered) }
        if let intent = fields["intent"], let action = intent["action"]?.stringValue.flatMap(Intent.Action.init(rawValue:)) {
            self.intent = Intent(
                action: action, startedAt: intent["started_at"]?.stringValue ?? "", batch: intent["batch"]?.intValue,
                recipients: Self.recipients(intent["recipients"]), requestHash: intent["request_sha256"]?.stringValue)
        }
    }
}
