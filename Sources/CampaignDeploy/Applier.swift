import CampaignEngine
import Foundation

/// What happened during an apply.
public struct ApplyReport: Sendable {
    public var done: [String] = []
    /// Keys whose request failed, with why.
    public var failed: [(key: String, message: String)] = []
    /// Keys left `unknown`: a request whose outcome is not known.
    public var unknown: [(key: String, message: String)] = []
    /// True when the run was interrupted before finishing.
    public var interrupted = false
    /// True when the run stopped because state could not be written (nothing after that point was sent).
    public var stopped = false
    /// Members a provider refused one by one (a row of a sync) while the rest of their action went on: not recorded,
    /// so the next plan does them again.
    public var memberFailures: [(key: String, failure: MemberFailure)] = []

    public var succeeded: Bool { failed.isEmpty && unknown.isEmpty && memberFailures.isEmpty && !interrupted && !stopped }
}

/// Progress events for the user interface.
public enum ApplyEvent: Sendable {
    case started(key: String, action: ActionKind, requests: Int)
    case request(key: String, done: Int, total: Int)
    case finished(key: String, action: ActionKind, outcome: String)
}

/// Carries out a plan with each resource's provider: for every step, records the intent (saved, fsynced), makes
/// the request, records the outcome — the record keeping is ``ApplyMachine``'s. A step of unknown outcome leaves
/// its key `unknown` and ends that key's action.
public struct Applier: Sendable {
    public let providers: ProviderSet
    public let journal: any StateWriter
    public let events: @Sendable (ApplyEvent) -> Void
    public let isCancelled: @Sendable () -> Bool

    public init(providers: ProviderSet, journal: any StateWriter, events: @escaping @Sendable (ApplyEvent) -> Void = { _ in },
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.providers = providers
        self.journal = journal
        self.events = events
        self.isCancelled = isCancelled
    }

