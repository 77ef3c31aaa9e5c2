import CampaignDeploy
import CampaignEngine
import CleverPushClient
import Foundation
import JSON

/// Tag and subscriber rows: one call per row, concurrently, each row's failure its own.
extension CleverPushRuntime {
    /// What became of one row.
    enum RowResult: Sendable {
        /// Done; a sync that answered `emailConfirmationNeeded`, and a user id's subscription looked up on the way.
        case done(confirmed: Bool, learned: (userID: String, subscription: String)?)
        /// Certainly not done (refused, or never sent).
        case failed(CleverPushError)
        /// May or may not have been done (a sync whose answer was lost): never repeated blindly.
        case unknown(CleverPushError)
    }

    /// One call per member of `request`, at most the client's concurrency at once; each member's failure is its own.
    /// A row of unknown outcome makes the whole batch's outcome unknown (its intent stays, and `campaign reconcile`
    /// looks its rows up).
    func deliver(_ request: ProviderRequest, record: StateRecord?) async -> StepOutcome {
        guard let (kind, members) = request.recipients.first else { return .done(id: nil, facts: []) }
        let rows = request.body["rows"]?.arrayValue
        let tagID = request.body["tagId"]?.stringValue
        let path = request.path
        let client = self.client
        let cache = SubscriptionCache(record)
        // A `topics` column names topics: their ids come from the channel's listing, read once per batch.
        var topics: [(id: String, name: String)] = []
        if rows?.contains(where: { $0["topics"] != nil }) == true {
            do { topics = try await client.topics() } catch { return .failed(Self.failure(error), neverSent: true) }
        }
        let listedTopics = topics
        let results = await Self.concurrently(members.count, workers: client.configuration.call.concurrency) { index -> RowResult in
            let member = members[index]
            do {
                switch path {
                case CleverPushPaths.tag, CleverPushPaths.untag:
                    let learned = try await Self.tag(member, kind: kind, tagID: tagID ?? "", remove: path == CleverPushPaths.untag, cache: cache, client: client)
                    return .done(confirmed: false, learned: learned)
                case CleverPushPaths.unsubscribe:
                    try await client.unsubscribe(member)
                    return .done(confirmed: false, learned: nil)
                default:
                    let body = rows.flatMap { index < $0.count ? $0[index] : nil }
                    return .done(confirmed: try await Self.sync(member, body: body, topics: listedTopics, client: client), learned: nil)
                }
            } catch let error as CleverPushError {
                return error.kind == .outcomeUnknown ? .unknown(error) : .failed(error)
            } catch {
                return .failed(CleverPushError(.unreachable, "the call failed"))
            }
        }
        var failures: [(Int, CleverPushError)] = []
        var unknown: [(Int, CleverPushError)] = []
        var confirmations = 0
        var learned: [String: String] = [:]
        for (index, result) in results.enumerated() {
            switch result {
            case .done(let confirmed, let found):
                if confirmed { confirmations += 1 }
                if let found { learned[found.userID] = found.subscription }
            case .failed(let error): failures.append((index, error))
            case .unknown(let error): unknown.append((index, error))
            }
        }
        var inDoubt: UnknownMembers?
        if let (_, first) = unknown.first {
            let shown = unknown.prefix(5).map { Self.shown(members[$0.0]) }.joined(separator: ", ") + (unknown.count > 5 ? ", …" : "")
            let failure = ProviderFailure(
                code: first.code, message: "\(unknown.count) row\(unknown.count == 1 ? "" : "s") of unknown outcome (\(shown)): \(first.description); `campaign reconcile` looks them up")
            // A removal's members are not recorded as an intent of their own (an intent adds when resolved as sent):
            // a removal batch with a row in doubt stays in doubt whole, as it is idempotent and planned again.
            if request.removes { return .unknown(failure) }
            inDoubt = UnknownMembers(members: [kind: unknown.map { members[$0.0] }], failure: failure)
        }
        var facts: [Fact] = []
        if confirmations > 0 {
            let before = Int(record?.facts[fact: "email_confirmation_needed"] ?? "0") ?? 0
            facts.append(Fact("email_confirmation_needed", String(before + confirmations)))
        }
        if !learned.isEmpty { facts.append(cache.adding(learned)) }
        // No id: a tag audience is not a resource at CleverPush (several may keep one tag), the tag id is a fact.
        if failures.isEmpty && inDoubt == nil { return .done(id: nil, facts: facts) }
        if inDoubt == nil, failures.count == members.count, let first = failures.first?.1, Self.isGlobal(first) {
            return .failed(Self.failure(first), neverSent: true)
        }
        let notDone = Set(failures.map { $0.0 } + unknown.map { $0.0 })
        let succeeded = members.indices.filter { !notDone.contains($0) }.map { members[$0] }
        return .partial(
            succeeded: succeeded.isEmpty ? [:] : [kind: succeeded],
            failures: failures.map { MemberFailure(kind: kind, member: Self.shown(members[$0.0]), failure: Self.failure($0.1)) },
            facts: facts, unknown: inDoubt)
    }

