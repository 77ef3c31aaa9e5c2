import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import Testing

/// Hostile files and broken outputs: special files, unreadable folders, full disks, closed pipes, bad state files.
@Suite("Safety: special files, output errors and state files", .serialized)
struct SafetyIOTests {
    /// Runs `script` with bash (`-o pipefail`), the built tools on PATH.
    func shell(_ script: String, _ h: DeployHarness) async throws -> TestSupport.Run {
        try await TestSupport.runAsync(["-o", "pipefail", "-c", script], product: "/bin/bash", environment: h.environment, currentDirectory: h.root, timeout: 60)
    }

    var campaign: String { TestSupport.product("campaign") }

    @Test func specialFilesAreRefusedNeverWaitedOn() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let fifo = h.root + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        // A FIFO as a campaign file, a recipient CSV, the project file, the state, its lock and a saved plan: each
        // run ends by itself (the harness's timeout records an issue otherwise) with an error.
        try FileManager.default.createSymbolicLink(atPath: h.root + "/campaigns/f.yaml", withDestinationPath: fifo)
        let asCampaign = try await TestSupport.runAsync(["validate", "campaigns"], currentDirectory: h.root, timeout: 20)
        #expect(asCampaign.status == 1)
        #expect(asCampaign.stderr.contains("not a regular file"), "\(asCampaign.stderr)")
        try FileManager.default.removeItem(atPath: h.root + "/campaigns/f.yaml")
        try FileManager.default.createSymbolicLink(atPath: h.root + "/campaigns/list.csv", withDestinationPath: fifo)
        try h.write("csv.yaml", "name: CSV\ntype: identity\naudience:\n  file: list.csv\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n")
        let asCSV = try await TestSupport.runAsync(["validate", "campaigns"], currentDirectory: h.root, timeout: 20)
        #expect(asCSV.status == 1)
        try h.remove("csv.yaml")
        let asState = try await h.campaign(["plan", "campaigns", "--state", fifo])
        #expect(asState.status == 1)
        #expect(asState.stderr.contains("not a regular file"), "\(asState.stderr)")
        try FileManager.default.createSymbolicLink(atPath: h.root + "/state.json.lock", withDestinationPath: fifo)
        let asLock = try await h.apply()
        #expect(asLock.status == 1)
        #expect(asLock.stderr.contains("error[S010]"), "\(asLock.stderr)")
        try FileManager.default.removeItem(atPath: h.root + "/state.json.lock")
        let asPlan = try await h.campaign(["apply", fifo])
        #expect(asPlan.status != 0)
        try FileManager.default.removeItem(atPath: h.root + "/campaigns/project.yaml")
        #expect(mkfifo(h.root + "/campaigns/project.yaml", 0o644) == 0)
        let asProject = try await TestSupport.runAsync(["validate", "campaigns"], currentDirectory: h.root, timeout: 20)
        #expect(asProject.status == 1)
        #expect(asProject.stderr.contains("project.yaml"), "\(asProject.stderr)")
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        await h.stop()
    }

    @Test func anUnreadableFolderIsAnErrorNotARemoval() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("locked/b.yaml", DeployHarness.segment("B"))
        #expect(try await h.apply().status == 0)
        #expect(chmod(h.root + "/campaigns/locked", 0) == 0)
        defer { chmod(h.root + "/campaigns/locked", 0o755) }
        // Root reads any folder: run as an ordinary user then.
        let asUser = getuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: h.root + "/state.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: h.root)
        let validate = try await shell((asUser + [campaign, "validate", "campaigns"]).joined(separator: " "), h)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("error[F002]: cannot read the folder"), "\(validate.stderr)")
        let plan = try await shell((asUser + [campaign, "plan", "campaigns", "--color", "never"]).joined(separator: " "), h)
        #expect(plan.status == 1)
        #expect(!plan.stdout.contains("stop"), "\(plan.stdout)")
        await h.stop()
    }

    @Test func writeErrorsAreErrors() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        for command in ["compile campaigns", "plan campaigns --format markdown", "plan campaigns --format json", "plan campaigns"] {
            let run = try await shell("\(campaign) \(command) > /dev/full", h)
            #expect(run.status == 1, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("error[IO001]: cannot write to standard output"), "\(command): \(run.stderr)")
        }
        let saved = try await h.campaign(["plan", "campaigns", "--out", "/dev/full"])
        #expect(saved.status == 1)
        #expect(saved.stderr.contains("error[S035]"))
        #expect(!saved.stderr.contains("saved the plan"))
        #expect(try await h.apply().status == 0)
        let list = try await shell("\(campaign) state list > /dev/full", h)
        #expect(list.status == 1)
        #expect(list.stderr.contains("IO001"))
        await h.stop()
    }

    @Test func applyKeepsApplyingWhenItsOutputGoesAway() async throws {
        let h = try await DeployHarness.start()
        for name in ["a", "b", "c", "d"] { try h.write("\(name).yaml", DeployHarness.segment(name.uppercased())) }
        let run = try await shell("\(campaign) apply campaigns --auto-approve --init-state --color never | head -1", h)
        #expect(run.status != 0)  // its output was lost: not a clean success
        #expect(await h.ledger("/1/targets/create.json").count == 4)
        for name in ["a", "b", "c", "d"] { #expect(try await h.record(name)?["status"]?.stringValue == "scheduled") }
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test func deployErrorsRenderThroughTheDiagnosticFormats() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let github = try await h.campaign(["apply", "campaigns", "--auto-approve", "--format", "github"])
        #expect(github.status == 1)
        #expect(github.stderr.hasPrefix("::error title=S012::[S012] the state "), "\(github.stderr)")
        let json = try await h.campaign(["apply", "campaigns", "--auto-approve", "--format", "json"])
        let parsed = try JSONParser().parse(json.stderr)
        #expect(parsed.arrayValue?.first?["code"]?.stringValue == "S012")
        #expect(parsed.arrayValue?.first?["hint"]?.stringValue?.contains("--init-state") == true)
        let plan = try await h.campaign(["plan", "campaigns", "--env", "nope", "--format", "json"])
        #expect(try JSONParser().parse(plan.stderr).arrayValue?.first?["code"]?.stringValue == "S040", "\(plan.stderr)")
        let state = try await h.campaign(["state", "list", "--format", "github"])
        #expect(state.stderr.hasPrefix("::error title=S012::"), "\(state.stderr)")
        await h.stop()
    }

    @Test func aCreateRateOutOfRangeIsRefused() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        for rate in ["1e-300", "0", "nan", "-1", "1e300"] {
            let run = try await h.apply(environment: ["CAMPAIGN_CREATE_RATE": rate])
            #expect(run.status == 1, "\(rate)")
            #expect(run.stderr.contains("CAMPAIGN_CREATE_RATE"), "\(rate): \(run.stderr)")
        }
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        await h.stop()
    }

    @Test func anIDTheProviderDoesNotKnowIsNamedAndCanBeForgotten() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        #expect(try await h.apply().status == 0)
        var text = try String(contentsOfFile: h.root + "/state.json", encoding: .utf8)
        let id = try #require(try await h.id("a"))
        text = text.replacingOccurrences(of: "\"id\": \"\(id)\"", with: "\"id\": \"424242\"")
        try text.write(toFile: h.root + "/state.json", atomically: true, encoding: .utf8)
        let plan = try await h.plan()
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("campaign `a` (id 424242)"), "\(plan.stderr)")
        #expect(plan.stderr.contains("campaign state forget"), "\(plan.stderr)")
        #expect(try await h.campaign(["state", "forget", "a"]).status == 0)
        #expect(try await h.plan().line("a")?.contains("create") == true)
        await h.stop()
    }

    @Test func hiddenAndUpperCaseYAMLFilesAreNamedNotSkippedSilently() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write(".draft.yaml", DeployHarness.segment("Draft"))
        try h.write("B.YAML", DeployHarness.segment("B"))
        let run = try await h.campaign(["validate", "campaigns"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("warning[F007]: `campaigns/.draft.yaml` is not read: a hidden file"), "\(run.stderr)")
        #expect(run.stderr.contains("warning[F007]: `campaigns/B.YAML` is not read"), "\(run.stderr)")
        await h.stop()
    }

    /// Each of these state files is refused with a clear message, never read as something else.
    @Test(arguments: [
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "id": 1.5}}}"#, "must be an integer"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "id": 99999999999999999999}}}"#, "must be an integer"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "id": -3}}}"#, "ids are positive"),
        (#"{"format_version": 1, "lineage": "l", "serial": -1, "campaigns": {}}"#, "serial is negative"),
        (#"{"format_version": 1, "lineage": "", "serial": 1, "campaigns": {}}"#, "lineage is empty"),
        (#"{"format_version": 0, "lineage": "l", "serial": 1, "campaigns": {}}"#, "versions start at 1"),
        (#"{"format_version": 1, "lineage": "l", "lineage": "m", "serial": 1, "campaigns": {}}"#, "appears twice"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent"}, "a": {"type": "send", "status": "sent"}}}"#, "appears twice"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent", "status": "unknown"}}}"#, "twice"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "id": 5}, "b": {"type": "scheduled", "status": "scheduled", "id": 5}}}"#, "the same id 5"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent", "batches_sent": -2}}}"#, "negative `batches_sent`"),
        (#"{"format_version": "1", "lineage": "l", "serial": 1, "campaigns": {}}"#, "must be an integer"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": []}"#, "must be an object"),
        (#"{"format_version": 1, "lineage": "l", "serial": 9223372036854775807, "campaigns": {}}"#, "serial is too large"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent", "batches_sent": 9223372036854775807}}}"#, "too large"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "scheduled_date": 9223372036854775807}}}"#, "dates are YYYYMMDD"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent", "delivered": ["u1"]}}}"#, "must be an object of lists of strings"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "sent", "delivered": {"identity": [1, 2]}}}}"#, "must be a list of strings"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "unknown", "intent": {"action": "launch"}}}}"#, "without a valid action"),
        (#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "send", "status": "unknown", "intent": {"action": "send", "recipients": {"identity": "u1"}}}}}"#, "must be a list of strings"),
        // Format 2.
        (#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled", "id": 7}}}"#, "must be a string"),
        (#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled", "id": ""}}}"#, "empty, over-long or unprintable id"),
        (#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled", "facts": {"sent": 9}}}}"#, "must be a string"),
        (#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled"}}}"#, "names no provider"),
        (#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "x", "type": "s", "status": "scheduled", "id": "5"}, "b": {"provider": "x", "type": "s", "status": "scheduled", "id": "5"}}}"#, "the same id 5"),
    ])
    func invalidStateValuesAreErrors(text: String, expected: String) throws {
        #expect { try EngineState(jsonText: Array(text.utf8)) } throws: { error in
            (error as? StateFileError)?.description.contains(expected) == true
        }
    }

    /// Journal lines are replayed in order, for their state only; a torn last line is ignored, anything else wrong
    /// is an error.
    @Test func journalsReplayStrictly() throws {
        var base = EngineState(lineage: "l")
        base.serial = 4
        let record = #"{"provider": "clevertap", "type": "send", "name": "S", "file": "s.yaml", "hash": "c", "status": "sent", "batches_sent": 1, "created_at": "t", "updated_at": "t"}"#
        let line5 = #"{"lineage": "l", "serial": 5, "key": "s", "record": \#(record), "delivered_added": {"identity": ["u1"]}}"#
        let line6 = #"{"lineage": "l", "serial": 6, "key": "s", "record": \#(record), "delivered_added": {"identity": ["u2"]}}"#
        var state = base
        try state.replay(journal: Array((line5 + "\n" + line6 + "\n" + #"{"lineage": "l", "ser"#).utf8))
        #expect(state.serial == 6 && state.campaigns["s"]?.delivered == ["identity": ["u1", "u2"]])
        // Lines folded into the state already are skipped.
        var later = base
        later.serial = 5
        try later.replay(journal: Array((line5 + "\n" + line6 + "\n").utf8))
        #expect(later.campaigns["s"]?.delivered == ["identity": ["u2"]])
        for (text, expected) in [(line6 + "\n", "skips from serial 4 to 6"), (line5.replacingOccurrences(of: "\"l\"", with: "\"m\"") + "\n", "another state"),
                                 ("garbage\n" + line5 + "\n", "journal line 1"), (line5.replacingOccurrences(of: "[\"u1\"]", with: "\"u1\"") + "\n", "list of strings")] {
            var broken = base
            #expect(throws: StateFileError.self, "\(expected)") { try broken.replay(journal: Array(text.utf8)) }
        }
    }

    @Test func keysInStateFollowTheKeyRule() throws {
        let folder = try TestSupport.temporaryFolder()
        for key in ["../x", "A B", "", "a\\u0000"] {
            let text = #"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"\#(key)": {"type": "send", "status": "sent"}}}"#
            try text.write(toFile: folder + "/state.json", atomically: true, encoding: .utf8)
            #expect(throws: DeployError.self, "\(key)") { try StateStore(path: folder + "/state.json").load() }
        }
    }
}
