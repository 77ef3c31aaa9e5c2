import HTTPExchange

/// Everything that can go wrong talking to CleverTap, in a form a user can act on. Never carries the passcode.
public struct CleverTapError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Missing or invalid settings (no credentials, unknown region).
        case configuration
        /// HTTP 401: the account id or passcode is wrong.
        case unauthorized
        /// HTTP 429 more often than the client waits out.
        case rateLimited
        /// The API answered `"status":"fail"` (with HTTP 200 or 4xx).
        case apiFailure
        /// The server failed (HTTP 5xx) on a request that is safe to retry, after every retry.
        case serverError
        /// A create or send may or may not have happened (timeout, dropped connection, 5xx after sending).
        /// Never retried: the caller must reconcile.
        case outcomeUnknown
        /// The request never reached the server (connection refused, DNS, connect timeout), after every retry.
        case unreachable
        /// The answer could not be understood.
        case invalidResponse
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status, when there was an answer.
    public var httpStatus: Int?
    /// CleverTap's error code (`9`, `21`, `84`…), when given.
    public var apiCode: Int?
    /// The endpoint involved.
    public var endpoint: String?

    public init(_ kind: Kind, _ message: String, httpStatus: Int? = nil, apiCode: Int? = nil, endpoint: String? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.apiCode = apiCode
        self.endpoint = endpoint
    }

    /// A call that ended without an answer to read (``CallFailure``, the same words for every client).
    public init(_ failure: CallFailure, endpoint: String) {
        self.init(failure.kind.as(Kind.self), failure.message, httpStatus: failure.httpStatus, endpoint: endpoint)
    }

    /// A stable code for diagnostics, e.g. `CT401`, `CT-UNKNOWN`.
    public var code: String {
        switch kind {
        case .configuration: "CT-CONFIG"
        case .unauthorized: "CT401"
        case .rateLimited: "CT429"
        case .apiFailure: apiCode.map { "CT-API-\($0)" } ?? "CT-API"
        case .serverError: "CT5XX"
        case .outcomeUnknown: "CT-UNKNOWN"
        case .unreachable: "CT-UNREACHABLE"
        case .invalidResponse: "CT-RESPONSE"
        }
    }

    public var description: String {
        var text = message
        if let endpoint { text += " (\(endpoint)" + (httpStatus.map { ", HTTP \($0)" } ?? "") + (apiCode.map { ", code \($0)" } ?? "") + ")" }
        return text
    }
}

extension CleverTapError.Kind: CallFailureKinds {}
