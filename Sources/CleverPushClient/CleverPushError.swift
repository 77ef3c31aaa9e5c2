import HTTPExchange

/// Why a CleverPush call failed, with a stable code. Never carries the private key.
public struct CleverPushError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Missing or invalid settings or credentials; nothing was sent.
        case configuration
        /// The variable that should hold the private key is not set in this run (code `CP-CONFIG` too); nothing was sent.
        case missingKey
        /// HTTP 401/403: the private key was refused.
        case unauthorized
        /// The API refused the request (4xx with `{"error": …}`); it did nothing.
        case apiFailure
        /// HTTP 429 kept coming.
        case rateLimited
        /// 5xx after every retry (idempotent calls).
        case serverError
        /// The server could not be reached after every retry; nothing was sent.
        case unreachable
        /// A request that changes something may or may not have acted (lost answer, 5xx on a send).
        case outcomeUnknown
        /// An answer that is not what the API documents.
        case invalidResponse
    }

    public var kind: Kind
    /// What happened, safe to show (never the key).
    public var message: String
    public var httpStatus: Int?
    public var path: String?

    public init(_ kind: Kind, _ message: String, httpStatus: Int? = nil, path: String? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.path = path
    }

    /// A call that ended without an answer to read (``CallFailure``, the same words for every client).
    public init(_ failure: CallFailure, path: String) {
        self.init(failure.kind.as(Kind.self), failure.message, httpStatus: failure.httpStatus, path: path)
    }

    /// `CP401`, `CP-API`…
    public var code: String {
        switch kind {
        case .configuration, .missingKey: "CP-CONFIG"
        case .unauthorized: "CP401"
        case .apiFailure: "CP-API"
        case .rateLimited: "CP429"
        case .serverError: "CP5XX"
        case .unreachable: "CP-NET"
        case .outcomeUnknown: "CP-UNKNOWN"
        case .invalidResponse: "CP-INVALID"
        }
    }

    public var description: String {
        var text = message
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if let path { text += " [\(path)]" }
        return text
    }
}

extension CleverPushError.Kind: CallFailureKinds {}
