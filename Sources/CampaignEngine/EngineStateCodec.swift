import Foundation
import JSON

/// Why a state file cannot be used.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// Set when the text is not JSON at all.
    public var syntax: JSONParser.Failure?
    public init(_ description: String) { self.description = description }

    init(syntax: JSONParser.Failure) {
        self.description = "not valid JSON: \(syntax)"
        self.syntax = syntax
    }
}

extension EngineState {
    /// The state as JSON, keys sorted so that diffs of the file are readable.
    public var json: JSONValue {
        var tree = JSONTreeEmitter()
        emit(into: &tree)
        return tree.value ?? .null
    }

    /// Emits the state as ``json`` reads, without building a tree: a state file is written from this straight to
    /// disk (a send's delivered lists hold a million members; as a tree they were 24 MB more at the end of an apply).
    public func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.member("format_version", Self.currentFormatVersion)
        e.member("lineage", lineage)
        e.member("serial", serial)
        e.key("applied_plans")
        e.beginArray()
        for plan in appliedPlans { e.string(plan) }
        e.endArray()
        e.key("accounts")
        e.beginObject()
        for (provider, account) in accounts.sorted(by: { $0.key < $1.key }) { e.member(provider, account) }
        e.endObject()
        e.key("campaigns")
        e.beginObject()
        for key in campaigns.keys.sorted() {
            guard let record = campaigns[key] else { continue }
            e.key(key)
            record.emit(into: &e, includingDelivered: true)
        }
        e.endObject()
        e.endObject()
    }

    /// Reads a state file's JSON; refuses newer formats.
    public init(json: JSONValue) throws(StateFileError) {
        try self.init(jsonText: JSONWriter(indent: nil).bytes(json))
    }

    /// Reads a state file's text; refuses newer formats. Records are decoded straight from the text (state files
    /// hold thousands), without a tree in between.
    public init(jsonText bytes: [UInt8]) throws(StateFileError) {
        do {
            try self.init(reading: bytes)
        } catch let failure as JSONParser.Failure {
            throw StateFileError(syntax: failure)
        } catch let error as StateFileError {
            throw error
        } catch {
            throw StateFileError("\(error)")
        }
    }

    private init(reading bytes: [UInt8]) throws {
        var reader = JSONReader(bytes)
        guard try reader.peek() == .object else {
            // Valid JSON of another shape is not a state file; invalid JSON is reported as such.
            try reader.skipValue()
            try reader.finish()
            throw StateFileError("not a campaign state file (no format_version)")
        }
        try reader.beginObject()
        // Campaigns written before `format_version` (a hand-edited file) are skipped and read once the version is
        // known to be one this build understands. A member given twice is refused: which one counts would be a guess.
        var version: Int?, lineage: String?, serial: Int?, appliedPlans: [String]?
        var accounts: [String: String] = [:]
        var campaignsAt: Int?
        var records: [String: StateRecord]?
        var seen = Set<String>()
        while let key = try reader.nextKey() {
            guard seen.insert(key).inserted else { throw StateFileError("the member `\(Self.shown(key))` appears twice") }
            switch key {
            case "format_version":
                version = try Self.integer(&reader, "format_version")
            case "lineage":
                lineage = try Self.text(&reader, "lineage")
            case "serial":
                serial = try Self.integer(&reader, "serial")
            case "applied_plans":
                guard try reader.peek() == .array else { throw StateFileError("`applied_plans` must be a list of plan ids") }
                var plans: [String] = []
                try reader.beginArray()
                while try reader.nextItem() { plans.append(try Self.text(&reader, "applied_plans")) }
                appliedPlans = plans
            case "accounts":
                guard try reader.peek() == .object else { throw StateFileError("`accounts` must be an object of strings") }
                try reader.beginObject()
                while let provider = try reader.nextKey() { accounts[provider] = try Self.text(&reader, "accounts.\(Self.shown(provider))") }
            case "campaigns":
                campaignsAt = reader.offset
                if let known = version, known >= 1, known <= Self.currentFormatVersion {
                    records = try Self.readRecords(&reader, version: known)
                } else {
                    try reader.skipValue()
                }
            default:
                try reader.skipValue()
            }
        }
        try reader.finish()
        guard let version else { throw StateFileError("not a campaign state file (no format_version)") }
        guard version >= 1 else { throw StateFileError("the state file has format_version \(version); versions start at 1") }
        guard version <= Self.currentFormatVersion else {
            throw StateFileError("the state file has format_version \(version); this campaign understands up to \(Self.currentFormatVersion): upgrade campaign")
        }
        guard let lineage, let serial else {
            throw StateFileError("the state file has no lineage or serial")
        }
        guard !lineage.isEmpty, lineage.utf8.count <= 200 else { throw StateFileError("the state file's lineage is empty or too long") }
        guard serial >= 0 else { throw StateFileError("the state file's serial is negative (\(serial))") }
        guard serial < Self.countLimit else { throw StateFileError("the state file's serial is too large (\(serial))") }
        self.init(lineage: lineage)
        formatVersion = version
        self.serial = serial
        self.appliedPlans = appliedPlans ?? []
        self.accounts = accounts
        if records == nil, let campaignsAt {
            var again = JSONReader(bytes, offset: campaignsAt)
            records = try Self.readRecords(&again, version: version)
        }
        campaigns = records ?? [:]
        try checkIds()
    }

    /// Refuses two keys holding one provider id: they would stop or report one resource twice. (Checked in the
    /// dictionary's order, with ids hashed as they are, per provider: this runs on every read of 10,000 records;
    /// only a duplicate found is sorted, so the message names the same pair every time.)
    public func checkIds() throws(StateFileError) {
        var owners: [String: [String: String]] = [:]
        for (key, record) in campaigns {
            guard let id = record.id else { continue }
            if let other = owners[record.provider, default: [:]].updateValue(key, forKey: id) {
                let pair = [other, key].sorted()
                throw StateFileError("campaigns `\(Self.shown(pair[0]))` and `\(Self.shown(pair[1]))` have the same id \(id)")
            }
        }
    }

    /// Counts (serials, batches) stay below this: far beyond any real use, and never near overflow when incremented.
    static let countLimit = 1 << 53

    /// Members by kind: an object of arrays of strings, or an error naming `what`.
    static func members(_ value: JSONValue, _ what: @autoclosure () -> String) throws -> [String: [String]] {
        guard let object = value.objectValue else { throw StateFileError("`\(what())` must be an object of lists of strings") }
        var result: [String: [String]] = [:]
        for (kind, list) in object {
            guard result[kind] == nil else { throw StateFileError("`\(what())` names `\(shown(kind))` twice") }
            guard let items = list.arrayValue else { throw StateFileError("`\(what()).\(shown(kind))` must be a list of strings") }
            var ids: [String] = []
            ids.reserveCapacity(items.count)
            for item in items {
                guard let id = item.stringValue else { throw StateFileError("`\(what()).\(shown(kind))` must be a list of strings") }
                ids.append(id)
            }
            result[kind] = ids
        }
        return result
    }

    /// A key or member name as shown in a message: bounded and without control characters.
    public static func shown(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(80) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "?" : String(scalar)
        }
        return text.unicodeScalars.count > 80 ? out + "…" : out
    }

    /// An integer member; anything else (a string, a fraction, a number beyond 64 bits) is an error.
    static func integer(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> Int {
        guard try reader.peek() == .number, let value = Int(try reader.number()) else {
            throw StateFileError("`\(what())` must be an integer")
        }
        return value
    }

    /// A string member; anything else is an error.
    static func text(_ reader: inout JSONReader, _ what: @autoclosure () -> String) throws -> String {
        guard try reader.peek() == .string else { throw StateFileError("`\(what())` must be a string") }
        return try reader.string()
    }

    /// The `campaigns` object: a record per key, each key once.
    private static func readRecords(_ reader: inout JSONReader, version: Int) throws -> [String: StateRecord] {
        guard try reader.peek() == .object else { throw StateFileError("`campaigns` must be an object") }
        var records: [String: StateRecord] = [:]
        try reader.beginObject()
        while let key = try reader.nextKey() {
            let record = try StateRecord(reading: &reader, key: key, version: version)
            guard records.updateValue(record, forKey: key) == nil else {
                throw StateFileError("campaign `\(shown(key))` appears twice in the state file")
            }
        }
        return records
    }
}

