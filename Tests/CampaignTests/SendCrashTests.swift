import Foundation
import JSON
import Testing

/// kill -9 during a CleverTap identity send of three batches, whose batches overlap their records: what state says
/// afterwards always matches what the sandbox received, and settling it as the sandbox says sends to every
/// recipient exactly once.
@Suite("Apply: kill -9 during an identity send", .serialized)
struct SendCrashTests {
    static let identities = (0..<2_500).map { "user-\($0)" }

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
        // A request the process wrote before it died is still taken in by the sandbox.
        try await Task.sleep(for: .milliseconds(300))
        let sent = await Self.received(h)
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
        // Killed with the intent {1, 2} on disk: before batch 1 left, or once it was answered (batch 2 not yet out).
        if failpoint == "after-intent" { #expect(answer == "--not-created") }
        if failpoint == "after-send" { #expect(answer == "--first-sent") }
        let resolved = try await h.campaign(["state", "resolve", "big", answer])
        #expect(resolved.status == 0, "\(resolved.stdout)\(resolved.stderr)")
        let finished = try await h.apply()
        #expect(finished.status == 0, "\(finished.stdout)\(finished.stderr)")
        let after = await Self.received(h)
        #expect(after.count == 2_500 && after.values.allSatisfy { $0 == 1 }, "\(after.filter { $0.value != 1 }.count) sent twice")
        #expect(try await h.record("big")?["delivered"]?["identity"]?.arrayValue?.count == 2_500)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }
}
