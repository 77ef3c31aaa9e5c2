import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import Testing

/// A second provider, defined here in a few dozen lines, planned and applied through the engine unchanged: string
/// ids, and a kind whose members are kept in step by idempotent requests (removals included).
struct ToyRules: ProviderRules {
    var name: String { "toy" }
    func rules(for kind: String) -> KindRules? {
        switch kind {
        case "audience": return KindRules(change: .inPlace, members: .sync, deliverAction: .update)
        case "blast": return KindRules(change: .refusedOnceCreated, members: .appendOnly)
        case "stream":
            // A blast whose batches overlap their records, as CleverTap's identity sends do.
            var stream = KindRules(change: .refusedOnceCreated, members: .appendOnly)
            stream.overlapsBatches = true
            return stream
        default: return nil
        }
    }
    func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { false }
}

/// The toy service: audiences by id, each a set of members; every call is recorded.
actor ToyService {
    var audiences: [String: Set<String>] = [:]
    var calls: [String] = []
    var failNext: StepOutcome?
    /// Fails the call with this number (0-based, counting every call), once.
    var failCall: (number: Int, outcome: StepOutcome)?
    var callCount = 0

    func handle(_ step: ApplyStep, id: String?) -> StepOutcome {
        defer { callCount += 1 }
        if let failure = failNext {
            failNext = nil
            return failure
        }
        if let failCall, failCall.number == callCount { return failCall.outcome }
        switch step {
        case .deliver(let request):
            let audience = id ?? "aud-\(audiences.count + 1)"
            let members = request.recipients["member"] ?? []
            calls.append("\(request.removes ? "remove" : "add") \(audience) \(members.joined(separator: ","))")
            if request.removes { audiences[audience, default: []].subtract(members) } else { audiences[audience, default: []].formUnion(members) }
            return .done(id: audience, facts: [Fact("size", String(audiences[audience]?.count ?? 0))])
        case .update(let request):
            calls.append("update \(id ?? "?") \(request.body["title"]?.stringValue ?? "")")
            return .done(id: nil, facts: [])
        case .create, .stop:
            return .failed(ProviderFailure(code: "TOY", message: "not a toy operation"), neverSent: true)
        }
    }

    func fail(_ outcome: StepOutcome) { failNext = outcome }
    func fail(call number: Int, _ outcome: StepOutcome) { failCall = (number, outcome) }
}

struct ToyRuntime: ProviderRuntime {
    let service: ToyService
    var name: String { "toy" }
    var account: String { "toy-account" }
    func rules(for kind: String) -> KindRules? { ToyRules().rules(for: kind) }
    // (blasts are delivered by `handle`'s `.deliver` like audience adds)
    func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { false }
    func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] { [:] }
    func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? { nil }
    func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome { await service.handle(step, id: record?.id) }
    func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding {
        .cannotTell("ask the toy")
    }
    func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] { [] }
    func shutdown() async {}
}

/// A toy runtime around another that changes only how it performs a step.
protocol ToyWrapper: ProviderRuntime {
    var inner: ToyRuntime { get }
}

extension ToyWrapper {
    var name: String { inner.name }
    var account: String { inner.account }
    func rules(for kind: String) -> KindRules? { inner.rules(for: kind) }
    func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { false }
    func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] { [:] }
    func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? { nil }
    func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding { .cannotTell("ask the toy") }
    func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] { [] }
    func shutdown() async {}
}

/// A toy runtime that remembers every member it delivered to, as an internal fact (a provider's own memory) that it
/// reads back from the record each time, as CleverPush's cache of looked-up subscription ids does.
struct RememberingRuntime: ToyWrapper {
    static let fact = "_seen"
    let inner: ToyRuntime
    func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        let outcome = await inner.perform(step, record: record)
        guard case .done(let id, let facts) = outcome, case .deliver(let request) = step else { return outcome }
        let known = record?.facts[fact: Self.fact].map { $0.split(separator: ",").map(String.init) } ?? []
        return .done(id: id, facts: facts + [Fact(Self.fact, (known + (request.recipients["member"] ?? [])).joined(separator: ","))])
    }
}

/// An audience of `members`, titled `title`.
func toyAudience(_ key: String, members: [String], title: String = "T") -> DesiredResource {
    let hash = ContentHash.sha256(Array(title.utf8))
    return DesiredResource(
        key: key, name: key, file: "\(key).yaml", provider: "toy", kind: "audience", hash: hash, members: ["member": members],
        removals: { gone in [ProviderRequest(path: "/remove", body: .object([]), recipients: gone, removes: true)] }
    ) { subset in
        var requests = [ProviderRequest(path: "/title", body: .object([("title", .string(title))]))]
        if let subset, !subset.isEmpty { requests.append(ProviderRequest(path: "/add", body: .object([]), recipients: subset)) }
        return requests
    }
}

