import Foundation
import JSON
import SandboxLedger

/// The sandbox's account: campaigns, ledger, rate-limit counters and armed faults. An actor, so every request sees
/// a consistent state; waiting (latency, delays) happens outside it so concurrency is real.
public actor SandboxState {
    let configuration: SandboxConfiguration
    private var clock: SandboxClock
    private let wallClock: WallClock
    private var campaigns: [Int: SandboxCampaign] = [:]
    /// The ledger, shared with the other providers' halves of the sandbox (CleverTap's entries: `"provider":
    /// "clevertap"`).
    public nonisolated let ledger: SandboxLedger
    /// What CleverTap's ledger entries say they are.
    public static let provider = "clevertap"
    private var nextID: Int
    private var faults: [String: [FaultRule]] = [:]
    /// The custom control groups and providers requests may name (made once: sends run at 1000/s).
    private let account: SandboxValidation.Account

    // Rate limiting (real time).
    private var targetsInFlight = 0
    private var lockoutUntil: ContinuousClock.Instant?
    private var lastCreate: ContinuousClock.Instant?
    private var sendWindow: [ContinuousClock.Instant] = []
    private var sendWindowStart = 0

    /// Requests answered 429, by endpoint (for tests and benchmarks).
    public private(set) var rejected: [String: Int] = [:]
    /// Requests seen, by endpoint.
    public private(set) var requests: [String: Int] = [:]
    /// Most `targets/*` requests seen in flight at once.
    public private(set) var peakTargetsInFlight = 0

    /// The account `configuration` describes; its accepted changes go to `ledger` (by default a ledger of its own,
    /// appending to ``SandboxConfiguration/ledgerPath``).
    public init(configuration: SandboxConfiguration, ledger: SandboxLedger? = nil) throws {
        try configuration.validate()
        self.ledger = ledger ?? SandboxLedger(path: configuration.ledgerPath)
        guard let wallClock = WallClock(identifier: configuration.timezone) else {
            throw SandboxError("unknown time zone \(configuration.timezone)")
        }
        self.configuration = configuration
        self.account = SandboxValidation.Account(
            customControlGroups: Set(configuration.customControlGroups), providers: configuration.providers.mapValues { Set($0) })
        self.wallClock = wallClock
        self.clock = SandboxClock(scale: configuration.timeScale, start: configuration.startTime ?? Date())
        self.nextID = configuration.firstID
        for fault in configuration.faults { faults[fault.endpoint, default: []].append(fault) }
        if let path = configuration.dataPath, FileManager.default.fileExists(atPath: path) {
            let snapshot = try Self.loadSnapshot(from: path)
            nextID = max(nextID, snapshot.nextID)
            campaigns = snapshot.campaigns
            self.ledger.restore(snapshot.ledger, provider: Self.provider)
        }
    }

    // MARK: admission

    /// What happens to a request before it is processed.
    enum Admission: Sendable {
        case reject(SandboxResponse)
        /// Go ahead, after waiting `wait` real seconds; `fault` says how to misbehave.
        case admit(wait: Double, fault: FaultRule.Mode?)
    }

    func admit(endpoint: String, accountID: String?, passcode: String?) -> Admission {
        requests[endpoint, default: 0] += 1
        guard accountID == configuration.accountID, passcode == configuration.passcode else {
            return .reject(.unauthorized)
        }
        let now = ContinuousClock.now
        if SandboxEndpoint.isTargets(endpoint) {
            if let until = lockoutUntil, now < until {
                return reject429(endpoint, retryAfter: Int(seconds(until - now).rounded(.up)), concurrent: true)
            }
            if targetsInFlight >= configuration.maxConcurrentTargets {
                lockoutUntil = now + .milliseconds(Int64(clock.real(configuration.lockout) * 1000))
                return reject429(endpoint, retryAfter: Int(clock.real(configuration.lockout).rounded(.up)), concurrent: true)
            }
            if endpoint == SandboxEndpoint.create, configuration.createRate > 0 {
                let interval = 1 / configuration.createRate
                if let last = lastCreate, seconds(now - last) < interval * 0.95 {
                    return reject429(endpoint, retryAfter: Int((interval - seconds(now - last)).rounded(.up)))
                }
                lastCreate = now
            }
            targetsInFlight += 1
            peakTargetsInFlight = max(peakTargetsInFlight, targetsInFlight)
        } else if SandboxEndpoint.isSend(endpoint) {
            let windowStart = now - .seconds(1)
            while sendWindowStart < sendWindow.count, sendWindow[sendWindowStart] < windowStart { sendWindowStart += 1 }
            if sendWindowStart > 4096 {
                sendWindow.removeFirst(sendWindowStart)
                sendWindowStart = 0
            }
            if sendWindow.count - sendWindowStart >= configuration.sendRate {
                return reject429(endpoint, retryAfter: 1)
            }
            sendWindow.append(now)
        }
        var fault: FaultRule.Mode?
        var wait = SandboxEndpoint.isTargets(endpoint) ? configuration.targetsLatency : 0
        if var queue = faults[endpoint], !queue.isEmpty {
            fault = queue[0].mode
            if queue[0].mode == .delay { wait += queue[0].delay }
            queue[0].count -= 1
            if queue[0].count <= 0 { queue.removeFirst() }
            faults[endpoint] = queue
        }
        return .admit(wait: wait, fault: fault)
    }

    /// Ends an admitted request (counts `targets/*` in flight).
    func finish(endpoint: String) {
        if SandboxEndpoint.isTargets(endpoint) { targetsInFlight -= 1 }
    }

    private func reject429(_ endpoint: String, retryAfter: Int, concurrent: Bool = false) -> Admission {
        rejected[endpoint, default: 0] += 1
        return .reject(.tooManyRequests(retryAfter: retryAfter, concurrent: concurrent))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: processing

    /// Performs an admitted request.
    func process(endpoint: String, body bytes: [UInt8]) -> SandboxResponse {
        guard let body = try? JSONParser(maxDepth: 64).parse(bytes), body.objectValue != nil else { return .invalidJSON }
        switch endpoint {
        case SandboxEndpoint.create: return create(body)
        case SandboxEndpoint.stop: return stop(body)
        case SandboxEndpoint.result: return result(body)
        case SandboxEndpoint.list: return list(body)
        default: return send(endpoint, body)
        }
    }


    /// When a create starts, or why it is refused.
    enum Start {
        case at(Date)
        case refused(SandboxResponse)
    }

    /// When a create's `when` starts it: `now`, a `YYYYMMDD HH:MM` ahead, or the object form's first time ahead
    /// (every time must be ahead; the user's time zone is read as the sandbox's zone). A failure otherwise.
    private func start(of when: JSONValue?, now: Date) -> Start {
        let invalid = SandboxResponse.fail(400, "Field when is invalid (expected now or YYYYMMDD HH:MM)", code: 400)
        let past = SandboxResponse.fail(400, "Field when is in the past", code: 400)
        if let text = when?.stringValue {
            if text == "now" { return .at(now) }
            guard let date = wallClock.date(fromWhen: text) else { return .refused(invalid) }
            return date > now ? .at(date) : .refused(past)
        }
        let texts = when?["delivery_date_time"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var dates: [Date] = []
        for text in texts {
            guard let date = wallClock.date(fromWhen: text) else { return .refused(invalid) }
            guard date > now else { return .refused(past) }
            dates.append(date)
        }
        if when?["type"]?.stringValue == "now" || dates.isEmpty { return .at(now) }
        return .at(dates.min() ?? now)
    }

    private func create(_ body: JSONValue) -> SandboxResponse {
        if let problem = SandboxValidation.createProblem(body, account: account) { return problem }
        let now = clock.now
        let startsAt: Date
        switch start(of: body["when"], now: now) {
        case .at(let date): startsAt = date
        case .refused(let problem): return problem
        }
        // Estimates per device (push, web push); email and SMS reach people: one estimate under the channel's name.
        let mode = SandboxValidation.targetMode(body) ?? "push"
        let devices = mode == "push" || mode == "webpush" ? body["devices"]?.arrayValue?.compactMap(\.stringValue) ?? [] : [mode]
        let estimates = SandboxCampaign.estimates(where: body["where"] ?? .object([]), devices: devices)
        // `skip_estimate: true`: created at once, with empty estimates in the answer.
        let skip = body["skip_estimate"]?.boolValue == true && body["estimate_only"]?.boolValue != true
        let estimatesJSON = JSONValue.object(skip ? [] : estimates.map { ($0.0, .int($0.1)) })
        if body["estimate_only"]?.boolValue == true {
            return .success([("estimates", estimatesJSON)])
        }
        // Checked: an id space that ends (a `--first-id` near Int.max) answers an error rather than trapping.
        guard nextID < Int.max else {
            return .fail(500, "No campaign ids left (the sandbox's last id was handed out)", code: 500)
        }
        let id = nextID
        nextID += 1
        campaigns[id] = SandboxCampaign(
            id: id, name: body["name"]?.stringValue ?? "", body: body, createdAt: now, startsAt: startsAt,
            completesAt: startsAt.addingTimeInterval(configuration.completionDelay), stoppedAt: nil, estimates: estimates,
            scheduledOn: wallClock.stamp(startsAt))
        record(SandboxEndpoint.create, body, id: id, at: now)
        return .success([("id", .int(id)), ("estimates", estimatesJSON)])
    }

    private func campaignID(_ body: JSONValue) -> Int? { body["id"]?.intValue }

    private func stop(_ body: JSONValue) -> SandboxResponse {
        guard let id = campaignID(body) else { return .fail(400, "Field id is empty", code: 400) }
        guard var campaign = campaigns[id] else { return .fail(400, "Campaign \(id) not found", code: 400) }
        let now = clock.now
        switch campaign.status(at: now) {
        case .stopped: return .success()
        case .completed: return .fail(400, "Campaign \(id) has already completed", code: 400)
        case .pending, .running:
            campaign.stoppedAt = now
            campaigns[id] = campaign
            record(SandboxEndpoint.stop, body, id: id, at: now)
            return .success()
        }
    }

    private func result(_ body: JSONValue) -> SandboxResponse {
        guard let id = campaignID(body) else { return .fail(400, "Field id is empty", code: 400) }
        guard let campaign = campaigns[id] else { return .fail(400, "Campaign \(id) not found", code: 400) }
        guard campaign.status(at: clock.now) == .completed else {
            return .fail(200, "This target hasn't been completed", code: nil)
        }
        let stats = campaign.stats
        return .success([("result", .object([("sent", .int(stats.sent)), ("clicked", .int(stats.clicked))]))])
    }

    private func list(_ body: JSONValue) -> SandboxResponse {
        guard let from = body["from"]?.intValue, let to = body["to"]?.intValue else {
            return .fail(400, "Fields from and to are required (YYYYMMDD)", code: 400)
        }
        let now = clock.now
        let targets = campaigns.values
            .filter { (from...max(from, to)).contains($0.scheduledOn / 10_000) }
            .sorted { $0.id < $1.id }
            .map { campaign -> JSONValue in
                .object([
                    ("id", .int(campaign.id)), ("name", .string(campaign.name)),
                    ("scheduled_on", .int(campaign.scheduledOn)), ("status", .string(campaign.status(at: now).rawValue)),
                ])
            }
        return .success([("targets", .array(targets))])
    }

    private func send(_ endpoint: String, _ body: JSONValue) -> SandboxResponse {
        if let problem = SandboxValidation.sendProblem(endpoint, body, account: account) { return problem }
        record(endpoint, body, id: nil, at: clock.now)
        return .success([("message", .string("Added to queue for processing"))])
    }

    // MARK: ledger and persistence

    private func record(_ endpoint: String, _ body: JSONValue, id: Int?, at time: Date) {
        var fields: [(String, JSONValue)] = [("time", .string(time.formatted(.iso8601))), ("endpoint", .string(endpoint))]
        if let id { fields.append(("id", .int(id))) }
        fields.append(("body", body))
        ledger.append(provider: Self.provider, fields: fields)
        if let path = configuration.dataPath { save(to: path) }
    }

    /// Every accepted change of every provider, in order (`{"entries": [{"seq", "provider", …}]}`); CleverTap's
    /// entries are its accepted creates, sends and stops (`seq`, `provider`, `time`, `endpoint`, `id`, `body`).
    public func ledgerJSON() -> JSONValue {
        .object([("entries", .array(ledger.entries()))])
    }

    /// Counts of CleverTap's ledger entries by endpoint.
    public func ledgerCounts() -> [String: Int] {
        ledger.entries(provider: Self.provider).reduce(into: [:]) { counts, entry in
            if let endpoint = entry["endpoint"]?.stringValue { counts[endpoint, default: 0] += 1 }
        }
    }

    /// Arms a fault; throws if it could never fire as meant (see ``FaultRule/problem``).
    public func addFault(_ fault: FaultRule) throws(SandboxError) {
        if let problem = fault.problem { throw SandboxError(problem) }
        faults[fault.endpoint, default: []].append(fault)
    }

    /// Disarms every fault.
    public func clearFaults() { faults = [:] }

    /// Moves sandbox time forward by `seconds` (finite, not negative); false, and nothing changes, if that would
    /// take the total manual advance beyond ``SandboxConfiguration/maxClockAdvance``.
    @discardableResult
    public func advanceClock(by seconds: Double) -> Bool {
        guard seconds.isFinite, seconds >= 0, clock.advanced + seconds <= SandboxConfiguration.maxClockAdvance else { return false }
        clock.advanced += seconds
        return true
    }

    /// The current sandbox time.
    public func now() -> Date { clock.now }

    /// Counters for tests and benchmarks.
    public func statsJSON() -> JSONValue {
        .object([
            ("requests", .object(requests.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("rejected_429", .object(rejected.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("peak_targets_in_flight", .int(peakTargetsInFlight)),
            ("sandbox_time", .string(clock.now.formatted(.iso8601))),
        ])
    }

    private func save(to path: String) {
        let snapshot = JSONValue.object([
            ("next_id", .int(nextID)),
            ("campaigns", .array(campaigns.values.sorted { $0.id < $1.id }.map { c in
                .object([
                    ("id", .int(c.id)), ("name", .string(c.name)), ("body", c.body),
                    ("created_at", .number(String(c.createdAt.timeIntervalSince1970))),
                    ("starts_at", .number(String(c.startsAt.timeIntervalSince1970))),
                    ("completes_at", .number(String(c.completesAt.timeIntervalSince1970))),
                    ("stopped_at", c.stoppedAt.map { .number(String($0.timeIntervalSince1970)) } ?? .null),
                    ("estimates", .object(c.estimates.map { ($0.0, .int($0.1)) })),
                    ("scheduled_on", .int(c.scheduledOn)),
                ])
            })),
            ("ledger", .array(ledger.entries())),
        ])
        let temporary = path + ".tmp"
        do {
            try Data(JSONWriter(indent: nil).bytes(snapshot)).write(to: URL(fileURLWithPath: temporary))
            // rename(2) replaces the old snapshot atomically.
            guard rename(temporary, path) == 0 else { return }
        } catch {
            // Persistence is best effort; the in-memory state stays authoritative.
        }
    }

    private static func loadSnapshot(from path: String) throws -> (nextID: Int, campaigns: [Int: SandboxCampaign], ledger: [JSONValue]) {
        var campaigns: [Int: SandboxCampaign] = [:]
        let ledger: [JSONValue]
        guard let data = FileManager.default.contents(atPath: path) else { return (0, campaigns, []) }
        let snapshot = try JSONParser().parse([UInt8](data))
        let nextID = snapshot["next_id"]?.intValue ?? 0
        for item in snapshot["campaigns"]?.arrayValue ?? [] {
            guard let id = item["id"]?.intValue else { continue }
            func date(_ key: String) -> Date? { item[key]?.doubleValue.map(Date.init(timeIntervalSince1970:)) }
            campaigns[id] = SandboxCampaign(
                id: id, name: item["name"]?.stringValue ?? "", body: item["body"] ?? .null,
                createdAt: date("created_at") ?? Date(), startsAt: date("starts_at") ?? Date(),
                completesAt: date("completes_at") ?? Date(), stoppedAt: date("stopped_at"),
                estimates: (item["estimates"]?.objectValue ?? []).map { ($0.0, $0.1.intValue ?? 0) },
                scheduledOn: item["scheduled_on"]?.intValue ?? 0)
        }
        ledger = snapshot["ledger"]?.arrayValue ?? []
        return (nextID, campaigns, ledger)
    }
}

/// A problem starting the sandbox.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
