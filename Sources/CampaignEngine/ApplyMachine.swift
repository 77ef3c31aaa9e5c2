import Foundation

/// One request of an action, as the provider performs it.
public enum ApplyStep: Sendable, Hashable {
    /// Create the resource.
    case create(ProviderRequest)
    /// Stop the resource with the record's id.
    case stop
    /// Deliver to (or, with `removes`, remove) the members of one batch.
    case deliver(ProviderRequest)
    /// Update the resource with the record's id in place (idempotent).
    case update(ProviderRequest)

    /// What the intent saved before the step records.
    var intentAction: Intent.Action {
        switch self {
        case .create: .create
        case .stop: .stop
        case .deliver: .send
        case .update: .update
        }
    }
}

/// Why a provider request failed, in a form a user can act on (never carrying a secret).
public struct ProviderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code (`CT401`, `CT-UNKNOWN`…).
    public var code: String
    public var message: String
    public var hint: String?
    /// The provider could not be asked at all because this run has no credentials for it (a pull request's plan
    /// gets no key for a provider it must not write to): a plan may go on without asking it, and says so.
    public var credentialsMissing: Bool

    public init(code: String, message: String, hint: String? = nil, credentialsMissing: Bool = false) {
        self.code = code
        self.message = message
        self.hint = hint
        self.credentialsMissing = credentialsMissing
    }

    public var description: String { message }
}

/// What became of one step.
public enum StepOutcome: Sendable, Hashable {
    /// It took effect: the provider's id (creates) and facts.
    case done(id: String?, facts: [Fact])
    /// It failed. `neverSent`: it certainly took no effect (never sent, or refused by the provider), so it may be
    /// made again; otherwise its effect is not known, as for ``unknown(_:)``.
    case failed(ProviderFailure, neverSent: Bool)
    /// It may or may not have taken effect (a timeout, a lost answer): never repeated blindly.
    case unknown(ProviderFailure)
    /// A delivery done member by member: `succeeded` took effect, each of `failures` certainly did not (a refusal
    /// for that member). Only the members that succeeded are recorded, with the facts learned; the next plan does the
    /// others again.
    /// `unknown`: members whose outcome is not known (a lost answer); they stay the intent, of unknown outcome, until
    /// reconciled or resolved, while what is certain (`succeeded`, `failures`) is recorded and reported.
    case partial(succeeded: [String: [String]], failures: [MemberFailure], facts: [Fact] = [], unknown: UnknownMembers? = nil)
}

extension StepOutcome {
    /// The outcome without the provider's own memory (``Fact/isInternal`` facts), and those facts.
    public func separatingInternalFacts() -> (outcome: StepOutcome, internal: [Fact]) {
        switch self {
        case .done(let id, let facts):
            return (.done(id: id, facts: facts.filter { !$0.isInternal }), facts.filter(\.isInternal))
        case .partial(let succeeded, let failures, let facts, let unknown):
            return (.partial(succeeded: succeeded, failures: failures, facts: facts.filter { !$0.isInternal }, unknown: unknown), facts.filter(\.isInternal))
        case .failed, .unknown:
            return (self, [])
        }
    }
}

/// Members of a delivery whose outcome is not known, and why.
public struct UnknownMembers: Sendable, Hashable {
    /// By kind of member, as in ``ProviderRequest/recipients``.
    public var members: [String: [String]]
    public var failure: ProviderFailure

    public init(members: [String: [String]], failure: ProviderFailure) {
        self.members = members
        self.failure = failure
    }
}

/// One member of a delivery that the provider refused, and why.
public struct MemberFailure: Sendable, Hashable {
    /// The member's kind (as in ``ProviderRequest/recipients``) and value.
    public var kind: String
    public var member: String
    public var failure: ProviderFailure

    public init(kind: String, member: String, failure: ProviderFailure) {
        self.kind = kind
        self.member = member
        self.failure = failure
    }
}

/// The record keeping of apply, as one pure type: a step's intent is recorded before its request
/// (``begin(_:record:facts:at:)``), its outcome after (``finish(_:outcome:record:before:facts:at:)``); a record
/// left with an intent is settled by what the provider says (``settle(_:found:at:)``) or by the user
/// (``resolve(_:_:at:)``). Every function maps a record (nil: none) to the record to save; nothing here does I/O,
/// so a crash between any two steps leaves exactly one of these records on disk.
public enum ApplyMachine {
    /// What a finished step means for the rest of the action.
    public enum Next: Sendable, Hashable {
        /// Go on with the next step.
        case proceed
        /// Stop this action: it failed, nothing of the failed step took effect.
        case failed(ProviderFailure)
        /// Stop this action: the step's outcome is unknown; the record keeps its intent.
        case unknown(ProviderFailure)
    }