@Suite("Engine: providers as plug-ins and the apply state machine", .serialized)
struct ProviderEngineTests {
    func store() throws -> StateStore { StateStore(path: try TestSupport.temporaryFolder() + "/state.json") }

    @Test func aToyProviderIsPlannedAndAppliedWithoutAnEngineChange() async throws {
        let service = ToyService()
        let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in ToyRuntime(service: service) }])
        let rules = RuleBook([ToyRules()])
        let store = try store()
        var state = EngineState()
        try store.save(&state)

        // First: the audience is made with its three members.
        let first = Planner(now: Date(), rules: rules).plan(desired: [toyAudience("vip", members: ["a", "b", "c"])], state: state, live: [:])
        #expect(first.actions.map(\.kind) == [.update])
        let journal = StateJournal(state: state, store: store)
        #expect(await Applier(providers: providers, journal: journal).apply(first).succeeded)
        state = try store.load()
        let record = try #require(state.campaigns["vip"])
        #expect(record.id == "aud-1" && record.provider == "toy" && record.status == .sent)
        #expect(record.delivered == ["member": ["a", "b", "c"]])
        #expect(record.facts == [Fact("size", "3")])

        // Then: one leaves, one joins; only those two are sent, and state follows.
        let second = Planner(now: Date(), rules: rules).plan(desired: [toyAudience("vip", members: ["a", "c", "d"])], state: state, live: [:])
        #expect(second.actions.first?.kind == .update)
        #expect(second.actions.first?.reason == "+1 add, -1 remove, 2 unchanged")
        #expect(await Applier(providers: providers, journal: StateJournal(state: state, store: store)).apply(second).succeeded)
        state = try store.load()
        #expect(await service.audiences["aud-1"] == ["a", "c", "d"])
        #expect(Set(state.campaigns["vip"]?.delivered["member"] ?? []) == ["a", "c", "d"])
        #expect(await service.calls.suffix(3) == ["update aud-1 T", "add aud-1 d", "remove aud-1 b"])

        // Unchanged now; a changed title is an update in place, not a refusal.
        #expect(Planner(now: Date(), rules: rules).plan(desired: [toyAudience("vip", members: ["a", "c", "d"])], state: state, live: [:]).actions.map(\.kind) == [.noChange])
        let retitled = Planner(now: Date(), rules: rules).plan(desired: [toyAudience("vip", members: ["a", "c", "d"], title: "New")], state: state, live: [:])
        #expect(retitled.actions.map(\.kind) == [.update])
        // And a removed audience's record is kept, not forgotten.
        #expect(Planner(now: Date(), rules: rules).plan(desired: [], state: state, live: [:]).actions.map(\.kind) == [.kept])
        // State format 2 keeps the string id and the facts; at the end of a run the journal is folded into the file.
        // (These runs did not finish: their lines are still in the journal, and reading replays them.)
        #expect(FileManager.default.fileExists(atPath: store.journalPath))
        try await StateJournal(state: try store.load(), store: store).finish()
        #expect(!FileManager.default.fileExists(atPath: store.journalPath))
        let text = try String(contentsOfFile: store.target, encoding: .utf8)
        #expect(text.contains("\"id\": \"aud-1\"") && text.contains("\"provider\": \"toy\""))
    }

    /// A blast of `count` members in batches of 1000 (`kind` "stream": one whose batches overlap their records).
    func blast(_ count: Int, kind: String = "blast") -> DesiredResource {
        let members = (0..<count).map { "member-\($0)" }
        return DesiredResource(key: "blast", name: "Blast", file: "blast.yaml", provider: "toy", kind: kind, hash: "b", members: ["member": members]) { subset in
            let all = subset?["member"] ?? members
            return stride(from: 0, to: all.count, by: 1000).enumerated().map { index, start in
                ProviderRequest(path: "/blast", body: .object([]), batch: index + 1, recipients: ["member": Array(all[start..<min(start + 1000, all.count)])])
            }
        }
    }

    /// Bytes written to state while delivering `count` members; `remembering`: the runtime keeps a provider's own
    /// memory of every member it saw (an internal fact that grows with each batch, as a cache of looked-up ids does).
    func bytesToDeliver(_ count: Int, remembering: Bool = false) async throws -> Int {
        let service = ToyService()
        let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in
            remembering ? RememberingRuntime(inner: ToyRuntime(service: service)) : ToyRuntime(service: service)
        }])
        let store = try store()
        var state = EngineState()
        try store.save(&state)
        let journal = StateJournal(state: state, store: store)
        let plan = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: [blast(count)], state: state, live: [:])
        #expect(await Applier(providers: providers, journal: journal).apply(plan).succeeded)
        try await journal.finish()
        let record = try store.load().campaigns["blast"]
        #expect(record?.deliveredCount == count)
        // The memory is recorded, whole: each batch saw what the batches before it learned.
        if remembering { #expect(record?.facts[fact: RememberingRuntime.fact]?.split(separator: ",").count == count) }
        return await journal.bytesWritten
    }

    @Test func aProvidersGrowingMemoryIsWrittenOncePerActionNotWithEveryBatch() async throws {
        // Written with every batch, a memory of every member seen would make 4× the members cost ~16× the bytes.
        let small = try await bytesToDeliver(5_000, remembering: true)
        let large = try await bytesToDeliver(20_000, remembering: true)
        let ratio = Double(large) / Double(small)
        #expect(ratio > 3 && ratio < 5, "\(small) → \(large) bytes: × \(ratio)")
    }

    @Test func aSendsStateBytesGrowLinearlyWithItsRecipients() async throws {
        // Rewriting every delivered recipient after every batch would make 4× the recipients cost ~16× the bytes.
        let small = try await bytesToDeliver(5_000)
        let large = try await bytesToDeliver(20_000)
        let ratio = Double(large) / Double(small)
        #expect(ratio > 3 && ratio < 5, "\(small) → \(large) bytes: × \(ratio)")
    }

    // MARK: the state machine, with no provider at all

    let facts = RecordFacts(provider: "p", kind: "k", name: "N", file: "n.yaml", project: ".", hash: "h1", schedule: "20300101 10:00")
    let create = ApplyStep.create(ProviderRequest(path: "/create", body: .object([])))
    let failure = ProviderFailure(code: "X", message: "no")

    @Test func createIntentThenEachOutcome() throws {
        let begun = try #require(ApplyMachine.begin(create, record: nil, facts: facts, at: "t1"))
        #expect(begun.status == .unknown && begun.intent?.action == .create && begun.intent?.requestHash == "h1" && begun.id == nil)
        // A crash here leaves `begun` on disk: every later plan refuses the key until it is settled.
        let planned = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: [], state: stateWith(begun), live: [:])
        #expect(planned.actions.map(\.kind) == [.refused])
        let done = ApplyMachine.finish(create, outcome: .done(id: "42", facts: [Fact("x", "1")]), record: begun, before: nil, facts: facts, at: "t2")
        #expect(done.next == .proceed && done.record?.id == "42" && done.record?.status == .scheduled && done.record?.intent == nil && done.record?.facts == [Fact("x", "1")])
        let refused = ApplyMachine.finish(create, outcome: .failed(failure, neverSent: true), record: begun, before: nil, facts: facts, at: "t2")
        #expect(refused.record == nil && refused.next == .failed(failure))
        for outcome in [StepOutcome.unknown(failure), .failed(failure, neverSent: false)] {
            let unknown = ApplyMachine.finish(create, outcome: outcome, record: begun, before: nil, facts: facts, at: "t2")
            #expect(unknown.record?.intent?.action == .create && unknown.record?.status == .unknown && unknown.next == .unknown(failure))
        }
    }

    @Test func replaceKeepsTheStoppedRecordWhenTheCreateIsRefused() throws {
        var old = ApplyMachine.newRecord(facts, at: "t0")
        old.id = "7"
        old.status = .scheduled
        let stopping = try #require(ApplyMachine.begin(.stop, record: old, facts: facts, at: "t1"))
        #expect(stopping.intent?.action == .stop && stopping.status == .unknown && stopping.id == "7")
        let stopped = try #require(ApplyMachine.finish(.stop, outcome: .done(id: nil, facts: []), record: stopping, before: old, facts: facts, at: "t2").record)
        #expect(stopped.status == .stopped && stopped.intent == nil)
        let creating = try #require(ApplyMachine.begin(create, record: stopped, facts: facts, at: "t3"))
        #expect(creating.createdAt == "t0" && creating.id == nil)
        let refused = ApplyMachine.finish(create, outcome: .failed(failure, neverSent: true), record: creating, before: stopped, facts: facts, at: "t4")
        #expect(refused.record?.id == "7" && refused.record?.status == .stopped)
        // A stop refused restores the status it had.
        let notStopped = ApplyMachine.finish(.stop, outcome: .failed(failure, neverSent: true), record: stopping, before: old, facts: facts, at: "t2")
        #expect(notStopped.record?.status == .scheduled && notStopped.record?.intent == nil)
    }

    @Test func deliveriesRecordExactlyTheirBatch() throws {
        let sendFacts = RecordFacts(provider: "p", kind: "send", name: "S", file: "s.yaml", hash: "c")
        let batch1 = ApplyStep.deliver(ProviderRequest(path: "/send", body: .object([]), batch: 1, recipients: ["identity": ["u1", "u2"]]))
        let batch2 = ApplyStep.deliver(ProviderRequest(path: "/send", body: .object([]), batch: 2, recipients: ["identity": ["u3"]]))
        let first = try #require(ApplyMachine.begin(batch1, record: nil, facts: sendFacts, at: "t"))
        #expect(first.intent?.recipients == ["identity": ["u1", "u2"]] && first.delivered.isEmpty)
        let after1 = try #require(ApplyMachine.finish(batch1, outcome: .done(id: nil, facts: []), record: first, before: nil, facts: sendFacts, at: "t").record)
        #expect(after1.delivered == ["identity": ["u1", "u2"]] && after1.batchesSent == 1 && after1.status == .sent)
        let second = try #require(ApplyMachine.begin(batch2, record: after1, facts: sendFacts, at: "t"))
        // A lost answer on batch 2: batch 1 stays delivered, batch 2 is the unknown intent.
        let lost = try #require(ApplyMachine.finish(batch2, outcome: .unknown(failure), record: second, before: after1, facts: sendFacts, at: "t").record)
        #expect(lost.delivered == ["identity": ["u1", "u2"]] && lost.intent?.recipients == ["identity": ["u3"]])
        // The user settles it either way.
        let sent = try ApplyMachine.resolve(lost, .sent, key: "s", at: "t")
        #expect(sent.record?.delivered == ["identity": ["u1", "u2", "u3"]] && sent.record?.batchesSent == 2)
        let notSent = try ApplyMachine.resolve(lost, .notCreated, key: "s", at: "t")
        #expect(notSent.record?.delivered == ["identity": ["u1", "u2"]] && notSent.record?.intent == nil && notSent.record?.status == .sent)
        #expect(throws: ApplyMachine.Refusal.self) { try ApplyMachine.resolve(lost, .id("9"), key: "s", at: "t") }
        // A first batch refused leaves no record at all: the next plan sends to everyone again.
        #expect(ApplyMachine.finish(batch1, outcome: .failed(failure, neverSent: true), record: first, before: nil, facts: sendFacts, at: "t").record == nil)
    }

    /// Reconcile found part of a first batch done (u1) and left the rest unknown (u2): "not sent" then means u2 was
    /// not, and u1 stays delivered. Dropping the record (as for a first batch with nothing delivered) would send to
    /// u1 again.
    @Test func notSentAfterAPartlyFoundFirstBatchKeepsWhatWasFound() throws {
        let sendFacts = RecordFacts(provider: "p", kind: "send", name: "S", file: "s.yaml", hash: "c")
        let batch1 = ApplyStep.deliver(ProviderRequest(path: "/sync", body: .object([]), batch: 1, recipients: ["row": ["u1", "u2"]]))
        let begun = try #require(ApplyMachine.begin(batch1, record: nil, facts: sendFacts, at: "t"))
        let partly = ApplyMachine.settle(begun, found: .delivered(["row": ["u1"]], unsettled: "u2 differs"), at: "t2")
        #expect(!partly.settled)
        let open = try #require(partly.record)
        #expect(open.delivered == ["row": ["u1"]] && open.intent?.recipients == ["row": ["u2"]] && open.batchesSent == 0)
        let notSent = try ApplyMachine.resolve(open, .notCreated, key: "s", at: "t3")
        #expect(notSent.record?.delivered == ["row": ["u1"]] && notSent.record?.intent == nil && notSent.record?.status == .sent)
        let sent = try ApplyMachine.resolve(open, .sent, key: "s", at: "t3")
        #expect(sent.record?.delivered == ["row": ["u1", "u2"]] && sent.record?.intent == nil)
    }

    @Test func reconcileSettlesWhatTheProviderFinds() throws {
        let begun = try #require(ApplyMachine.begin(create, record: nil, facts: facts, at: "t1"))
        let found = ApplyMachine.settle(begun, found: .found(id: "42", status: .scheduled, facts: []), at: "t2")
        #expect(found.settled && found.record?.id == "42" && found.record?.intent == nil)
        #expect(!ApplyMachine.settle(begun, found: .absent, at: "t2").settled)
        #expect(!ApplyMachine.settle(begun, found: .ambiguous(["1", "2"]), at: "t2").settled)
        // A create in flight is never simply made again, whatever a provider answers.
        let redone = ApplyMachine.settle(begun, found: .redo, at: "t2")
        #expect(!redone.settled && redone.record?.intent != nil)
        var stopping = begun
        stopping.intent = Intent(action: .stop, startedAt: "t")
        let absentStop = ApplyMachine.settle(stopping, found: .absent, at: "t2")
        #expect(absentStop.settled && absentStop.record?.status == .scheduled)
        // By hand: an id, or "not created".
        #expect(try ApplyMachine.resolve(begun, .id("5"), key: "k", at: "t").record?.id == "5")
        #expect(try ApplyMachine.resolve(begun, .notCreated, key: "k", at: "t").record == nil)
        #expect(throws: ApplyMachine.Refusal.self) { try ApplyMachine.resolve(begun, .sent, key: "k", at: "t") }
    }

    @Test func aLostAnswerAtAnyStepLeavesExactlyThatStepUnknown() async throws {
        // Three audiences, two steps each (title, then add): six requests. For each request in turn, its answer is
        // lost; the state read back from disk holds every earlier step done, that step as an intent, nothing later
        // of that action — and the next plan refuses exactly that key, while the other actions went on.
        let desired = [toyAudience("one", members: ["a"]), toyAudience("two", members: ["b"]), toyAudience("three", members: ["c"])]
        for failing in 0..<6 {
            let service = ToyService()
            await service.fail(call: failing, .unknown(ProviderFailure(code: "LOST", message: "lost")))
            let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in ToyRuntime(service: service) }])
            let store = try store()
            var state = EngineState()
            try store.save(&state)
            let plan = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: desired, state: state, live: [:])
            let report = await Applier(providers: providers, journal: StateJournal(state: state, store: store)).apply(plan)
            #expect(report.unknown.map(\.key) == [plan.actions[failing / 2].key], "\(failing)")
            let saved = try store.load()
            for (index, action) in plan.actions.enumerated() {
                let record = saved.campaigns[action.key]
                if index == failing / 2 {
                    #expect(record?.intent?.action == (failing % 2 == 0 ? .update : .send) && record?.status == .unknown, "\(failing) \(action.key)")
                    // The add of a lost title update was never made; a lost add is the intent itself.
                    #expect(record?.delivered.isEmpty == true, "\(failing) \(action.key)")
                } else {
                    #expect(record?.intent == nil && record?.status == .sent && record?.deliveredCount == 1, "\(failing) \(action.key)")
                }
            }
            let again = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: desired, state: saved, live: [:])
            #expect(again.actions.filter { $0.kind == .refused }.map(\.key) == [plan.actions[failing / 2].key])
        }
    }

    func stateWith(_ record: StateRecord) -> EngineState {
        var state = EngineState()
        state.campaigns["k"] = record
        return state
    }
}

