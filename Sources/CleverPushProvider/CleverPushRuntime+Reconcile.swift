import CampaignDeploy
import CampaignEngine
import CleverPushClient
import Foundation
import JSON

/// What the channel can tell about a record left with an intent.
extension CleverPushRuntime {
    public func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding {
        try await locate(record, among: others, desired: nil)
    }

    public func locate(_ record: StateRecord, among others: [String: StateRecord], desired: DesiredResource?) async throws(ProviderFailure) -> ApplyMachine.Finding {
        switch record.intent?.action {
        case .send? where record.kind == CleverPushRules.subscribers && !(record.intent?.recipients[CleverPushBinding.row] ?? []).isEmpty:
            return try await locateRows(record, desired: desired)
        case .send?, .update?:
            // Tags, untags and unsubscribes are idempotent (and an update only records settings): the next plan does
            // the unrecorded batch again.
            return .redo
        case .create?:
            break
        default:
            return .cannotTell("nothing to look up for a CleverPush \(record.kind) without a create in flight")
        }
        // A notification: sent after the intent was saved, with the same title and text, and not adopted by another key.
        let adopted = Set(others.values.compactMap { $0.provider == CleverPushRules.name ? $0.id : nil })
        let since = record.intent.flatMap { try? Date($0.startedAt, strategy: .iso8601) }?.addingTimeInterval(-300) ?? .distantPast
        var matches: [String] = []
        var offset = 0
        pages: for _ in 0..<20 {
            let page: [CleverPushClient.ListedNotification]
            do { page = try await client.notifications(limit: 100, offset: offset) } catch { throw Self.failure(error) }
            for item in page {
                if let created = item.createdAt.flatMap({ try? Date($0, strategy: .iso8601) }), created < since { break pages }
                if item.title == (record.facts[fact: "title"] ?? record.name), !adopted.contains(item.id) { matches.append(item.id) }
            }
            if page.count < 100 { break }
            offset += 100
        }
        if matches.count == 1, let id = matches.first { return .found(id: id, status: .scheduled, facts: []) }
        if matches.count > 1 { return .ambiguous(matches) }
        return .absent
    }

    /// A subscriber sync left in flight: each row is looked up by its `user_id`. Found with the content the row
    /// carried, it is done; otherwise (not found, different, or no longer in the files to compare with) it stays
    /// unknown for the user to decide: it may have mailed a double opt-in, so it is never simply sent again.
    func locateRows(_ record: StateRecord, desired: DesiredResource?) async throws(ProviderFailure) -> ApplyMachine.Finding {
        let kind = CleverPushBinding.row
        let members = record.intent?.recipients[kind] ?? []
        // Rows already recorded were being dropped from state (an old version of a changed row): nothing was sent.
        let recorded = Set(record.delivered[kind] ?? [])
        if members.allSatisfy({ recorded.contains($0) }) { return .redo }
        var bodies: [String: JSONValue] = [:]
        let wanted = Set(desired?.members?[kind] ?? [])
        let inFiles = members.filter { wanted.contains($0) }
        for request in desired?.requests(members: inFiles.isEmpty ? [:] : [kind: inFiles]) ?? [] {
            let sent = request.recipients[kind] ?? []
            for (index, row) in (request.body["rows"]?.arrayValue ?? []).enumerated() where index < sent.count { bodies[sent[index]] = row }
        }
        let topics: [(id: String, name: String)]
        do {
            topics = bodies.values.contains(where: { $0["topics"] != nil }) ? try await client.topics() : []
        } catch { throw Self.failure(error) }
        var done: [String] = []
        var open: [String] = []
        for member in members where !recorded.contains(member) {
            let userID = Self.shown(member)
            guard let body = bodies[member] else {
                open.append("\(userID): no longer in the files as it was sent, nothing to compare with")
                continue
            }
            let found: JSONValue?
            do { found = try await client.subscription(userID: userID) } catch { throw Self.failure(error) }
            guard let found else {
                open.append("\(userID): no subscription has this user_id")
                continue
            }
            let differing = Self.differences(body, found, topics: topics)
            if differing.isEmpty { done.append(member) } else { open.append("\(userID): its subscription differs (\(differing.joined(separator: ", ")))") }
        }
        let shown = open.prefix(5).joined(separator: "; ") + (open.count > 5 ? "; and \(open.count - 5) more" : "")
        return .delivered(done.isEmpty ? [:] : [kind: done], unsettled: shown)
    }

    /// The fields of a sync `body` that the subscription `found` does not have as sent (topics compared as ids, custom
    /// attributes one by one; the opt-in form is not kept by CleverPush and not compared).
    static func differences(_ body: JSONValue, _ found: JSONValue, topics: [(id: String, name: String)]) -> [String] {
        var differing: [String] = []
        for (name, value) in body.objectValue ?? [] {
            switch name {
            case "emailOptInFormId", "subscriptionId":
                continue
            case "topics":
                let names = value.arrayValue?.compactMap(\.stringValue) ?? []
                let sent = Set(names.map { name in topics.first { $0.name == name }?.id ?? name })
                if sent != Set(found["topics"]?.arrayValue?.compactMap(\.stringValue) ?? []) { differing.append("topics") }
            case "customAttributes":
                for (attribute, sent) in value.objectValue ?? [] where found["customAttributes"]?[attribute]?.stringValue != sent.stringValue {
                    differing.append("customAttributes." + attribute)
                }
            default:
                if found[name]?.stringValue != value.stringValue { differing.append(name) }
            }
        }
        return differing
    }
}
