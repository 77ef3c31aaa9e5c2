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
        let records = json["campaigns"]?.objectValue ?? []
        campaigns.reserveCapacity(records.count)
        for (key, value) in records {
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
        // One pass over the members, matching names without hashing (state files hold thousands of records).
        var kindText: String?, statusText: String?, name: String?, file: String?, hash: String?, contentHash: String?
        var createdAt: String?, updatedAt: String?, when: String?, scheduledDate: Int?, startsAt: String?, id: Int?
        var stats: JSONValue?, batchesSent: Int?, delivered: JSONValue?, intent: JSONValue?
        for (member, value) in json.objectValue ?? [] {
            switch member {
            case "type": kindText = value.stringValue
            case "status": statusText = value.stringValue
            case "name": name = value.stringValue
            case "file": file = value.stringValue
            case "request_sha256": hash = value.stringValue
            case "content_sha256": contentHash = value.stringValue
            case "created_at": createdAt = value.stringValue
            case "updated_at": updatedAt = value.stringValue
            case "when": when = value.stringValue
            case "scheduled_date": scheduledDate = value.intValue
            case "starts_at": startsAt = value.stringValue
            case "id": id = value.intValue
            case "stats": stats = value
            case "batches_sent": batchesSent = value.intValue
            case "delivered": delivered = value
            case "intent": intent = value
            default: break
            }
        }
        guard let kindText, let kind = Kind(rawValue: kindText), let statusText, let status = RecordStatus(rawValue: statusText)
        else { throw StateFileError("campaign `\(key)` in the state file has no valid type or status") }
        self.init(kind: kind, name: name ?? "", file: file ?? "", hash: hash ?? contentHash ?? "", status: status, at: createdAt ?? "")
        self.updatedAt = updatedAt ?? self.createdAt
        self.when = when
        self.scheduledDate = scheduledDate
        self.startsAt = startsAt.flatMap { try? Date($0, strategy: .iso8601) }
        self.id = id
        if let sent = stats?["sent"]?.intValue, let clicked = stats?["clicked"]?.intValue { self.stats = (sent, clicked) }
        self.batchesSent = batchesSent ?? 0
        if let delivered { self.delivered = Self.recipients(delivered) }
        if let intent, let action = intent["action"]?.stringValue.flatMap(Intent.Action.init(rawValue:)) {
            self.intent = Intent(
                action: action, startedAt: intent["started_at"]?.stringValue ?? "", batch: intent["batch"]?.intValue,
                recipients: Self.recipients(intent["recipients"]), requestHash: intent["request_sha256"]?.stringValue)
        }
    }
}
