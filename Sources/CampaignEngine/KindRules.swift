import Foundation

/// What a change to a resource of one kind means, as its provider declares it. The planner applies these rules; it
/// knows no provider and no kind by name.
public struct KindRules: Sendable, Hashable {
    /// When the resource's content (its hash) changes after it was created.
    public enum Change: Sendable, Hashable {
        /// Replaced (stopped and created anew) while it is still pending at least `margin` ahead; refused once it
        /// started or was delivered (a CleverTap segment campaign).
        case replaceWhilePending(margin: TimeInterval)
        /// Refused: once created it is delivered and cannot be taken back (a notification, an identity send).
        case refusedOnceCreated
        /// Applied in place by an idempotent update (an audience's settings).
        case inPlace
    }

    /// How the resource's members (recipients, subscribers) are treated.
    public enum Members: Sendable, Hashable {
        /// No members.
        case none
        /// Members are delivered to once: added ones are delivered to, removed ones refused (an identity send).
        case appendOnly
        /// Members are kept in step: added ones are added, removed ones removed, by idempotent requests (a tag
        /// audience).
        case sync
    }

    public var change: Change
    public var members: Members
    /// The action that delivers to members, as shown (`send`, `sync`).
    public var deliverAction: ActionKind
    /// How a sync's added and removed members are counted in a plan (`+3 add, -1 remove` or `+3 tag, -1 untag`).
    public var addWord: String = "add"
    public var removeWord: String = "remove"
    /// For `.sync` members whose requests are idempotent member by member: a delivery batch of unknown outcome is
    /// planned again (its members were not recorded, so they are added or removed once more) instead of refusing the
    /// key until it is reconciled.
    public var retriesUnknownDelivery = false
    /// How many of a sync's added and removed members a plan names after their counts (0: counts only). A plan's JSON
    /// carries every member in its requests' bodies when the provider puts them there.
    public var shownMembers = 0
    /// Member kinds whose delivery must never be repeated blindly even when ``retriesUnknownDelivery`` is set (their
    /// requests are not reversible: a hard bounce removes an email for good). A delivery batch of unknown outcome
    /// holding any of them leaves the key refused until it is reconciled or resolved.
    public var unretriedMemberKinds: Set<String> = []
    /// For `.sync` members written `identity<separator>version` (a contact and the flags last sent): an added member
    /// whose identity matches a removed one is the same member changed, and a plan counts it as `~N changed` instead
    /// of once added and once removed. Explanation only: the requests are the same. Nil: members are compared whole.
    public var memberVersionSeparator: String?
    /// Whether a delivery's next batch may leave while the previous batch's outcome is still being written: each
    /// batch's intent then announces the next one too (``Intent/batches``), so the write overlaps a request instead of
    /// waiting between two. For kinds whose batch is one quick request, where that write would otherwise be a
    /// measurable share of each batch (a commit to a database across a network). The price: after a crash, up to two
    /// batches are of unknown outcome instead of one. Not for kinds whose batches are many requests each (the write is
    /// a negligible share of them) or whose unknown members cost the user a decision each.
    public var overlapsBatches = false

    public init(change: Change, members: Members = .none, deliverAction: ActionKind = .send) {
        self.change = change
        self.members = members
        self.deliverAction = deliverAction
    }

    /// Rules of a sync kind, with its words and whether an unknown delivery batch is simply planned again.
    public init(change: Change, syncing deliverAction: ActionKind, addWord: String, removeWord: String, retriesUnknownDelivery: Bool) {
        self.init(change: change, members: .sync, deliverAction: deliverAction)
        self.addWord = addWord
        self.removeWord = removeWord
        self.retriesUnknownDelivery = retriesUnknownDelivery
    }
}

/// How a sync's joined and left members read in a plan, a sign and a word each: by default the kind's words
/// (`+3 tag, -1 untag`); a resource may say otherwise (`-3 untag` for an audience whose rows are untagged, `1
/// untracked` for rows that leave it without a request).
public struct MemberWords: Sendable, Hashable {
    public var addSign: String
    public var addWord: String
    public var removeSign: String
    public var removeWord: String

