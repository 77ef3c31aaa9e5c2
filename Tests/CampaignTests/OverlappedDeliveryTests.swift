import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import Testing

/// What a toy runtime saw on disk each time a batch was about to leave.
actor DurableWatch {
    struct Seen: Sendable {
        var batch: Int
        var intent: [String]
        var announced: Int
        var delivered: Set<String>
    }
    var seen: [Seen] = []
    func add(_ entry: Seen) { seen.append(entry) }
}

/// A toy runtime that reads the state file (with its journal) from disk before performing each delivery: what a
/// crash at that moment would leave.
struct WatchingRuntime: ToyWrapper {
    let inner: ToyRuntime
    let store: StateStore
    let watch: DurableWatch
    func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        if case .deliver(let request) = step {
            let durable = (try? store.load())?.campaigns["blast"]
            await watch.add(.init(
                batch: request.batch ?? 0, intent: durable?.intent?.recipients["member"] ?? [], announced: durable?.intent?.announced["member"] ?? 0,
                delivered: Set(durable?.delivered["member"] ?? [])))
        }
        return await inner.perform(step, record: record)
    }
}

/// A writer that keeps the state in memory, counts its writes and fails the one numbered `failing` (1-based): before
/// it lands, or (`landing`) after, as a commit whose answer was lost. What it "made durable" is `durable`. Each write
/// takes a moment (as a database round trip does), logged with the runtime's sends in `events`.
actor CountingWriter: StateWriter {
    var state: EngineState
    var durable: EngineState
    var writes = 0
    let failing: Int
    let landing: Bool
    var events: [String] = []
    var shown: String { "memory" }
    var bytesWritten: Int { 0 }

    init(state: EngineState, failing: Int = 0, landing: Bool = false) {
        self.state = state
        self.durable = state
        self.failing = failing
        self.landing = landing
    }

    func note(_ event: String) { events.append(event) }

    func create() async throws(DeployError) { try commit() }
    func update(_ key: String, delivered added: [String: [String]]?, _ change: (inout StateRecord?) -> Void) async throws(DeployError) {
        let number = writes + 1
        events.append("write \(number) begins")
        change(&state.campaigns[key])
        try? await Task.sleep(for: .milliseconds(30))
        events.append("write \(number) ends")
        try commit()
    }
    func updateAll(_ change: (inout EngineState) -> Void) async throws(DeployError) {
        change(&state)
        try commit()
    }
    func finish() async throws(DeployError) {}

    private func commit() throws(DeployError) {
        writes += 1
        if writes == failing {
            if landing { durable = state }
            throw DeployError("S062", "the connection was closed")
        }
        durable = state
    }
}

/// A toy runtime that logs each delivery in the writer's event log, so the order of sends and writes shows.
struct LoggingRuntime: ToyWrapper {
    let inner: ToyRuntime
    let writer: CountingWriter
    func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        if case .deliver(let request) = step { await writer.note("send \(request.batch ?? 0)") }
        return await inner.perform(step, record: record)
    }
}

@Suite("Engine: deliveries whose batches overlap their records", .serialized)
struct OverlappedDeliveryTests {
    let engine = ProviderEngineTests()
    let failure = ProviderFailure(code: "X", message: "no")

    func batch(_ number: Int, _ ids: [String]) -> ProviderRequest {
        ProviderRequest(path: "/send", body: .object([]), batch: number, recipients: ["identity": ids])
    }

    // MARK: the state machine

