import HTTPExchange

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

    /// The retry limits of one call: attempts after the first, the backoff, and the 429 waits.
    public var limits: CallAttempts.Limits {
        CallAttempts.Limits(retries: max(0, maxAttempts - 1), backoff: backoff, rateLimitWaits: maxRateLimitWaits, retryAfter: lockoutWait, maxWait: max(lockoutWait, 600))
    }

    /// CleverTap's regions and their API hosts.
    public static let regions: [String: String] = [
        "eu1": "https://eu1.api.clevertap.com", "in1": "https://in1.api.clevertap.com",
        "sg1": "https://sg1.api.clevertap.com", "us1": "https://us1.api.clevertap.com",
        "aps3": "https://aps3.api.clevertap.com", "mec1": "https://mec1.api.clevertap.com",
    ]

    /// CleverTap's own API hosts: every region's, and `api.clevertap.com` (Europe, the documented default).
    public static let cleverTapHosts: Set<String> = Set(regions.values.compactMap { $0.split(separator: "/").last.map(String.init) })
        .union(["api.clevertap.com"])

    /// Longest API base URL accepted, in bytes.
    public static let maxURLBytes = 2048

    /// A configuration from environment variables and the settings of a `project.yaml` environment.
    ///
    /// Where the API is, in order:
    /// 1. `CLEVERTAP_API_URL` (set by the runner, so trusted: any http(s) URL without credentials in it);
    /// 2. `apiURL`, an environment's `api_url` from `project.yaml` (repository content, so untrusted: it must be one of
    ///    CleverTap's hosts, ``cleverTapHosts``, unless `allowCustomURL`);
    /// 3. `CLEVERTAP_REGION`, else `region` (an environment's `region`), else `defaultRegion` (project.yaml's top-level
    ///    `region`), else `eu1`.
    ///
    /// The runner and the selected environment must not both choose the host: `CLEVERTAP_API_URL` with `apiURL` or
    /// `region`, and `CLEVERTAP_REGION` with `apiURL` or a different `region`, are configuration errors naming both.
    /// `defaultRegion` is only a default and gives way to either variable.
    ///
    /// The credentials come from `accountIDVariable` and `passcodeVariable` (by default `CLEVERTAP_ACCOUNT_ID` and
    /// `CLEVERTAP_PASSCODE`); an environment may name others, but only variables whose names start with
    /// `CLEVERTAP_`, so that repository content cannot send another secret of the runner (`GITHUB_TOKEN`…) to the
    /// API. Both values are checked (``CleverTapCredentials/validate(accountIDVariable:passcodeVariable:)``).
    ///
    /// Every error is `.configuration` (`CT-CONFIG`) and names variables and settings, never a credential's value or
    /// the credentials in a URL.
    public static func fromEnvironment(
        _ environment: [String: String], region: String? = nil, apiURL: String? = nil,
        accountIDVariable: String = "CLEVERTAP_ACCOUNT_ID", passcodeVariable: String = "CLEVERTAP_PASSCODE",
        defaultRegion: String? = nil, allowCustomURL: Bool = false
    ) throws(CleverTapError) -> CleverTapConfiguration {
        try checkVariableName(accountIDVariable, for: "account id")
        try checkVariableName(passcodeVariable, for: "passcode")
        guard accountIDVariable != passcodeVariable else {
            throw CleverTapError(.configuration, "the account id and the passcode are read from the same variable, \(passcodeVariable); name two different variables")
        }
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        let runnerURL = nonEmpty(environment["CLEVERTAP_API_URL"])
        let runnerRegion = nonEmpty(environment["CLEVERTAP_REGION"])
        let projectURL = nonEmpty(apiURL)
        let projectRegion = nonEmpty(region)

        if runnerURL != nil, projectURL != nil {
            throw CleverTapError(.configuration, "CLEVERTAP_API_URL and the project.yaml environment's `api_url` both set the API URL: unset CLEVERTAP_API_URL to use the environment's, or remove `api_url` from the environment (or select no environment)")
        }
        if runnerURL != nil, let projectRegion {
            throw CleverTapError(.configuration, "CLEVERTAP_API_URL and the project.yaml environment's `region` (\(displayRegion(projectRegion))) both choose the API host: unset CLEVERTAP_API_URL to use the region, or remove `region` from the environment (or select no environment)")
        }
        if runnerRegion != nil, projectURL != nil {
            throw CleverTapError(.configuration, "CLEVERTAP_REGION and the project.yaml environment's `api_url` both choose the API host: unset CLEVERTAP_REGION to use the environment's URL, or remove `api_url` from the environment")
        }
        if let runnerRegion, let projectRegion, runnerRegion != projectRegion {
            throw CleverTapError(.configuration, "CLEVERTAP_REGION (\(displayRegion(runnerRegion))) and the project.yaml environment's `region` (\(displayRegion(projectRegion))) disagree: unset CLEVERTAP_REGION, or make them the same")
        }

        let base: String
        if let runnerURL {
            base = try checkedURL(runnerURL, source: "CLEVERTAP_API_URL")
        } else if let projectURL {
            let checked = try checkedURL(projectURL, source: "the project.yaml environment's `api_url`")
            if isCleverTapURL(checked), let host = host(of: checked) {
                base = "https://" + host
            } else if allowCustomURL {
                base = checked
            } else {
                throw CleverTapError(.configuration, "the project.yaml environment's `api_url` (host \(host(of: checked) ?? "?")) is not one of CleverTap's API hosts (https://<region>.api.clevertap.com), and repository content may not send the credentials elsewhere: pass --allow-api-url, or have the runner set CAMPAIGN_ALLOW_API_URL=1 (or CLEVERTAP_API_URL)")
            }
        } else {
            let name = runnerRegion ?? projectRegion ?? nonEmpty(defaultRegion) ?? "eu1"
            guard let host = regions[name] else {
                throw CleverTapError(.configuration, "unknown CleverTap region \(displayRegion(name)); one of \(regions.keys.sorted().joined(separator: ", "))")
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
        let configuration = CleverTapConfiguration(baseURL: base, credentials: credentials)
        try configuration.validate()
        return configuration
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

    /// Variable names an environment may name for credentials: `CLEVERTAP_` and then letters, digits, `_`.
    static func checkVariableName(_ name: String, for what: String) throws(CleverTapError) {
        let prefix = "CLEVERTAP_"
        let simple = name.utf8.count <= 128 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        guard simple else {
            throw CleverTapError(.configuration, "the variable named for the \(what) is not a variable name (only letters, digits and `_`, at most 128); the \(what) must come from a variable whose name starts with CLEVERTAP_")
        }
        guard name.hasPrefix(prefix), name.count > prefix.count else {
            throw CleverTapError(.configuration, "the \(what) may only be read from a variable whose name starts with CLEVERTAP_ (such as CLEVERTAP_PROD_\(what == "passcode" ? "PASSCODE" : "ACCOUNT_ID")), not from \(name.isEmpty ? "an empty name" : name): rename the variable in the runner and in project.yaml")
        }
    }

    /// A region name as shown in a message: itself if it is a plain word, else a placeholder.
    private static func displayRegion(_ name: String) -> String {
        name.count <= 16 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
            ? "`\(name)`" : "(not shown: not a plain word)"
    }

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

    /// True for `https://<one of cleverTapHosts>` with no port and no path.
    static func isCleverTapURL(_ url: String) -> Bool {
        guard url.lowercased().hasPrefix("https://"), let host = host(of: url) else { return false }
        let authority = url.dropFirst(8)
        return cleverTapHosts.contains(host) && authority.count == host.count
    }
}