    /// The steps of `action`, in order.
    public static func steps(for action: PlanAction) -> [ApplyStep] {
        switch action.kind {
        case .create: action.requests.prefix(1).map(ApplyStep.create)
        case .replace: [.stop] + action.requests.prefix(1).map(ApplyStep.create)
        case .stop: [.stop]
        case .send: action.requests.map(ApplyStep.deliver)
        case .update: action.requests.map { $0.recipients.isEmpty && !$0.removes ? .update($0) : .deliver($0) }
        case .move, .forget, .noChange, .kept, .refused: []
        }
    }

    /// The record to save before `step` is sent: it carries the intent, and its status is `unknown` until the
    /// outcome is known. `facts` are the desired resource's (for records the step creates).
    ///
    /// `next`: for a delivery whose kind overlaps its batches (``KindRules/overlapsBatches``), the batch that may leave
    /// before this one's outcome is written. The intent then covers both (``Intent/batches`` 2): after a crash, both
    /// are of unknown outcome, since nothing on disk says whether the second one left.
    public static func begin(_ step: ApplyStep, record: StateRecord?, facts: RecordFacts?, at time: String, announcing next: ProviderRequest? = nil) -> StateRecord? {
        var record = record
        switch step {
        case .create(let request):
            guard let facts else { return record }
            var fresh = newRecord(facts, at: record?.createdAt ?? time)
            fresh.intent = Intent(action: .create, startedAt: time, requestHash: facts.hash)
            _ = request
            fresh.updatedAt = time
            return fresh
        case .stop, .update:
            // An update may be a new resource's first step (an in-place kind is made by updating it).
            if record == nil, step != .stop, let facts { record = newRecord(facts, at: time) }
            record?.intent = Intent(action: step.intentAction, startedAt: time)
            record?.status = .unknown
            record?.updatedAt = time
            return record
        case .deliver(let request):
            if record == nil, let facts { record = newRecord(facts, at: time) }
            if let facts {
                record?.file = facts.file
                record?.project = facts.project
            }
            var intent = Intent(action: .send, startedAt: time, batch: request.batch, recipients: request.recipients)
            if let next {
                for (kind, ids) in next.recipients where !ids.isEmpty {
                    intent.recipients[kind, default: []] += ids
                    intent.announced[kind] = ids.count
                }
            }
            record?.intent = intent
            record?.status = .unknown
            record?.updatedAt = time
            return record
        }
    }

