import CampaignEngine
import CleverTapClient
import Foundation
import JSON

/// What happened during an apply.
public struct ApplyReport: Sendable {
    public var done: [String] = []
    /// Keys whose request failed, with why.
    public var failed: [(key: String, message: String)] = []
    /// Keys left `unknown`: a request whose outcome is not known.
    public var unknown: [(key: String, message: String)] = []
    /// True when the run was interrupted before finishing.
    public var interrupted = false

    public var succeeded: Bool { failed.isEmpty && unknown.isEmpty && !interrupted }
}

/// Progress events for the user interface.
public enum ApplyEvent: Sendable {
    case started(key: String, action: ActionKind, requests: Int)
    case request(key: String, done: Int, total: Int)
    case finished(key: String, action: ActionKind, outcome: String)
}

/// Carries out a plan: records an intent (fsynced) before every create, send batch and stop, makes the request,
/// records the outcome. A request with an unknown outcome leaves its key `unknown`.
public struct Applier: Sendable {
    public let client: CleverTapClient
    public let journal: StateJournal
    public let events: @Sendable (ApplyEvent) -> Void
    public let isCancelled: @Sendable () -> Bool

    public init(client: CleverTapClient, journal: StateJournal, events: @escaping @Sendable (ApplyEvent) -> Void = { _ in },
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.client = client
        self.journal = journal
        self.events = events
        self.isCancelled = isCancelled
    }

    public func apply(_ plan: Plan) async -> ApplyReport {
        var report = ApplyReport()
        // What live data taught us (completions, drift) is recorded first.
        do {
            try await journal.updateAll { state in
                for (key, status) in plan.observations {
                    guard var record = state.campaigns[key], record.intent == nil else { continue }
                    switch status {
                    case .completed(let sent, let clicked):
                        record.status = .completed
                        record.stats = (sent, clicked)
                    case .stoppedOutside: record.status = .stopped
                    case .notCompleted: continue
                    }
                    record.updatedAt = StateJournal.timestamp()
                    state.campaigns[key] = record
                }
            }
        } catch {
            report.failed.append(("(state)", error.description))
            return report
        }
        for action in plan.actions where action.kind.isChange {
            if isCancelled() {
                report.interrupted = true
                break
            }
            events(.started(key: action.key, action: action.kind, requests: action.requests.count))
            let outcome = await perform(action)
            switch outcome {
            case .done(let text):
                report.done.append(action.key)
                events(.finished(key: action.key, action: action.kind, outcome: text))
            case .failed(let message):
                report.failed.append((action.key, message))
                events(.finished(key: action.key, action: action.kind, outcome: "failed: \(message)"))
            case .unknown(let message):
                report.unknown.append((action.key, message))
                events(.finished(key: action.key, action: action.kind, outcome: "unknown: \(message)"))
            case .interrupted:
                report.interrupted = true
                events(.finished(key: action.key, action: action.kind, outcome: "interrupted"))
            }
            if report.interrupted { break }
        }
        return report
    }

    enum Outcome {
        case done(String)
        case failed(String)
        case unknown(String)
        case interrupted
    }

    private func perform(_ action: PlanAction) async -> Outcome {
        do {
            switch action.kind {
            case .forget:
                try await journal.update(action.key) { $0 = nil }
                return .done("forgotten")
            case .move:
                guard let from = action.movedFrom else { return .failed("no source key") }
                try await journal.updateAll { state in
                    guard var record = state.campaigns[from] else { return }
                    if let facts = action.facts {
                        record.file = facts.file
                        record.name = facts.name
                        record.project = facts.project
                    }
                    record.updatedAt = StateJournal.timestamp()
                    state.campaigns[from] = nil
                    state.campaigns[action.key] = record
                }
                return .done("moved from \(from)")
            case .stop:
                return try await stop(action.key, id: action.id)
            case .create:
                return try await create(action, replacing: false)
            case .replace:
                // The plan's "still ahead" rests on the local clock: the provider's word is taken before stopping.
                if let refusal = await pendingAtProvider(action.key, id: action.id) { return refusal }
                switch try await stop(action.key, id: action.id) {
                case .done: return try await create(action, replacing: true)
                case let other: return other
                }
            case .send:
                return try await send(action)
            case .noChange, .refused, .kept:
                return .done("nothing to do")
            }
        } catch {
            return .failed("state: \(error.description)")
        }
    }

    private func stop(_ key: String, id: Int?) async throws(DeployError) -> Outcome {
        guard let id else { return .failed("no campaign id in state") }
        let before = await journal.state.campaigns[key]?.status ?? .scheduled
        try await journal.update(key) { record in
            record?.intent = Intent(action: .stop, startedAt: StateJournal.timestamp())
            record?.status = .unknown
        }
        Failpoint.hit(.afterIntent)
        do {
            try await client.stopCampaign(id: id)
        } catch {
            return try await settle(key, error: error, restore: before)
        }
        Failpoint.hit(.afterSend)
        try await journal.update(key) { record in
            record?.intent = nil
            record?.status = .stopped
            record?.updatedAt = StateJournal.timestamp()
            Failpoint.hit(.afterResponse)
        }
        Failpoint.hit(.afterSave)
        return .done("stopped \(id)")
    }

