import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import CleverPushClient
import Foundation
import JSON

/// CleverPush behind the engine's ``ProviderRuntime``: notifications created once (names resolved through the
/// channel's listings just before sending; reconciled by listing the channel's notifications), tag and subscriber
/// rows performed one call per row, concurrently, each row's failure reported without failing the others.
public struct CleverPushRuntime: ProviderRuntime {
    public let client: CleverPushClient
    private let rules = CleverPushRules()

    public init(client: CleverPushClient) { self.client = client }

    public var name: String { rules.name }
    /// `sha256("cleverpush:" + channel id)`, shortened.
    public var account: String { String(ContentHash.sha256(Array(("cleverpush:" + client.configuration.channelID).utf8)).prefix(16)) }
    public func rules(for kind: String) -> KindRules? { rules.rules(for: kind) }
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { rules.isQueried(record, refresh: refresh) }

    public func summary(of record: StateRecord) -> String? { rules.summary(of: record) }

    /// Notifications found `sent` in the channel's listing (newest first, up to 1,000) are completed.
    public func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] {
        let wanted = Dictionary(records.compactMap { key, record in record.id.map { ($0, key) } }, uniquingKeysWith: { first, _ in first })
        guard !wanted.isEmpty else { return [:] }
        var live: [String: LiveStatus] = [:]
        var offset = 0
        for _ in 0..<10 {
            let page: [CleverPushClient.ListedNotification]
            do { page = try await client.notifications(limit: 100, offset: offset) } catch { throw Self.failure(error) }
            for item in page {
                guard let key = wanted[item.id] else { continue }
                live[key] = item.status == "sent" ? .completed(facts: []) : .notCompleted
            }
            if page.count < 100 || live.count == wanted.count { break }
            offset += 100
        }
        return live
    }

    public func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? {
        (ProviderFailure(code: "CP-REPLACE", message: "CleverPush resources are never replaced"), nil)
    }

    static func failure(_ error: CleverPushError) -> ProviderFailure { ProviderFailure(code: error.code, message: error.description) }

    /// Errors that are the whole run's, not a row's: every row would fail the same way.
    static func isGlobal(_ error: CleverPushError) -> Bool { error.kind == .unauthorized || error.kind == .configuration }

    public func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        switch step {
        case .create(let request):
            return await send(request)
        case .deliver(let request):
            if request.path == CleverPushBinding.stateOnly { return .done(id: nil, facts: []) }
            return await deliver(request, record: record)
        case .update(let request) where request.path == CleverPushBinding.stateOnly:
            return .done(id: nil, facts: [])
        case .stop, .update:
            return .failed(ProviderFailure(code: "CP-STEP", message: "CleverPush resources are not stopped or updated in place"), neverSent: true)
        }
    }

    // MARK: notifications

    /// Names resolved to ids, user ids looked up, then the send (in parts of 50,000 subscription ids).
    func send(_ request: ProviderRequest) async -> StepOutcome {
        guard case .object(var fields) = request.body else { return .failed(ProviderFailure(code: "CP-BODY", message: "not a notification body"), neverSent: true) }
        fields.insert(("channelId", .string(client.configuration.channelID)), at: 0)
        do {
            for (namesField, idsField, what) in [("tagNames", "tags", "tag"), ("topicNames", "topics", "topic"), ("segmentNames", "segments", "segment")] {
                guard let index = fields.firstIndex(where: { $0.0 == namesField }) else { continue }
                let names = fields[index].1.arrayValue?.compactMap(\.stringValue) ?? []
                let listed: [(id: String, name: String)]
                switch what {
                case "tag": listed = try await client.tags()
                case "topic": listed = try await client.topics()
                default: listed = try await client.segments()
                }
                var ids: [JSONValue] = []
                for name in names {
                    guard let found = listed.first(where: { $0.name == name }) else {
                        let close = listed.map(\.name).filter { Self.isClose($0, name) }.prefix(3)
                        let known = close.isEmpty ? "the channel's \(what)s: " + listed.map(\.name).prefix(10).joined(separator: ", ") : "close matches: " + close.joined(separator: ", ")
                        return .failed(ProviderFailure(code: "CP-NAME", message: "no \(what) named `\(name)` in the channel (\(known)); nothing was sent"), neverSent: true)
                    }
                    ids.append(.string(found.id))
                }
                fields[index] = (idsField, .array(ids))
            }
            if let index = fields.firstIndex(where: { $0.0 == "userIds" }) {
                var ids: [JSONValue] = []
                for user in fields[index].1.arrayValue?.compactMap(\.stringValue) ?? [] {
                    if let id = try await client.lookup(userID: user) { ids.append(.string(id)) }
                }
                guard !ids.isEmpty else {
                    return .failed(ProviderFailure(code: "CP-USERS", message: "none of the user ids has a subscription in the channel; nothing was sent"), neverSent: true)
                }
                fields[index] = ("subscriptionIds", .array(ids))
            }
        } catch {
            return .failed(Self.failure(error), neverSent: true)
        }
        // Parts of at most 50,000 subscription ids; without a list, one send.
        var parts: [[(String, JSONValue)]] = [fields]
        if let index = fields.firstIndex(where: { $0.0 == "subscriptionIds" }), let ids = fields[index].1.arrayValue, ids.count > CleverPushBinding.subscriptionsPerSend {
            parts = stride(from: 0, to: ids.count, by: CleverPushBinding.subscriptionsPerSend).map { start in
                var part = fields
                part[index] = ("subscriptionIds", .array(Array(ids[start..<min(ids.count, start + CleverPushBinding.subscriptionsPerSend)])))
                return part
            }
        }
        var sent: [String] = []
        for part in parts {
            do {
                sent.append(try await client.send(.object(part)))
            } catch {
                if sent.isEmpty {
                    return error.kind == .outcomeUnknown ? .unknown(Self.failure(error)) : .failed(Self.failure(error), neverSent: true)
                }
                // Some parts went out: the notification exists; what is missing cannot be sent again blindly.
                return .unknown(ProviderFailure(code: error.code, message: "\(sent.count) of \(parts.count) parts were sent (\(sent.joined(separator: ", "))); then: \(error.description)"))
            }
        }
        let facts = sent.count > 1 ? [Fact("parts", sent.joined(separator: ","))] : []
        return .done(id: sent.first, facts: facts)
    }

    static func isClose(_ a: String, _ b: String) -> Bool {
        let x = a.lowercased(), y = b.lowercased()
        if x.contains(y) || y.contains(x) { return true }
        return distance(Array(x), Array(y)) <= max(1, min(x.count, y.count) / 3)
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() { current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)) }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: rows

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
                            let confirm = try await Self.row(members[index], body: rows.flatMap { index < $0.count ? $0[index] : nil }, path: path, tagID: tagID, client: client)
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
        let id = kind == CleverPushBinding.subscription && tagID != nil ? tagID : nil
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
    static func row(_ member: String, body: JSONValue?, path: String, tagID: String?, client: CleverPushClient) async throws(CleverPushError) -> Bool {
        switch path {
        case CleverPushPaths.tag, CleverPushPaths.untag:
            try await client.tag(member, tagID: tagID ?? "", remove: path == CleverPushPaths.untag)
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

    // MARK: reconcile

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

    public func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] { [] }

    public func shutdown() async { await client.shutdown() }
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