@Suite("Planner: member changes")
struct MemberChangeTests {
    /// The sets' answer, as the planner computed it before: what the positions' dictionary must equal.
    static func naive(desired: [String: [String]], delivered: [String: [String]]) -> (added: [String: [String]], removed: [String: [String]]) {
        var added: [String: [String]] = [:], removed: [String: [String]] = [:]
        for (kind, list) in desired {
            let already = Set(delivered[kind] ?? [])
            let new = list.filter { !already.contains($0) }
            if !new.isEmpty { added[kind] = new }
        }
        for (kind, list) in delivered {
            let wanted = Set(desired[kind] ?? [])
            let gone = list.filter { !wanted.contains($0) }
            if !gone.isEmpty { removed[kind] = gone }
        }
        return (added, removed)
    }

    @Test func equalToTheSetsOnRandomListsWithRepeats() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            func list() -> [String] { (0..<Int.random(in: 0...30, using: &generator)).map { _ in "m\(Int.random(in: 0..<20, using: &generator))" } }
            var desired: [String: [String]] = [:], delivered: [String: [String]] = [:]
            for kind in ["a", "b", "c"] {
                if Bool.random(using: &generator) { desired[kind] = list() }
                if Bool.random(using: &generator) { delivered[kind] = list() }
            }
            let fast = Planner.memberChanges(desired: desired, delivered: delivered)
            let slow = Self.naive(desired: desired, delivered: delivered)
            #expect(fast.added == slow.added && fast.removed == slow.removed, "round \(round): \(desired) \(delivered)")
        }
    }
}
