import CampaignDeploy
import CampaignEngine
import CleverPushClient
import Foundation
import JSON

/// Tag and subscriber rows: one call per row, concurrently, each row's failure its own.
extension CleverPushRuntime {
    /// One call per member of `request`, at most the client's concurrency at once; each member's failure is its own.
    func deliver(_ request: ProviderRequest, record: StateRecord?) async -> StepOutcome {
        guard let (kind, members) = request.recipients.first else { return .done(id: nil, facts: []) }
        let rows = request.body["rows"]?.arrayValue
        let tagID = request.body["tagId"]?.stringValue
        let path = request.path
        let client = self.client
        let workers = max(1, min(client.configuration.concurrency, members.count))
        let results = await withTaskGroup(of: [(Int, CleverPushError?, Bool)].self) { group in
            let next = Counter()
            for _ in 0..<workers {
                group.addTask {
                    var done: [(Int, CleverPushError?, Bool)] = []
                    while let index = await next.take(below: members.count) {
                        do {
                            let confirm = try await Self.row(members[index], kind: kind, body: rows.flatMap { index < $0.count ? $0[index] : nil }, path: path, tagID: tagID, client: client)
                            done.append((index, nil, confirm))
                        } catch {
                            done.append((index, (error as? CleverPushError) ?? CleverPushError(.unreachable, "the call failed"), false))
                        }
                    }
                    return done
                }
            }
            var all: [(Int, CleverPushError?, Bool)] = []
            for await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }
        }
        var failures: [(Int, CleverPushError)] = []
        var confirmations = 0
        for (index, error, confirmed) in results {
            if let error { failures.append((index, error)) }
            if confirmed { confirmations += 1 }
        }
        var facts: [Fact] = []
        if confirmations > 0 {
            let before = Int(record?.facts[fact: "email_confirmation_needed"] ?? "0") ?? 0
            facts.append(Fact("email_confirmation_needed", String(before + confirmations)))
        }
        let id = tagID
        if failures.isEmpty { return .done(id: id, facts: facts) }
        if failures.count == members.count, let first = failures.first?.1, Self.isGlobal(first) {
            return .failed(Self.failure(first), neverSent: true)
        }
        let failed = Set(failures.map { $0.0 })
        let succeeded = members.indices.filter { !failed.contains($0) }.map { members[$0] }
        return .partial(
            succeeded: succeeded.isEmpty ? [:] : [kind: succeeded],
            failures: failures.map { MemberFailure(kind: kind, member: Self.shown(members[$0.0]), failure: Self.failure($0.1)) })
    }

    /// A subscriber row's member is `id #hash`: shown as its id.
    static func shown(_ member: String) -> String {
        guard let range = member.range(of: CleverPushBinding.rowSeparator, options: .backwards) else { return member }
        return String(member[..<range.lowerBound])
    }

    /// One row's call(s); true when a sync answered `emailConfirmationNeeded`.
    static func row(_ member: String, kind: String, body: JSONValue?, path: String, tagID: String?, client: CleverPushClient) async throws(CleverPushError) -> Bool {
        switch path {
        case CleverPushPaths.tag, CleverPushPaths.untag:
            var subscriptionID = member
            if kind == CleverPushBinding.user {
                // A user id: its subscription looked up first (not cached: looked up again at every tag or untag).
                guard let found = try await client.lookup(userID: member) else {
                    throw CleverPushError(.apiFailure, "no subscription has the user_id `\(member)`", httpStatus: 404, path: CleverPushPaths.lookup)
                }
                subscriptionID = found
            }
            try await client.tag(subscriptionID, tagID: tagID ?? "", remove: path == CleverPushPaths.untag)
            return false
        case CleverPushPaths.unsubscribe:
            try await client.unsubscribe(member)
            return false
        default:
            // A sync: the subscription is looked up by its user id first, so a rerun updates it instead of making another.
            guard case .object(var fields)? = body else { throw CleverPushError(.configuration, "no row body for a sync") }
            if let existing = try await client.lookup(userID: shown(member)) { fields.insert(("subscriptionId", .string(existing)), at: 0) }
            return try await client.sync(.object(fields)).emailConfirmationNeeded
        }
    }
}

/// Hands out indices 0..<n once each to the workers of a delivery.
actor Counter {
    private var value = 0
    func take(below limit: Int) -> Int? {
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}