    /// nil when the campaign `id` is still pending at the provider (so it may be replaced); otherwise why not, and
    /// the record is left as it is (a completed campaign is recorded as such).
    private func pendingAtProvider(_ key: String, id: Int?) async -> Outcome? {
        guard let id else { return .failed("no campaign id in state") }
        let record = await journal.state.campaigns[key]
        let date = record?.scheduledDate ?? Self.today()
        let listed: [TargetSummary]
        do {
            listed = try await client.listCampaigns(from: date - 1, to: date + 1)
        } catch {
            return .failed("\(error.code): reading campaign \(id)'s status before replacing it: \(error.description); nothing was changed")
        }
        guard let status = listed.first(where: { $0.id == id })?.status else {
            return .failed("campaign \(id) is not in CleverTap's listing for its date; not replaced (nothing was changed)")
        }
        guard status == "pending" || status == "scheduled" else {
            if status == "completed" || status == "stopped" {
                try? await journal.update(key) { r in
                    r?.status = status == "completed" ? .completed : .stopped
                    r?.updatedAt = StateJournal.timestamp()
                }
            }
            return .failed("campaign \(id) is \(status) at CleverTap (the local clock said it starts later); not replaced: a delivered campaign is immutable, give it a new `key`")
        }
        return nil
    }

    private func create(_ action: PlanAction, replacing: Bool) async throws(DeployError) -> Outcome {
        guard let request = action.requests.first, let facts = action.facts else { return .failed("no request to make") }
        let now = StateJournal.timestamp()
        // A replace has stopped the old campaign: its record is kept if the create is refused.
        let replaced = replacing ? await journal.state.campaigns[action.key] : nil
        try await journal.update(action.key) { record in
            var fresh = StateRecord(kind: .scheduled, name: facts.name, file: facts.file, hash: facts.hash, status: .unknown, at: record?.createdAt ?? now)
            fresh.project = facts.project
            fresh.when = facts.when
            fresh.startsAt = facts.startsAt
            fresh.scheduledDate = facts.scheduledDate ?? Self.today()
            fresh.intent = Intent(action: .create, startedAt: now, requestHash: facts.hash)
            fresh.updatedAt = now
            record = fresh
        }
        Failpoint.hit(.afterIntent)
        let created: CreatedCampaign
        do {
            created = try await client.createCampaign(request.body)
        } catch {
            if error.kind == .outcomeUnknown {
                try await journal.update(action.key) { $0?.updatedAt = StateJournal.timestamp() }
                return .unknown(error.description)
            }
            // Refused by the API: nothing was created. A new campaign's record goes (the next plan creates it again); a
            // replaced one's stopped record stays, with its id, so that nothing about it is lost.
            try await journal.update(action.key) { $0 = replaced }
            return .failed("\(error.code): \(error.description)" + (replacing ? " (the old campaign \(action.id.map(String.init) ?? "?") stays stopped and recorded)" : ""))
        }
        Failpoint.hit(.afterSend)
        try await journal.update(action.key) { record in
            record?.id = created.id
            record?.status = .scheduled
            record?.intent = nil
            record?.updatedAt = StateJournal.timestamp()
            Failpoint.hit(.afterResponse)
        }
        Failpoint.hit(.afterSave)
        return .done("created \(created.id)" + (replacing ? " (replacing \(action.id.map(String.init) ?? "?"))" : ""))
    }

    private func send(_ action: PlanAction) async throws(DeployError) -> Outcome {
        guard let facts = action.facts else { return .failed("no facts to record") }
        let total = action.requests.count
        for (index, request) in action.requests.enumerated() {
            if isCancelled() { return .interrupted }
            let now = StateJournal.timestamp()
            try await journal.update(action.key) { record in
                if record == nil {
                    record = StateRecord(kind: .send, name: facts.name, file: facts.file, hash: facts.hash, status: .unknown, at: now)
                }
                record?.file = facts.file
                record?.project = facts.project
                record?.intent = Intent(action: .send, startedAt: now, batch: request.batch, recipients: request.recipients)
                record?.status = .unknown
                record?.updatedAt = now
            }
            Failpoint.hit(.afterIntent)
            do {
                try await client.send(path: request.path, body: request.body)
            } catch {
                if error.kind == .outcomeUnknown { return .unknown(error.description) }
                try await journal.update(action.key) { record in
                    record?.intent = nil
                    if (record?.batchesSent ?? 0) == 0 { record = nil } else { record?.status = .sent }
                }
                return .failed("\(error.code): \(error.description) (batch \(request.batch) of \(total); \(index) sent)")
            }
            Failpoint.hit(.afterSend)
            try await journal.update(action.key) { record in
                for (kind, ids) in request.recipients { record?.delivered[kind, default: []] += ids }
                record?.batchesSent += 1
                record?.intent = nil
                record?.status = .sent
                record?.updatedAt = StateJournal.timestamp()
                Failpoint.hit(.afterResponse)
            }
            Failpoint.hit(.afterSave)
            events(.request(key: action.key, done: index + 1, total: total))
        }
        return .done("sent \(total) request\(total == 1 ? "" : "s")")
    }

    /// After a failed stop: unknown outcomes stay unknown; clear refusals restore the status.
    private func settle(_ key: String, error: CleverTapError, restore: RecordStatus) async throws(DeployError) -> Outcome {
        if error.kind == .outcomeUnknown { return .unknown(error.description) }
        try await journal.update(key) { record in
            record?.intent = nil
            record?.status = restore
        }
        return .failed("\(error.code): \(error.description)")
    }

    static func today() -> Int {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return (c.year ?? 1970) * 10_000 + (c.month ?? 1) * 100 + (c.day ?? 1)
    }
}
