import HTTPExchange

/// Why a PersonaClick call failed, with a stable code. Never carries the shop secret.
public struct PersonaClickError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Missing or invalid settings or credentials; nothing was sent.
        case configuration
        /// The shop secret's variable is not set in this run (a pull request's plan gets none); nothing was sent.
        case missingSecret
        /// HTTP 400: for `manage`, nothing to change; for a callback, a missing or wrong `event`; for
        /// `confirm_email`, double opt-in off, the email unknown or already confirmed.
        case nothingToChange
        /// HTTP 401 or 403: refused (a wrong shop id or secret, or the contact may not be changed).
        case refused
        /// HTTP 404: a mandatory parameter is missing.
        case missingParameter
        /// Another 4xx, or `{"status": "error"}` with a 200.
        case apiFailure
        /// HTTP 429 kept coming.
        case rateLimited
        /// 5xx after every retry (idempotent calls).
        case serverError
        /// The server could not be reached after every retry; nothing was sent.
        case unreachable
        /// A call that must not be repeated blindly may or may not have acted (lost answer, 5xx).
        case outcomeUnknown
        /// An answer that is not what the API documents.
        case invalidResponse
    }

    public var kind: Kind
    /// What happened, safe to show (never the secret).
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

    /// `PC400`, `PC-NET`…
    public var code: String {
        switch kind {
        case .configuration, .missingSecret: "PC-CONFIG"
        case .nothingToChange: "PC400"
        case .refused: "PC403"
        case .missingParameter: "PC404"
        case .apiFailure: "PC-API"
        case .rateLimited: "PC429"
        case .serverError: "PC5XX"
        case .unreachable: "PC-NET"
        case .outcomeUnknown: "PC-UNKNOWN"
        case .invalidResponse: "PC-INVALID"
        }
    }

    public var description: String {
        var text = message
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        if let path { text += " [\(path)]" }
        return text
    }
}

extension PersonaClickError.Kind: CallFailureKinds {}
