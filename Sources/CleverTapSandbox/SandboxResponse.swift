import JSON

/// What the sandbox answers: a status, a JSON body, optional headers, or a dropped connection.
public struct SandboxResponse: Sendable {
    public var status: Int
    public var body: JSONValue
    /// Seconds to wait before retrying (for 429).
    public var retryAfter: Int?
    /// Perform nothing more and close the connection without a complete answer.
    public var dropConnection: Bool

    public init(status: Int = 200, body: JSONValue, retryAfter: Int? = nil, dropConnection: Bool = false) {
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
        self.dropConnection = dropConnection
    }

    static func success(_ members: [(String, JSONValue)] = []) -> SandboxResponse {
        SandboxResponse(body: .object([("status", .string("success"))] + members))
    }

    static func fail(_ status: Int, _ error: String, code: Int?) -> SandboxResponse {
        var members: [(String, JSONValue)] = [("status", .string("fail")), ("error", .string(error))]
        if let code { members.append(("code", .int(code))) }
        return SandboxResponse(status: status, body: .object(members))
    }

    static let unauthorized = fail(401, "Account ID is not valid", code: 401)
    static let invalidJSON = fail(400, "Invalid JSON payload", code: 78)

    /// HTTP 429: "Too many concurrent requests" (the current docs' text) for the concurrency limit, "Too many
    /// requests" (the brief's) for the create rate.
    static func tooManyRequests(retryAfter: Int, concurrent: Bool = false) -> SandboxResponse {
        var response = fail(429, concurrent ? "Too many concurrent requests" : "Too many requests", code: 429)
        response.retryAfter = max(1, retryAfter)
        return response
    }
}