    /// The record to save once `step` answered with `outcome`. `record` is the one saved by ``begin`` (consumed, so a
    /// batch is appended to its delivered lists in place); `before` the one before it (restored when the step
    /// certainly took no effect).
    public static func finish(
        _ step: ApplyStep, outcome: StepOutcome, record: consuming StateRecord?, before: StateRecord?, facts: RecordFacts?, at time: String
    ) -> (record: StateRecord?, next: Next) {
        switch outcome {
        case .partial(let succeeded, _, let learned, let unknown):
            // Recorded as a delivery done for exactly the members that succeeded.
            var narrowed = step
            if case .deliver(var request) = step {
                request.recipients = succeeded
                narrowed = .deliver(request)
            }
            let done = finish(narrowed, outcome: .done(id: nil, facts: learned), record: record, before: before, facts: facts, at: time)
            // The members of unknown outcome stay in flight: the intent, narrowed to them.
            guard let unknown, !unknown.members.isEmpty, case .deliver(let request) = step, var open = done.record else { return done }
            // The batch is counted once, when its members in doubt are settled (reconcile or resolve count it then).
            open.batchesSent -= 1
            open.intent = Intent(action: .send, startedAt: time, batch: request.batch, recipients: unknown.members)
            open.status = .unknown
            return (open, .unknown(unknown.failure))
        case .unknown(let failure), .failed(let failure, neverSent: false):
            var record = consume record
            // An intent that also announced the next batch narrows to this one: the next never left.
            if case .deliver(let request) = step, let intent = record?.intent, !intent.announced.isEmpty {
                record?.intent = Intent(action: .send, startedAt: intent.startedAt, batch: request.batch, recipients: request.recipients)
            }
            record?.updatedAt = time
            return (record, .unknown(failure))
        case .failed(let failure, neverSent: true):
            switch step {
            case .create:
                // Nothing was created: a new record goes (the next plan creates it again); a replaced one's stopped
                // record stays, with its id.
                return (before, .failed(failure))
            case .stop, .update:
                // Nothing changed: the record as it was (none, for a new resource's first update).
                guard let before else { return (nil, .failed(failure)) }
                var restored = consume record
                restored?.intent = nil
                restored?.status = before.status
                return (restored, .failed(failure))
            case .deliver:
                var restored = consume record
                restored?.intent = nil
                if (restored?.batchesSent ?? 0) == 0 && (restored?.delivered.isEmpty ?? true) {
                    restored = before.flatMap { $0.deliveredCount > 0 ? $0 : nil }
                } else {
                    restored?.status = .sent
                }
                return (restored, .failed(failure))
            }
        case .done(let id, let learned):
            var record = consume record
            switch step {
            case .create:
                if let id { record?.id = id }
                // The fields of the request that now exists (``begin`` made the record with them; a record settled
                // otherwise keeps what it has).
                if let facts, record?.hash == facts.hash { record?.fields = facts.fields }
                record?.status = .scheduled
            case .stop:
                record?.status = .stopped
            case .update(let request):
                _ = request
                if let facts {
                    record?.hash = facts.hash
                    record?.fields = facts.fields
                }
                record?.status = before?.status == .unknown || before == nil ? .sent : (before?.status ?? .sent)
            case .deliver(let request):
                for (kind, ids) in request.recipients {
                    if request.removes {
                        let gone = Set(ids)
                        record?.delivered[kind]?.removeAll { gone.contains($0) }
                        if record?.delivered[kind]?.isEmpty == true { record?.delivered[kind] = nil }
                    } else {
                        record?.delivered[kind, default: []] += ids
                    }
                }
                if let facts {
                    record?.hash = facts.hash
                    record?.fields = facts.fields
                }
                record?.batchesSent += 1
                record?.status = .sent
                if let id, record?.id == nil { record?.id = id }
            }
            if !learned.isEmpty, let known = record?.facts { record?.facts = known.merging(learned) }
            record?.intent = nil
            record?.updatedAt = time
            return (record, .proceed)
        }
    }

    /// What the provider can tell about a record left with an intent.
    public enum Finding: Sendable, Hashable {
        /// Found, with its id, status and facts (a create that took effect; a stop's result).
        case found(id: String, status: RecordStatus, facts: [Fact])
        /// Certainly not there: the create took no effect.
        case absent
        /// Several candidates: the user must say which (`state resolve KEY --id`).
        case ambiguous([String])
        /// The provider cannot tell (a send batch): the user must say.
        case cannotTell(String)
        /// Of a delivery batch in flight, these members are known to have taken effect (recorded as delivered); the
        /// batch's other members stay of unknown outcome, for the reason given, until the user says
        /// (`state resolve KEY --sent` or `--not-created`). With no other member left the batch is settled.
        case delivered([String: [String]], unsettled: String)
        /// The request in flight may simply be made again (a delivery or update whose requests are idempotent): the
        /// intent goes, nothing of it is recorded, and the next plan does it again. The record's id is left as it is.
        case redo
    }

    /// The record after reconciling it with `finding`, and whether it is settled.
    public static func settle(_ record: StateRecord, found finding: Finding, at time: String) -> (record: StateRecord?, settled: Bool) {
        var record = record
        switch finding {
        case .found(let id, let status, let facts):
            record.id = id
            record.status = status
            record.facts = record.facts.merging(facts)
            record.intent = nil
            record.updatedAt = time
            return (record, true)
        case .absent:
            if record.intent?.action == .stop {
                record.intent = nil
                record.status = .scheduled
                return (record, true)
            }
            return (record, false)
        case .ambiguous, .cannotTell:
            return (record, false)
        case .redo:
            // Only a delivery or an in-place update may simply be made again; a create or a stop never is.
            guard let action = record.intent?.action, action == .send || action == .update else { return (record, false) }
            record.intent = nil
            record.status = .sent
            record.updatedAt = time
            return (record, true)
        case .delivered(let found, _):
            guard var intent = record.intent, intent.action == .send else { return (record, false) }
            var open: [String: [String]] = [:]
            var announced: [String: Int] = [:]
            for (kind, ids) in intent.recipients {
                let done = Set(found[kind] ?? [])
                let took = ids.filter { done.contains($0) }
                if !took.isEmpty { record.delivered[kind, default: []] += took }
                let left = ids.filter { !done.contains($0) }
                if !left.isEmpty { open[kind] = left }
                // The announced members left stay at the end of the list, counted.
                let announcedLeft = ids.suffix(intent.announced[kind] ?? 0).filter { !done.contains($0) }.count
                if announcedLeft > 0 { announced[kind] = announcedLeft }
            }
            record.updatedAt = time
            guard open.isEmpty else {
                intent.recipients = open
                intent.announced = announced
                record.intent = intent
                return (record, false)
            }
            record.intent = nil
            record.batchesSent += intent.batches
            record.status = .sent
            return (record, true)
        }
    }

