import Foundation
import HTTPExchange

/// Where the CleverPush API is, the channel, the private key and the client's limits.
public struct CleverPushConfiguration: Sendable {
    /// CleverPush's API.
    public static let defaultURL = "https://api.cleverpush.com"
    /// The API's base URL (the sandbox's in tests).
    public var baseURL: String
    /// The channel every call is about (case-sensitive).
    public var channelID: String
    /// The raw private API key, sent as `Authorization`; never printed.
    public var privateKey: String
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

    public init(baseURL: String = CleverPushConfiguration.defaultURL, channelID: String, privateKey: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.channelID = channelID
        self.privateKey = privateKey
    }

    /// The URL as shown: scheme, host and port only.
    public var displayURL: String {
        guard let url = URLComponents(string: baseURL), let scheme = url.scheme, let host = url.host else { return "the CleverPush API" }
        return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
    }

    /// Refuses a key that could not travel in a header, and a URL with credentials.
    public func validate() throws(CleverPushError) {
        guard !privateKey.isEmpty, privateKey.count <= 512, privateKey.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw CleverPushError(.configuration, "the CleverPush private key is empty, too long, or holds characters a header cannot carry")
        }
        guard let url = URLComponents(string: baseURL), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil else {
            throw CleverPushError(.configuration, "the CleverPush API URL must be http(s) without credentials")
        }
        guard !channelID.isEmpty, channelID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw CleverPushError(.configuration, "the CleverPush channel id is missing or not an id")
        }
        guard concurrency >= 1, concurrency <= 64 else { throw CleverPushError(.configuration, "the CleverPush concurrency must be 1 to 64") }
    }
}
