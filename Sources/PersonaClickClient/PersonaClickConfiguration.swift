import Foundation
import HTTPExchange

/// Where the PersonaClick API is, the shop, its secret and the client's limits.
public struct PersonaClickConfiguration: Sendable {
    /// PersonaClick's API.
    public static let defaultURL = "https://api.personaclick.com"
    /// The API's base URL (the sandbox's in tests).
    public var baseURL: String
    /// The shop every call is about.
    public var shopID: String
    /// The shop secret: in the JSON body of a POST, in `X-Shop-Secret` of a GET; never in a URL, never printed.
    public var shopSecret: String
    /// Requests in flight at most.
    public var concurrency: Int = 8
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
    /// The retry limits of one call.
    public var limits: CallAttempts.Limits {
        CallAttempts.Limits(retries: maxRetries, backoff: backoff, rateLimitWaits: maxRateLimitWaits, retryAfter: defaultRetryAfter, maxWait: 300)
    }
    /// Seconds to connect, and to wait for an answer.
    public var connectTimeout: Double = 10
    public var readTimeout: Double = 30

    public init(baseURL: String = PersonaClickConfiguration.defaultURL, shopID: String, shopSecret: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.shopID = shopID
        self.shopSecret = shopSecret
    }

    /// The URL as shown: scheme, host and port only.
    public var displayURL: String {
        guard let url = URLComponents(string: baseURL), let scheme = url.scheme, let host = url.host else { return "the PersonaClick API" }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    /// Refuses a secret that could not travel in a header, a URL with credentials or a query, and a malformed shop id.
    public func validate() throws(PersonaClickError) {
        guard !shopSecret.isEmpty, shopSecret.count <= 512, shopSecret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw PersonaClickError(.configuration, "the PersonaClick shop secret is empty, too long, or holds characters a header cannot carry")
        }
        guard let url = URLComponents(string: baseURL), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil, url.query == nil else {
            throw PersonaClickError(.configuration, "the PersonaClick API URL must be http(s) without credentials or query")
        }
        guard !shopID.isEmpty, shopID.count <= 128, shopID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw PersonaClickError(.configuration, "the PersonaClick shop id is missing or not an id")
        }
        guard concurrency >= 1, concurrency <= 64 else { throw PersonaClickError(.configuration, "the PersonaClick concurrency must be 1 to 64") }
    }
}
