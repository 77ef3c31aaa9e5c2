import CampaignEngine
import Foundation
import JSON
import PersonaClickProvider
import PersonaClickSandbox
import Testing

/// PersonaClick resources planned and applied through the built `campaign` binary against the PersonaClick sandbox
/// over loopback.
@Suite("PersonaClick: plan and apply", .serialized)
struct PersonaClickApplyTests {
    static func contacts(_ count: Int, from start: Int = 0, bulk: String = "true") -> String {
        "email,email_bulk,email_transactional\n" + (start..<(start + count)).map { "c\($0)@example.com,\(bulk),true\n" }.joined()
    }

    @Test func preferencesAreManagedOnceAndOnlyChangedContactsAgain() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk,sms_bulk,email_confirmed\nana@example.com,true,,true\nbo@example.com,false,true,\n")
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.accepted("/subscriptions/manage").count == 2)
        #expect(await h.accepted("/subscriptions/confirm_email").count == 1)
        // Real booleans reached the source; the empty cell left sms_bulk unset for Ana.
        #expect(await h.sandbox.state.statsJSON()["string_booleans"]?.intValue == 0)
        let ana = try #require(await h.sandbox.state.contact("email", "ana@example.com"))
        #expect(ana.flags == ["email_bulk": true] && ana.confirmed)
        #expect(try h.members("prefs").count == 2)
        let unchanged = try await h.plan(["--detailed-exitcode"])
        #expect(unchanged.status == 0, "\(unchanged.stdout)\(unchanged.stderr)")
        // One row changes: exactly one manage; "already confirmed" is done, not a failure.
        try h.write("contacts.csv", "email,email_bulk,sms_bulk,email_confirmed\nana@example.com,true,,true\nbo@example.com,true,true,\n")
        let plan = try await h.plan()
        #expect(plan.line("prefs")?.contains("+0 manage, ~1 changed (email:bo@example.com), -0 release, 1 unchanged") == true, "\(plan.stdout)")
        let again = try await h.apply()
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(await h.accepted("/subscriptions/manage", contact: "bo@example.com").count == 2)
        #expect(await h.accepted("/subscriptions/manage", contact: "ana@example.com").count == 1)
        await h.stop()
    }

    /// The issue's scenario: a contact unsubscribes through the unsubscribe page; the file still says
    /// `email_bulk: true`; the plan says who, when and through which channel, and nothing resubscribes them.
    @Test func consentWithdrawnAtTheSourceIsNeverOverridden() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk,email_chain\nana@example.com,true,true\nbo@example.com,true,\n")
        #expect(try await h.apply().status == 0)
        await h.sandbox.state.unsubscribePage(email: "ana@example.com")
        // State keeps times to the second, and an event in the second of the last apply counts as after it: the next
        // apply is a second later, so that the event is before it.
        try await Task.sleep(for: .milliseconds(1_100))
        // Bo's row changes too, so a manage goes out in the same run.
        try h.write("contacts.csv", "email,email_bulk,email_chain\nana@example.com,true,true\nbo@example.com,true,true\n")
        let plan = try await h.plan()
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        let note = try #require(plan.stdout.split(separator: "\n").first { $0.contains("! consent:") }, "\(plan.stdout)")
        #expect(note.contains("ana@example.com: unsubscribe through unsubscribe_page at ") && note.contains("(email)") && note.contains("`email_bulk: true`"), "\(note)")
        #expect(plan.stdout.contains("1 ! consent"), "\(plan.stdout)")
        let json = try await h.plan(["--format", "json"])
        #expect(json.stdout.contains("\"word\": \"consent\""))
        let markdown = try await h.plan(["--format", "markdown"])
        #expect(markdown.stdout.contains("| ! | `prefs` | consent |"), "\(markdown.stdout)")
        let managedBefore = await h.accepted("/subscriptions/manage", contact: "ana@example.com").count
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.accepted("/subscriptions/manage", contact: "ana@example.com").count == managedBefore)
        #expect(await h.sandbox.state.contact("email", "ana@example.com")?.flags["email_bulk"] == false)
        #expect(await h.sandbox.state.contact("email", "bo@example.com")?.flags["email_chain"] == true)
        // The hold is recorded: later plans (the feed event is older than the last apply now) still hold Ana.
        #expect(try h.members("prefs").contains("email:ana@example.com #------------!e"))
        try h.write("contacts.csv", "email,email_bulk,email_chain,sms_bulk\nana@example.com,true,true,true\nbo@example.com,true,true,\n")
        let later = try await h.plan()
        #expect(later.stdout.contains("! consent: ana@example.com: opted out at the source before the last apply"), "\(later.stdout)")
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.contact("email", "ana@example.com")?.flags["email_bulk"] == false)
        #expect(await h.sandbox.state.contact("email", "ana@example.com")?.flags["sms_bulk"] == true)
        // `resubscribe: confirmed` clears it, once.
        try h.write("contacts.csv", "email,email_bulk,email_chain,sms_bulk,resubscribe\nana@example.com,true,true,true,confirmed\nbo@example.com,true,true,,\n")
        let confirmed = try await h.plan()
        #expect(confirmed.stdout.contains("+ resubscribe: ana@example.com"), "\(confirmed.stdout)")
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.contact("email", "ana@example.com")?.flags["email_bulk"] == true)
        // A later opt-out holds again although the row still says it.
        await h.sandbox.state.sourceChange(contact: "ana@example.com", contactType: "email", event: "complained", channel: "email_feedback_processing")
        try h.write("contacts.csv", "email,email_bulk,email_chain,sms_bulk,resubscribe\nana@example.com,true,true,false,confirmed\nbo@example.com,true,true,,\n")
        let complained = try await h.plan()
        #expect(complained.stdout.contains("! consent: ana@example.com: complained through email_feedback_processing"), "\(complained.stdout)")
        await h.stop()
    }

    @Test func removingTheRowClearsTheHold() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        #expect(try await h.apply().status == 0)
        await h.sandbox.state.unsubscribePage(email: "ana@example.com")
        #expect(try await h.apply().status == 0)
        #expect(try h.members("prefs") == ["email:ana@example.com #------------!e"])
        // State keeps times to the second, and an event in the second of the last apply counts as after it: wait.
        try await Task.sleep(for: .milliseconds(1_100))
        try h.write("contacts.csv", "email,email_bulk\nbo@example.com,true\n")
        #expect(try await h.apply().status == 0)
        try h.write("contacts.csv", "email,email_bulk\nbo@example.com,true\nana@example.com,true\n")
        let plan = try await h.plan()
        #expect(!plan.stdout.contains("! consent"), "\(plan.stdout)")
        await h.stop()
    }

    @Test func refreshChecksTheSourceBeforeTurningAFlagOn() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        #expect(try await h.apply().status == 0)
        // Changed at the source without a feed item (a hard bounce recorded elsewhere), then Ana's row changes.
        await h.sandbox.state.sourceChange(contact: "ana@example.com", contactType: "email", event: "hard_bounced", channel: "crm", at: "2020-01-01T00:00:00.000")
        try h.write("contacts.csv", "email,email_bulk,email_chain\nana@example.com,true,true\n")
        let plain = try await h.plan()
        #expect(!plain.stdout.contains("! consent"), "the feed holds nothing since the last apply: \(plain.stdout)")
        let refreshed = try await h.plan(["--refresh"])
        #expect(refreshed.stdout.contains("! consent: ana@example.com: the source says email_bounced (check)"), "\(refreshed.stdout)\(refreshed.stderr)")
        #expect(await h.accepted("/subscriptions/check", contact: "ana@example.com").count == 1)
        await h.stop()
    }

    @Test func theChangeFeedIsPagedPastTwentyThousand() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        #expect(try await h.apply().status == 0)
        _ = await h.sandbox.state.seedChanges(count: 45_000)
        // The last item of the third page is Ana's unsubscribe: found only by paging to the end.
        await h.sandbox.state.unsubscribePage(email: "ana@example.com")
        try h.write("contacts.csv", "email,email_bulk,sms_bulk\nana@example.com,true,true\n")
        let plan = try await h.plan([], environment: ["CAMPAIGN_PERSONACLICK_FEED_TIMING": "1"])
        #expect(plan.stdout.contains("! consent: ana@example.com: unsubscribe through unsubscribe_page"), "\(plan.stdout)")
        // 45,000 seeded, Ana's unsubscribe, and the first apply's own subscribe.
        #expect(plan.stderr.contains("45002 items in 3 pages"), "\(plan.stderr)")
        let pages = await h.accepted("/subscriptions/changes").compactMap { $0["path"]?.stringValue }
        #expect(pages.count == 3)
        #expect(pages.contains { $0.contains("offset=40000") && $0.contains("limit=20000") }, "\(pages)")
        await h.stop()
    }

    @Test func perContactErrorsDoNotStopTheRunAndOnlySuccessesAreRecorded() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", Self.contacts(6))
        await h.sandbox.state.refuse(["c1@example.com"], status: 400, shape: "message")
        await h.sandbox.state.refuse(["c2@example.com"], status: 403, shape: "payload")
        await h.sandbox.state.refuse(["c3@example.com"], status: 404, shape: "payload")
        let applied = try await h.apply()
        #expect(applied.status == 1, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stdout.contains("3 rows failed"), "\(applied.stdout)")
        #expect(applied.stderr.contains("row c1@example.com: PC400: nothing to change (HTTP 400)"), "\(applied.stderr)")
        #expect(applied.stderr.contains("row c2@example.com: PC403: refused for this contact (HTTP 403)"), "\(applied.stderr)")
        #expect(applied.stderr.contains("row c3@example.com: PC404: mandatory parameter missing (HTTP 404)") && applied.stderr.contains("the API's 404"), "\(applied.stderr)")
        #expect(try h.members("prefs").count == 3)
        await h.sandbox.state.clearFaults()
        let rerun = try await h.apply()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try h.members("prefs").count == 6)
        #expect(await h.accepted("/subscriptions/manage", contact: "c0@example.com").count == 1)
        await h.stop()
    }

    @Test func retriesAfterServerErrorsAndWaitsOutRateLimits() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", Self.contacts(3))
        await h.sandbox.state.addFault(.init(path: "/subscriptions/manage", mode: "fail", remaining: 2))
        await h.sandbox.state.addFault(.init(path: "/subscriptions/manage", mode: "rate-limit", remaining: 1, retryAfter: 1))
        let applied = try await h.apply(["--verbose"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try h.members("prefs").count == 3)
        #expect(await h.ledger().filter { $0["status"]?.intValue == 500 }.count == 2)
        #expect(await h.ledger().filter { $0["status"]?.intValue == 429 }.count == 1)
        await h.stop()
    }

    @Test func hardBouncesAreIrreversibleAndNeverRepeatedBlindly() async throws {
        let h = try await ClickHarness.start()
        try h.write("s.yaml", ClickHarness.suppressions())
        try h.write("suppressions.csv", "email,event,permanent\nana@example.com,unsubscribed,\nbo@example.com,hard_bounced,true\n")
        let plan = try await h.plan()
        #expect(plan.stdout.contains("! irreversible: bo@example.com: `hard_bounced` removes the email for good"), "\(plan.stdout)")
        // The answer to Bo's callback is lost after the source acted.
        await h.sandbox.state.addFault(.init(path: "/subscriptions/callback", mode: "commit-then-drop", remaining: 1))
        try h.write("suppressions.csv", "email,event,permanent\nbo@example.com,hard_bounced,true\n")
        let applied = try await h.apply()
        #expect(applied.status == 1)
        #expect(applied.stderr.contains("outcome unknown") && applied.stderr.contains("irreversible"), "\(applied.stderr)")
        let refused = try await h.plan()
        #expect(refused.line("s")?.contains("refused") == true, "\(refused.stdout)")
        #expect(try await h.apply().status == 1)
        #expect(await h.accepted("/subscriptions/callback", contact: "bo@example.com").count == 1)
        // Reconcile asks the source: bounced, so it is settled.
        let reconciled = try await h.campaign(["reconcile", "campaigns"])
        #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
        #expect(await h.sandbox.state.contact("email", "bo@example.com")?.bounced == true)
        // Settled as delivered: the next apply has nothing to do, and Bo's callback went out once in all.
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        #expect(try await h.apply().status == 0)
        #expect(await h.accepted("/subscriptions/callback", contact: "bo@example.com").count == 1)
        await h.stop()
    }

    /// One lost answer in a batch leaves that member alone in doubt: the others that took effect are recorded (and
    /// never sent again), a refused one is reported and planned again, and only the one in doubt is checked at the
    /// source.
    @Test func aLostAnswerLeavesOnlyThatMemberInDoubt() async throws {
        let h = try await ClickHarness.start()
        // One call at a time, in the file's order: the dropped answer is Bo's, the refusal Cy's.
        try "timezone: UTC\npersonaclick: {shop_id: \(ClickHarness.shop), shop_secret_env: PERSONACLICK_TEST_SECRET, concurrency: 1}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        try h.write("s.yaml", ClickHarness.suppressions())
        let emails = ["bo@example.com", "cy@example.com", "dee@example.com", "eve@example.com"]
        try h.write("suppressions.csv", "email,event,permanent\n" + emails.map { "\($0),hard_bounced,true\n" }.joined())
        await h.sandbox.state.addFault(.init(path: "/subscriptions/callback", mode: "commit-then-drop", remaining: 1))
        await h.sandbox.state.refuse(["cy@example.com"], status: 400, shape: "message")
        let applied = try await h.apply()
        #expect(applied.status == 1 && applied.stderr.contains("1 irreversible call may or may not have acted (bo@example.com"), "\(applied.stderr)")
        #expect(applied.stderr.contains("cy@example.com"), "the refusal is reported: \(applied.stderr)")
        #expect(await h.ledger().first { $0["dropped"]?.boolValue == true }?["contact"]?.stringValue == "bo@example.com")
        let record = try #require(try h.record("s"))
        let delivered = record.delivered[PersonaClickBinding.permanent] ?? []
        let doubt = record.intent?.recipients[PersonaClickBinding.permanent] ?? []
        #expect(delivered.count == 2 && delivered.allSatisfy { $0.contains("dee@") || $0.contains("eve@") }, "\(delivered)")
        #expect(doubt.count == 1 && doubt.first?.contains("bo@") == true, "\(doubt)")
        // Not counted as a request until the member in doubt is settled.
        #expect(record.batchesSent == 0)
        // Reconcile checks only Bo at the source, finds the email bounced, and settles the batch.
        let checks = await h.ledger().filter { $0["endpoint"]?.stringValue == "/subscriptions/check" }.count
        let reconciled = try await h.campaign(["reconcile", "campaigns"])
        #expect(reconciled.status == 0 && reconciled.stdout.contains("the 1 members in flight were found done"), "\(reconciled.stdout)\(reconciled.stderr)")
        #expect(await h.ledger().filter { $0["endpoint"]?.stringValue == "/subscriptions/check" }.count == checks + 1)
        #expect(try h.record("s")?.batchesSent == 1)
        // Cy, refused, is planned again; once the source takes it, everyone's callback went out once.
        #expect(try await h.plan().line("s")?.contains("+1") == true)
        await h.sandbox.state.clearFaults()
        #expect(try await h.apply().status == 0)
        for email in emails { #expect(await h.accepted("/subscriptions/callback", contact: email).count == 1, "\(email)") }
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    /// kill -9 after a batch went out and before its outcome was saved: the rerun checks that batch's contacts at
    /// the source first, so none is sent twice and none is lost.
    @Test(arguments: ["after-intent", "after-send", "after-response"]) func killNineMidApplyNeitherLosesNorRepeatsAContact(failpoint: String) async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", Self.contacts(1_500))
        let killed = try await h.apply(environment: ["CAMPAIGN_FAILPOINT": failpoint])
        #expect(killed.status == 9, "expected SIGKILL, got \(killed.status): \(killed.stderr)")
        let rerun = try await h.apply()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try h.members("prefs").count == 1_500)
        var perContact: [String: Int] = [:]
        for entry in await h.accepted("/subscriptions/manage") { perContact[entry["contact"]?.stringValue ?? "", default: 0] += 1 }
        #expect(perContact.count == 1_500)
        #expect(perContact.values.allSatisfy { $0 == 1 }, "\(perContact.filter { $0.value != 1 }.prefix(3))")
        await h.stop()
    }

    @Test func aRealKillMidBatchNeitherLosesNorRepeatsAContact() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", Self.contacts(600))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.product("campaign"))
        process.arguments = ["apply", "campaigns", "--auto-approve", "--init-state"]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        process.environment = ProcessInfo.processInfo.environment.merging(h.environment.merging(["CAMPAIGN_PERSONACLICK_RATE": "300"]) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if await h.accepted("/subscriptions/manage").count >= 150 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let rerun = try await h.apply()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try h.members("prefs").count == 600)
        var perContact: [String: Int] = [:]
        for entry in await h.accepted("/subscriptions/manage") { perContact[entry["contact"]?.stringValue ?? "", default: 0] += 1 }
        #expect(perContact.count == 600 && perContact.values.allSatisfy { $0 == 1 })
        await h.stop()
    }

    @Test func theSecretIsInNoOutputAndInNoRequestURL() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        var runs = [try await h.apply(["--verbose"])]
        await h.sandbox.state.unsubscribePage(email: "ana@example.com")
        try h.write("contacts.csv", "email,email_bulk,sms_bulk\nana@example.com,true,true\n")
        runs.append(try await h.plan(["--refresh", "--format", "json"]))
        runs.append(try await h.campaign(["status", "campaigns", "--changes", "2020-01-01", "--format", "markdown"]))
        runs.append(try await h.campaign(["plan", "campaigns"], environment: ["PERSONACLICK_TEST_SECRET": "wrong-secret-xyz"]))
        for run in runs {
            #expect(!run.stdout.contains(ClickHarness.secret) && !run.stderr.contains(ClickHarness.secret))
        }
        #expect(runs.last?.status == 1 && runs.last?.stderr.contains("PC403") == true, "\(runs.last?.stderr ?? "")")
        let state = try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)
        #expect(!state.contains(ClickHarness.secret))
        let ledger = await h.ledger()
        let gets = ledger.filter { $0["method"]?.stringValue == "GET" }
        #expect(gets.count >= 2 && gets.allSatisfy { $0["path"]?.stringValue?.contains("shop_id=SHOP-42") == true })
        #expect(ledger.allSatisfy { !($0["path"]?.stringValue ?? "").contains(ClickHarness.secret) && !($0["path"]?.stringValue ?? "").contains("shop_secret") })
        #expect(ledger.allSatisfy { $0["provider"]?.stringValue == "personaclick" })
        await h.stop()
    }

    @Test func aCustomAPIURLNeedsTheRunnersPermission() async throws {
        let h = try await ClickHarness.start()
        try "timezone: UTC\npersonaclick: {shop_id: SHOP-42, shop_secret_env: PERSONACLICK_TEST_SECRET, api_url: \"\(h.sandbox.baseURL)\"}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        var environment = h.environment
        environment["PERSONACLICK_API_URL"] = nil
        let refused = try await TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state"], environment: environment, currentDirectory: h.root)
        #expect(refused.status == 1 && refused.stderr.contains("--allow-api-url"), "\(refused.stderr)")
        let allowed = try await TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state", "--allow-api-url"], environment: environment, currentDirectory: h.root)
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        await h.stop()
    }

    @Test func statusCountsFlagsAndSummarisesTheFeed() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk,sms_bulk\nana@example.com,true,\nbo@example.com,false,true\ncy@example.com,true,false\n")
        #expect(try await h.apply().status == 0)
        await h.sandbox.state.unsubscribePage(email: "ana@example.com")
        await h.sandbox.state.sourceChange(contact: "dee@example.com", contactType: "email", event: "unsubscribe", channel: "unsubscribe_page", at: "2026-01-02T10:00:00.000")
        let text = try await h.campaign(["status", "campaigns"])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        let row = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("email_bulk ") })
        #expect(row.split(separator: " ").map(String.init) == ["email_bulk", "2", "1", "0"], "\(text.stdout)")
        let json = try await h.campaign(["status", "campaigns", "--changes", "2026-01-01", "--format", "json"])
        let parsed = try JSONParser().parse(Array(json.stdout.utf8))
        let click = try #require(parsed["personaclick"])
        #expect(click["contacts"]?.intValue == 3 && click["flags"]?["sms_bulk"]?["true"]?.intValue == 1)
        let rows = click["changes"]?["rows"]?.arrayValue ?? []
        #expect(rows.contains { $0["day"]?.stringValue == "2026-01-02" && $0["event"]?.stringValue == "unsubscribe" && $0["channel"]?.stringValue == "unsubscribe_page" && $0["count"]?.intValue == 1 }, "\(json.stdout)")
        let markdown = try await h.campaign(["status", "campaigns", "--changes", "2026-01-01", "--format", "markdown"])
        #expect(markdown.stdout.contains("```mermaid\nxychart-beta\n    title \"Unsubscribes per day\"\n    x-axis [\"2026-01-02\""), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("| `email_bulk` | 2 | 1 | 0 |"))
        let bad = try await h.campaign(["status", "campaigns", "--changes", "yesterday"])
        #expect(bad.status != 0 && bad.stderr.contains("YYYY-MM-DD"))
        // `--format github` (accepted before markdown was added) still means: the table as text, problems as
        // GitHub annotations.
        let github = try await h.campaign(["status", "campaigns", "--format", "github"])
        #expect(github.status == 0 && github.stdout == text.stdout, "\(github.stderr)")
        let badGithub = try await h.campaign(["status", "campaigns", "--format", "github", "--changes", "yesterday"])
        #expect(badGithub.status != 0 && badGithub.stderr.hasPrefix("::error"), "\(badGithub.stderr)")
        await h.stop()
    }

    @Test func anUnreachableHostFailsEveryContactWithoutRecordingOne() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", Self.contacts(2))
        let (held, port) = try PostgresTestServer.heldClosedPort()
        defer { close(held) }
        let applied = try await h.apply([], environment: ["PERSONACLICK_API_URL": "http://127.0.0.1:\(port)"])
        #expect(applied.status == 1, "\(applied.stdout)\(applied.stderr)")
        #expect(applied.stderr.contains("PC-NET"), "\(applied.stderr)")
        #expect(try h.members("prefs").isEmpty)
        #expect(await h.accepted("/subscriptions/manage").isEmpty)
        await h.stop()
    }
}