extension StateRecord {
    public static func recipientsJSON(_ lists: [String: [String]]) -> JSONValue {
        .object(lists.keys.sorted().map { ($0, .array((lists[$0] ?? []).map(JSONValue.string))) })
    }

    /// Emits ``recipientsJSON(_:)`` without a tree.
    static func emitRecipients<E: JSONEmitter>(_ lists: [String: [String]], into e: inout E) {
        e.beginObject()
        for kind in lists.keys.sorted() {
            e.key(kind)
            e.beginArray()
            for member in lists[kind] ?? [] { e.string(member) }
            e.endArray()
        }
        e.endObject()
    }

    public static func recipients(_ json: JSONValue?) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (kind, list) in json?.objectValue ?? [] { result[kind] = list.arrayValue?.compactMap(\.stringValue) ?? [] }
        return result
    }

    /// The record in format 2.
    public var json: JSONValue { json(includingDelivered: true) }

    /// A record read from the text of its JSON object in format 2 (a row of a database state); `key` names it in
    /// messages.
    public init(jsonText bytes: [UInt8], key: String) throws(StateFileError) {
        do {
            var reader = JSONReader(bytes)
            try self.init(reading: &reader, key: key, version: EngineState.currentFormatVersion)
            try reader.finish()
        } catch let failure as JSONParser.Failure {
            throw StateFileError(syntax: failure)
        } catch let error as StateFileError {
            throw error
        } catch {
            throw StateFileError("\(error)")
        }
    }

    /// The record in format 2; without its delivered lists when `includingDelivered` is false (a journal line that
    /// gives only what was added).
    public func json(includingDelivered: Bool) -> JSONValue {
        var tree = JSONTreeEmitter()
        emit(into: &tree, includingDelivered: includingDelivered)
        return tree.value ?? .null
    }

    /// Emits the record as ``json(includingDelivered:)`` reads, without building a tree.
    public func emit<E: JSONEmitter>(into e: inout E, includingDelivered: Bool) {
        e.beginObject()
        e.member("provider", provider)
        e.member("type", kind)
        e.member("name", name)
        e.member("file", file)
        if let project { e.member("project", project) }
        e.member("hash", hash)
        e.member("status", status.rawValue)
        if let schedule { e.member("schedule", schedule) }
        if let startsAt { e.member("starts_at", startsAt.formatted(.iso8601)) }
        if let id { e.member("id", id) }
        if !facts.isEmpty {
            e.key("facts")
            e.beginObject()
            for fact in facts { e.member(fact.name, fact.value) }
            e.endObject()
        }
        if let fields {
            e.key("fields")
            e.beginObject()
            for field in fields { e.member(field.path, field.value) }
            e.endObject()
        }
        if batchesSent > 0 || !delivered.isEmpty {
            e.member("batches_sent", batchesSent)
            if includingDelivered {
                e.key("delivered")
                Self.emitRecipients(delivered, into: &e)
            }
        }
        if let intent {
            e.key("intent")
            e.beginObject()
            e.member("action", intent.action.rawValue)
            e.member("started_at", intent.startedAt)
            if let batch = intent.batch { e.member("batch", batch) }
            // Written only when a next batch is announced, so that an intent of one batch reads as it always did.
            if !intent.announced.isEmpty {
                e.key("announced")
                e.beginObject()
                for (kind, count) in intent.announced.sorted(by: { $0.key < $1.key }) { e.member(kind, count) }
                e.endObject()
            }
            if let hash = intent.requestHash { e.member("request_sha256", hash) }
            if !intent.recipients.isEmpty {
                e.key("recipients")
                Self.emitRecipients(intent.recipients, into: &e)
            }
            e.endObject()
        }
        e.member("created_at", createdAt)
        e.member("updated_at", updatedAt)
        e.endObject()
    }

    /// A record read from the text of its JSON object, in format 1 (CleverTap's fields, integer ids) or 2.
    init(reading reader: inout JSONReader, key: String, version: Int) throws {
        // One pass over the members, matching names without hashing (state files hold thousands of records); a
        // descriptive member of the wrong type counts as absent, an id that is not an id is an error.
        var provider: String?, kindText: String?, statusText: String?, name: String?, file: String?, hash: String?, contentHash: String?
        var createdAt: String?, updatedAt: String?, schedule: String?, scheduledDate: Int?, startsAt: String?, id: String?
        var stats: (sent: Int?, clicked: Int?)?, batchesSent: Int?, delivered: JSONValue?, intent: JSONValue?, project: String?
        var facts: [Fact] = []
        var fieldsText: ArraySlice<UInt8>?
        // The key as shown is made only for a message (this runs for each of thousands of records).
        var named: String { EngineState.shown(key) }
        guard try reader.peek() == .object else { throw StateFileError("campaign `\(named)` in the state file is not an object") }
        try reader.beginObject()
        var seen = Set<String>()
        while let member = try reader.nextKey() {
            guard seen.insert(member).inserted else {
                throw StateFileError("campaign `\(named)` has the member `\(EngineState.shown(member))` twice")
            }
            switch member {
            case "provider": provider = try EngineState.text(&reader, "campaigns.\(named).provider")
            case "type": kindText = try reader.stringIfAny()
            case "status": statusText = try reader.stringIfAny()
            case "name": name = try reader.stringIfAny()
            case "file": file = try reader.stringIfAny()
            case "project": project = try EngineState.text(&reader, "campaigns.\(named).project")
            case "hash", "request_sha256": hash = try reader.stringIfAny()
            case "content_sha256": contentHash = try reader.stringIfAny()
            case "created_at": createdAt = try reader.stringIfAny()
            case "updated_at": updatedAt = try reader.stringIfAny()
            case "schedule", "when": schedule = try reader.stringIfAny()
            case "scheduled_date":
                let value = try EngineState.integer(&reader, "campaigns.\(named).scheduled_date")
                guard (1_0101...9999_1231).contains(value) else { throw StateFileError("campaign `\(named)` has the scheduled date \(value); dates are YYYYMMDD") }
                scheduledDate = value
            case "starts_at": startsAt = try reader.stringIfAny()
            case "id":
                if version == 1 {
                    let value = try EngineState.integer(&reader, "campaigns.\(named).id")
                    guard value > 0 else { throw StateFileError("campaign `\(named)` has the id \(value); ids are positive") }
                    id = String(value)
                } else {
                    let value = try EngineState.text(&reader, "campaigns.\(named).id")
                    guard !value.isEmpty, value.utf8.count <= 200, !value.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                        throw StateFileError("campaign `\(named)` has an empty, over-long or unprintable id")
                    }
                    id = value
                }
            case "facts":
                guard try reader.peek() == .object else { throw StateFileError("campaign `\(named)`: `facts` must be an object of strings") }
                try reader.beginObject()
                while let factName = try reader.nextKey() {
                    facts.append(Fact(factName, try EngineState.text(&reader, "campaigns.\(named).facts.\(EngineState.shown(factName))")))
                }
            case "fields": fieldsText = try reader.objectOfStringsText()
            case "stats": stats = try Self.readStats(&reader)
            case "batches_sent":
                let value = try EngineState.integer(&reader, "campaigns.\(named).batches_sent")
                guard value >= 0 else { throw StateFileError("campaign `\(named)` has a negative `batches_sent` (\(value))") }
                guard value < EngineState.countLimit else { throw StateFileError("campaign `\(named)` has a `batches_sent` too large (\(value))") }
                batchesSent = value
            case "delivered": delivered = try reader.value()
            case "intent": intent = try reader.value()
            default: try reader.skipValue()
            }
        }
        guard let kindText, !kindText.isEmpty, let statusText, let status = RecordStatus(rawValue: statusText)
        else { throw StateFileError("campaign `\(named)` in the state file has no valid type or status") }
        if version == 1 {
            // Format 1 was CleverTap's alone; its fields become facts.
            guard kindText == "scheduled" || kindText == "send" else { throw StateFileError("campaign `\(named)` in the state file has no valid type or status") }
            provider = "clevertap"
            if let scheduledDate { facts.append(Fact("scheduled_date", String(scheduledDate))) }
            if let sent = stats?.sent, let clicked = stats?.clicked {
                facts.append(Fact("sent", String(sent)))
                facts.append(Fact("clicked", String(clicked)))
            }
        }
        guard let provider, !provider.isEmpty else { throw StateFileError("campaign `\(named)` in the state file names no provider") }
        self.init(provider: provider, kind: kindText, name: name ?? "", file: file ?? "", hash: hash ?? contentHash ?? "", status: status, at: createdAt ?? "")
        self.updatedAt = updatedAt ?? self.createdAt
        // Format 1 wrote `now` as the schedule of immediate campaigns; an instant is what says "not at once".
        self.schedule = schedule
        self.startsAt = startsAt.flatMap { try? Date($0, strategy: .iso8601) }
        self.id = id
        self.project = project
        self.facts = facts
        if let fieldsText { storedFields = .text(fieldsText) }
        self.batchesSent = batchesSent ?? 0
        // Who was delivered to and what is in flight are never guessed: anything malformed is an error, or the next
        // plan would deliver again.
        if let delivered { self.delivered = try EngineState.members(delivered, "campaigns.\(named).delivered") }
        if let intent {
            guard let action = intent["action"]?.stringValue.flatMap(Intent.Action.init(rawValue:)) else {
                throw StateFileError("campaign `\(named)` has an intent without a valid action (create, stop, send or update)")
            }
            var batch: Int?
            if let value = intent["batch"] {
                guard let number = value.intValue, number >= 1, number < EngineState.countLimit else { throw StateFileError("campaign `\(named)`: the intent's batch must be a positive integer") }
                batch = number
            }
            let recipients = try intent["recipients"].map { try EngineState.members($0, "campaigns.\(named).intent.recipients") } ?? [:]
            var announced: [String: Int] = [:]
            if let value = intent["announced"] {
                // Counts of the members at the end of each kind's list: what a resolution splits by, so never guessed.
                guard let members = value.objectValue, action == .send else {
                    throw StateFileError("campaign `\(named)`: the intent's `announced` must be an object of counts, in a send's intent")
                }
                for (kind, count) in members {
                    guard announced[kind] == nil else { throw StateFileError("campaign `\(named)`: the intent's `announced` names `\(EngineState.shown(kind))` twice") }
                    guard let number = count.intValue, number >= 1, number <= (recipients[kind]?.count ?? 0) else {
                        throw StateFileError("campaign `\(named)`: the intent's `announced.\(EngineState.shown(kind))` must count some of its recipients of that kind")
                    }
                    announced[kind] = number
                }
            }
            self.intent = Intent(
                action: action, startedAt: intent["started_at"]?.stringValue ?? "", batch: batch,
                recipients: recipients, announced: announced, requestHash: intent["request_sha256"]?.stringValue)
        }
    }

    /// `fields`: the text of an object of display values, in order, as ``objectOfStringsText()`` kept it. Descriptive
    /// only, so anything malformed (invalid UTF-8, a path given twice; another type was never kept) counts as not
    /// recorded rather than failing the whole state.
    static func decodeFields(_ text: ArraySlice<UInt8>) -> [ResourceField]? {
        var reader = JSONReader(Array(text))
        var fields: [ResourceField] = []
        do {
            try reader.beginObject()
            while let path = try reader.nextKey() { fields.append(ResourceField(path, try reader.string())) }
            try reader.finish()
        } catch {
            return nil
        }
        // Paths are few (a record's reviewable fields): for a handful, comparing pairs is cheaper than hashing them.
        if fields.count > 16 {
            return Set(fields.map(\.path)).count == fields.count ? fields : nil
        }
        for index in fields.indices.dropFirst() where fields[..<index].contains(where: { $0.path == fields[index].path }) { return nil }
        return fields
    }

    /// `{"sent": N, "clicked": M}` of format 1, read in place (every completed campaign has one).
    private static func readStats(_ reader: inout JSONReader) throws -> (sent: Int?, clicked: Int?)? {
        guard try reader.peek() == .object else {
            try reader.skipValue()
            return nil
        }
        var stats: (sent: Int?, clicked: Int?) = (nil, nil)
        try reader.beginObject()
        while let member = try reader.nextKey() {
            switch member {
            case "sent": stats.sent = try reader.intIfAny()
            case "clicked": stats.clicked = try reader.intIfAny()
            default: try reader.skipValue()
            }
        }
        return stats
    }
}
