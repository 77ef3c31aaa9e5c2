import Foundation
import JSON

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
    /// The account's custom control groups, by name (`control_group: {"type": "custom", "name": …}` must name one).
    public var customControlGroups: [String]
    /// The account's providers per channel (`target_mode` → nicknames) that `provider_nick_name` may name.
    public var providers: [String: [String]]
    /// The sandbox time at start (default: the real time), e.g. to accept documented examples scheduled in 2025.
    public var startTime: Date?

    public init(
        accountID: String = "SANDBOX-ACCOUNT", passcode: String = "sandbox-passcode", timeScale: Double = 1,
        timezone: String = "UTC", completionDelay: Double = 60, createRate: Double = 1, maxConcurrentTargets: Int = 3,
        lockout: Double = 600, sendRate: Int = 1000, targetsLatency: Double = 0.02, ledgerPath: String? = nil,
        dataPath: String? = nil, faults: [FaultRule] = [], firstID: Int = 1_457_000_001, port: Int = 0,
        customControlGroups: [String] = [], providers: [String: [String]] = [:], startTime: Date? = nil
    ) {
        self.customControlGroups = customControlGroups
        self.providers = providers
        self.startTime = startTime
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

    /// The largest `delay` a fault may have, in real seconds (an hour).
    public static let maxFaultDelay: Double = 3600
    /// The largest clock step or total manual advance, in sandbox seconds (about 100 years).
    public static let maxClockAdvance: Double = 3_153_600_000

    /// Checks every setting against bounds that keep the sandbox's arithmetic safe (no overflow, no trap on a
    /// conversion of a huge or non-finite number). Throws the first problem, naming the setting.
    public func validate() throws(SandboxError) {
        func finite(_ value: Double, _ name: String, _ range: ClosedRange<Double>) throws(SandboxError) {
            guard value.isFinite, range.contains(value) else {
                throw SandboxError("\(name) must be a number in \(Self.text(range.lowerBound))...\(Self.text(range.upperBound))")
            }
        }
        guard (0...65535).contains(port) else { throw SandboxError("port must be 0...65535") }
        try finite(timeScale, "time scale", 0.001...1_000_000)
        try finite(completionDelay, "completion delay", 0...315_360_000)
        try finite(createRate, "create rate", 0...1_000_000)
        try finite(lockout, "lockout", 0...31_536_000)
        try finite(targetsLatency, "targets latency", 0...60)
        guard (1...1_000_000).contains(maxConcurrentTargets) else { throw SandboxError("max concurrent targets must be 1...1000000") }
        guard (1...1_000_000).contains(sendRate) else { throw SandboxError("send rate must be 1...1000000") }
        guard firstID >= 1 else { throw SandboxError("the first id must be at least 1") }
        for mode in providers.keys where !SandboxValidation.targetModes.contains(mode) {
            throw SandboxError("provider channel \(mode) must be one of " + SandboxValidation.targetModes.sorted().joined(separator: ", "))
        }
        if let startTime, !(0...253_402_300_799).contains(startTime.timeIntervalSince1970) {
            throw SandboxError("start time must be between 1970 and 9999")
        }
        for fault in faults {
            if let problem = fault.problem { throw SandboxError("fault \(fault.endpoint): \(problem)") }
        }
    }

    private static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
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
        /// Answer HTTP 200 with `{"status":"success"}` and none of the endpoint's other members, without doing
        /// anything (a malformed success, such as a `result.json` without `result`).
        case emptySuccess = "empty-success"
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

    /// Why this fault could never fire as meant (an unknown endpoint, no count, a delay that is missing, out of
    /// bounds or given to a mode without one), or nil.
    public var problem: String? {
        guard SandboxEndpoint.all.contains(endpoint) else {
            return "unknown endpoint; one of " + SandboxEndpoint.all.joined(separator: ", ")
        }
        guard count >= 1 else { return "count must be at least 1" }
        guard delay.isFinite, delay >= 0, delay <= SandboxConfiguration.maxFaultDelay else {
            return "delay must be 0...\(Int(SandboxConfiguration.maxFaultDelay)) seconds"
        }
        if mode == .delay, delay <= 0 { return "mode delay needs a delay" }
        if mode != .delay, delay != 0 { return "only mode delay takes a delay" }
        return nil
    }

    /// Parses `ENDPOINT:MODE[:COUNT[:DELAY_SECONDS]]`, e.g. `/1/targets/create.json:fail:2`; `delay` needs
    /// `DELAY_SECONDS` (at most 3600), and no other mode takes it. Nil for anything that could not fire as written.
    public init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...4).contains(parts.count), let mode = Mode(rawValue: parts[1]) else { return nil }
        var count = 1
        var delay = 0.0
        if parts.count > 2 {
            guard let c = Int(parts[2]) else { return nil }
            count = c
        }
        if parts.count > 3 {
            guard let d = Double(parts[3]) else { return nil }
            delay = d
        }
        self.init(endpoint: parts[0], mode: mode, count: count, delay: delay)
        if problem != nil { return nil }
    }

    /// Parses the body of `POST /_sandbox/faults`: `{"endpoint", "mode", "count"?, "delay_ms"?}`, strictly (every
    /// member of the right type, no others; `delay_ms` an integer 1...3600000, required for and only for `delay`).
    public static func parse(json body: JSONValue) -> Result<FaultRule, SandboxError> {
        guard let members = body.objectValue else { return .failure(SandboxError("expected a JSON object")) }
        let allowed: Set = ["endpoint", "mode", "count", "delay_ms"]
        if let unknown = members.first(where: { !allowed.contains($0.0) }) {
            return .failure(SandboxError("unknown member `\(unknown.0)`; expected endpoint, mode, count, delay_ms"))
        }
        guard let endpoint = body["endpoint"]?.stringValue else { return .failure(SandboxError("`endpoint` (a string) is required")) }
        guard let modeText = body["mode"]?.stringValue else { return .failure(SandboxError("`mode` (a string) is required")) }
        guard let mode = Mode(rawValue: modeText) else {
            return .failure(SandboxError("unknown mode; one of " + Mode.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        var count = 1
        if let value = body["count"] {
            guard let c = value.intValue else { return .failure(SandboxError("`count` must be an integer")) }
            count = c
        }
        var delay = 0.0
        if let value = body["delay_ms"] {
            guard let ms = value.intValue, (0...Int(SandboxConfiguration.maxFaultDelay) * 1000).contains(ms) else {
                return .failure(SandboxError("`delay_ms` must be an integer 0...\(Int(SandboxConfiguration.maxFaultDelay) * 1000)"))
            }
            delay = Double(ms) / 1000
        }
        let fault = FaultRule(endpoint: endpoint, mode: mode, count: count, delay: delay)
        if let problem = fault.problem { return .failure(SandboxError(problem)) }
        return .success(fault)
    }
}
