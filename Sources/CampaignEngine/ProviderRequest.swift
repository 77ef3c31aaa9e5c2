import JSON

/// One request to a provider, opaque to the engine except for what it must record.
public struct ProviderRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    public var body: JSONValue
    /// 1-based batch number of a send (1 for campaigns).
    public var batch: Int
    /// For member kinds: the members this request delivers to (or removes), by kind, so state records exactly who.
    public var recipients: [String: [String]]
    /// The request removes `recipients` (a sync's removals) rather than delivering to them.
    public var removes: Bool

    public init(method: String = "POST", path: String, body: JSONValue, batch: Int = 1, recipients: [String: [String]] = [:], removes: Bool = false) {
        self.method = method
        self.path = path
        self.body = body
        self.batch = batch
        self.recipients = recipients
        self.removes = removes
    }

    /// Recipients counted over all kinds.
    public var recipientCount: Int { recipients.values.reduce(0) { $0 + $1.count } }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("method", .string(method)), ("path", .string(path)), ("batch", .int(batch))]
        members.append(("body", body))
        return .object(members)
    }
}