    /// `work(i)` for every i in 0..<count, at most `workers` at once; the results in order.
    static func concurrently<T: Sendable>(_ count: Int, workers: Int, _ work: @escaping @Sendable (Int) async -> T) async -> [T] {
        let workers = max(1, min(workers, count))
        let done = await withTaskGroup(of: [(Int, T)].self) { group in
            let next = Counter()
            for _ in 0..<workers {
                group.addTask {
                    var done: [(Int, T)] = []
                    while let index = await next.take(below: count) { done.append((index, await work(index))) }
                    return done
                }
            }
            var all: [(Int, T)] = []
            for await part in group { all += part }
            return all
        }
        return done.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A subscriber row's member is `id #hash`: shown as its id.
    static func shown(_ member: String) -> String {
        guard let range = member.range(of: CleverPushBinding.rowSeparator, options: .backwards) else { return member }
        return String(member[..<range.lowerBound])
    }

    /// The error for a user id without a subscription (a row's failure; nothing is cached for it).
    static func noSubscription(_ userID: String) -> CleverPushError {
        CleverPushError(.apiFailure, "no subscription has the user_id `\(userID)`", httpStatus: 404, path: CleverPushPaths.lookup)
    }

    /// Tags or untags one member. A user id's subscription comes from the cache in state, or is looked up once (and
    /// returned, to be cached); a cached subscription the channel no longer has is looked up again.
    static func tag(_ member: String, kind: String, tagID: String, remove: Bool, cache: SubscriptionCache, client: CleverPushClient) async throws(CleverPushError) -> (userID: String, subscription: String)? {
        guard kind == CleverPushBinding.user else {
            try await client.tag(member, tagID: tagID, remove: remove)
            return nil
        }
        if let known = cache[member] {
            do {
                try await client.tag(known, tagID: tagID, remove: remove)
                return nil
            } catch where error.httpStatus == 404 && error.path == (remove ? CleverPushPaths.untag : CleverPushPaths.tag) {
                // Gone since it was cached: looked up again below.
            }
        }
        guard let found = try await client.lookup(userID: member) else { throw noSubscription(member) }
        try await client.tag(found, tagID: tagID, remove: remove)
        return (member, found)
    }

    /// Syncs one subscriber row: its topic names as ids, its subscription looked up by user id first (so a rerun
    /// updates it instead of making another). True when CleverPush answered `emailConfirmationNeeded`.
    static func sync(_ member: String, body: JSONValue?, topics: [(id: String, name: String)], client: CleverPushClient) async throws(CleverPushError) -> Bool {
        guard case .object(var fields)? = body else { throw CleverPushError(.configuration, "no row body for a sync") }
        if let index = fields.firstIndex(where: { $0.0 == "topics" }) {
            switch ids(of: fields[index].1.arrayValue?.compactMap(\.stringValue) ?? [], in: topics, what: "topic") {
            case .success(let ids): fields[index] = ("topics", .array(ids.map { .string($0) }))
            case .failure(let unknown): throw CleverPushError(.apiFailure, unknown.message + "; the row was not sent")
            }
        }
        let existing = try await client.lookup(userID: shown(member))
        if let existing { fields.insert(("subscriptionId", .string(existing)), at: 0) }
        // A create, or a sync that may mail a double opt-in, is never repeated blindly: a lost answer leaves it unknown.
        let idempotent = existing != nil && !fields.contains { $0.0 == "emailOptInFormId" }
        return try await client.sync(.object(fields), idempotent: idempotent).emailConfirmationNeeded
    }
}

/// The user id → subscription id look-ups of a tag audience, kept in its record as one internal fact (a JSON object),
/// so that a user id is looked up once, not at every apply. Only look-ups that found a subscription are kept.
struct SubscriptionCache: Sendable {
    /// The fact's name (internal: never shown in summaries).
    static let fact = "_subscriptions_by_user_id"
    private let known: [String: String]

    init(_ record: StateRecord?) {
        var known: [String: String] = [:]
        if let text = record?.facts[fact: Self.fact], let object = try? JSONParser().parse(Array(text.utf8)).objectValue {
            for (user, id) in object { if let id = id.stringValue { known[user] = id } }
        }
        self.known = known
    }

    subscript(userID: String) -> String? { known[userID] }

    /// The fact with `learned` added (sorted by user id: the same look-ups make the same text).
    func adding(_ learned: [String: String]) -> Fact {
        let all = known.merging(learned) { $1 }
        return Fact(Self.fact, JSONWriter(indent: nil).string(.object(all.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
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
