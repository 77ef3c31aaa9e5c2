import Foundation
import JSON
import SandboxLedger

/// The CleverPush half of the sandbox: subscriptions, tags, notifications, a ledger, a rate limit and faults.
public actor CleverPushSandboxState {
    public let configuration: CleverPushSandboxConfiguration

    struct Subscription {
        var id: String
        var tags: Set<String> = []
        var topics: [String] = []
        var attributes: [String: String] = [:]
        var email: String?
        var phone: String?
        var country: String?
        var language: String?
        var unsubscribed = false
    }

    /// A fault armed on a path: `fail` (500 without acting), `commit-then-drop` (acts, then the connection dies),
    /// `rate-limit` (429 with `Retry-After`).
    public struct Fault: Sendable {
        public var path: String
        public var mode: String
        public var remaining: Int
        public var retryAfter: Int

        public init(path: String, mode: String, remaining: Int = 1, retryAfter: Int = 1) {
            self.path = path
            self.mode = mode
            self.remaining = remaining
            self.retryAfter = retryAfter
        }
    }

    private var subscriptions: [String: Subscription] = [:]
    private var byUserID: [String: String] = [:]
    private var notifications: [JSONValue] = []
    /// The sandbox's ledger, shared with the other providers' halves (CleverPush's entries: `"provider": "cleverpush"`).
    public nonisolated let ledger: SandboxLedger
    /// What CleverPush's ledger entries say they are.
    public static let provider = "cleverpush"
    private var faults: [Fault] = []
    /// Subscription ids answered 404, as if they did not exist (for per-row failures).
    private var refused: Set<String> = []
    private var arrivals: [ContinuousClock.Instant] = []
    private var arrivalStart = 0
    private var counts: [String: Int] = [:]
    private var rateLimited = 0
    private var inFlight = 0
    private var peakInFlight = 0
    private var nextID = 1

    /// The channel `configuration` describes; its accepted changes go to `ledger` (the sandbox's, shared with
    /// CleverTap's half; by default one of its own, appending to ``CleverPushSandboxConfiguration/ledgerPath``).
    public init(configuration: CleverPushSandboxConfiguration, ledger: SandboxLedger? = nil) {
        self.configuration = configuration
        self.ledger = ledger ?? SandboxLedger(path: configuration.ledgerPath)
    }

    /// What the front does with a request before acting: refuse it (auth, rate, fault), or act.
    public enum Admission: Sendable {
        case reject(status: Int, error: String, retryAfter: Int?)
        case act(dropAfter: Bool)
    }

    public func admit(path: String, route: String, key: String?) -> Admission {
        guard key == configuration.privateKey else { return .reject(status: 401, error: "Unauthorized: invalid private API key", retryAfter: nil) }
        let now = ContinuousClock.now
        while arrivalStart < arrivals.count, now - arrivals[arrivalStart] > .seconds(1) { arrivalStart += 1 }
        if arrivalStart > 4096 {
            arrivals.removeFirst(arrivalStart)
            arrivalStart = 0
        }
        if arrivals.count - arrivalStart >= configuration.rate {
            rateLimited += 1
            return .reject(status: 429, error: "Too many requests", retryAfter: 1)
        }
        arrivals.append(now)
        counts[route, default: 0] += 1
        if let index = faults.firstIndex(where: { $0.path == route && $0.remaining > 0 }) {
            faults[index].remaining -= 1
            let fault = faults[index]
            switch fault.mode {
            case "fail": return .reject(status: 500, error: "Internal server error (injected)", retryAfter: nil)
            case "rate-limit":
                rateLimited += 1
                return .reject(status: 429, error: "Too many requests (injected)", retryAfter: fault.retryAfter)
            case "commit-then-drop": return .act(dropAfter: true)
            default: break
            }
        }
        return .act(dropAfter: false)
    }

    /// A request starts acting (``leave()`` when it is answered): counts the most in flight at once.
    func enter() {
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
    }

    func leave() { inFlight -= 1 }

    public func addFault(_ fault: Fault) { faults.append(fault) }
    public func clearFaults() { faults = [] }
    public func refuse(_ ids: [String]) { refused.formUnion(ids) }
    public func clearRefused() { refused = [] }

    /// Makes `count` subscriptions `prefix0`… (for tests and benchmarks); their ids.
    public func seed(count: Int, prefix: String) -> Int {
        for index in 0..<count {
            let id = prefix + String(index)
            if subscriptions[id] == nil { subscriptions[id] = Subscription(id: id) }
        }
        return subscriptions.count
    }

    func record(_ entry: [(String, JSONValue)]) {
        ledger.append(provider: Self.provider, fields: [("time", .string(Date().formatted(.iso8601)))] + entry)
    }

    func newID(_ prefix: String) -> String {
        defer { nextID += 1 }
        return prefix + String(nextID)
    }

    typealias Answer = (status: Int, body: JSONValue)

    static func error(_ status: Int, _ text: String) -> Answer { (status, .object([("error", .string(text))])) }
    static let ok: Answer = (200, .object([("success", .bool(true))]))

    func channelMatches(_ channel: String?) -> Bool { channel == configuration.channelID }

    // MARK: listings

    func listing(_ what: String, channel: String) -> Answer {
        guard channelMatches(channel) else { return Self.error(404, "Channel not found") }
        let items: [(id: String, name: String)]
        switch what {
        case "tags": items = configuration.tags
        case "topics": items = configuration.topics
        default: items = configuration.segments
        }
        return (200, .object([(what, .array(items.map { .object([("_id", .string($0.id)), ("name", .string($0.name))]) }))]))
    }

    func notificationList(channel: String, limit: Int, offset: Int) -> Answer {
        guard channelMatches(channel) else { return Self.error(404, "Channel not found") }
        let newest = Array(notifications.reversed())
        let page = offset < newest.count ? Array(newest[offset..<min(newest.count, offset + max(0, limit))]) : []
        return (200, .object([("notifications", .array(page))]))
    }

    // MARK: subscriptions

    func sync(channel: String, body: JSONValue) -> Answer {
        guard channelMatches(channel) else { return Self.error(404, "Channel not found") }
        var attributes: [String: String] = [:]
        for (name, value) in body["customAttributes"]?.objectValue ?? [] {
            guard configuration.customAttributes.contains(name) else { return Self.error(400, "Custom attribute '\(name)' does not exist in this channel") }
            attributes[name] = value.stringValue ?? ""
        }
        // Topics by id, as the API takes them (a name is refused, so a client sending names is caught).
        for topic in body["topics"]?.arrayValue ?? [] where !configuration.topics.contains(where: { $0.id == topic.stringValue }) {
            return Self.error(400, "Topic '\(topic.stringValue ?? "?")' does not exist in this channel")
        }
        let email = body["emailAddress"]?.stringValue
        let phone = body["phoneNumber"]?.stringValue
        var subscription: Subscription
        var created = false
        if let id = body["subscriptionId"]?.stringValue {
            guard let existing = subscriptions[id], !refused.contains(id) else { return Self.error(404, "Subscription not found") }
            subscription = existing
        } else {
            guard email != nil || phone != nil || body["token"] != nil else { return Self.error(400, "A new subscription needs an email address, a phone number or a push token") }
            subscription = Subscription(id: newID("sub-"))
            created = true
        }
        let confirm = body["emailOptInFormId"]?.stringValue != nil && email != nil && email != subscription.email
        subscription.attributes.merge(attributes) { $1 }
        if let email { subscription.email = email }
        if let phone { subscription.phone = phone }
        if let topics = body["topics"]?.arrayValue { subscription.topics = topics.compactMap(\.stringValue) }
        if let country = body["country"]?.stringValue { subscription.country = country }
        if let language = body["language"]?.stringValue { subscription.language = language }
        subscription.unsubscribed = false
        subscriptions[subscription.id] = subscription
        if let user = subscription.attributes["user_id"] { byUserID[user] = subscription.id }
        record([("action", .string(created ? "subscribe" : "update")), ("subscriptionId", .string(subscription.id)), ("emailConfirmationNeeded", .bool(confirm))])
        return (200, .object([("id", .string(subscription.id)), ("success", .bool(true)), ("emailConfirmationNeeded", .bool(confirm))]))
    }

    func lookup(channel: String?, attribute: String?, value: String?) -> Answer {
        guard channelMatches(channel) else { return Self.error(404, "Channel not found") }
        guard attribute == "user_id", let value else { return Self.error(400, "attributeId and attributeValue are required") }
        guard let id = byUserID[value], let subscription = subscriptions[id] else { return Self.error(404, "Subscription not found") }
        var fields: [(String, JSONValue)] = [("_id", .string(subscription.id))]
        if let email = subscription.email { fields.append(("emailAddress", .string(email))) }
        if let phone = subscription.phone { fields.append(("phoneNumber", .string(phone))) }
        if let country = subscription.country { fields.append(("country", .string(country))) }
        if let language = subscription.language { fields.append(("language", .string(language))) }
        fields.append(("topics", .array(subscription.topics.map { .string($0) })))
        fields.append(("tags", .array(subscription.tags.sorted().map { .string($0) })))
        fields.append(("customAttributes", .object(subscription.attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        fields.append(("unsubscribed", .bool(subscription.unsubscribed)))
        return (200, .object(fields))
    }

    func unsubscribe(body: JSONValue) -> Answer {
        guard channelMatches(body["channelId"]?.stringValue) else { return Self.error(404, "Channel not found") }
        guard let id = body["subscriptionId"]?.stringValue, !refused.contains(id), subscriptions[id] != nil else { return Self.error(404, "Subscription not found") }
        subscriptions[id]?.unsubscribed = true
        record([("action", .string("unsubscribe")), ("subscriptionId", .string(id))])
        return Self.ok
    }

    func tag(body: JSONValue, remove: Bool) -> Answer {
        guard channelMatches(body["channelId"]?.stringValue) else { return Self.error(404, "Channel not found") }
        guard let tagID = body["tagId"]?.stringValue, configuration.tags.contains(where: { $0.id == tagID }) else {
            return Self.error(400, "Tag '\(body["tagId"]?.stringValue ?? "")' does not exist in this channel")
        }
        guard let id = body["subscriptionId"]?.stringValue, !refused.contains(id) else { return Self.error(404, "Subscription not found") }
        // Any other id is a subscription the channel has (made on first use, so benchmarks need no seeding).
        var subscription = subscriptions[id] ?? Subscription(id: id)
        if remove { subscription.tags.remove(tagID) } else { subscription.tags.insert(tagID) }
        subscriptions[id] = subscription
        record([("action", .string(remove ? "untag" : "tag")), ("subscriptionId", .string(id)), ("tagId", .string(tagID))])
        return Self.ok
    }

    func send(body: JSONValue) -> Answer {
        guard channelMatches(body["channelId"]?.stringValue) else { return Self.error(404, "Channel not found") }
        guard let title = body["title"]?.stringValue, !title.isEmpty, let text = body["text"]?.stringValue, !text.isEmpty else {
            return Self.error(400, "title and text are required")
        }
        for tag in body["tags"]?.arrayValue ?? [] where !configuration.tags.contains(where: { $0.id == tag.stringValue }) {
            return Self.error(400, "Tag '\(tag.stringValue ?? "?")' does not exist in this channel")
        }
        if let ids = body["subscriptionIds"]?.arrayValue, ids.count > 50_000 { return Self.error(400, "At most 50000 subscriptionIds per notification") }
        let id = newID("notification-")
        var stored: [(String, JSONValue)] = [("_id", .string(id)), ("title", .string(title)), ("text", .string(text))]
        if let url = body["url"] { stored.append(("url", url)) }
        stored.append(("createdAt", .string(Date().formatted(.iso8601))))
        stored.append(("status", .string(body["scheduledAt"] == nil ? "sent" : "scheduled")))
        if let at = body["scheduledAt"] { stored.append(("scheduledAt", at)) }
        stored.append(("recipients", .int(body["subscriptionIds"]?.arrayValue?.count ?? 0)))
        notifications.append(.object(stored))
        record([("action", .string("send")), ("notificationId", .string(id)), ("title", .string(title))])
        return (200, .object([("success", .bool(true)), ("notification", .object([("_id", .string(id))]))]))
    }

    // MARK: control

    /// CleverPush's entries of the sandbox's ledger, in order (`GET /_sandbox/cleverpush/ledger`).
    public func ledgerJSON() -> JSONValue { .array(ledger.entries(provider: Self.provider)) }

    public func statsJSON() -> JSONValue {
        .object([
            ("requests", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("rate_limited", .int(rateLimited)),
            ("peak_in_flight", .int(peakInFlight)),
            ("subscriptions", .int(subscriptions.count)),
            ("notifications", .int(notifications.count)),
        ])
    }

    /// The subscription ids carrying `tagID`, sorted.
    public func tagged(_ tagID: String) -> [String] { subscriptions.values.filter { $0.tags.contains(tagID) }.map(\.id).sorted() }
    /// How many notifications were sent with `title`.
    public func sends(title: String) -> Int { notifications.filter { $0["title"]?.stringValue == title }.count }
    /// Ledger lines whose action is `action`.
    public func ledgerCount(_ action: String) -> Int { ledger.entries(provider: Self.provider).filter { $0["action"]?.stringValue == action }.count }
}
