import Foundation

/// The limits and timeouts of an API client that makes one call per member (CleverPush, PersonaClick): the same
/// settings, defaults and checks for each, set from `project.yaml` and the environment.
public struct CallSettings: Sendable, Hashable {
    /// Requests in flight at most.
    public var concurrency = 8
    /// Requests started per second at most (nil: no cap).
    public var rate: Double?
    /// Retries of an idempotent call after a network error or a 5xx.
    public var maxRetries = 3
    /// The first backoff, doubled per retry, with jitter (×0.5…1.5).
    public var backoff: Double = 0.2
    /// 429 answers waited out per call before giving up.
    public var maxRateLimitWaits = 20
    /// The wait after a 429 without `Retry-After`.
    public var defaultRetryAfter: Double = 1
    /// Seconds to connect, and to wait for an answer.
    public var connectTimeout: Double = 10
    public var readTimeout: Double = 30

    public init() {}

    /// The retry limits of one call (a server's `Retry-After` is waited out for 300 s at most).
    public var limits: CallAttempts.Limits {
        CallAttempts.Limits(retries: maxRetries, backoff: backoff, rateLimitWaits: maxRateLimitWaits, retryAfter: defaultRetryAfter, maxWait: 300)
    }

    /// Why `service`'s client cannot use these settings, or nil.
    public func problem(service: String) -> String? {
        concurrency >= 1 && concurrency <= 64 ? nil : "the \(service) concurrency must be 1 to 64"
    }

    /// `baseURL` as shown: scheme, host and port only (`the <service> API` when it is not a URL).
    public static func displayURL(_ baseURL: String, service: String) -> String {
        guard let url = URLComponents(string: baseURL), let scheme = url.scheme, let host = url.host else { return "the \(service) API" }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }
}