    /// The user's word on a record of unknown outcome.
    public enum Resolution: Sendable, Hashable {
        /// It was created with this id.
        case id(String)
        /// The request took no effect.
        case notCreated
        /// The delivery batch went out (both, for an intent that announced the next one).
        case sent
        /// Of an intent that announced the next batch (``Intent/announced``): the first batch went out, the next did
        /// not.
        case firstSent
    }

    /// Why a resolution does not fit a record.
    public struct Refusal: Error, Sendable, Hashable {
        public var code: String
        public var message: String
    }

    /// The record after the user's `resolution` (nil: the record goes), and what to tell them.
    public static func resolve(_ record: StateRecord, _ resolution: Resolution, key: String, at time: String) throws(Refusal) -> (record: StateRecord?, message: String) {
        guard record.status == .unknown || record.intent != nil else {
            throw Refusal(code: "S021", message: "`\(key)` is \(record.status.rawValue), not unknown; nothing to resolve")
        }
        let delivering = record.intent?.action == .send || (record.intent == nil && record.batchesSent > 0)
        var r = record
        switch resolution {
        case .id(let id):
            guard !delivering else { throw Refusal(code: "S022", message: "`\(key)` is a delivery to recipients; use --sent or --not-created") }
            r.id = id
            r.intent = nil
            r.status = .scheduled
            r.updatedAt = time
            return (r, "`\(key)` adopted campaign \(id)")
        case .notCreated where delivering:
            r.intent = nil
            // Nothing of it delivered: no record, the next plan starts over. Members reconcile found done stay.
            let message = (record.intent?.batches ?? 1) > 1
                ? "`\(key)`: the \(record.intent?.batches ?? 1) unknown batches count as not sent; the next plan sends to those recipients"
                : "`\(key)`: the unknown batch counts as not sent; the next plan sends to those recipients"
            if r.batchesSent == 0 && r.delivered.isEmpty { return (nil, message) }
            r.status = .sent
            return (r, message)
        case .notCreated:
            if record.intent?.action == .stop || record.intent?.action == .update {
                r.intent = nil
                r.status = .scheduled
                return (r, "`\(key)`: the \(record.intent?.action.rawValue ?? "request") did not happen; it is scheduled again")
            }
            return (nil, "`\(key)` forgotten: the next plan creates it")
        case .sent:
            guard delivering else { throw Refusal(code: "S022", message: "`\(key)` is a scheduled campaign; use --id N or --not-created") }
            let batches = r.intent?.batches ?? 1
            for (kind, ids) in r.intent?.recipients ?? [:] { r.delivered[kind, default: []] += ids }
            r.batchesSent += batches
            r.intent = nil
            r.status = .sent
            return (r, batches > 1 ? "`\(key)`: the \(batches) unknown batches count as sent" : "`\(key)`: the unknown batch counts as sent")
        case .firstSent:
            guard delivering, let intent = r.intent, !intent.announced.isEmpty else {
                throw Refusal(code: "S022", message: "`\(key)` has no second batch of unknown outcome; use --sent or --not-created")
            }
            for (kind, ids) in intent.firstBatch { r.delivered[kind, default: []] += ids }
            r.batchesSent += 1
            r.intent = nil
            r.status = .sent
            return (r, "`\(key)`: the first unknown batch counts as sent, the second as not sent; the next plan sends to its recipients")
        }
    }

    /// A new record for `facts`, of unknown status until a step says otherwise.
    public static func newRecord(_ facts: RecordFacts, at time: String) -> StateRecord {
        var record = StateRecord(provider: facts.provider, kind: facts.kind, name: facts.name, file: facts.file, hash: facts.hash, status: .unknown, at: time)
        record.project = facts.project
        record.schedule = facts.schedule
        record.startsAt = facts.startsAt
        record.facts = facts.facts
        // Fields travel with the hash: a record always describes the request whose hash it holds.
        record.fields = facts.fields
        return record
    }
}
