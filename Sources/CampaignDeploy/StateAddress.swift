import Foundation

/// Where the state is, as the user named it: a file path, or a `postgres://` URL.
public enum StateAddress: Sendable, Hashable {
    case file(StateLocation)
    case postgres(PostgresURL)

    /// Reads `text`: a `postgres://` or `postgresql://` URL, else a path (relative to the current directory).
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DeployError) -> StateAddress {
        if PostgresURL.looksLikeURL(text) { return .postgres(try PostgresURL(text, environment: environment)) }
        return .file(try StateLocation.resolve(text))
    }

    /// As shown in messages (a URL never carries a password: one with a password is refused).
    public var shown: String {
        switch self {
        case .file(let location): location.path
        case .postgres(let url): url.shown
        }
    }

    /// The file, when the state is one.
    public var file: StateLocation? {
        if case .file(let location) = self { return location }
        return nil
    }
}

/// A PostgreSQL state location: `postgres://user@host:5432/db?sslmode=require&schema=campaign`. The password is
/// never part of it: it comes from `PGPASSWORD` or the file `PGPASSFILE` names, so that it is never on a command
/// line, in a project file or in a message.
public struct PostgresURL: Sendable, Hashable {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    /// libpq's modes: `disable`, `prefer` (the default), `require`, `verify-ca`, `verify-full`.
    public var sslMode: SSLMode
    /// The schema holding the tool's tables (default `campaign_state`).
    public var schema: String
    /// Seconds to wait for the server to answer a connection (default 10).
    public var connectTimeout: Int

    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public static let defaultSchema = "campaign_state"

    public static func looksLikeURL(_ text: String) -> Bool {
        let lower = text.prefix(14).lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses a URL; refuses a password in it (the error never repeats the URL's credentials), unknown parameters
    /// and anything that is not a plain `user@host:port/database`.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DeployError) {
        guard text.utf8.count <= 2_000, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DeployError("S060", "the state URL is too long or contains control characters")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw DeployError("S060", "the state URL is not a valid postgres:// URL", hint: "postgres://USER@HOST:PORT/DATABASE?sslmode=require&schema=NAME")
        }
        if components.password != nil || components.queryItems?.contains(where: { $0.name.lowercased() == "password" }) == true {
            throw DeployError("S061", "the state URL carries a password; it would show in process lists, logs and files",
                              hint: "remove it from the URL and set PGPASSWORD, or name a password file with PGPASSFILE")
        }
        guard var host = components.host, !host.isEmpty else {
            throw DeployError("S060", "the state URL names no host", hint: "postgres://USER@HOST:PORT/DATABASE")
        }
        // An IPv6 address comes back in its brackets on some platforms: the address is what is connected to.
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let user = components.user ?? environment["PGUSER"] ?? ""
        guard !user.isEmpty else {
            throw DeployError("S060", "the state URL names no user", hint: "postgres://USER@HOST/DATABASE, or set PGUSER")
        }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.contains("/") else { throw DeployError("S060", "the state URL's path must be a database name") }
        if database.isEmpty { database = user }
        // Percent-decoded names may hold anything: none may carry a control character into a message or a log.
        for (what, text) in [("host", host), ("user", user), ("database", database)]
        where text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) || text.utf8.count > 255 {
            throw DeployError("S060", "the state URL's \(what) contains control characters or is too long")
        }
        if let fragment = components.fragment, !fragment.isEmpty { throw DeployError("S060", "the state URL has a fragment (#…)") }
        var sslMode = SSLMode.prefer
        var schema = Self.defaultSchema
        var timeout = 10
        var seen = Set<String>()
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else { throw DeployError("S060", "the state URL gives `\(item.name)` twice") }
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw DeployError("S060", "the state URL's sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "schema":
                guard Self.isIdentifier(value) else {
                    throw DeployError("S060", "the state URL's schema must be a plain name (letters, digits, _; at most 63)")
                }
                schema = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds >= 1, seconds <= 600 else {
                    throw DeployError("S060", "the state URL's connect_timeout must be a number of seconds from 1 to 600")
                }
                timeout = seconds
            default:
                throw DeployError("S060", "the state URL has the unknown parameter `\(item.name.prefix(40))`", hint: "known: sslmode, schema, connect_timeout")
            }
        }
        self.user = user
        self.host = host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw DeployError("S060", "the state URL's port is out of range") }
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
        self.connectTimeout = timeout
    }

    /// `postgres://user@host:port/database?schema=…` (no password: the URL never has one).
    public var shown: String {
        let hostShown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostShown):\(port)/\(database)?schema=\(schema)"
    }

    /// A lower-case name of letters, digits and underscores, not starting with a digit: safe to write into SQL.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 63, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }
}
