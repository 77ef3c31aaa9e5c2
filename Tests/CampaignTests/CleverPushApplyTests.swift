import CampaignEngine
import CleverPushSandbox
import Foundation
import JSON
import Testing

/// CleverPush resources planned and applied through the built `campaign` binary against the CleverPush sandbox over
/// loopback, on both state backends where state matters.
@Suite("CleverPush: plan and apply", .serialized)
struct CleverPushApplyTests {
    @Test(arguments: StateKind.allCases) func aNotificationIsSentOnceAndAChangeIsRefused(state: StateKind) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("push.yaml", PushHarness.notification(audience: "{tags: [vip], topics: [news]}"))
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.sandbox.state.sends(title: "Spring sale") == 1)
        let record = try #require(try await h.record("push"))
        #expect(record.id?.hasPrefix("notification-") == true && record.intent == nil)
        // The names went out as ids.
        let sent = try #require(await h.sandbox.state.ledgerJSON().arrayValue?.first { $0["action"]?.stringValue == "send" })
        #expect(sent["title"]?.stringValue == "Spring sale")
        // The channel's listing says it went out.
        let unchanged = try await h.plan(["--detailed-exitcode"])
        #expect(unchanged.status == 0)
        #expect(unchanged.line("push")?.contains("sent (notification-") == true, "\(unchanged.stdout)")
        try h.write("push.yaml", PushHarness.notification(title: "Spring sale!", audience: "{tags: [vip], topics: [news]}"))
        let changed = try await h.plan()
        #expect(changed.line("push")?.contains("refused") == true && changed.line("push")?.contains("new `key`") == true, "\(changed.stdout)")
        #expect(try await h.apply().status == 1)
        #expect(await h.sandbox.state.sends(title: "Spring sale") == 1)
        #expect(await h.sandbox.state.sends(title: "Spring sale!") == 0)
        await h.stop()
    }

    @Test func anUnknownNameIsRefusedAtPlanTimeWithCloseMatchesAndNothingIsSent() async throws {
        let h = try await PushHarness.start()
        try h.write("push.yaml", PushHarness.notification(audience: "{tags: [vipp]}"))
        // The plan resolves the names through the channel's listings: an unknown one is refused there.
        let plan = try await h.plan()
        #expect(plan.status == 1, "a plan with a refusal fails")
        #expect(plan.line("push")?.contains("refused — no tag named `vipp` in the channel (close matches: vip)") == true, "\(plan.stdout)\(plan.stderr)")
        let applied = try await h.apply()
        #expect(applied.status == 1)
        #expect(applied.stdout.contains("no tag named `vipp`"), "\(applied.stdout)")
        #expect(await h.sandbox.state.sends(title: "Spring sale") == 0)
        #expect(try await h.record("push") == nil)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases, ["after-intent", "after-send", "after-response", "after-save"])
    func killNineDuringANotificationCreateNeverSendsTwice(state: StateKind, failpoint: String) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("push.yaml", PushHarness.notification())
        let killed = try await h.apply(environment: ["CAMPAIGN_FAILPOINT": failpoint])
        #expect(killed.status == 9, "expected SIGKILL, got \(killed.status)")
        let rerun = try await h.apply()
        #expect(await h.sandbox.state.sends(title: "Spring sale") <= 1)
        if failpoint != "after-save" {
            #expect(rerun.stdout.contains("unknown"), "\(rerun.stdout)")
            let reconciled = try await h.campaign(["reconcile", "campaigns"])
            if failpoint == "after-intent" {
                #expect(reconciled.status == 1)
                #expect(try await h.campaign(["state", "resolve", "push", "--not-created"]).status == 0)
            } else {
                #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
            }
            #expect(try await h.apply().status == 0)
        }
        #expect(await h.sandbox.state.sends(title: "Spring sale") == 1)
        let record = try #require(try await h.record("push"))
        #expect(record.intent == nil && record.id?.hasPrefix("notification-") == true)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test func aLostSendAnswerIsUnknownAndReconciledByListing() async throws {
        let h = try await PushHarness.start()
        await h.fault("/notification/send", "commit-then-drop")
        try h.write("push.yaml", PushHarness.notification())
        let applied = try await h.apply()
        #expect(applied.status == 1 && applied.stderr.contains("A002"), "\(applied.stderr)")
        #expect(try await h.apply().stdout.contains("unknown"))
        #expect(await h.sandbox.state.sends(title: "Spring sale") == 1)
        #expect(try await h.campaign(["reconcile", "campaigns"]).status == 0)
        #expect(try await h.record("push")?.id?.hasPrefix("notification-") == true)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // A 5xx on a send is never retried blindly either.
        try h.write("other.yaml", PushHarness.notification("Other", title: "Other"))
        await h.fault("/notification/send", "fail")
        let failed = try await h.apply()
        #expect(failed.status == 1 && failed.stderr.contains("unknown"), "\(failed.stderr)")
        #expect(await h.sandbox.state.statsJSON()["requests"]?["/notification/send"]?.intValue == 2)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func aMirrorTagsJoinersUntagsLeaversAndRecordsMembership(state: StateKind) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("vip.yaml", PushHarness.tagAudience())
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "b", "c"])
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip") == ["a", "b", "c"])
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "c", "d", "e"])
        let plan = try await h.plan()
        #expect(plan.line("vip")?.contains("+2 tag (d, e), -1 untag (b), 2 unchanged") == true, "\(plan.stdout)")
        let json = try await h.plan(["--format", "json"])
        #expect(json.stdout.contains("\"d\"") && json.stdout.contains("/subscription/untag"))
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip") == ["a", "c", "d", "e"])
        #expect(try await h.record("vip")?.delivered["subscription"]?.sorted() == ["a", "c", "d", "e"])
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // Only the mode changes: an update recorded in state, no request.
        try h.write("vip.yaml", PushHarness.tagAudience(mode: "add"))
        let modeOnly = try await h.apply()
        #expect(modeOnly.status == 0, "\(modeOnly.stdout)\(modeOnly.stderr)")
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // `add` keeps the tag of rows that left; their record goes.
        try h.write("vip.yaml", PushHarness.tagAudience(mode: "add"))
        try h.writeCSV("members.csv", header: "subscription_id", ["a"])
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip") == ["a", "c", "d", "e"])
        #expect(try await h.record("vip")?.delivered["subscription"] == ["a"])
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func failedRowsAreReportedNotRecordedAndRetriedByTheNextApply(state: StateKind) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("vip.yaml", PushHarness.tagAudience())
        let members = (0..<30).map { "s\($0)" }
        try h.writeCSV("members.csv", header: "subscription_id", members)
        await h.sandbox.state.refuse((0..<25).map { "s\($0)" })
        let applied = try await h.apply()
        #expect(applied.status == 1)
        #expect(applied.stdout.contains("25 rows failed"), "\(applied.stdout)")
        #expect(applied.stderr.components(separatedBy: "error[A003]").count - 1 == 20, "\(applied.stderr)")
        #expect(applied.stdout.contains("and 5 more failed rows"))
        #expect(applied.stderr.contains("Subscription not found"))
        #expect(try await h.record("vip")?.delivered["subscription"]?.sorted() == (25..<30).map { "s\($0)" }.sorted())
        #expect(try await h.plan().line("vip")?.contains("+25 tag") == true)
        // `--format json` lists every failed row.
        let json = try await h.apply(["--format", "json"])
        #expect(json.status == 1)
        #expect(json.stderr.components(separatedBy: "\"A003\"").count - 1 == 25, "\(json.stderr)")
        await h.sandbox.state.clearRefused()
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip") == members.sorted())
        #expect(try await h.record("vip")?.delivered["subscription"]?.count == 30)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases, ["after-intent", "after-send", "after-response", "after-save"])
    func killNineDuringATagSyncLosesAndDoublesNoRow(state: StateKind, failpoint: String) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("vip.yaml", PushHarness.tagAudience())
        let members = (0..<2_500).map { "m\($0)" }
        try h.writeCSV("members.csv", header: "subscription_id", members)
        let killed = try await h.apply(environment: ["CAMPAIGN_FAILPOINT": failpoint])
        #expect(killed.status == 9, "expected SIGKILL, got \(killed.status)")
        // A plain rerun finishes the rest: an unrecorded batch of idempotent tags is planned again.
        let rerun = try await h.apply()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(await h.sandbox.state.tagged("tag-vip") == members.sorted())
        let delivered = try #require(try await h.record("vip")?.delivered["subscription"])
        #expect(delivered.count == 2_500 && Set(delivered).count == 2_500)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // At most the one batch in flight was tagged twice.
        #expect(await h.sandbox.state.ledgerCount("tag") <= 2_500 + 1_000)
        await h.stop()
    }

    @Test func burstsOf429And5xxAreRetriedWithinTheLimits() async throws {
        let h = try await PushHarness.start()
        try h.write("vip.yaml", PushHarness.tagAudience())
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "b", "c", "d"])
        await h.fault("/subscription/tag", "rate-limit", count: 3, retryAfter: 1)
        await h.fault("/subscription/tag", "fail", count: 3)
        let started = Date()
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(Date().timeIntervalSince(started) >= 1, "429 waits Retry-After")
        #expect(await h.sandbox.state.tagged("tag-vip") == ["a", "b", "c", "d"])
        #expect(await h.sandbox.state.statsJSON()["rate_limited"]?.intValue == 3)
        // More 5xx than the 3 retries: that row fails, the others are done.
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "b", "c", "d", "e"])
        await h.fault("/subscription/tag", "fail", count: 4)
        let failed = try await h.apply()
        #expect(failed.status == 1 && failed.stderr.contains("row e: CP5XX"), "\(failed.stderr)")
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip") == ["a", "b", "c", "d", "e"])
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func subscribersSendOnlyChangedRowsAndCountConfirmations(state: StateKind) async throws {
        let h = try await PushHarness.start(state: state)
        try h.write("customers.yaml", PushHarness.subscribers())
        try h.write("customers.csv", "user_id,email,plan\nu1,a@example.com,pro\nu2,b@example.com,free\nu3,c@example.com,pro\n")
        let first = try await h.apply()
        #expect(first.status == 0)
        #expect(first.stdout.contains("email_confirmation_needed 3"), "\(first.stdout)")
        #expect(await h.sandbox.state.ledgerCount("subscribe") == 3)
        #expect(try await h.record("customers")?.facts.first { $0.name == "email_confirmation_needed" }?.value == "3")
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        try h.write("customers.csv", "user_id,email,plan\nu1,a@example.com,pro\nu2,b@example.com,pro\nu3,c@example.com,pro\n")
        let plan = try await h.plan()
        #expect(plan.line("customers")?.contains("+1 sync (u2 #") == true && plan.line("customers")?.contains("-1 drop") == true, "\(plan.stdout)")
        #expect(try await h.apply().status == 0)
        // The changed row updated its subscription (found by user_id): no second subscription, no second opt-in mail.
        #expect(await h.sandbox.state.ledgerCount("subscribe") == 3)
        #expect(await h.sandbox.state.ledgerCount("update") == 1)
        #expect(try await h.record("customers")?.facts.first { $0.name == "email_confirmation_needed" }?.value == "3")
        // A column the channel does not define is refused per row.
        try h.write("customers.csv", "user_id,email,plan,shoe_size\nu4,d@example.com,pro,44\n")
        let refused = try await h.apply()
        #expect(refused.status == 1 && refused.stderr.contains("Custom attribute 'shoe_size' does not exist"), "\(refused.stderr)")
        await h.stop()
    }

    @Test func theKeyNeverAppearsInOutputAndAWrongKeyFailsTheRun() async throws {
        let h = try await PushHarness.start()
        try h.write("vip.yaml", PushHarness.tagAudience())
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "b"])
        try h.write("push.yaml", PushHarness.notification())
        let verbose = try await h.apply(["--verbose"])
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stderr.contains("Authorization: <redacted>"))
        #expect(!(verbose.stdout + verbose.stderr).contains(PushHarness.key))
        try h.writeCSV("members.csv", header: "subscription_id", ["a", "b", "c"])
        let wrong = try await h.apply(["--verbose"], environment: ["CLEVERPUSH_TEST_KEY": "wrong-key-4711"])
        #expect(wrong.status == 1 && wrong.stderr.contains("CP401"), "\(wrong.stderr)")
        #expect(!(wrong.stdout + wrong.stderr).contains("wrong-key-4711") && !(wrong.stdout + wrong.stderr).contains(PushHarness.key))
        let state = try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)
        #expect(!state.contains(PushHarness.key))
        await h.stop()
    }

    @Test func aTagAudienceByUserIDLooksUpEachSubscription() async throws {
        let h = try await PushHarness.start()
        try h.write("customers.yaml", PushHarness.subscribers(form: nil))
        try h.write("customers.csv", "user_id,email\nu1,a@example.com\nu2,b@example.com\n")
        try h.write("vip.yaml", PushHarness.tagAudience())
        try h.writeCSV("members.csv", header: "user_id", ["u1", "u2", "u9"])
        let applied = try await h.apply()
        // u9 has no subscription: that row fails, the others are tagged.
        #expect(applied.status == 1 && applied.stderr.contains("row u9: CP-API: no subscription has the user_id `u9`"), "\(applied.stderr)")
        #expect(await h.sandbox.state.tagged("tag-vip").count == 2)
        #expect(try await h.record("vip")?.delivered["user"]?.sorted() == ["u1", "u2"])
        try h.writeCSV("members.csv", header: "user_id", ["u2"])
        let plan = try await h.plan()
        #expect(plan.line("vip")?.contains("+0 tag, -1 untag (u1), 1 unchanged") == true, "\(plan.stdout)")
        #expect(try await h.apply().status == 0)
        #expect(await h.sandbox.state.tagged("tag-vip").count == 1)
        await h.stop()
    }

    @Test func anEmptyAudienceIsRecordedWithoutARequest() async throws {
        let h = try await PushHarness.start()
        try h.write("vip.yaml", PushHarness.tagAudience())
        try h.writeCSV("members.csv", header: "subscription_id", [])
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.sandbox.state.statsJSON()["requests"]?.objectValue?.isEmpty == true)
        #expect(try await h.record("vip")?.status == .sent)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test func theBriefsTagPathsAreNotServed() async throws {
        let h = try await PushHarness.start()
        for path in ["/subscription/tag/add", "/subscription/tag/remove"] {
            let answer = try await SandboxHarness.rawPost(h.sandbox.baseURL + path, body: "{}")
            #expect(answer.status == 404, "\(path)")
        }
        await h.stop()
    }
}
