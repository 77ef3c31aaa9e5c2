import Foundation
import JSON
import Testing

/// A CleverTap identity send (whose batches overlap their records) cut short: what state says
/// afterwards always matches what the sandbox received, and settling it as the sandbox says sends to every
/// recipient exactly once.
@Suite("Apply: an identity send cut short (kill -9, a lost database, Ctrl-C)", .serialized)
struct SendCrashTests {
    static let identities = (0..<2_500).map { "user-\($0)" }

    /// The sandbox's send ledger once it has stopped growing (a request the process wrote before it died is still
    /// taken in): the same count over half a second of polls, within 20 s.
    static func settledLedger(_ h: DeployHarness) async throws -> [String: Int] {
        var last = -1, same = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while same < 5, ContinuousClock.now < deadline {
            let count = await h.ledger("/1/send/push.json").count
            same = count == last ? same + 1 : 0
            last = count
            try await Task.sleep(for: .milliseconds(100))
        }
        return await received(h)
    }

    /// Waits until the sandbox has accepted `count` sends (within 30 s).
    static func waitForSends(_ h: DeployHarness, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while await h.ledger("/1/send/push.json").count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Every identity the sandbox accepted a send for, with how many times.
    static func received(_ h: DeployHarness) async -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in await h.ledger("/1/send/push.json") {
            for id in entry["body"]?["to"]?["Identity"]?.arrayValue ?? [] { counts[id.stringValue ?? "", default: 0] += 1 }
        }
        return counts
    }

    @Test(arguments: StateKind.allCases, ["after-intent", "after-send", "after-response", "after-save"])
    func stateMatchesWhatWasSentAndTheRightResolutionSendsEachOnce(state: StateKind, failpoint: String) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("big.yaml", DeployHarness.send("Big", identities: Self.identities))
        let killed = try await h.apply(environment: ["CAMPAIGN_FAILPOINT": failpoint])
        #expect(killed.status == 9, "expected SIGKILL, got \(killed.status): \(killed.stderr)")
        let answer = try await Self.settleAsTheSandboxShows(h)
        // Killed with the intent {1, 2} on disk: before batch 1 left, or once it was answered (batch 2 not yet out).
        if failpoint == "after-intent" { #expect(answer == "--not-created") }
        if failpoint == "after-send" { #expect(answer == "--first-sent") }
        try await Self.finishAndCheckEachOnce(h, count: Self.identities.count)
        await h.stop()
    }

    @Test func theDatabaseStoppedMidSendStopsTheRunAndTheRightResolutionSendsEachOnce() async throws {
        // A cluster of its own: stopping the shared one would break the other tests.
        let server = try await PostgresTestServer.startAsync()
        var h = try await DeployHarness.start(state: .postgres) { $0.faults = [.init(endpoint: "/1/send/push.json", mode: .delay, count: 100, delay: 0.5)] }
        h.environment["CAMPAIGN_STATE"] = server.url()
        h.environment.merge(server.environment) { $1 }
        h.server = server
        let identities = (0..<10_000).map { "user-\($0)" }
        try h.write("big.yaml", DeployHarness.send("Big", identities: identities))
        let env = h.environment
        let root = h.root
        async let run = TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state", "--color", "never"], environment: env, currentDirectory: root)
        // Ten batches of 0.5 s: the database goes while the run is at the third, long before the end.
        try await Self.waitForSends(h, 2)
        try await server.halt()
        let stopped = try await run
        #expect(stopped.status == 1, "\(stopped.stdout)\(stopped.stderr)")
        #expect(stopped.stderr.contains("S062") && stopped.stderr.contains("but the state may not hold batch"), "\(stopped.stderr)")
        #expect(await h.ledger("/1/send/push.json").count < 10, "the run went on without its state")
        try await server.restart()
        _ = try await Self.settleAsTheSandboxShows(h)
        try await Self.finishAndCheckEachOnce(h, count: identities.count)
        await h.stop()
    }

    @Test func ctrlCFinishesTheBatchInFlightAndTheAnnouncedOneNeverLeaves() async throws {
        let h = try await DeployHarness.start { $0.faults = [.init(endpoint: "/1/send/push.json", mode: .delay, count: 100, delay: 0.5)] }
        let identities = (0..<5_000).map { "user-\($0)" }
        try h.write("big.yaml", DeployHarness.send("Big", identities: identities))
        let process = try await h.startApply()
        try await Self.waitForSends(h, 1)
        kill(process.processIdentifier, SIGINT)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning && process.terminationStatus == 130)
        // Nothing in doubt: the batch in flight was answered and recorded, the one its intent announced never left.
        let sent = try await Self.settledLedger(h)
        let record = try #require(try await h.record("big"))
        #expect(record["intent"] == nil, "\(record["intent"].map { "\($0)" } ?? "")")
        #expect(Set(record["delivered"]?["identity"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(sent.keys))
        // Signalled once batch 1 was answered: batch 2 at most was out (to be finished), never a third.
        #expect(sent.count <= 2_000 && sent.count % 1_000 == 0)
        try await Self.finishAndCheckEachOnce(h, count: identities.count)
        await h.stop()
    }