    @Test func anIntentAnnouncingTheNextBatchCoversBothAndSettlesEitherWay() throws {
        let facts = RecordFacts(provider: "p", kind: "send", name: "S", file: "s.yaml", hash: "c")
        let first = batch(1, ["u1", "u2"]), second = batch(2, ["u3"])
        let begun = try #require(ApplyMachine.begin(.deliver(first), record: nil, facts: facts, at: "t", announcing: second))
        #expect(begun.intent?.recipients == ["identity": ["u1", "u2", "u3"]] && begun.intent?.announced == ["identity": 1] && begun.intent?.batches == 2)
        #expect(begun.intent?.firstBatch == ["identity": ["u1", "u2"]])
        // Without a next batch (or a kind that does not overlap): one batch, as always.
        #expect(ApplyMachine.begin(.deliver(first), record: nil, facts: facts, at: "t")?.intent?.announced == [:])

        // Done: the first batch is recorded and the intent goes (the write that does this announces the next pair).
        let done = try #require(ApplyMachine.finish(.deliver(first), outcome: .done(id: nil, facts: []), record: begun, before: nil, facts: facts, at: "t").record)
        #expect(done.delivered == ["identity": ["u1", "u2"]] && done.intent == nil && done.batchesSent == 1)
        // Unknown: the next batch never left, so the intent narrows to the first.
        for outcome in [StepOutcome.unknown(failure), .failed(failure, neverSent: false)] {
            let lost = try #require(ApplyMachine.finish(.deliver(first), outcome: outcome, record: begun, before: nil, facts: facts, at: "t").record)
            #expect(lost.intent?.recipients == ["identity": ["u1", "u2"]] && lost.intent?.announced == [:] && lost.status == .unknown)
        }

        // A crash leaves `begun`: the user says which went out.
        let both = try ApplyMachine.resolve(begun, .sent, key: "s", at: "t")
        #expect(both.record?.delivered == ["identity": ["u1", "u2", "u3"]] && both.record?.batchesSent == 2 && both.message.contains("2 unknown batches count as sent"))
        let firstOnly = try ApplyMachine.resolve(begun, .firstSent, key: "s", at: "t")
        #expect(firstOnly.record?.delivered == ["identity": ["u1", "u2"]] && firstOnly.record?.batchesSent == 1 && firstOnly.record?.intent == nil)
        #expect(try ApplyMachine.resolve(begun, .notCreated, key: "s", at: "t").record == nil)
        // `--first-sent` needs two batches in doubt.
        let single = try #require(ApplyMachine.begin(.deliver(first), record: nil, facts: facts, at: "t"))
        #expect(throws: ApplyMachine.Refusal.self) { try ApplyMachine.resolve(single, .firstSent, key: "s", at: "t") }

        // Reconcile finding part of it done keeps the announced ones that are left counted at the end.
        let partly = ApplyMachine.settle(begun, found: .delivered(["identity": ["u1"]], unsettled: "?"), at: "t")
        #expect(!partly.settled && partly.record?.intent?.recipients == ["identity": ["u2", "u3"]] && partly.record?.intent?.announced == ["identity": 1])
        // With the whole first batch found done, one batch is left in doubt.
        let firstFound = try #require(ApplyMachine.settle(begun, found: .delivered(["identity": ["u1", "u2"]], unsettled: "?"), at: "t").record)
        #expect(firstFound.intent?.recipients == ["identity": ["u3"]] && firstFound.intent?.batches == 1)
        #expect(try ApplyMachine.resolve(firstFound, .notCreated, key: "s", at: "t").message.contains("the unknown batch counts as not sent"))
        let all = ApplyMachine.settle(begun, found: .delivered(["identity": ["u1", "u2", "u3"]], unsettled: ""), at: "t")
        #expect(all.settled && all.record?.batchesSent == 2)
    }

    @Test func theAnnouncedCountsRoundTripAndAreNeverGuessed() throws {
        let facts = RecordFacts(provider: "p", kind: "send", name: "S", file: "s.yaml", hash: "c")
        let begun = try #require(ApplyMachine.begin(.deliver(batch(1, ["u1", "u2"])), record: nil, facts: facts, at: "t", announcing: batch(2, ["u3"])))
        var state = EngineState()
        state.campaigns["s"] = begun
        let store = StateStore(path: try TestSupport.temporaryFolder() + "/state.json")
        try store.save(&state)
        let text = try String(contentsOfFile: store.target, encoding: .utf8)
        #expect(text.contains("\"announced\": {\n"))
        #expect(try store.load().campaigns["s"]?.intent == begun.intent)
        // An intent of one batch is written as it always was.
        state.campaigns["s"] = ApplyMachine.begin(.deliver(batch(1, ["u1"])), record: nil, facts: facts, at: "t")
        try store.save(&state)
        #expect(!(try String(contentsOfFile: store.target, encoding: .utf8)).contains("announced"))
        // Counts that do not fit the recipients are an error, not a guess.
        for bad in [#"{"identity": 3}"#, #"{"identity": 0}"#, #"{"email": 1}"#, #"{"identity": "1"}"#, #"[1]"#] {
            let file = #"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"s": {"provider": "p", "type": "send", "name": "S", "file": "s.yaml", "hash": "c", "status": "unknown", "intent": {"action": "send", "recipients": {"identity": ["u1", "u2"]}, "announced": "#
                + bad + "}, \"created_at\": \"t\", \"updated_at\": \"t\"}}}"
            try file.write(toFile: store.target, atomically: true, encoding: .utf8)
            #expect(throws: DeployError.self) { try store.load() }
        }
    }

