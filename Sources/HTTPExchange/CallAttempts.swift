/// The retry rules every API client applies to one call, as a value: after each exchange, ``next(after:)`` says
/// whether to wait and send again, or how the call ended. Pure: the client sends, sleeps, counts and makes its own
/// errors, so the rules are the same for every provider and are tested once.
///
/// - A 429 did nothing: it is waited out (`Retry-After`, else the default wait), up to a number of waits of its own.
/// - A request never sent is retried, with backoff.
/// - No answer, or a 5xx: retried only when the call is idempotent; otherwise it may have acted, and is never
///   repeated blindly.
/// - A request the HTTP library refused to send would be refused again: it ends at once.
public struct CallAttempts: Sendable {
    /// The limits of one call.
    public struct Limits: Sendable, Hashable {
        /// Tries after the first, for failures a retry may cure.
        public var retries: Int
        /// The first backoff in seconds, doubled per retry, with jitter (``ExchangeFailure/backoff(first:retry:)``).
        public var backoff: Double
        /// How many 429 answers are waited out before the call gives up.
        public var rateLimitWaits: Int
        /// The wait after a 429 without `Retry-After`, in seconds.
        public var retryAfter: Double
        /// The longest wait a server's `Retry-After` may ask for, in seconds (a header is a server's text: `inf`,
        /// `1e20` or `-5` must not make a client sleep forever or trap).
        public var maxWait: Double

        public init(retries: Int, backoff: Double, rateLimitWaits: Int, retryAfter: Double, maxWait: Double = 600) {
            self.retries = retries
            self.backoff = backoff
            self.rateLimitWaits = rateLimitWaits
            self.retryAfter = retryAfter
            self.maxWait = maxWait
        }
    }

    /// How one exchange ended.
    public enum Exchange: Sendable, Hashable {
        /// The server answered with `status` (and `Retry-After`, in seconds, if it gave one).
        case answer(status: Int, retryAfter: Double?)
        /// It failed without an answer.
        case failed(ExchangeFailure)
    }

    /// What the client does next.
    public enum Next: Sendable, Hashable {
        /// Wait `after` seconds, then send again. `rateLimited`: after a 429; otherwise a retry after a failure.
        case retry(after: Double, rateLimited: Bool)
        /// The server answered below 500 (and not 429): the client reads the answer.
        case answered(status: Int)
        /// The call failed without an answer to read; the client throws its own error for it.
        case failed(CallFailure)
    }

    public let limits: Limits
    /// Whether repeating the call is harmless.
    public let idempotent: Bool
    /// The service and its URL as messages name them (`CleverPush`, `https://api.cleverpush.com`).
    public let service: String
    public let displayURL: String
    /// Retries made so far (429 waits not counted).
    public private(set) var retries = 0
    /// 429 answers waited out so far.
    public private(set) var rateLimitWaits = 0

    public init(_ limits: Limits, idempotent: Bool, service: String, displayURL: String) {
        self.limits = limits
        self.idempotent = idempotent
        self.service = service
        self.displayURL = displayURL
    }

    /// What to do after `exchange`.
    public mutating func next(after exchange: Exchange) -> Next {
        switch exchange {
        case .answer(status: 429, let retryAfter):
            rateLimitWaits += 1
            guard rateLimitWaits <= limits.rateLimitWaits else {
                return .failed(CallFailure(.rateLimited, "\(service) kept answering 429 Too Many Requests", httpStatus: 429))
            }
            let asked = retryAfter.flatMap { $0.isFinite ? $0 : nil } ?? limits.retryAfter
            return .retry(after: min(max(asked, 0), limits.maxWait), rateLimited: true)
        case .answer(let status, _) where status >= 500:
            guard idempotent else {
                return .failed(CallFailure(.outcomeUnknown, "the server failed after receiving the request; it may or may not have acted", httpStatus: status))
            }
            return retry() ?? .failed(CallFailure(.serverError, "the server kept failing", httpStatus: status))
        case .answer(let status, _):
            return .answered(status: status)
        case .failed(.neverSent(let reason)):
            return retry() ?? .failed(CallFailure(.unreachable, "could not reach \(displayURL): \(reason)"))
        case .failed(.maybeSent(let reason)):
            guard idempotent else { return .failed(CallFailure(.outcomeUnknown, "no answer (\(reason)); the request may or may not have acted")) }
            return retry() ?? .failed(CallFailure(.unreachable, "no answer from \(displayURL): \(reason)"))
        case .failed(.refusedLocally(let reason)):
            // Nothing was sent, and sending again would be refused the same way.
            return .failed(CallFailure(.configuration, reason))
        }
    }

    /// The next retry's wait, or nil when every retry is spent.
    private mutating func retry() -> Next? {
        guard retries < limits.retries else { return nil }
        retries += 1
        return .retry(after: ExchangeFailure.backoff(first: limits.backoff, retry: retries), rateLimited: false)
    }
}

/// How a call ended without an answer to read, in words every client uses; each client throws it as its own error
/// (the kinds map one to one).
public struct CallFailure: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The server kept answering 429.
        case rateLimited
        /// An idempotent call's server kept failing.
        case serverError
        /// A call that is not idempotent may have acted (a 5xx, or no answer): never repeated blindly.
        case outcomeUnknown
        /// Never sent, or (idempotent) no answer, after every retry.
        case unreachable
        /// The HTTP library refused to send it (a URL or header it cannot send).
        case configuration
    }

    public var kind: Kind
    /// What happened, safe to show (fixed texts and the service's URL as shown).
    public var message: String
    public var httpStatus: Int?

    public init(_ kind: Kind, _ message: String, httpStatus: Int? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
    }
}

/// A client error's kinds that stand for the ``CallFailure`` kinds (an enum's cases of these names satisfy it), so
/// each client maps a failure to its own kind in one place: ``CallFailure/Kind/as(_:)``.
public protocol CallFailureKinds {
    static var rateLimited: Self { get }
    static var serverError: Self { get }
    static var outcomeUnknown: Self { get }
    static var unreachable: Self { get }
    static var configuration: Self { get }
}

extension CallFailure.Kind {
    /// This kind as a client's own.
    public func `as`<K: CallFailureKinds>(_ type: K.Type) -> K {
        switch self {
        case .rateLimited: .rateLimited
        case .serverError: .serverError
        case .outcomeUnknown: .outcomeUnknown
        case .unreachable: .unreachable
        case .configuration: .configuration
        }
    }
}
