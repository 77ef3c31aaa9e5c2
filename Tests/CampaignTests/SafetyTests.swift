import CampaignEngine
import CleverTapSandbox
import Foundation
import JSON
import Testing

/// The safety promises under realistic misuse: subsets, missing state, locks, edited plans, several projects.
@Suite("Safety: scope, state, locks and saved plans", .serialized)
struct SafetyTests {
    /// Four campaigns applied: two scheduled, one sent send, one seasonal.
    func project() async throws -> DeployHarness {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("b.yaml", DeployHarness.segment("B"))
        try h.write("s.yaml", DeployHarness.send("S", identities: ["u1", "u2"]))
        try h.write("seasonal/winter.yaml", DeployHarness.segment("Winter"))
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        return h
    }

    @Test func applyingOneFileLeavesEverythingElseAlone() async throws {
        let h = try await project()
        try h.write("seasonal/winter.yaml", DeployHarness.segment("Winter", title: "Changed"))
        let run = try await h.campaign(["apply", "campaigns/seasonal/winter.yaml", "--auto-approve", "--color", "never"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.line("seasonal/winter")?.contains("replace") == true, "\(run.stdout)")
        #expect(run.stdout.contains("3 not in scope"), "\(run.stdout)")
        #expect(run.line("a") == nil && run.line("b") == nil && run.line("s") == nil)
        // Only the replaced campaign was stopped; nothing was forgotten; nothing was sent again.
        #expect(await h.ledger("/1/targets/stop.json").count == 1)
        #expect(try await h.record("a")?["status"]?.stringValue == "scheduled")
        #expect(try await h.record("s")?["status"]?.stringValue == "sent")
        let full = try await h.plan(["--detailed-exitcode"])
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        #expect(await h.ledger("/1/send/push.json").count == 1)
        await h.stop()
    }

    @Test func namingASubfolderKeepsKeysFromTheProjectRoot() async throws {
        let h = try await project()
        let sub = try await h.campaign(["plan", "campaigns/seasonal", "--color", "never"])
        #expect(sub.status == 0, "\(sub.stdout)\(sub.stderr)")
        #expect(sub.line("seasonal/winter")?.contains("no-change") == true, "\(sub.stdout)")
        // From inside the project, with the default state: the same state, anchored at the project root.
        try FileManager.default.createDirectory(atPath: h.root + "/other", withIntermediateDirectories: true)
        var env = h.environment
        env["CAMPAIGN_STATE"] = nil
        let first = try await TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state"], environment: env, currentDirectory: h.root)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: h.root + "/campaigns/.campaign/state.json"))
        let inside = try await TestSupport.runAsync(["plan", ".", "--detailed-exitcode"], environment: env, currentDirectory: h.root + "/campaigns")
        #expect(inside.status == 0, "\(inside.stdout)\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.root + "/campaigns/campaigns"))
        await h.stop()
    }

    @Test func aProjectInsideAProjectIsRefusedWhicheverIsNamed() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("inner/project.yaml", "timezone: Asia/Tokyo\n")
        try h.write("inner/b.yaml", DeployHarness.segment("B"))
        for path in ["campaigns", "campaigns/inner"] {
            let run = try await h.campaign(["validate", path])
            #expect(run.status == 1)
            #expect(run.stderr.contains("error[F006]"), "\(path): \(run.stderr)")
        }
        await h.stop()
    }

    @Test func aRemovedSentSendIsKeptUntilForgottenExplicitly() async throws {
        let h = try await project()
        try h.remove("s.yaml")
        let plan = try await h.plan()
        #expect(plan.line("s")?.contains("kept") == true, "\(plan.stdout)")
        #expect(plan.stdout.contains("1 kept"))
        #expect(try await h.apply().status == 0)
        #expect(try await h.record("s")?["status"]?.stringValue == "sent")
        // Back again: nobody is sent to twice.
        try h.write("s.yaml", DeployHarness.send("S", identities: ["u1", "u2"]))
        #expect(try await h.plan().line("s")?.contains("no-change") == true)
        try h.remove("s.yaml")
        let forget = try await h.campaign(["state", "forget", "s"])
        #expect(forget.status == 0, "\(forget.stderr)")
        #expect(try await h.record("s") == nil)
        #expect(try await h.campaign(["state", "forget", "s"]).stderr.contains("error[S020]"))
        await h.stop()
    }

