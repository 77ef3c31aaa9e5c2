/// The account's credentials. The passcode never appears in descriptions, logs or errors.
public struct CleverTapCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accountID: String
    public var passcode: String

    public init(accountID: String, passcode: String) {
        self.accountID = accountID
        self.passcode = passcode
    }

    public var description: String { "account \(accountID), passcode <redacted>" }
    public var debugDescription: String { description }

    /// Longest account id accepted, in bytes (it travels in a header).
    public static let maxAccountIDBytes = 128
    /// Longest passcode accepted, in bytes (it travels in a header).
    public static let maxPasscodeBytes = 256

    /// Credentials whose values are checked (see ``validate(accountIDVariable:passcodeVariable:)``); the error names
    /// the variables, never the values.
    public init(
        validatingAccountID accountID: String, passcode: String,
        accountIDVariable: String = "CLEVERTAP_ACCOUNT_ID", passcodeVariable: String = "CLEVERTAP_PASSCODE"
    ) throws(CleverTapError) {
        self.init(accountID: accountID, passcode: passcode)
        try validate(accountIDVariable: accountIDVariable, passcodeVariable: passcodeVariable)
    }

    /// Checks that both values are non-empty printable ASCII without control characters or surrounding spaces,
    /// and within ``maxAccountIDBytes`` / ``maxPasscodeBytes``. A `.configuration` error names the variable the
    /// value came from and what is wrong, and never shows the value.
    public func validate(accountIDVariable: String = "CLEVERTAP_ACCOUNT_ID", passcodeVariable: String = "CLEVERTAP_PASSCODE") throws(CleverTapError) {
        if let problem = problem(accountIDVariable: accountIDVariable, passcodeVariable: passcodeVariable) { throw problem }
    }

    /// The error ``validate(accountIDVariable:passcodeVariable:)`` would throw, or nil.
    public func problem(accountIDVariable: String = "CLEVERTAP_ACCOUNT_ID", passcodeVariable: String = "CLEVERTAP_PASSCODE") -> CleverTapError? {
        if let problem = Self.problem(accountID, limit: Self.maxAccountIDBytes) {
            return CleverTapError(.configuration, "\(accountIDVariable) \(problem)")
        }
        if let problem = Self.problem(passcode, limit: Self.maxPasscodeBytes) {
            return CleverTapError(.configuration, "\(passcodeVariable) \(problem)")
        }
        return nil
    }

    /// What is wrong with one value, as the end of a sentence that starts with the variable's name.
    private static func problem(_ value: String, limit: Int) -> String? {
        if value.isEmpty { return "is empty" }
        let scalars = value.unicodeScalars
        if scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character (often a trailing newline); the value is not shown"
        }
        if scalars.contains(where: { !$0.isASCII }) {
            return "contains a non-ASCII character; the value is not shown"
        }
        if scalars.first == " " || scalars.last == " " {
            return "begins or ends with a space; remove it (the value is not shown)"
        }
        if value.utf8.count > limit {
            return "is longer than \(limit) bytes; the value is not shown"
        }
        return nil
    }
}

/// Where the API is, who we are, and how politely to talk to it.
public struct CleverTapConfiguration: Sendable {
    /// The API base URL, e.g. `https://eu1.api.clevertap.com` or the sandbox's `http://127.0.0.1:PORT`.
    public var baseURL: String
    public var credentials: CleverTapCredentials
    /// Seconds to establish a connection.
    public var connectTimeout: Double
    /// Seconds to wait for an answer once a request is sent.
    public var readTimeout: Double
    /// Creates and estimates per second (documented: 1).
    public var createRate: Double
    /// `targets/*` requests in flight at once (documented limit: 3).
    public var maxTargetsInFlight: Int
    /// Send requests per second (documented cap: 1000; the default keeps 2% below it).
    public var sendRate: Double
    /// Send requests in flight at once.
    public var sendConcurrency: Int
    /// Attempts for requests that are safe to retry (reads, and requests that provably never reached the server).
    public var maxAttempts: Int
    /// First backoff delay in seconds; it doubles per attempt, with jitter.
    public var backoff: Double
    /// Seconds to wait after a 429 without `Retry-After` (documented lockout: 10 minutes).
    public var lockoutWait: Double
    /// How many 429s in a row a single request waits out before giving up.
    public var maxRateLimitWaits: Int

    public init(
        baseURL: String, credentials: CleverTapCredentials, connectTimeout: Double = 10, readTimeout: Double = 30,
        createRate: Double = 1, maxTargetsInFlight: Int = 3, sendRate: Double = 980, sendConcurrency: Int = 32,
        maxAttempts: Int = 3, backoff: Double = 0.5, lockoutWait: Double = 600, maxRateLimitWaits: Int = 3
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.createRate = createRate
        self.maxTargetsInFlight = maxTargetsInFlight
        self.sendRate = sendRate
        self.sendConcurrency = sendConcurrency
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.lockoutWait = lockoutWait
        self.maxRateLimitWaits = maxRateLimitWaits
    }

