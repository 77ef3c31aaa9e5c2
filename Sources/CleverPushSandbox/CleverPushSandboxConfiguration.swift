/// What the CleverPush half of the sandbox accepts: a channel, a private key, the channel's tags, topics, segments
/// and custom attributes, and a rate limit.
public struct CleverPushSandboxConfiguration: Sendable {
    /// The channel served, and the private key accepted in `Authorization`.
    public var channelID: String
    public var privateKey: String
    /// Tags, topics and segments of the channel: (id, name).
    public var tags: [(id: String, name: String)]
    public var topics: [(id: String, name: String)]
    public var segments: [(id: String, name: String)]
    /// Custom attributes the channel defines; a sync naming another is refused.
    public var customAttributes: [String]
    /// Requests accepted per second (a sliding second); one more is answered 429 with `Retry-After`.
    public var rate: Int
    /// Real seconds each accepted request takes before it acts (0: none; for measuring a client's concurrency).
    public var latency: Double = 0
    /// Append every accepted change to this file as JSON lines, when the state makes a ledger of its own (in
    /// `campaign-sandbox` it shares CleverTap's, and `--ledger` names the one file).
    public var ledgerPath: String?

    public init(
        channelID: String = "SANDBOXCHANNEL", privateKey: String = "sandbox-private-key",
        tags: [(id: String, name: String)] = [("tag-vip", "vip"), ("tag-news", "newsletter"), ("tag-beta", "beta testers")],
        topics: [(id: String, name: String)] = [("topic-sport", "sport"), ("topic-news", "news")],
        segments: [(id: String, name: String)] = [("segment-active", "active users"), ("segment-de", "germany")],
        customAttributes: [String] = ["user_id", "plan", "first_name"], rate: Int = 1000, ledgerPath: String? = nil
    ) {
        self.channelID = channelID
        self.privateKey = privateKey
        self.tags = tags
        self.topics = topics
        self.segments = segments
        self.customAttributes = customAttributes
        self.rate = rate
        self.ledgerPath = ledgerPath
    }

    /// `ID:NAME` values (repeatable options) as pairs.
    public static func pairs(_ values: [String]) -> [(id: String, name: String)] {
        values.compactMap { value in
            guard let colon = value.firstIndex(of: ":") else { return nil }
            return (String(value[..<colon]), String(value[value.index(after: colon)...]))
        }
    }
}