    @Test func aMissingStateIsSaidFirstAndRefusedByApply() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let typo = ["--state", h.root + "/stat.json"]
        let plan = try await h.campaign(["plan", "campaigns"] + typo)
        #expect(plan.stdout.hasPrefix("No state at \(h.root)/stat.json yet"), "\(plan.stdout)")
        let json = try await h.campaign(["plan", "campaigns", "--format", "json"] + typo)
        #expect(try JSONParser().parse(json.stdout)["notice"]?.stringValue?.contains("No state") == true)
        let apply = try await h.campaign(["apply", "campaigns", "--auto-approve"] + typo)
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("error[S012]"))
        #expect(apply.stderr.contains("--init-state"))
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.root + "/stat.json"))
        // The state commands refuse a missing state too, rather than show an empty one.
        #expect(try await h.campaign(["state", "list"] + typo).stderr.contains("error[S012]"))
        await h.stop()
    }

    @Test func deletingTheLockFileStopsTheRunBeforeItWritesAgain() async throws {
        let h = try await DeployHarness.start { $0.targetsLatency = 2 }
        for name in ["a", "b", "c"] { try h.write("\(name).yaml", DeployHarness.segment(name.uppercased())) }
        let first = try await h.startApply()
        try await Task.sleep(for: .milliseconds(800))
        try FileManager.default.removeItem(atPath: h.root + "/state.json.lock")
        // A second run now gets a lock of its own: the first must not write or send again.
        let second = try await h.apply()
        while first.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(first.terminationStatus == 1)
        #expect(second.line("a")?.contains("refused") == true, "\(second.stdout)")
        // Every campaign created once, and every create recorded (a's outcome is unknown, left for reconcile).
        let names = await h.ledger("/1/targets/create.json").compactMap { $0["body"]?["name"]?.stringValue }
        #expect(names.sorted() == ["A", "B", "C"], "\(names)")
        #expect(try await h.record("a")?["status"]?.stringValue == "unknown")
        #expect(try await h.record("b")?["status"]?.stringValue == "scheduled")
        #expect(try await h.record("c")?["status"]?.stringValue == "scheduled")
        let reconciled = try await h.campaign(["reconcile", "campaigns"])
        #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test func aStateReplacedBehindTheRunsBackStopsIt() async throws {
        let h = try await DeployHarness.start { $0.targetsLatency = 2 }
        for name in ["a", "b"] { try h.write("\(name).yaml", DeployHarness.segment(name.uppercased())) }
        let first = try await h.startApply()
        try await Task.sleep(for: .milliseconds(800))
        // Another tool writes the state (a copy renamed over it, as an editor or a sync would).
        let copy = try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)
        try copy.write(toFile: h.root + "/state.json", atomically: true, encoding: .utf8)
        while first.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(first.terminationStatus == 1)
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    @Test func aStateReachedThroughALinkIsLockedAndWrittenAtItsTarget() async throws {
        let h = try await DeployHarness.start { $0.targetsLatency = 2 }
        try h.write("a.yaml", DeployHarness.segment("A"))
        try FileManager.default.createDirectory(atPath: h.root + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: h.root + "/link.json", withDestinationPath: h.root + "/real/state.json")
        let viaLink = ["--state", h.root + "/link.json"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.product("campaign"))
        process.arguments = ["apply", "campaigns", "--auto-approve", "--init-state"] + viaLink
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        process.environment = ProcessInfo.processInfo.environment.merging(h.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: .milliseconds(700))
        // The same state named by its real path is locked.
        let second = try await h.campaign(["apply", "campaigns", "--auto-approve", "--init-state", "--state", h.root + "/real/state.json"])
        #expect(second.stderr.contains("error[S011]"), "\(second.stderr)")
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: h.root + "/link.json")
        #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(FileManager.default.fileExists(atPath: h.root + "/real/state.json.lock"))
        #expect(!FileManager.default.fileExists(atPath: h.root + "/link.json.lock"))
        let state = try JSONParser().parse(try String(contentsOfFile: h.root + "/real/state.json", encoding: .utf8))
        #expect(state["campaigns"]?["a"]?["status"]?.stringValue == "scheduled")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    /// A saved plan edited after review is refused, and nothing is sent.
    @Test(arguments: ["title", "recipient", "extra-key", "duplicate", "forget"])
    func anEditedSavedPlanIsRefused(edit: String) async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("s.yaml", DeployHarness.send("S", identities: ["u1"]))
        #expect(try await h.apply().status == 0)
        try h.write("b.yaml", DeployHarness.segment("B"))
        try h.write("s.yaml", DeployHarness.send("S", identities: ["u1", "u2"]))
        let planFile = h.root + "/plan.json"
        #expect(try await h.plan(["--out", planFile]).status == 0)
        var text = try String(contentsOfFile: planFile, encoding: .utf8)
        switch edit {
        case "title": text = text.replacingOccurrences(of: "\"title\": \"Hello\"", with: "\"title\": \"Pwned\"")
        case "recipient": text = text.replacingOccurrences(of: "\"u2\"", with: "\"attacker\"")
        case "extra-key":
            text = text.replacingOccurrences(of: "\"key\": \"b\"", with: "\"key\": \"nofile\"")
        case "duplicate":
            let plan = try JSONParser().parse(text)
            var actions = plan["actions"]?.arrayValue ?? []
            actions.append(actions.first { $0["key"]?.stringValue == "s" } ?? .null)
            text = JSONWriter(indent: 2).string(Self.replacing("actions", with: .array(actions), in: plan))
        default:
            // `a` (unchanged) turned into a forget.
            let plan = try JSONParser().parse(text)
            let actions = (plan["actions"]?.arrayValue ?? []).map { action -> JSONValue in
                action["key"]?.stringValue == "a" ? .object([("key", .string("a")), ("action", .string("forget")), ("reason", .string("x")), ("requests", .array([]))]) : action
            }
            text = JSONWriter(indent: 2).string(Self.replacing("actions", with: .array(actions), in: plan))
        }
        #expect(text != (try String(contentsOfFile: planFile, encoding: .utf8)), "the edit must change the file")
        try text.write(toFile: planFile, atomically: true, encoding: .utf8)
        let run = try await h.campaign(["apply", planFile])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[S036]"), "\(edit): \(run.stderr)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        #expect(await h.ledger("/1/send/push.json").count == 1)
        #expect(try await h.record("a") != nil)
        await h.stop()
    }

    static func replacing(_ member: String, with value: JSONValue, in object: JSONValue) -> JSONValue {
        .object((object.objectValue ?? []).map { $0.0 == member ? ($0.0, value) : $0 })
    }

    @Test func twoProjectsInOneRunCannotShareAKey() async throws {
        let h = try await DeployHarness.start()
        try h.write("promo.yaml", DeployHarness.segment("Promo"))
        try FileManager.default.createDirectory(atPath: h.root + "/other", withIntermediateDirectories: true)
        try "timezone: UTC\n".write(toFile: h.root + "/other/project.yaml", atomically: true, encoding: .utf8)
        try DeployHarness.segment("Other Promo").write(toFile: h.root + "/other/promo.yaml", atomically: true, encoding: .utf8)
        let run = try await h.campaign(["plan", "campaigns", "other"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[C012]"), "\(run.stderr)")
        #expect(run.stderr.contains("campaigns/promo.yaml") && run.stderr.contains("other/promo.yaml"))
        // Planned one after the other against one shared state, the second project's `promo` is refused.
        #expect(try await h.apply().status == 0)
        let second = try await h.campaign(["plan", "other", "--color", "never"])
        #expect(second.status == 1)
        #expect(second.line("promo")?.contains("belongs to the project `") == true, "\(second.stdout)")
        #expect(second.line("promo")?.contains("/campaigns`") == true, "\(second.stdout)")
        await h.stop()
    }

    @Test func aReplaceChecksTheProviderFirstAndKeepsTheOldRecordWhenTheCreateFails() async throws {
        let h = try await DeployHarness.start { $0.completionDelay = 3600 }
        try h.write("a.yaml", DeployHarness.segment("A", schedule: "\"\(DeployHarness.schedule(inMinutes: 60))\""))
        try h.write("b.yaml", DeployHarness.segment("B"))
        #expect(try await h.apply().status == 0)
        let oldB = try #require(try await h.id("b"))
        // The provider's clock is ahead: `a` is running there although the local clock says it starts in an hour.
        await h.sandbox.state.advanceClock(by: 90 * 60)
        try h.write("a.yaml", DeployHarness.segment("A", schedule: "\"\(DeployHarness.schedule(inMinutes: 60))\"", title: "Changed"))
        let run = try await h.apply()
        #expect(run.status == 1)
        #expect(run.stderr.contains("not replaced"), "\(run.stdout)\(run.stderr)")
        #expect(await h.ledger("/1/targets/stop.json").isEmpty)
        // A create refused after the stop keeps the stopped record with its id.
        try await h.sandbox.state.addFault(FaultRule(endpoint: "/1/targets/create.json", mode: .statusFail))
        try h.write("a.yaml", DeployHarness.segment("A", schedule: "\"\(DeployHarness.schedule(inMinutes: 60))\""))
        try h.write("b.yaml", DeployHarness.segment("B", title: "Changed"))
        let replaced = try await h.campaign(["apply", "campaigns/b.yaml", "--auto-approve"])
        #expect(replaced.status == 1)
        #expect(await h.ledger("/1/targets/stop.json").count == 1)
        #expect(try await h.id("b") == oldB)
        #expect(try await h.record("b")?["status"]?.stringValue == "stopped")
        await h.stop()
    }

    @Test func aRenamedCampaignWhoseCreateIsUnknownIsNotCreatedAgain() async throws {
        let h = try await DeployHarness.start { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .commitThenDrop)] }
        try h.write("a.yaml", DeployHarness.segment("A"))
        let lost = try await h.apply()
        #expect(lost.status == 1)
        #expect(try await h.record("a")?["status"]?.stringValue == "unknown")
        // Renamed before anyone reconciled: `b` is the same campaign, which may exist already.
        try h.remove("a.yaml")
        try h.write("b.yaml", DeployHarness.segment("A"))
        let run = try await h.apply()
        #expect(run.line("b")?.contains("refused") == true && run.line("b")?.contains("settle `a` first") == true, "\(run.stdout)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    @Test func aResolvedIDAlreadyHeldByAnotherKeyIsRefused() async throws {
        let h = try await DeployHarness.start { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .commitThenDrop)] }
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("b.yaml", DeployHarness.segment("B"))
        _ = try await h.apply()
        let held = try #require(try await h.id("b"))
        let run = try await h.campaign(["state", "resolve", "a", "--id", String(held)])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[S023]"), "\(run.stderr)")
        // The state stays readable, and `a` still unknown.
        #expect(try await h.record("a")?["status"]?.stringValue == "unknown")
        await h.stop()
    }

    @Test func recordsOfTheOldFormatAreTouchedOnlyWhenTheirFileIsPlanned() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        #expect(try await h.apply().status == 0)
        // As the previous release wrote them: no project, the file as named from the project's parent.
        var text = try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)
        let project = try #require(try await h.record("a")?["project"]?.stringValue)
        text = text.replacingOccurrences(of: "\"project\": \"\(project)\",", with: "").replacingOccurrences(of: "\"file\": \"a.yaml\"", with: "\"file\": \"campaigns/a.yaml\"")
        // A record of another project sharing the state, in the old format too.
        text = text.replacingOccurrences(of: "\"campaigns\": {", with: "\"campaigns\": {\"other\": {\"provider\": \"clevertap\", \"type\": \"scheduled\", \"name\": \"Other\", \"file\": \"elsewhere/other.yaml\", \"hash\": \"x\", \"status\": \"scheduled\", \"id\": \"999\", \"starts_at\": \"2030-06-01T10:00:00Z\", \"schedule\": \"20300601 10:00\", \"created_at\": \"t\", \"updated_at\": \"t\"},")
        try text.write(toFile: h.root + "/state.json", atomically: true, encoding: .utf8)
        #expect(try await h.record("a")?["project"] == nil)
        try h.remove("a.yaml")
        try h.write("b.yaml", DeployHarness.segment("B"))
        let plan = try await h.campaign(["plan", "campaigns", "--color", "never"], environment: ["CLEVERTAP_API_URL": h.sandbox.baseURL])
        // `a`'s old path lies in the project planned: its removal stops it. `other` cannot be placed: untouched.
        #expect(plan.line("a")?.contains("stop") == true, "\(plan.stdout)\(plan.stderr)\(text)")
        #expect(plan.line("other") == nil)
        #expect(plan.stdout.contains("1 not in scope"), "\(plan.stdout)")
        await h.stop()
    }

    @Test func aStateIsNeverAppliedToAnotherAccount() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        #expect(try await h.apply().status == 0)
        #expect(try await h.state()["accounts"]?["clevertap"]?.stringValue?.count == 16)
        #expect(!(try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)).contains("\"ACC\""))
        // Another account's credentials (say, production's, with staging's state): refused before anything is sent.
        try h.write("b.yaml", DeployHarness.segment("B"))
        let other = ["CLEVERTAP_ACCOUNT_ID": "PROD-ACCOUNT"]
        let apply = try await h.apply(environment: other)
        #expect(apply.status == 1)
        #expect(apply.stderr.contains("S015") && apply.stderr.contains("another clevertap account"), "\(apply.stdout)\(apply.stderr)")
        let plan = try await h.plan(environment: other)
        #expect(plan.stderr.contains("error[S015]"), "\(plan.stderr)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }
}
