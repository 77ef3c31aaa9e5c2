import Foundation
import SandboxLedger
import JSON

/// The PersonaClick half of the sandbox: per-contact flags and email status, the change feed (appended to by every
/// change, including those made "at the source" through sandbox-only routes), a ledger of every request, a rate
/// limit and faults.
public actor PersonaClickSandboxState {
    public let configuration: PersonaClickSandboxConfiguration

    /// One contact as the shop knows it.
    public struct Contact: Sendable {
        public var flags: [String: Bool] = [:]
        public var confirmed = false
        public var bounced = false
        public var blacklisted = false
        public var complained = false
        public var suppressed = false
    }

    /// One item of the change feed.
    struct Change {
        var contact: String
        var contactType: String
        var event: String
        var channel: String
        var campaignType: String
        var datetime: String
    }

    /// A fault armed on a route: `fail` (500 without acting), `commit-then-drop` (acts, then the connection dies),
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

    static let flagNames = ["email", "sms", "web_push", "mobile_push"].flatMap { channel in ["bulk", "chain", "transactional"].map { channel + "_" + $0 } }
    static let identities = ["email", "phone", "external_id", "loyalty_id", "telegram_id"]
    static let contactTypes = ["email": "email", "sms": "sms", "web_push": "wpush", "mobile_push": "mpush"]

    private var contacts: [String: Contact] = [:]
    private var feed: [Change] = []
    /// The sandbox's ledger, shared with the other providers' halves (PersonaClick's entries: every request, with
    /// `"provider": "personaclick"`).
    public nonisolated let ledger: SandboxLedger
    private var faults: [Fault] = []
    /// Contacts answered with an error (status and shape), for per-contact failures.
    private var refused: [String: (status: Int, shape: String)] = [:]
    private var arrivals: [ContinuousClock.Instant] = []
    private var arrivalStart = 0
    private var counts: [String: Int] = [:]
    private var rateLimited = 0
    /// Flags that arrived as the strings `"true"`/`"false"` (accepted, as the API does; counted, so tests can prove
    /// the client sends real JSON booleans).
    private var stringBooleans = 0

    /// The shop `configuration` describes; its requests go to `ledger` (the sandbox's, shared with the other
    /// providers' halves; by default one of its own, appending to ``PersonaClickSandboxConfiguration/ledgerPath``).
    public init(configuration: PersonaClickSandboxConfiguration, ledger: SandboxLedger? = nil) {
        self.configuration = configuration
        self.ledger = ledger ?? SandboxLedger(path: configuration.ledgerPath)
    }

    // MARK: the ledger

    /// Appends one ledger line, `{"provider": "personaclick", …}`; the one place ledger lines are written.
    func record(_ entry: [(String, JSONValue)]) {
        ledger.append(provider: "personaclick", fields: entry)
    }

    /// `{"entries": [...]}`: PersonaClick's entries of the sandbox's ledger.
    public nonisolated func ledgerJSON() -> JSONValue { .object([("entries", .array(ledger.entries(provider: "personaclick")))]) }

    /// Requests per route, 429s, contacts and feed length.
    public func statsJSON() -> JSONValue {
        .object([
            ("requests", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })), ("rate_limited", .int(rateLimited)),
            ("contacts", .int(contacts.count)), ("changes", .int(feed.count)), ("string_booleans", .int(stringBooleans)),
        ])
    }

    // MARK: the front

    /// What the front does with a request: refuse it (credentials, rate, fault), or act.
    public enum Admission: Sendable {
        case reject(status: Int, body: JSONValue, retryAfter: Int?)
        case act(dropAfter: Bool)
    }

    static func error(_ message: String, payload: Bool = false) -> JSONValue {
        payload ? .object([("status", .string("error")), ("payload", .object([("message", .string(message))]))])
            : .object([("status", .string("error")), ("message", .string(message))])
    }

    /// Credentials (`shop_id` and `shop_secret` from a POST's body; `shop_id` from a GET's query and the secret from
    /// `X-Shop-Secret`; a secret in a URL is refused), the rate limit and faults. Every request is recorded with its
    /// path and query as received.
    public func admit(method: String, uri: String, route: String, shopID: String?, secret: String?, secretInURL: Bool, contact: String?) -> Admission {
        var entry: [(String, JSONValue)] = [("method", .string(method)), ("path", .string(uri)), ("endpoint", .string(route))]
        if let contact { entry.append(("contact", .string(contact))) }
        func reject(_ status: Int, _ body: JSONValue, retryAfter: Int? = nil) -> Admission {
            record(entry + [("status", .int(status))])
            return .reject(status: status, body: body, retryAfter: retryAfter)
        }
        if secretInURL { return reject(400, Self.error("the shop secret must not travel in a URL")) }
        guard shopID == configuration.shopID, secret == configuration.shopSecret else { return reject(403, Self.error("invalid shop_id or shop_secret")) }
        let now = ContinuousClock.now
        while arrivalStart < arrivals.count, now - arrivals[arrivalStart] > .seconds(1) { arrivalStart += 1 }
        if arrivalStart > 4096 {
            arrivals.removeFirst(arrivalStart)
            arrivalStart = 0
        }
        if arrivals.count - arrivalStart >= configuration.rate {
            rateLimited += 1
            return reject(429, Self.error("Too many requests"), retryAfter: 1)
        }
        arrivals.append(now)
        counts[route, default: 0] += 1
        // A contact set to be refused is answered so here, where the ledger records the request's status (and before
        // any fault: a refused call acts on nothing).
        if method == "POST", route == "/subscriptions/manage" || route == "/subscriptions/callback", let contact, let refused = refusal(contact) {
            return reject(refused.status, refused.body)
        }
        if let index = faults.firstIndex(where: { $0.path == route && $0.remaining > 0 }) {
            faults[index].remaining -= 1
            let fault = faults[index]
            switch fault.mode {
            case "fail": return reject(500, Self.error("Internal server error (injected)"))
            case "rate-limit":
                rateLimited += 1
                return reject(429, Self.error("Too many requests (injected)"), retryAfter: fault.retryAfter)
            case "commit-then-drop":
                record(entry + [("status", .int(200)), ("dropped", .bool(true))])
                return .act(dropAfter: true)
            default: break
            }
        }
        record(entry + [("status", .int(200))])
        return .act(dropAfter: false)
    }

    public func addFault(_ fault: Fault) { faults.append(fault) }
    public func clearFaults() {
        faults = []
        refused = [:]
    }
    /// Answers `status` (400, 403, 404) for these contacts, in the error `shape` `message` or `payload`.
    public func refuse(_ contacts: [String], status: Int, shape: String) { for contact in contacts { refused[contact.lowercased()] = (status, shape) } }

    // MARK: time

    static func timestamp(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        let millis = Int(((seconds - Double(whole)) * 1000).rounded(.down))
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let rest = whole - days * 86_400
        // Civil date from days since 1970-01-01.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d", year, month, day, rest / 3600, rest % 3600 / 60, rest % 60, millis)
    }

    private func append(_ contact: String, type: String, event: String, channel: String, campaignType: String = "", at datetime: String? = nil) {
        feed.append(Change(contact: contact, contactType: type, event: event, channel: channel, campaignType: campaignType, datetime: datetime ?? Self.timestamp()))
    }

    typealias Answer = (status: Int, body: JSONValue)
    static let success: Answer = (200, .object([("status", .string("success"))]))

    /// The identity a body or query names: (`email`, value), the first of the five given.
    static func identity(_ lookup: (String) -> String?) -> (String, String)? {
        for name in identities { if let value = lookup(name), !value.isEmpty { return (name, name == "email" ? value.lowercased() : value) } }
        return nil
    }

    private func refusal(_ key: String) -> Answer? {
        guard let found = refused[key.lowercased()] else { return nil }
        let message = found.status == 400 ? "nothing to change" : found.status == 403 ? "refused for this contact" : "mandatory parameter missing"
        return (found.status, Self.error(message, payload: found.shape == "payload"))
    }

    // MARK: the API

    func manage(_ body: JSONValue) -> Answer {
        guard let (identity, value) = Self.identity({ body[$0]?.stringValue }) else { return (404, Self.error("mandatory parameter missing: email, phone, external_id, loyalty_id or telegram_id", payload: true)) }
        var given: [(String, Bool)] = []
        for name in Self.flagNames {
            guard let raw = body[name] else { continue }
            if raw.boolValue == nil, raw.stringValue != nil { stringBooleans += 1 }
            if let flag = raw.boolValue ?? (raw.stringValue == "true" ? true : raw.stringValue == "false" ? false : nil) { given.append((name, flag)) } else {
                return (400, Self.error("`\(name)` must be a boolean"))
            }
        }
        guard !given.isEmpty else { return (400, Self.error("nothing to change")) }
        let key = identity + ":" + value
        var contact = contacts[key] ?? Contact()
        if contact.bounced, given.contains(where: { $0.0.hasPrefix("email_") && $0.1 }) { return (403, Self.error("the email was removed for good (hard bounce)")) }
        for (name, flag) in given {
            let before = contact.flags[name]
            contact.flags[name] = flag
            guard before != flag, identity == "email" || identity == "phone" else { continue }
            let channel = String(name[..<(name.lastIndex(of: "_") ?? name.endIndex)])
            let type = String(name[name.index(after: name.lastIndex(of: "_") ?? name.startIndex)...])
            append(value, type: Self.contactTypes[channel] ?? "email", event: flag ? "subscribe" : "unsubscribe", channel: "api", campaignType: type)
        }
        contacts[key] = contact
        return Self.success
    }

    func callback(_ body: JSONValue) -> Answer {
        guard let email = body["email"]?.stringValue?.lowercased(), !email.isEmpty else { return (404, Self.error("mandatory parameter missing: email")) }
        guard let event = body["event"]?.stringValue, ["hard_bounced", "complained", "blacklisted", "unsubscribed"].contains(event) else {
            return (400, Self.error("missing or wrong event"))
        }
        let key = "email:" + email
        var contact = contacts[key] ?? Contact()
        switch event {
        case "hard_bounced":
            contact.bounced = true
            for name in Self.flagNames where name.hasPrefix("email_") { contact.flags[name] = false }
        case "complained":
            contact.complained = true
            contact.flags["email_bulk"] = false
            contact.flags["email_chain"] = false
        case "blacklisted":
            contact.blacklisted = true
        default:
            contact.suppressed = true
            contact.flags["email_bulk"] = false
            contact.flags["email_chain"] = false
        }
        contacts[key] = contact
        append(email, type: "email", event: event == "unsubscribed" ? "unsubscribe" : event, channel: "api_callback")
        return Self.success
    }

    func confirmEmail(_ body: JSONValue) -> Answer {
        guard let email = body["email"]?.stringValue?.lowercased(), !email.isEmpty else { return (404, Self.error("mandatory parameter missing: email")) }
        guard configuration.doubleOptIn else { return (400, Self.error("double opt-in is off")) }
        let key = "email:" + email
        guard var contact = contacts[key] else { return (400, Self.error("email not found")) }
        if contact.confirmed { return (400, Self.error("email already confirmed")) }
        contact.confirmed = true
        contacts[key] = contact
        append(email, type: "email", event: "subscribe", channel: "api")
        return Self.success
    }

    func check(_ parameters: [String: String]) -> Answer {
        let query: (String) -> String? = { parameters[$0] }
        guard let (identity, value) = Self.identity({ name in name == "email" || name == "phone" ? query(name) : nil }) else {
            return (404, Self.error("mandatory parameter missing: email or phone"))
        }
        guard let contact = contacts[identity + ":" + value] else { return (200, .object([("status", .string("success")), ("exists", .bool(false))])) }
        var fields: [(String, JSONValue)] = [("status", .string("success")), ("exists", .bool(true)), ("email_confirmed", .bool(contact.confirmed))]
        for name in Self.flagNames { if let flag = contact.flags[name] { fields.append((name, .bool(flag))) } }
        fields += [
            ("email_bounced", .bool(contact.bounced)), ("email_suppressed", .bool(contact.suppressed)), ("email_blacklisted", .bool(contact.blacklisted)),
            ("email_invalid", .bool(false)), ("web_push", .bool(contact.flags["web_push_bulk"] ?? false)), ("mobile_push", .bool(contact.flags["mobile_push_bulk"] ?? false)),
        ]
        return (200, .object(fields))
    }

    func changes(_ parameters: [String: String]) -> Answer {
        let query: (String) -> String? = { parameters[$0] }
        let limit = query("limit").flatMap { Int($0) } ?? 20_000
        guard limit >= 1, limit <= 20_000 else { return (400, Self.error("limit must be 1 to 20000")) }
        let offset = max(0, query("offset").flatMap { Int($0) } ?? 0)
        let today = String(Self.timestamp().prefix(10))
        let from = query("from") ?? String(Self.timestamp(Date(timeIntervalSinceNow: -86_400)).prefix(10))
        let to = query("to") ?? today
        let email = query("email")?.lowercased(), phone = query("phone"), event = query("event"), channel = query("channel")
        var skipped = 0
        var items: [JSONValue] = []
        for change in feed {
            let day = change.datetime.prefix(10)
            guard day >= from, day <= to else { continue }
            if let email, change.contact != email { continue }
            if let phone, change.contact != phone { continue }
            if let event, change.event != event { continue }
            if let channel, change.channel != channel { continue }
            if skipped < offset {
                skipped += 1
                continue
            }
            items.append(.object([
                ("campaign_type", .string(change.campaignType)), ("channel", .string(change.channel)), ("contact", .string(change.contact)),
                ("contact_type", .string(change.contactType)), ("datetime", .string(change.datetime)), ("event", .string(change.event)), ("ip", .string("127.0.0.1")),
            ]))
            if items.count == limit { break }
        }
        return (200, .object([("status", .string("success")), ("changes", .array(items))]))
    }

    // MARK: at the source (sandbox only)

    /// The contact unsubscribes on the unsubscribe page: the email's bulk and chain flags go false, and the feed says
    /// `unsubscribe` through `unsubscribe_page`.
    public func unsubscribePage(email: String, at datetime: String? = nil) {
        let email = email.lowercased()
        var contact = contacts["email:" + email] ?? Contact()
        contact.flags["email_bulk"] = false
        contact.flags["email_chain"] = false
        contacts["email:" + email] = contact
        append(email, type: "email", event: "unsubscribe", channel: "unsubscribe_page", at: datetime)
    }

    /// Any change at the source: the feed gets it, and an opt-out turns the channel's flags off.
    public func sourceChange(contact: String, contactType: String, event: String, channel: String, campaignType: String = "", at datetime: String? = nil) {
        let prefix = contactType == "email" ? "email:" : "phone:"
        let value = contactType == "email" ? contact.lowercased() : contact
        let flagChannel = Self.contactTypes.first { $0.value == contactType }?.key ?? "email"
        var record = contacts[prefix + value] ?? Contact()
        for name in Self.flagNames where name.hasPrefix(flagChannel + "_") && !name.hasSuffix("_transactional") {
            record.flags[name] = event == "subscribe"
        }
        if event == "hard_bounced" { record.bounced = true }
        if event == "blacklisted" { record.blacklisted = true }
        if event == "complained" { record.complained = true }
        contacts[prefix + value] = record
        append(value, type: contactType, event: event, channel: channel, campaignType: campaignType, at: datetime)
    }

    /// Appends `count` changes (`seed0@example.com`…) to the feed at `datetime` (default now), for paging tests and
    /// benchmarks; the feed's length.
    public func seedChanges(count: Int, event: String = "subscribe", channel: String = "import", at datetime: String? = nil) -> Int {
        let time = datetime ?? Self.timestamp()
        feed.reserveCapacity(feed.count + count)
        for index in 0..<count { feed.append(Change(contact: "seed\(index)@example.com", contactType: "email", event: event, channel: channel, campaignType: "bulk", datetime: time)) }
        return feed.count
    }

    /// A contact's state (tests): nil when unknown.
    public func contact(_ identity: String, _ value: String) -> Contact? { contacts[identity + ":" + (identity == "email" ? value.lowercased() : value)] }

    /// `{"exists": …, flags…}` of a contact, for `/_sandbox/personaclick/contact`.
    func contactJSON(_ parameters: [String: String]) -> JSONValue {
        let query: (String) -> String? = { parameters[$0] }
        guard let (identity, value) = Self.identity(query), let found = contacts[identity + ":" + value] else { return .object([("exists", .bool(false))]) }
        var fields: [(String, JSONValue)] = [("exists", .bool(true))]
        for name in Self.flagNames { if let flag = found.flags[name] { fields.append((name, .bool(flag))) } }
        fields += [("confirmed", .bool(found.confirmed)), ("bounced", .bool(found.bounced)), ("blacklisted", .bool(found.blacklisted)),
                   ("complained", .bool(found.complained)), ("suppressed", .bool(found.suppressed))]
        return .object(fields)
    }
}
