/// How the sandbox behaves. Every rate limit and delay is a setting so tests can run fast and benchmarks can run
/// at the documented limits.
public struct SandboxConfiguration: Sendable {
    /// The one account accepted (`X-CleverTap-Account-Id`).
    public var accountID: String
    /// Its passcode (`X-CleverTap-Passcode`).
    public var passcode: String
    /// Sandbox seconds per real second: completion delays, schedules and lockouts run this much faster.
    public var timeScale: Double
    /// IANA zone in which `when` values are read.
    public var timezone: String
    /// Sandbox seconds from a campaign's start (creation for `now`, else its `when`) to its completion.
    public var completionDelay: Double
    /// Creates and estimates accepted per real second (the documented limit is 1).
    public var createRate: Double
    /// `targets/*` requests allowed in flight at once; one more triggers 429 and a lockout.
    public var maxConcurrentTargets: Int
    /// Sandbox seconds of lockout after the concurrency limit is broken (documented: 10 minutes).
    public var lockout: Double
    /// Send requests accepted per real second.
    public var sendRate: Int
    /// Real seconds a `targets/*` request takes to process (keeps concurrency observable).
    public var targetsLatency: Double
    /// Where to append the ledger as JSON lines, if anywhere.
    public var ledgerPath: String?
    /// Where to persist state across restarts, if anywhere.
    public var dataPath: String?
    /// Faults armed at start.
    public var faults: [FaultRule]
    /// The first campaign id handed out.
    public var firstID: Int
    /// Port to listen on (0 picks a free one); the sandbox binds 127.0.0.1 only.
    public var port: Int

    public init(
        accountID: String = "SANDBOX-ACCOUNT", passcode: String = "sandbox-passcode", timeScale: Double = 1,
        timezone: String = "UTC", completionDelay: Double = 60, createRate: Double = 1, maxConcurrentTargets: Int = 3,
        lockout: Double = 600, sendRate: Int = 1000, targetsLatency: Double = 0.02, ledgerPath: String? = nil,
        dataPath: String? = nil, faults: [FaultRule] = [], firstID: Int = 1_457_000_001, port: Int = 0
    ) {
        self.accountID = accountID
        self.passcode = passcode
        self.timeScale = timeScale
        self.timezone = timezone
        self.completionDelay = completionDelay
        self.createRate = createRate
        self.maxConcurrentTargets = maxConcurrentTargets
        self.lockout = lockout
        self.sendRate = sendRate
        self.targetsLatency = targetsLatency
        self.ledgerPath = ledgerPath
        self.dataPath = dataPath
        self.faults = faults
        self.firstID = firstID
        self.port = port
    }
}

/// A fault to inject into the next `count` requests of an endpoint.
public struct FaultRule: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Answer HTTP 500 before doing anything.
        case fail
        /// Perform the create or send, then close the connection without a complete answer.
        case commitThenDrop = "commit-then-drop"
        /// Wait `delay` real seconds, then handle normally.
        case delay
        /// Answer HTTP 200 with `"status":"fail"` (code 89) without doing anything.
        case statusFail = "status-fail"
    }

    /// The endpoint path, e.g. `/1/targets/create.json`.
    public var endpoint: String
    public var mode: Mode
    public var count: Int
    /// Real seconds, for `delay`.
    public var delay: Double

    public init(endpoint: String, mode: Mode, count: Int = 1, delay: Double = 0) {
        self.endpoint = endpoint
        self.mode = mode
        self.count = count
        self.delay = delay
    }

    /// Parses `ENDPOINT:MODE[:COUNT[:DELAY_SECONDS]]`, e.g. `/1/targets/create.json:fail:2`.
    public init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].hasPrefix("/"), let mode = Mode(rawValue: parts[1]) else { return nil }
        var count = 1
        var delay = 0.0
        if parts.count > 2 {
            guard let c = Int(parts[2]), c > 0 else { return nil }
            count = c
        }
        if parts.count > 3 {
            guard let d = Double(parts[3]), d >= 0 else { return nil }
            delay = d
        }
        guard parts.count <= 4 else { return nil }
        self.init(endpoint: parts[0], mode: mode, count: count, delay: delay)
    }
}