@Suite("PersonaClick: a pull request's plan without the shop secret")
struct PersonaClickNoSecretTests {
    /// A plan that is only shown goes on without PersonaClick when this run has no secret (a pull request's), and
    /// says so; a plan to be saved, and apply, still need it: consent is always reviewed before anything is sent.
    @Test func aShownPlanGoesOnWithoutTheSecretAndSaysSo() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\n")
        #expect(try await h.apply().status == 0)
        try h.write("contacts.csv", "email,email_bulk\nana@example.com,true\nbo@example.com,true\n")
        let shown = try await h.plan([], environment: ["PERSONACLICK_TEST_SECRET": ""])
        #expect(shown.status == 0, "\(shown.stdout)\(shown.stderr)")
        #expect(shown.stdout.contains("personaclick was not asked"), "\(shown.stdout)")
        let saved = try await h.plan(["--out", h.root + "/plan.json"], environment: ["PERSONACLICK_TEST_SECRET": ""])
        #expect(saved.status == 1 && saved.stderr.contains("PERSONACLICK_TEST_SECRET"), "\(saved.stdout)\(saved.stderr)")
        let applied = try await h.apply([], environment: ["PERSONACLICK_TEST_SECRET": ""])
        #expect(applied.status == 1, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.accepted("/subscriptions/manage", contact: "bo@example.com").isEmpty)
        await h.stop()
    }
}

