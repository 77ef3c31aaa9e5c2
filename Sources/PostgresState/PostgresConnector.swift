#if canImport(Glibc)
import Glibc
#endif
import CampaignDeploy
import CampaignEngine
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// How to reach the database of a ``PostgresURL``: the URL, the password (from `PGPASSWORD` or the file `PGPASSFILE`
/// names, never from the URL or a flag), TLS as `sslmode` asks, and which hosts the password may be sent to.
public struct PostgresConnector: Sendable {
    public let url: PostgresURL
    /// Whether the URL came from the runner (`--state`, `CAMPAIGN_STATE`) rather than from the repository
    /// (`project.yaml`). Repository content is not trusted with the password: a host it names gets the password only
    /// when the runner lists that host in `CAMPAIGN_STATE_HOSTS`.
    public let fromRunner: Bool
    let environment: [String: String]
    let logger: Logger

    public init(url: PostgresURL, fromRunner: Bool, environment: [String: String], logger: Logger) {
        self.url = url
        self.fromRunner = fromRunner
        self.environment = environment
        self.logger = logger
    }

    /// The password for the URL's host, port, database and user; nil when none is set.
    func password() throws(DeployError) -> String? {
        if let password = environment["PGPASSWORD"] { return password }
        guard let file = environment["PGPASSFILE"], !file.isEmpty else { return nil }
        return try PasswordFile.lookup(file, url: url)
    }

    /// Opens a connection (the password checked against where the URL came from); errors never carry the password.
    func connect() async throws(DeployError) -> PostgresConnection {
        let password = try password()
        if let password {
            guard password.utf8.count <= 1_000, !password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw DeployError("S063", "the database password (PGPASSWORD or PGPASSFILE) is too long or contains control characters")
            }
            if !fromRunner {
                let allowed = (environment["CAMPAIGN_STATE_HOSTS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard allowed.contains(url.host.lowercased()) else {
                    throw DeployError("S064", "project.yaml names the state host \(EngineState.shown(url.host)); the database password is sent only to a host the runner lists",
                                      hint: "list it in CAMPAIGN_STATE_HOSTS (comma-separated), or give the state with --state or CAMPAIGN_STATE")
                }
                // The repository also chose the TLS mode: over the network, the password goes only where the server's
                // certificate and name are verified (a server may ask for it in clear text).
                guard url.sslMode == .verifyFull || Self.isLoopback(url.host) else {
                    throw DeployError("S064", "project.yaml's state URL for \(EngineState.shown(url.host)) does not verify the server (sslmode=\(url.sslMode.rawValue)); the password is sent to a remote host only with sslmode=verify-full",
                                      hint: "set sslmode=verify-full in project.yaml, or give the state with --state or CAMPAIGN_STATE")
                }
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: try tls())
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        // The server drops a client that vanished without closing its connection within about a minute (not the
        // system's two hours), and with it the workspace's advisory lock; a statement never waits for ever behind a
        // lock, and a transaction left open by a runner that stalled is ended.
        configuration.options.additionalStartupParameters = [
            ("application_name", "campaign"),
            ("tcp_keepalives_idle", "30"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "3"),
            ("tcp_user_timeout", "60000"), ("lock_timeout", "60s"), ("idle_in_transaction_session_timeout", "120s"),
        ]
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw Self.failure(error, doing: "connecting to the state database \(url.shown)")
        }
    }

