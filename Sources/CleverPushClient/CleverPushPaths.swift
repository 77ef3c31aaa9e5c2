/// Every CleverPush API path this project uses, in one table (the client, the sandbox and docs/SANDBOX.md follow
/// it). Where the product's brief and CleverPush's official SDKs disagree, the SDKs' path is taken: a correction is
/// one line here.
///
/// The SDKs' per-topic calls (`/subscription/topic/add|remove`) are not used: a subscriber row's `topics` column is
/// sent as the subscription's whole topic list (ids resolved from the channel's topic listing) on the sync, and no
/// resource keeps one topic on a set of subscriptions, so they would be a second way to do what the sync does.
public enum CleverPushPaths {
    /// GET: the channel's tags (`{"tags": [{"_id", "name"}]}`).
    public static func tags(channel: String) -> String { "/channel/\(channel)/tags" }
    /// GET: the channel's topics.
    public static func topics(channel: String) -> String { "/channel/\(channel)/topics" }
    /// GET: the channel's segments.
    public static func segments(channel: String) -> String { "/channel/\(channel)/segments" }
    /// GET: the channel's notifications, newest first (`limit`, `offset`); used to reconcile a send of unknown outcome.
    public static func notifications(channel: String) -> String { "/channel/\(channel)/notifications" }
    /// POST: create or update a subscription (the SDKs' form; the brief says `/subscription/sync` with `channelId`).
    public static func sync(channel: String) -> String { "/subscription/sync/\(channel)" }
    /// GET `?channelId=…&attributeId=user_id&attributeValue=…`: a subscription by external id.
    public static let lookup = "/subscription"
    /// POST `{channelId, subscriptionId}`.
    public static let unsubscribe = "/subscription/unsubscribe"
    /// POST `{channelId, subscriptionId, tagId}` (the SDKs'; the brief says `/subscription/tag/add`).
    public static let tag = "/subscription/tag"
    /// POST `{channelId, subscriptionId, tagId}` (the SDKs'; the brief says `/subscription/tag/remove`).
    public static let untag = "/subscription/untag"
    /// POST: send (or schedule) a notification.
    public static let send = "/notification/send"
}
