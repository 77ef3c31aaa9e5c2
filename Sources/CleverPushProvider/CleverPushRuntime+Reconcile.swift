import CampaignDeploy
import CampaignEngine
import CleverPushClient
import Foundation
import JSON

/// What the channel can tell about a record left with an intent.
extension CleverPushRuntime {
    public func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding {
        switch record.intent?.action {
        case .send?, .update?:
            // Tag and subscriber rows are idempotent (and an update only records settings): the next plan does the
            // unrecorded batch again.
            return .found(id: record.id ?? record.facts[fact: "tag_id"] ?? record.kind, status: .sent, facts: [])
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
}