    /// CleverTap's regions and their API hosts.
    public static let regions: [String: String] = [
        "eu1": "https://eu1.api.clevertap.com", "in1": "https://in1.api.clevertap.com",
        "sg1": "https://sg1.api.clevertap.com", "us1": "https://us1.api.clevertap.com",
        "aps3": "https://aps3.api.clevertap.com", "mec1": "https://mec1.api.clevertap.com",
    ]

    /// Longest API base URL accepted, in bytes.
    public static let maxURLBytes = 2048

    /// A configuration from environment variables: `CLEVERTAP_API_URL` (wins) or `CLEVERTAP_REGION` (default
    /// `eu1`), and the credentials from `CLEVERTAP_ACCOUNT_ID` / `CLEVERTAP_PASSCODE` — or from the variables an
    /// environment in `project.yaml` names. The credentials' values are checked
    /// (``CleverTapCredentials/validate(accountIDVariable:passcodeVariable:)``); errors name the variables, never
    /// the values.
    public static func fromEnvironment(
        _ environment: [String: String], region: String? = nil, apiURL: String? = nil,
        accountIDVariable: String = "CLEVERTAP_ACCOUNT_ID", passcodeVariable: String = "CLEVERTAP_PASSCODE"
    ) throws(CleverTapError) -> CleverTapConfiguration {
        let base: String
        if let url = environment["CLEVERTAP_API_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            base = try checkedURL(url, source: "CLEVERTAP_API_URL")
        } else if let apiURL {
            base = try checkedURL(apiURL, source: "the project.yaml environment's `api_url`")
        } else {
            let name = environment["CLEVERTAP_REGION"].flatMap({ $0.isEmpty ? nil : $0 }) ?? region ?? "eu1"
            guard let host = regions[name] else {
                throw CleverTapError(.configuration, "unknown CleverTap region `\(name)`; one of \(regions.keys.sorted().joined(separator: ", "))")
            }
            base = host
        }
        guard let account = environment[accountIDVariable], !account.isEmpty else {
            throw CleverTapError(.configuration, "\(accountIDVariable) is not set: export the CleverTap account id")
        }
        guard let passcode = environment[passcodeVariable], !passcode.isEmpty else {
            throw CleverTapError(.configuration, "\(passcodeVariable) is not set: export the CleverTap passcode")
        }
        let credentials = try CleverTapCredentials(
            validatingAccountID: account, passcode: passcode, accountIDVariable: accountIDVariable, passcodeVariable: passcodeVariable)
        return CleverTapConfiguration(baseURL: base, credentials: credentials)
    }

    /// Checks what a configuration made with the initializer holds: the base URL's form (http or https, a host, no
    /// credentials, query, fragment, whitespace or control characters, at most ``maxURLBytes``) and the credentials.
    /// ``CleverTapClient`` refuses every request of a configuration that fails this, before sending anything.
    public func validate() throws(CleverTapError) {
        _ = try Self.checkedURL(baseURL, source: "the API URL")
        try credentials.validate()
    }

    /// The base URL without anything between `//` and `@` (for messages and logs; a valid configuration has none).
    public var displayURL: String {
        guard let schemeEnd = baseURL.range(of: "://") else { return "<invalid URL>" }
        let rest = baseURL[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return baseURL }
        return String(baseURL[..<schemeEnd.upperBound]) + "<redacted>@" + String(rest[rest.index(after: at)...])
    }

    // MARK: checks

    /// The URL without a trailing `/`, if it is an http(s) URL with a host and nothing that does not belong in a
    /// base URL. Messages name `source`, and never repeat a URL that holds credentials or odd characters.
    static func checkedURL(_ url: String, source: String) throws(CleverTapError) -> String {
        guard url.utf8.count <= maxURLBytes else {
            throw CleverTapError(.configuration, "\(source) is longer than \(maxURLBytes) bytes")
        }
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw CleverTapError(.configuration, "\(source) contains whitespace, a control character or a non-ASCII character; the value is not shown")
        }
        let lower = url.lowercased()
        let schemeLength: Int
        if lower.hasPrefix("https://") { schemeLength = 8 } else if lower.hasPrefix("http://") { schemeLength = 7 } else {
            throw CleverTapError(.configuration, "\(source) must start with http:// or https://")
        }
        let rest = url.dropFirst(schemeLength)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            throw CleverTapError(.configuration, "\(source) contains credentials (user:password@ before the host); put credentials only in the credential variables, and remove them from the URL (it is not shown)")
        }
        if rest.contains("?") || rest.contains("#") {
            throw CleverTapError(.configuration, "\(source) has a query or a fragment (`?` or `#`); give the base URL only, e.g. https://eu1.api.clevertap.com")
        }
        guard host(of: url).map({ !$0.isEmpty }) == true else {
            throw CleverTapError(.configuration, "\(source) has no host")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// The host (lowercased, without port) of a URL that passed ``checkedURL(_:source:)``.
    static func host(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return String(authority[...close]).lowercased()
        }
        return String(authority.prefix { $0 != ":" }).lowercased()
    }
}

