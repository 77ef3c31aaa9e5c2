import CampaignDeploy
import CampaignEngine
import CleverTapClient
import Foundation

/// CleverTap behind the engine's ``ProviderRuntime``: the client's calls, and what the listings tell when an
/// outcome is unknown. Ids are CleverTap's integers, as text.
public struct CleverTapRuntime: ProviderRuntime {
    public let client: CleverTapClient
    private let rules = CleverTapRules()

    public init(client: CleverTapClient) {
        self.client = client
    }

    public var name: String { rules.name }

    /// `sha256("clevertap:" + account id)`, shortened: enough to tell accounts apart, nothing to learn the id from.
    public var account: String {
        String(ContentHash.sha256(Array(("clevertap:" + client.configuration.credentials.accountID).utf8)).prefix(16))
    }
    public func rules(for kind: String) -> KindRules? { rules.rules(for: kind) }
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { rules.isQueried(record, refresh: refresh) }
    public func summary(of record: StateRecord) -> String? { rules.summary(of: record) }

    static func failure(_ error: CleverTapError, hint: String? = nil) -> ProviderFailure {
        ProviderFailure(code: error.code, message: error.description, hint: hint)
    }

    static func number(_ id: String?) -> Int? { id.flatMap { Int($0) } }

    /// `YYYYMMDD` (UTC) of an ISO 8601 time, such as an intent's start.
    static func day(_ iso: String?) -> Int? {
        guard let iso, let date = try? Date(iso, strategy: .iso8601) else { return nil }
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(secondsFromGMT: 0) ?? .current, from: date)
        guard let year = c.year, let month = c.month, let day = c.day else { return nil }
        return year * 10_000 + month * 100 + day
    }

    /// The day a record's campaign is listed under: its scheduled date, else the day it was created.
    static func listedDay(_ record: StateRecord) -> Int {
        let valid = 1_0101...9999_1231
        let scheduled = record.facts[fact: "scheduled_date"].flatMap { Int($0) }.flatMap { valid.contains($0) ? $0 : nil }
        return scheduled ?? day(record.intent?.startedAt) ?? day(record.createdAt) ?? day(Date().formatted(.iso8601)) ?? 19700101
    }

    public func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] {
        var live: [String: LiveStatus] = [:]
        for (key, record) in records.sorted(by: { $0.key < $1.key }) {
            guard let id = Self.number(record.id) else { continue }
            do {
                switch try await client.result(id: id) {
                case .completed(let sent, let clicked): live[key] = .completed(facts: [Fact("sent", String(sent)), Fact("clicked", String(clicked))])
                case .notCompleted: live[key] = .notCompleted
                }
            } catch {
                // Say which campaign: a record whose id the API does not know would otherwise block every plan.
                throw ProviderFailure(
                    code: error.code, message: "campaign `\(key)` (id \(id)): \(error.description)",
                    hint: error.kind == .apiFailure || error.kind == .invalidResponse
                        ? "if that campaign no longer exists at CleverTap, `campaign state forget \(key)` drops its record (see it first with `campaign state show \(key)`)"
                        : error.kind == .unauthorized ? "check the account id and passcode variables" : nil)
            }
        }
        // Drift: stopped at CleverTap while state says scheduled.
        let pending = records.filter { live[$0.key] == .notCompleted }
        if !pending.isEmpty {
            let days = pending.values.map(Self.listedDay)
            let listed: [TargetSummary]
            do {
                listed = try await client.listCampaigns(from: (days.min() ?? 19700101) - 1, to: (days.max() ?? 20991231) + 1)
            } catch {
                throw Self.failure(error)
            }
            let stopped = Set(listed.filter { $0.status == "stopped" }.map { String($0.id) })
            for (key, record) in pending where record.id.map(stopped.contains) == true { live[key] = .stoppedOutside }
        }
        return live
    }

    public func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? {
        guard let id = Self.number(record.id) else { return (ProviderFailure(code: "A010", message: "no campaign id in state"), nil) }
        let day = Self.listedDay(record)
        let listed: [TargetSummary]
        do {
            listed = try await client.listCampaigns(from: day - 1, to: day + 1)
        } catch {
            return (ProviderFailure(code: error.code, message: "reading campaign \(id)'s status before replacing it: \(error.description); nothing was changed"), nil)
        }
        guard let status = listed.first(where: { $0.id == id })?.status else {
            return (ProviderFailure(code: "A011", message: "campaign \(id) is not in CleverTap's listing for its date; not replaced (nothing was changed)"), nil)
        }
        if status == "pending" || status == "scheduled" { return nil }
        let observed: LiveStatus? = status == "completed" ? .completed(facts: []) : status == "stopped" ? .stoppedOutside : nil
        return (ProviderFailure(
            code: "A012",
            message: "campaign \(id) is \(status) at CleverTap (the local clock said it starts later); not replaced: a delivered campaign is immutable, give it a new `key`"),
                observed)
    }

    /// A mutation's error as an outcome: only an answer that says nothing happened is a failure that may be made
    /// again; a lost or garbled answer leaves the outcome unknown.
    static func outcome(of error: CleverTapError) -> StepOutcome {
        switch error.kind {
        case .outcomeUnknown, .invalidResponse: .unknown(failure(error))
        default: .failed(failure(error), neverSent: true)
        }
    }

    public func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        do {
            switch step {
            case .create(let request):
                let created = try await client.createCampaign(request.body)
                return .done(id: String(created.id), facts: [])
            case .stop:
                guard let id = Self.number(record?.id) else { return .failed(ProviderFailure(code: "A010", message: "no campaign id in state"), neverSent: true) }
                try await client.stopCampaign(id: id)
                return .done(id: nil, facts: [])
            case .deliver(let request):
                try await client.send(path: request.path, body: request.body)
                return .done(id: nil, facts: [])
            case .update:
                return .failed(ProviderFailure(code: "A013", message: "CleverTap campaigns cannot be updated in place"), neverSent: true)
            }
        } catch {
            return Self.outcome(of: error)
        }
    }

    public func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding {
        let pending = record.intent?.action ?? (record.kind == CleverTapRules.scheduled ? .create : .send)
        switch pending {
        case .send, .update:
            if record.intent?.batches ?? 1 > 1 {
                return .cannotTell("the outcome of two send batches cannot be looked up (the second left only if the first was answered); use `campaign state resolve KEY --sent` (both went out), `--first-sent` or `--not-created`")
            }
            return .cannotTell("a send batch's outcome cannot be looked up; use `campaign state resolve KEY --sent` or `--not-created`")
        case .create, .stop:
            let day = Self.listedDay(record)
            let listed: [TargetSummary]
            do { listed = try await client.listCampaigns(from: day - 1, to: day + 1) } catch { throw Self.failure(error) }
            func status(_ text: String) -> RecordStatus { text == "stopped" ? .stopped : text == "completed" ? .completed : .scheduled }
            if pending == .stop {
                guard let id = record.id, let found = listed.first(where: { String($0.id) == id }) else { return .absent }
                return .found(id: id, status: status(found.status), facts: [])
            }
            let adopted = Set(others.values.compactMap { $0.provider == CleverTapRules.name ? $0.id : nil })
            let scheduledDay = record.facts[fact: "scheduled_date"].flatMap { Int($0) }
            let matches = listed.filter { item in
                item.name == record.name && !adopted.contains(String(item.id))
                    && (record.startsAt == nil || scheduledDay == nil || item.scheduledOn / 10_000 == scheduledDay! || item.scheduledOn == scheduledDay!)
            }
            if matches.count == 1, let found = matches.first { return .found(id: String(found.id), status: status(found.status), facts: []) }
            if matches.count > 1 { return .ambiguous(matches.map { String($0.id) }) }
            return .absent
        }
    }

    public func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] {
        do {
            return try await client.estimate(request.body).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } catch {
            throw Self.failure(error)
        }
    }

    public func shutdown() async { await client.shutdown() }
}
