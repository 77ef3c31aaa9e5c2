import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// How an HTTP exchange that failed without an answer ended for its request — each with a fixed text. A library's
/// own description is never used: async-http-client's quotes the offending header values
/// (`invalidHeaderFieldValues(["<secret>\n"])`), and others may quote the URL. Shared by every API client, so that
/// "certainly never sent" means the same for all of them.
public enum ExchangeFailure: Sendable, Hashable {
    /// The request certainly never left this machine (no connection, a connect or handshake timeout).
    case neverSent(String)
    /// The HTTP library refused the request before sending it (a URL or a header it cannot send).
    case refusedLocally(String)
    /// The request may have arrived and acted (a timeout waiting for the answer, a closed connection).
    case maybeSent(String)

    /// The fixed text.
    public var reason: String {
        switch self {
        case .neverSent(let reason), .refusedLocally(let reason), .maybeSent(let reason): reason
        }
    }

    /// What became of the request `error` interrupted.
    public static func classify(_ error: any Error) -> ExchangeFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .neverSent("connect timeout")
            case .getConnectionFromPoolTimeout: return .neverSent("no connection became free in time")
            case .tlsHandshakeTimeout: return .neverSent("TLS handshake timeout")
            case .socksHandshakeTimeout, .httpProxyHandshakeTimeout: return .neverSent("proxy handshake timeout")
            case .alreadyShutdown: return .neverSent("the client was shut down")
            case .invalidURL, .emptyHost, .emptyScheme: return .refusedLocally("the HTTP library refused the API URL; nothing was sent")
            case .readTimeout, .deadlineExceeded: return .maybeSent("timed out waiting for the answer")
            case .remoteConnectionClosed: return .maybeSent("the server closed the connection")
            default:
                // The two header errors carry the values (so they cannot be matched by value); their case name is
                // looked at only to classify, and never shown.
                if String(describing: error).hasPrefix("HTTPClientError.invalidHeaderField") {
                    return .refusedLocally("the HTTP library refused a header (a credential it cannot send); nothing was sent")
                }
                return .maybeSent("the HTTP exchange failed (HTTPClientError)")
            }
        }
        if error is NIOConnectionError { return .neverSent("connection failed") }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode) {
            return .neverSent("connection refused")
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return .neverSent("connect timeout") }
        return .maybeSent("the exchange failed (\(String(describing: type(of: error))))")
    }

    /// The wait before retry number `retry` (1-based): `first` doubled per retry, with jitter (×0.5…1.5).
    public static func backoff(first: Double, retry: Int) -> Double {
        first * pow(2, Double(retry - 1)) * Double.random(in: 0.5...1.5)
    }
}
