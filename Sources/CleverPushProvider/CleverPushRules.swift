import CampaignEngine

/// CleverPush's kinds: notifications (sent once, refused once created), tag audiences (one tag kept on a set of
/// subscriptions: tag and untag member by member) and subscriber syncs (rows kept in step, changed rows only; a
/// batch in flight is reconciled row by row, never resent blindly).
public struct CleverPushRules: ProviderRules {
    /// The provider's name and its kinds, as resources and state records give them.
    public static let name = "cleverpush"
    public static let notification = "notification"
    public static let tagAudience = "tag_audience"
    public static let subscribers = "subscribers"

    public init() {}

    public var name: String { Self.name }

    public func rules(for kind: String) -> KindRules? {
        switch kind {
        case Self.notification: KindRules(change: .refusedOnceCreated)
        case Self.tagAudience: Self.shown(KindRules(change: .inPlace, syncing: .update, addWord: "tag", removeWord: "untag", retriesUnknownDelivery: true))
        // A subscriber batch of unknown outcome is not simply sent again (a row may have mailed a double opt-in):
        // `campaign reconcile` looks its rows up.
        case Self.subscribers: Self.shown(KindRules(change: .inPlace, syncing: .update, addWord: "sync", removeWord: "drop", retriesUnknownDelivery: false))
        default: nil
        }
    }

    /// A notification naming tags, topics or segments: the plan resolves the names first.
    public func checksBeforeCreate(_ request: ProviderRequest) -> Bool {
        ["tagNames", "topicNames", "segmentNames"].contains { request.body[$0] != nil }
    }

    /// How many members of each change a plan names.
    public static let shownMembers = 5

    static func shown(_ rules: KindRules) -> KindRules {
        var rules = rules
        rules.shownMembers = shownMembers
        return rules
    }

    /// A notification created and not yet known to be sent (the channel's listing tells); members are what state
    /// recorded, so tag audiences and subscriber syncs are never read live.
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool {
        record.kind == Self.notification && record.id != nil && record.intent == nil && record.status == .scheduled
    }

    /// `sent (notification-4)` once the channel's listing said so.
    public func summary(of record: StateRecord) -> String? {
        guard record.kind == Self.notification, record.status == .completed, let id = record.id else { return nil }
        return "sent (" + id + ")"
    }
}