    /// Checks that state matches what the sandbox received (nothing recorded that did not go, nothing gone without an
    /// intent naming it), then answers `state resolve` as the sandbox shows; the answer given.
    static func settleAsTheSandboxShows(_ h: DeployHarness) async throws -> String {
        let sent = try await Self.settledLedger(h)
        #expect(sent.values.allSatisfy { $0 == 1 })
        let record = try #require(try await h.record("big"), "the intent is on disk before any batch leaves")
        let delivered = Set(record["delivered"]?["identity"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let doubt = record["intent"]?["recipients"]?["identity"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let announced = record["intent"]?["announced"]?["identity"]?.intValue ?? 0
        // State never says delivered what did not go, and nothing went without an intent naming it.
        #expect(delivered.isSubset(of: Set(sent.keys)))
        #expect(Set(sent.keys).isSubset(of: delivered.union(doubt)))
        #expect(delivered.isDisjoint(with: doubt) && !doubt.isEmpty && doubt.count <= 2_000)
        // The plain rerun refuses to guess; reconcile says what the user may answer.
        let rerun = try await h.apply()
        #expect(rerun.status == 1 && rerun.stdout.contains("unknown"), "\(rerun.stdout)")
        let reconciled = try await h.campaign(["reconcile", "campaigns"])
        #expect(reconciled.status == 1 && reconciled.stdout.contains(announced > 0 ? "--first-sent" : "--sent"), "\(reconciled.stdout)")
        // The user answers as the provider's side shows it.
        let first = Set(doubt.dropLast(announced)), second = Set(doubt.suffix(announced))
        let went = Set(sent.keys)
        let answer: String
        if Set(doubt).isSubset(of: went) {
            answer = "--sent"
        } else if Set(doubt).isDisjoint(with: went) {
            answer = "--not-created"
        } else {
            // Only the first of the two may have gone without the second.
            #expect(first.isSubset(of: went) && second.isDisjoint(with: went), "a mix no answer fits")
            answer = "--first-sent"
        }
        let resolved = try await h.campaign(["state", "resolve", "big", answer])
        #expect(resolved.status == 0, "\(resolved.stdout)\(resolved.stderr)")
        return answer
    }

    /// A plain apply finishes the send: each of `count` recipients received exactly one send in all.
    static func finishAndCheckEachOnce(_ h: DeployHarness, count: Int) async throws {
        let finished = try await h.apply()
        #expect(finished.status == 0, "\(finished.stdout)\(finished.stderr)")
        let after = await Self.received(h)
        #expect(after.count == count && after.values.allSatisfy { $0 == 1 }, "\(after.filter { $0.value != 1 }.count) sent twice")
        #expect(try await h.record("big")?["delivered"]?["identity"]?.arrayValue?.count == count)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
    }
}