    // MARK: the applier

    /// Applies a blast of `kind`; the report, the record on disk, what was on disk as each batch left, and how many
    /// deliveries were asked of the service (the failing one included).
    func apply(_ kind: String, members: Int, failCall: (Int, StepOutcome)? = nil) async throws -> (ApplyReport, StateRecord?, [DurableWatch.Seen], Int, ToyService) {
        let service = ToyService()
        if let failCall { await service.fail(call: failCall.0, failCall.1) }
        let store = try engine.store()
        let watch = DurableWatch()
        let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in
            WatchingRuntime(inner: ToyRuntime(service: service), store: store, watch: watch)
        }])
        var state = EngineState()
        try store.save(&state)
        let plan = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: [engine.blast(members, kind: kind)], state: state, live: [:])
        let report = await Applier(providers: providers, journal: StateJournal(state: state, store: store)).apply(plan)
        return (report, try store.load().campaigns["blast"], await watch.seen, await service.callCount, service)
    }

    @Test(arguments: ["stream", "blast"]) func everyBatchLeavesOnlyOnceADurableIntentNamesIt(kind: String) async throws {
        let (report, record, seen, calls, service) = try await apply(kind, members: 4_500)
        #expect(report.succeeded && calls == 5)
        // The record given to the provider carries what earlier batches taught: one audience made, then added to.
        #expect(await service.audiences.keys.sorted() == ["aud-1"] && record?.id == "aud-1" && record?.facts == [Fact("size", "4500")])
        #expect(record?.deliveredCount == 4_500 && Set(record?.delivered["member"] ?? []).count == 4_500 && record?.intent == nil && record?.batchesSent == 5)
        #expect(seen.map(\.batch) == [1, 2, 3, 4, 5])
        for entry in seen {
            let members = Set((0..<4_500).map { "member-\($0)" }[((entry.batch - 1) * 1000)..<min(entry.batch * 1000, 4_500)])
            // On disk as the batch leaves: its members are in the intent, and none of them is recorded as delivered.
            #expect(members.isSubset(of: Set(entry.intent)), "batch \(entry.batch): not in the durable intent")
            #expect(members.isDisjoint(with: entry.delivered), "batch \(entry.batch)")
            // At most one write behind: every batch before the previous one is recorded.
            #expect(entry.delivered.count >= max(0, entry.batch - 2) * 1000, "batch \(entry.batch): \(entry.delivered.count) recorded")
            if kind == "blast" {
                // Without overlap the intent is exactly the batch.
                #expect(Set(entry.intent) == members && entry.announced == 0)
            } else {
                // With overlap it is this batch and the next, or the previous one and this one (its write in flight).
                #expect(entry.intent.count <= 2_000 && (entry.announced > 0 || entry.batch == 5))
            }
        }
    }

    @Test func aRefusedBatchStopsTheActionBeforeTheNextOneLeaves() async throws {
        let (report, record, _, calls, _) = try await apply("stream", members: 4_500, failCall: (2, .failed(failure, neverSent: true)))
        #expect(calls == 3, "\(calls) calls")
        #expect(report.failed.first?.message.contains("(batch 3 of 5; 2 sent)") == true, "\(report.failed)")
        #expect(record?.deliveredCount == 2_000 && record?.intent == nil && record?.status == .sent)
    }

    @Test func anUnknownBatchStopsTheActionAndOnlyItStaysInDoubt() async throws {
        let (report, record, _, calls, _) = try await apply("stream", members: 4_500, failCall: (2, .unknown(failure)))
        #expect(calls == 3)
        #expect(report.unknown.count == 1)
        #expect(record?.deliveredCount == 2_000 && record?.status == .unknown)
        #expect(record?.intent?.recipients["member"] == (2_000..<3_000).map { "member-\($0)" } && record?.intent?.announced == [:])
    }

    /// Applies a stream of 4,500 members (5 batches) with a writer that fails write `failing`; the report, the writer,
    /// and the members the service received.
    func applyWriting(_ kind: String = "stream", failing: Int = 0, landing: Bool = false) async -> (ApplyReport, CountingWriter, Set<String>) {
        let service = ToyService()
        let writer = CountingWriter(state: EngineState(), failing: failing, landing: landing)
        let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in LoggingRuntime(inner: ToyRuntime(service: service), writer: writer) }])
        let plan = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: [engine.blast(4_500, kind: kind)], state: EngineState(), live: [:])
        let report = await Applier(providers: providers, journal: writer).apply(plan)
        return (report, writer, await service.audiences["aud-1"] ?? [])
    }

    @Test(arguments: ["stream", "blast"]) func theNextBatchLeavesWhileTheWriteIsOutOnlyWhenTheKindOverlaps(kind: String) async throws {
        let (report, writer, received) = await applyWriting(kind)
        #expect(report.succeeded && received.count == 4_500)
        // Without overlap, batch j leaves after j writes ended (the first intent, then each earlier batch's outcome);
        // with it, the write of batch j - 1's outcome is still out. Each write takes 30 ms and a toy send none, so
        // that shows for at least one batch even on a loaded machine.
        let events = await writer.events
        var ended = 0
        var overlapped = 0
        for event in events {
            if event.hasSuffix("ends") { ended += 1 }
            if event.hasPrefix("send "), let batch = Int(event.dropFirst(5)), batch >= 2, ended < batch { overlapped += 1 }
        }
        if kind == "stream" { #expect(overlapped >= 1, "\(events)") } else { #expect(overlapped == 0, "\(events)") }
    }

    @Test(arguments: [false, true]) func aStateWriteFailingWhileTheNextBatchIsOutStopsAndSaysHowToSettleEitherWay(landing: Bool) async throws {
        // Writes: 1 the account, 2 the intent {1, 2}, 3 batch 1 done with the intent {2, 3}, 4 batch 2 done with {3, 4}.
        let (report, writer, received) = await applyWriting(failing: 4, landing: landing)
        #expect(report.stopped && !report.succeeded)
        let message = report.failed.first?.message ?? ""
        #expect(message.contains("S062") && message.contains("batch 2 of 5 was sent and batch 3 was sent"), "\(message)")
        #expect(message.contains("at batch 2, settle it with `campaign state resolve blast --sent`; at batch 3, with `--first-sent`"), "\(message)")
        // Batch 3 was out when the write failed; nothing after it left, and nothing more was written.
        #expect(received.count == 3_000)
        #expect(await writer.writes == 4)
        // Whether or not the failed write landed, the answer the message gives for where the intent is records
        // exactly what the service received.
        let durable = try #require(await writer.durable.campaigns["blast"])
        #expect(durable.intent?.batch == (landing ? 3 : 2) && durable.intent?.announced == ["member": 1_000])
        let settled = try ApplyMachine.resolve(durable, landing ? .firstSent : .sent, key: "blast", at: "t")
        #expect(Set(settled.record?.delivered["member"] ?? []) == received && settled.record?.deliveredCount == 3_000)
    }

    @Test func aProvidersMemoryIsHandedOnAcrossOverlappedBatchesAndWrittenOnce() async throws {
        let service = ToyService()
        let providers = ProviderSet(["toy": { () throws(ProviderFailure) -> any ProviderRuntime in RememberingRuntime(inner: ToyRuntime(service: service)) }])
        let store = try engine.store()
        var state = EngineState()
        try store.save(&state)
        let journal = StateJournal(state: state, store: store)
        let plan = Planner(now: Date(), rules: RuleBook([ToyRules()])).plan(desired: [engine.blast(4_500, kind: "stream")], state: state, live: [:])
        #expect(await Applier(providers: providers, journal: journal).apply(plan).succeeded)
        // Each batch saw what the batches before it learned, and the whole memory is recorded.
        #expect(try store.load().campaigns["blast"]?.facts[fact: RememberingRuntime.fact]?.split(separator: ",").count == 4_500)
    }
}