    public init(addSign: String = "+", addWord: String, removeSign: String = "-", removeWord: String) {
        self.addSign = addSign
        self.addWord = addWord
        self.removeSign = removeSign
        self.removeWord = removeWord
    }
}

/// The pure half of a provider: its name and the rules of each of its kinds.
public protocol ProviderRules: Sendable {
    /// The provider's name, as resources and state records give it (`clevertap`).
    var name: String { get }
    /// The rules of `kind`, or nil for a kind this provider does not have.
    func rules(for kind: String) -> KindRules?
    /// Whether planning reads live facts for `record`: typically while it is not final (every one but a stopped
    /// one with `refresh`). Pure, so that whether credentials are needed at all is known before any are read.
    func isQueried(_ record: StateRecord, refresh: Bool) -> Bool
    /// How an unchanged delivered record is described in a plan (`completed: sent 82, clicked 28`); nil for the
    /// plain status word.
    func summary(of record: StateRecord) -> String?
    /// Whether a plan asks the provider about `request` (a create) before proposing it: names it must resolve, for
    /// example. Pure, so that credentials are read only when something is to be asked.
    func checksBeforeCreate(_ request: ProviderRequest) -> Bool
    /// Whether a plan asks the provider to review `resource`'s members against the source before planning (for
    /// example, to hold back what people withdrew consent for since `record` was applied). Pure, so that
    /// credentials are read only when something is to be asked.
    func reviewsMembers(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) -> Bool
    /// Notes a plan shows under the action that adds `members` to `resource` (a sync or a delivery), for example that
    /// some of them cannot be undone. Pure; explanation only.
    func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote]
}

extension ProviderRules {
    public func summary(of record: StateRecord) -> String? { nil }
    public func checksBeforeCreate(_ request: ProviderRequest) -> Bool { false }
    public func reviewsMembers(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) -> Bool { false }
    public func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote] { [] }
}

/// The rules of every provider in a run, by name.
public struct RuleBook: Sendable {
    private var providers: [String: any ProviderRules]
    /// The provider when there is one: compared by name instead of hashed (these look-ups run per record and
    /// resource of plans of 10,000).
    private var only: (any ProviderRules)?

    public init(_ providers: [any ProviderRules]) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.only = self.providers.count == 1 ? self.providers.values.first : nil
    }

    private func provider(_ name: String) -> (any ProviderRules)? {
        if let only { return only.name == name ? only : nil }
        return providers[name]
    }

    /// The rules for `kind` of `provider`, if that provider is known and has that kind.
    public func rules(provider name: String, kind: String) -> KindRules? { provider(name)?.rules(for: kind) }

    /// The provider's description of `record`, if it gives one.
    public func summary(of record: StateRecord) -> String? { provider(record.provider)?.summary(of: record) }

    /// Whether `provider` asks about `request` before a plan proposes creating it.
    public func checksBeforeCreate(provider name: String, _ request: ProviderRequest) -> Bool { provider(name)?.checksBeforeCreate(request) ?? false }

    /// Whether `resource`'s provider reviews its members before a plan (never for an unknown provider).
    public func reviewsMembers(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) -> Bool {
        provider(resource.provider)?.reviewsMembers(resource, record: record, refresh: refresh) ?? false
    }

    /// The notes `resource`'s provider shows about `members` an action adds.
    public func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote] {
        members.isEmpty ? [] : provider(resource.provider)?.memberNotes(resource, adding: members) ?? []
    }

    /// Whether live facts are read for `record` (never for an unknown provider).
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { provider(record.provider)?.isQueried(record, refresh: refresh) ?? false }

    /// The providers whose records in `state` are queried, by name.
    public func queried(in state: EngineState, refresh: Bool) -> [String: [String: StateRecord]] {
        var result: [String: [String: StateRecord]] = [:]
        for (key, record) in state.campaigns where isQueried(record, refresh: refresh) { result[record.provider, default: [:]][key] = record }
        return result
    }
}
