import JSON

/// One request to a provider, opaque to the engine except for what it must record.
public struct ProviderRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    public var body: JSONValue
    /// 1-based batch number of a send (1 for campaigns).
    public var batch: Int
    /// For sends: the recipients this request delivers to, by kind, so state can record exactly who got it.
    public var recipients: [String: [String]]

    public init(method: String = "POST", path: String, body: JSONValue, batch: Int = 1, recipients: [String: [String]] = [:]) {
        self.method = method
        self.path = path
        self.body = body
        self.batch = batch
        self.recipients = recipients
    }

    /// Recipients counted over all kinds.
    public var recipientCount: Int { recipients.values.reduce(0) { $0 + $1.count } }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("method", .string(method)), ("path", .string(path)), ("batch", .int(batch))]
        members.append(("body", body))
        return .object(members)
    }
}