    public func apply(_ plan: Plan) async -> ApplyReport {
        var report = ApplyReport()
        // What live data taught us (completions, drift) is recorded first.
        if !plan.observations.isEmpty {
            do {
                try await journal.updateAll { state in
                    for (key, status) in plan.observations {
                        guard var record = state.campaigns[key], record.intent == nil, status != .notCompleted else { continue }
                        Planner.observe(status, on: &record)
                        record.updatedAt = StateJournal.timestamp()
                        state.campaigns[key] = record
                    }
                }
            } catch {
                report.failed.append(("(state)", error.description))
                return report
            }
        }
        for action in plan.actions where action.kind.isChange {
            if isCancelled() {
                report.interrupted = true
                break
            }
            events(.started(key: action.key, action: action.kind, requests: action.requests.count))
            let outcome = await perform(action, memberFailures: &report.memberFailures)
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
            case .stateFailed(let message):
                // State could not be written: nothing more is sent, since nothing more could be recorded.
                report.failed.append((action.key, message))
                events(.finished(key: action.key, action: action.kind, outcome: "failed: \(message)"))
                report.stopped = true
            }
            if report.interrupted || report.stopped { break }
        }
        return report
    }

    enum Outcome {
        case done(String)
        case failed(String)
        case unknown(String)
        case interrupted
        case stateFailed(String)
    }

    private func perform(_ action: PlanAction, memberFailures: inout [(key: String, failure: MemberFailure)]) async -> Outcome {
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
                        // The same request: a record written before fields were recorded learns them.
                        if record.fields == nil, record.hash == facts.hash { record.fields = facts.fields }
                    }
                    record.updatedAt = StateJournal.timestamp()
                    state.campaigns[from] = nil
                    state.campaigns[action.key] = record
                }
                return .done("moved from \(from)")
            case .noChange, .refused, .kept:
                return .done("nothing to do")
            case .create, .replace, .stop, .send, .update:
                return try await run(action, memberFailures: &memberFailures)
            }
        } catch {
            return .stateFailed("state \(error.code): \(error.description)")
        }
    }

    /// The steps of `action`, then the provider's own memory, once.
    ///
    /// A provider's internal facts (``Fact/isInternal``: CleverPush's cache of looked-up subscription ids) are kept
    /// out of the per-step writes, handed to the provider with the record at each step, and recorded once when the
    /// action ends: written with every batch, a memory that grows with each batch made a 100,000-member audience write
    /// O(n²) bytes of state. A crash loses only that memory (the provider learns it again).
    private func run(_ action: PlanAction, memberFailures: inout [(key: String, failure: MemberFailure)]) async throws(DeployError) -> Outcome {
        var memory: [Fact] = []
        let outcome = try await runSteps(action, memberFailures: &memberFailures, memory: &memory)
        // Not after a failed write: nothing more is written then (it could land the record the failed write left).
        if case .stateFailed = outcome { return outcome }
        if !memory.isEmpty {
            try await journal.update(action.key) { record in
                guard var kept = record else { return }
                kept.facts = kept.facts.merging(memory)
                record = kept
            }
        }
        return outcome
    }

    /// The steps of `action`, one after the other, each recorded before and after its request.
    private func runSteps(_ action: PlanAction, memberFailures: inout [(key: String, failure: MemberFailure)], memory: inout [Fact]) async throws(DeployError) -> Outcome {
        let recorded = await journal.state.campaigns[action.key]?.provider
        let provider = action.facts?.provider ?? recorded ?? ""
        let runtime: any ProviderRuntime
        do { runtime = try await providers.runtime(provider) } catch { return .failed("\(error.code): \(error.message)") }
        // The state describes one account per provider: recorded at the first apply, refused for any other.
        switch await journal.state.accounts[provider] {
        case nil:
            let account = runtime.account
            try await journal.updateAll { $0.accounts[provider] = account }
        case let recorded? where recorded != runtime.account:
            return .stateFailed("S015: the state \(await journal.shown) belongs to another \(provider) account than the credentials given (check --env and the credential variables); nothing was sent")
        default:
            break
        }
        let facts = action.facts
        if action.kind == .replace, let record = await journal.state.campaigns[action.key] {
            // The plan's "still ahead" rests on the local clock: the provider's word is taken before stopping.
            if let (failure, observed) = await runtime.checkBeforeReplace(record) {
                if let observed {
                    try await journal.update(action.key) { r in
                        guard var changed = r else { return }
                        Planner.observe(observed, on: &changed)
                        changed.updatedAt = StateJournal.timestamp()
                        r = changed
                    }
                }
                return .failed("\(failure.code): \(failure.message)")
            }
        }
        let steps = ApplyMachine.steps(for: action)
        guard !steps.isEmpty else { return .failed("nothing to send") }
        let deliveries = steps.filter { if case .deliver = $0 { true } else { false } }.count
        var delivered = 0
        var summary: [String] = []
        let requests = steps.compactMap { if case .deliver(let request) = $0 { request } else { nil } }
        let recordedKind = await journal.state.campaigns[action.key]?.kind
        let kind = facts?.kind ?? recordedKind
        if requests.count > 1, requests.count == steps.count, let kind, runtime.rules(for: kind)?.overlapsBatches == true {
            if let ended = try await deliverOverlapped(action, requests: requests, runtime: runtime, facts: facts, memberFailures: &memberFailures, memory: &memory) {
                return ended
            }
            return .done(await deliverySummary(action, deliveries: deliveries, facts: facts).joined(separator: ", "))
        }
        // Whether the step's intent was written already, with the previous delivery's outcome.
        var begun = false
        for (index, step) in steps.enumerated() {
            // The record before the step, to restore when it certainly did nothing; a delivery never needs it (its
            // record keeps its lists), and holding one would copy a million delivered recipients per batch.
            var before: StateRecord?
            if !begun {
                if isCancelled(), case .deliver = step { return .interrupted }
                if case .deliver = step {} else { before = await journal.state.campaigns[action.key] }
                let started = StateJournal.timestamp()
                try await journal.update(action.key, delivered: [:]) { $0 = ApplyMachine.begin(step, record: $0, facts: facts, at: started) }
                Failpoint.hit(.afterIntent)
            }
            begun = false
            // The provider needs the record's id and facts (with its memory so far), not its delivered lists.
            let known = memory
            let record = await journal.state.campaigns[action.key].map { record -> StateRecord in
                var light = Self.withoutDelivered(record)
                if !known.isEmpty { light.facts = light.facts.merging(known) }
                return light
            }
            let (outcome, learned) = await runtime.perform(step, record: record).separatingInternalFacts()
            memory = memory.merging(learned)
            Failpoint.hit(.afterSend)
            var next = ApplyMachine.Next.proceed
            // A delivery done adds exactly its batch to the delivered lists: the journal line carries only those.
            var added: [String: [String]] = [:]
            if case .done = outcome, case .deliver(let request) = step, !request.removes { added = request.recipients }
            if case .partial(let succeeded, let failures, _, _) = outcome, case .deliver(let request) = step {
                if !request.removes { added = succeeded }
                memberFailures += failures.map { (action.key, $0) }
            }
            // Between the batches of a delivery, the next batch's intent is recorded in the same durable write as this
            // batch's outcome: one write per batch instead of two, and still every intent is durable before its
            // request leaves (measured on 1,000 batches with PostgreSQL, where each write is a commit: the send
            // phase from 2.2x to 1.6x the client alone's time; kinds that overlap their batches go further, in
            // ``deliverOverlapped``). Not after a failure, and not once the run is asked to stop.
            var chained: ApplyStep?
            if case .deliver = step, index + 1 < steps.count, case .deliver = steps[index + 1], !isCancelled() { chained = steps[index + 1] }
            let now = StateJournal.timestamp()
            try await journal.update(action.key, delivered: added) { current in
                let finished = ApplyMachine.finish(step, outcome: outcome, record: current.take(), before: before, facts: facts, at: now)
                current = finished.record
                next = finished.next
                Failpoint.hit(.afterResponse)
                if let chained, case .proceed = finished.next {
                    current = ApplyMachine.begin(chained, record: current, facts: facts, at: now)
                    begun = true
                }
            }
            Failpoint.hit(.afterSave)
            if begun { Failpoint.hit(.afterIntent) }
            switch next {
            case .proceed:
                switch step {
                case .create: summary.append("created \(await journal.state.campaigns[action.key]?.id ?? "?")" + (action.kind == .replace ? " (replacing \(action.id ?? "?"))" : ""))
                case .stop: if action.kind == .stop { summary.append("stopped \(action.id ?? "?")") }
                case .update: summary.append("updated")
                case .deliver:
                    delivered += 1
                    events(.request(key: action.key, done: delivered, total: deliveries))
                }
            case .failed(let failure):
                let progress = deliveries > 1 ? " (batch \(delivered + 1) of \(deliveries); \(delivered) sent)" : ""
                let kept = action.kind == .replace && step != .stop ? " (the old campaign \(action.id ?? "?") stays stopped and recorded)" : ""
                return .failed("\(failure.code): \(failure.message)\(progress)\(kept)")
            case .unknown(let failure):
                return .unknown(failure.message)
            }
        }
        summary += await deliverySummary(action, deliveries: deliveries, facts: facts)
        return .done(summary.joined(separator: ", "))
    }

    /// `sent N requests`, and the facts the provider learned while delivering (CleverPush:
    /// `email_confirmation_needed 3`); nothing without deliveries.
    private func deliverySummary(_ action: PlanAction, deliveries: Int, facts: RecordFacts?) async -> [String] {
        guard deliveries > 0 else { return [] }
        var summary = ["sent \(deliveries) request\(deliveries == 1 ? "" : "s")"]
        if let learned = await journal.state.campaigns[action.key]?.facts.filter({ !$0.isInternal && !(facts?.facts.contains($0) ?? false) }), !learned.isEmpty {
            summary.append(learned.shown)
        }
        return summary
    }
}