    /// Whether `host` is this machine (nothing on the network can read what is sent there).
    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        return lower == "localhost" || lower == "::1" || lower.hasPrefix("127.")
    }

    /// TLS for the URL's `sslmode`: `require` encrypts without checking the certificate (as libpq does);
    /// `verify-ca` and `verify-full` check it against the system's roots (`verify-full` also the host name).
    func tls() throws(DeployError) -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable: return .disable
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw DeployError("S065", "cannot set up TLS for the state database: \(type(of: error))")
        }
        return url.sslMode == .prefer ? .prefer(context) : .require(context)
    }

    /// A database error as a message that names what was being done and the server's reason, never the password
    /// (the server's messages never contain it; the library's description of a query is not used).
    static func failure(_ error: any Error, doing what: String) -> DeployError {
        if let error = error as? PSQLError {
            if let raw = error.serverInfo?[.message] {
                // A server the repository named may say anything: shown without control characters, and cut.
                let message = EngineState.shown(String(raw.prefix(300)))
                let code = error.serverInfo?[.sqlState] ?? ""
                let hint = code == "28P01" || code == "28000"
                    ? "check the user in the URL and PGPASSWORD or PGPASSFILE" : nil
                return DeployError("S062", "\(what): \(message)\(code.isEmpty ? "" : " (SQLSTATE \(EngineState.shown(code)))")", hint: hint)
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                return DeployError("S062", "\(what): the connection was closed or could not be made",
                                   hint: "check that the server is up and reachable; a write in flight may or may not have been committed")
            case .sslUnsupported:
                return DeployError("S062", "\(what): the server does not offer TLS, which sslmode asks for")
            case .queryCancelled:
                return DeployError("S062", "\(what): the query was cancelled")
            default:
                return DeployError("S062", "\(what): \(String(describing: error.code))")
            }
        }
        if error is NIOConnectionError || error is ChannelError || error is IOError {
            return DeployError("S062", "\(what): cannot reach the server", hint: "check the host and port, and that the server is up")
        }
        if error is NIOSSLError {
            return DeployError("S062", "\(what): TLS failed (\(type(of: error)))", hint: "check sslmode and the server's certificate")
        }
        return DeployError("S062", "\(what): \(type(of: error))")
    }
}

/// A libpq password file: lines `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped.
/// Like libpq, a file others can read is not used.
enum PasswordFile {
    static func lookup(_ path: String, url: PostgresURL) throws(DeployError) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { throw DeployError("S063", "PGPASSFILE names \(path), which does not exist") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw DeployError("S063", "PGPASSFILE names \(path), which is not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw DeployError("S063", "the password file \(path) can be read by others", hint: "chmod 600 \(path)")
        }
        guard info.st_size <= 1 << 20, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeployError("S063", "cannot read the password file \(path)")
        }
        // Lines end in LF or CRLF (in Swift, "\r\n" is one Character: split on any line break).
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = split(line)
            guard fields.count == 5 else { continue }
            let wanted = [url.host, String(url.port), url.database, url.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The fields of one line, unescaped.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

extension PostgresConnection {
    /// ``query(_:logger:file:line:)`` on a connection known to be open: one that was lost is reported at once (a
    /// query sent on a closed connection may never be answered).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try ensureOpen()
        return try await self.query(query, logger: logger)
    }

    /// ``execute(_:logger:file:line:)`` of a prepared statement on a connection known to be open (as ``run(_:logger:)``).
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row> {
        try ensureOpen()
        return try await execute(statement, logger: logger)
    }

    private func ensureOpen() throws(DeployError) {
        guard !isClosed else {
            throw DeployError("S062", "the connection to the state database was lost",
                              hint: "check that the server is up; the request in flight, if any, is left `unknown` for `campaign reconcile`")
        }
    }
}

extension PostgresConnection {
    /// Runs `body` in a transaction opened by `begin`: committed whole, or rolled back and the error thrown; a
    /// database error is said as `what` was being done.
    func transaction<T>(
        _ begin: PostgresQuery = "BEGIN", doing what: String, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws(DeployError) -> T {
        do {
            try await run(begin, logger: logger)
            do {
                let result = try await body()
                try await run("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await run("ROLLBACK", logger: logger)
                throw error
            }
        } catch let error as DeployError {
            throw error
        } catch {
            throw PostgresConnector.failure(error, doing: what)
        }
    }
}