@Suite("PersonaClick: contacts the source cannot be asked about")
struct PersonaClickUncheckableTests {
    /// C-7 is given by `external_id`: the change feed cannot say whether the person opted out since, so a flag the
    /// last apply sent false is not turned on until the row says `resubscribe: confirmed`.
    @Test func aFlagTurnedOnForAnExternalIDWaitsForAConfirmation() async throws {
        let h = try await ClickHarness.start()
        try h.write("prefs.yaml", ClickHarness.preferences())
        try h.write("contacts.csv", "external_id,email_bulk\nC-7,false\n")
        #expect(try await h.apply().status == 0)
        try await Task.sleep(for: .milliseconds(1_100))
        try h.write("contacts.csv", "external_id,email_bulk\nC-7,true\n")
        let plan = try await h.plan()
        #expect(plan.stdout.contains("! consent") && plan.stdout.contains("C-7: a flag the last apply sent false"), "\(plan.stdout)")
        #expect(try await h.apply().status == 0)
        #expect(await h.accepted("/subscriptions/manage", contact: "C-7").count == 1, "only the first apply's `false`")
        try h.write("contacts.csv", "external_id,email_bulk,resubscribe\nC-7,true,confirmed\n")
        #expect(try await h.apply().status == 0)
        #expect(await h.accepted("/subscriptions/manage", contact: "C-7").count == 2)
        await h.stop()
    }
}
