import AsyncHTTPClient

/// The HTTP client every API client uses, made one way.
public enum APIHTTPClient {
    /// An HTTP/1.1 client with these timeouts (seconds) and up to `connections` connections per host. It never retries
    /// a connection by itself: a failed connection is a request certainly never sent, which ``CallAttempts`` retries
    /// with its own backoff and counts.
    public static func make(connectTimeout: Double, readTimeout: Double, connections: Int) -> HTTPClient {
        var settings = HTTPClient.Configuration(
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(readTimeout * 1000))))
        settings.connectionPool.retryConnectionEstablishment = false
        settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        settings.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }
}
