import Foundation
import JSON
import Testing

@Suite("Plan and apply against the sandbox", .serialized)
struct PlanApplyTests {
    @Test(arguments: StateKind.allCases) func createSendThenNoChangeAndExitCodes(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("promo.yaml", DeployHarness.segment("Promo"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2"]))
        let first = try await h.plan(["--detailed-exitcode"])
        #expect(first.status == 2, "\(first.stderr)")
        #expect(first.line("promo")?.contains("create") == true)
        #expect(first.line("vip")?.contains("send — new send: 2 recipients in 1 request") == true)
        #expect(first.stdout.contains("Plan: 1 to create, 1 to send, 0 to stop, 0 to replace, 0 unchanged, 0 refused"))
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        let again = try await h.plan(["--detailed-exitcode"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.line("promo")?.contains("no-change") == true)
        #expect(again.line("promo")?.contains("scheduled for 2030-06-01 10:00 UTC") == true)
        #expect(again.line("vip")?.contains("sent to 2 recipients") == true)
        // State: versioned, lineage fixed, serial counting writes.
        let state = try await h.state()
        #expect(state["format_version"]?.intValue == 2)
        #expect((state["serial"]?.intValue ?? 0) >= 4)
        let id = try #require(try await h.id("promo"))
        #expect(await h.ledger("/1/targets/create.json").first?["id"]?.intValue == id)
        // No secret in state.
        #expect(!JSONWriter(indent: nil).string(state).contains("pass-s3cret-4711"))
        let json = try await h.plan(["--format", "json"])
        let parsed = try JSONParser().parse(json.stdout)
        #expect(parsed["format_version"]?.intValue == 2)
        #expect(parsed["summary"]?["no-change"]?.intValue == 2)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func replaceWhileScheduledAndRefuseOnceStartedOrCompleted(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("far.yaml", DeployHarness.segment("Far"))
        try h.write("soon.yaml", DeployHarness.segment("Soon", schedule: "\"\(DeployHarness.schedule(inMinutes: 3))\""))
        try h.write("now.yaml", DeployHarness.segment("Now", schedule: "now"))
        #expect(try await h.apply().status == 0)
        let oldID = try #require(try await h.id("far"))
        for file in ["far", "soon", "now"] {
            try h.write("\(file).yaml", DeployHarness.segment(file.capitalized, schedule: file == "far" ? "\"2030-06-01 10:00\"" : (file == "now" ? "now" : "\"\(DeployHarness.schedule(inMinutes: 3))\""), title: "Changed"))
        }
        let plan = try await h.plan()
        #expect(plan.status == 1)
        #expect(plan.line("far")?.contains("replace") == true)
        #expect(plan.line("soon")?.contains("refused") == true)
        #expect(plan.line("soon")?.contains("within 5 minutes") == true)
        #expect(plan.line("now")?.contains("refused") == true)
        #expect(plan.line("now")?.contains("give it a new `key`") == true)
        let applied = try await h.apply()
        #expect(applied.status == 1)  // refusals make apply exit 1, but the replace is done
        #expect(await h.ledger("/1/targets/stop.json").map { $0["id"]?.intValue } == [oldID])
        let newID = try #require(try await h.id("far"))
        #expect(newID != oldID)
        #expect(await h.ledger("/1/targets/create.json").count == 4)
        // Completed campaigns are immutable too.
        await h.sandbox.state.advanceClock(by: 3600)
        try h.write("now.yaml", DeployHarness.segment("Now", schedule: "now", title: "Again"))
        let completed = try await h.plan()
        #expect(completed.line("now")?.contains("changed after it was completed") == true)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func stopsForgetsMovesAndPastSchedules(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("b.yaml", DeployHarness.segment("B"))
        try h.write("c.yaml", DeployHarness.segment("C", schedule: "now"))
        try h.write("d.yaml", DeployHarness.segment("D"))
        #expect(try await h.apply().status == 0)
        await h.sandbox.state.advanceClock(by: 120)  // c completes
        try h.write("a.yaml", DeployHarness.segment("A", extra: "stopped: true\n"))
        try h.remove("b.yaml")
        try h.remove("c.yaml")
        try h.remove("d.yaml")
        try h.write("moved/d.yaml", DeployHarness.segment("D"))
        try h.write("past.yaml", DeployHarness.segment("Past", schedule: "\"2020-01-01 10:00\""))
        let plan = try await h.plan()
        #expect(plan.line("a")?.hasPrefix("■ a: stop [id ") == true)
        #expect(plan.line("a")?.hasSuffix("— `stopped: true` while still scheduled") == true)
        #expect(plan.line("b")?.hasSuffix("— removed from the files while still scheduled") == true)
        // Completed: its record is kept (a restored file must not deliver it again); stopped ones are forgotten.
        #expect(plan.line("c")?.contains("kept") == true, "\(plan.stdout)")
        #expect(plan.line("moved/d")?.contains("— moved from `d` with an identical request; state only") == true)
        #expect(plan.line("past")?.contains("refused — schedule 2020-01-01 10:00 UTC is in the past") == true)
        let creates = await h.ledger("/1/targets/create.json").count
        _ = try await h.apply()
        #expect(await h.ledger("/1/targets/stop.json").count == 2)
        #expect(await h.ledger("/1/targets/create.json").count == creates)  // moves never re-create
        #expect(try await h.record("c")?["status"]?.stringValue == "completed")
        try h.write("c.yaml", DeployHarness.segment("C", schedule: "now"))
        #expect(try await h.plan().line("c")?.contains("no-change") == true)
        try h.remove("c.yaml")
        #expect(try await h.campaign(["state", "forget", "c"]).status == 0)
        #expect(try await h.record("c") == nil)
        #expect(try await h.record("d") == nil)
        #expect(try await h.id("moved/d") != nil)
        #expect(try await h.record("a")?["status"]?.stringValue == "stopped")
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func identitySendsOnlyEverReachNewRecipients(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2"]))
        #expect(try await h.apply().status == 0)
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2", "u3"]))
        let plan = try await h.plan()
        #expect(plan.line("vip")?.contains("1 new recipients in 1 request") == true)
        #expect(try await h.apply().status == 0)
        let sends = await h.ledger("/1/send/push.json")
        #expect(sends.count == 2)
        #expect(sends.last?["body"]?["to"]?.compactText == #"{"Identity":["u3"]}"#)
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u3"]))
        #expect(try await h.plan().line("vip")?.contains("refused — 1 recipients were removed") == true)
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2", "u3"], title: "Other"))
        #expect(try await h.plan().line("vip")?.contains("refused — changed after it was sent") == true)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func driftFromAStopOutsideTheTool(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("a.yaml", DeployHarness.segment("A"))
        #expect(try await h.apply().status == 0)
        let id = try #require(try await h.id("a"))
        let stopped = try await SandboxHarness.rawPost(h.sandbox.baseURL + "/1/targets/stop.json", body: #"{"id":\#(id)}"#, account: "ACC", passcode: "pass-s3cret-4711")
        #expect(stopped.status == 200)
        let plan = try await h.plan()
        #expect(plan.line("a")?.contains("drift: stopped outside campaign-as-code") == true)
        _ = try await h.apply()
        #expect(try await h.record("a")?["status"]?.stringValue == "stopped")
        await h.stop()
    }
}

@Suite("Saved plans, locks and failures", .serialized)
struct SavedPlanAndFailureTests {
    @Test(arguments: StateKind.allCases) func savedPlansApplyOnceAndOnlyWhileFresh(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("a.yaml", DeployHarness.segment("A"))
        let planFile = h.root + "/plan.json"
        #expect(try await h.plan(["--out", planFile]).status == 0)
        #expect(!(try String(contentsOfFile: planFile, encoding: .utf8)).contains("pass-s3cret-4711"))
        let applied = try await h.campaign(["apply", planFile, "--init-state"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        let reused = try await h.campaign(["apply", planFile])
        #expect(reused.status == 1)
        #expect(reused.stderr.contains("error[S031]: this plan was applied already"))
        // Inputs changed since the plan.
        try h.write("b.yaml", DeployHarness.segment("B"))
        #expect(try await h.plan(["--out", planFile]).status == 0)
        try h.write("b.yaml", DeployHarness.segment("B", title: "Edited"))
        let staleInputs = try await h.campaign(["apply", planFile])
        #expect(staleInputs.stderr.contains("error[S034]"))
        // State changed since the plan.
        try h.write("b.yaml", DeployHarness.segment("B"))
        #expect(try await h.plan(["--out", planFile]).status == 0)
        #expect(try await h.apply().status == 0)
        let staleState = try await h.campaign(["apply", planFile])
        #expect(staleState.stderr.contains("error[S033]"))
        #expect(await h.ledger("/1/targets/create.json").count == 2)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func twoConcurrentAppliesOneWinsOneNamesTheHolder(state: StateKind) async throws {
        // Each create takes 4 s at the sandbox, so the two runs overlap even on a loaded machine.
        let h = try await DeployHarness.start(state: state) { $0.targetsLatency = 4 }
        try h.write("a.yaml", DeployHarness.segment("A"))
        let env = h.environment
        let root = h.root
        async let first = TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state"], environment: env, currentDirectory: root)
        try await Task.sleep(for: .milliseconds(300))
        async let second = TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state"], environment: env, currentDirectory: root)
        let runs = try await [first, second]
        let winners = runs.filter { $0.status == 0 }
        let losers = runs.filter { $0.status == 1 }
        #expect(winners.count == 1, "\(runs.map(\.stderr))")
        #expect(losers.count == 1)
        let loser = try #require(losers.first)
        #expect(loser.stderr.contains("error[S011]: the state"))
        #expect(loser.stderr.contains("is locked by pid"))
        #expect(loser.stderr.contains("running `campaign apply` since"))
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases, ["after-intent", "after-send", "after-response", "after-save"])
    func killNineAtEveryFailpointNeverCreatesTwice(state: StateKind, failpoint: String) async throws {
        let h = try await DeployHarness.start(state: state)
        try h.write("a.yaml", DeployHarness.segment("A"))
        let killed = try await h.apply(environment: ["CAMPAIGN_FAILPOINT": failpoint])
        #expect(killed.status == 9, "expected SIGKILL, got \(killed.status)")  // terminated by signal 9
        // A plain rerun never repeats a create whose outcome is unknown.
        let rerun = try await h.apply()
        #expect(await h.ledger("/1/targets/create.json").count <= 1)
        if failpoint != "after-save" {
            #expect(rerun.stdout.contains("unknown"), "\(rerun.stdout)")
            let reconciled = try await h.campaign(["reconcile", "campaigns"])
            if failpoint == "after-intent" {
                #expect(reconciled.status == 1)
                #expect(reconciled.stdout.contains("not found"))
                #expect(try await h.campaign(["state", "resolve", "a", "--not-created"]).status == 0)
            } else {
                #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
            }
            #expect(try await h.apply().status == 0)
        }
        let creates = await h.ledger("/1/targets/create.json")
        #expect(creates.count == 1)
        #expect(try await h.record("a")?["status"]?.stringValue == "scheduled")
        #expect(try await h.id("a") == creates.first?["id"]?.intValue)
        #expect(try await h.record("a")?["intent"] == nil)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func commitThenDropLeavesUnknownAndReconcileAdoptsTheRightID(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state) { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .commitThenDrop)] }
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("b.yaml", DeployHarness.segment("B"))
        let applied = try await h.apply()
        #expect(applied.status == 1)
        #expect(applied.stderr.contains("error[A002]: a: outcome unknown"))
        #expect(try await h.record("a")?["status"]?.stringValue == "unknown")
        #expect(try await h.plan().line("a")?.contains("refused — the outcome of its last create is unknown") == true)
        #expect(try await h.apply().status == 1)
        #expect(await h.ledger("/1/targets/create.json").filter { $0["body"]?["name"]?.stringValue == "A" }.count == 1)
        let reconciled = try await h.campaign(["reconcile", "campaigns"])
        #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
        let created = await h.ledger("/1/targets/create.json").first { $0["body"]?["name"]?.stringValue == "A" }
        #expect(try await h.id("a") == created?["id"]?.intValue)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func apiFailuresAreClearAndLoseNothing(state: StateKind) async throws {
        let h = try await DeployHarness.start(state: state) { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .statusFail)]; $0.lockout = 1 }
        try h.write("a.yaml", DeployHarness.segment("A"))
        let failed = try await h.apply()
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("error[A001]: a: CT-API-89"))
        #expect(try await h.record("a") == nil)  // nothing was created, so nothing is recorded…
        #expect(try await h.apply().status == 0)  // …and a rerun continues
        // 401: a clear error, and the passcode never shows.
        try h.write("b.yaml", DeployHarness.segment("B"))
        let unauthorized = try await h.apply(environment: ["CLEVERTAP_PASSCODE": "wrong-passcode-999"])
        #expect(unauthorized.status == 1)
        #expect(unauthorized.stderr.contains("CT401"))
        #expect(!(unauthorized.stdout + unauthorized.stderr).contains("wrong-passcode-999"))
        #expect(try await h.record("b") == nil)
        // 429: the client waits out the lockout and carries on.
        let url = h.sandbox.baseURL + "/1/targets/list.json"
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<6 { group.addTask { _ = try? await SandboxHarness.rawPost(url, body: #"{"from":1,"to":2}"#, account: "ACC", passcode: "pass-s3cret-4711") } }
        }
        let afterLockout = try await h.apply()
        #expect(afterLockout.status == 0, "\(afterLockout.stdout)\(afterLockout.stderr)")
        #expect(try await h.record("b")?["status"]?.stringValue == "scheduled")
        await h.stop()
    }

    @Test func refusalsWithoutConfirmationNewerStateAndEnvironments() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let noTTY = try await h.campaign(["apply", "campaigns", "--init-state"])
        #expect(noTTY.status == 1)
        #expect(noTTY.stderr.contains("error[S050]"))
        try #"{"format_version": 99, "lineage": "x", "serial": 1, "campaigns": {}}"#.write(toFile: h.root + "/future.json", atomically: true, encoding: .utf8)
        let future = try await h.campaign(["plan", "campaigns", "--state", h.root + "/future.json"])
        #expect(future.status == 1)
        #expect(future.stderr.contains("format_version 99"))
        // An environment names its variables (CLEVERTAP_… only) and its state file; the runner gives the URL (an
        // `api_url` in project.yaml pointing anywhere but CleverTap needs the caller's permission).
        try "timezone: UTC\nenvironments:\n  staging: {account_id_env: CLEVERTAP_STAGE_ID, passcode_env: CLEVERTAP_STAGE_PASS, state: staging.json}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        let stage = ["CLEVERTAP_API_URL": h.sandbox.baseURL, "CLEVERTAP_STAGE_ID": "ACC", "CLEVERTAP_STAGE_PASS": "pass-s3cret-4711"]
        let staged = try await TestSupport.runAsync(["apply", "campaigns", "--env", "staging", "--auto-approve", "--init-state"],
                                         environment: stage.merging(["CAMPAIGN_CREATE_RATE": "100"]) { $1 }, currentDirectory: h.root)
        #expect(staged.status == 0, "\(staged.stdout)\(staged.stderr)")
        // The environment's state is relative to the project's root, not to the current directory.
        #expect(FileManager.default.fileExists(atPath: h.root + "/campaigns/staging.json"))
        #expect(!FileManager.default.fileExists(atPath: h.root + "/staging.json"))
        let unknownEnv = try await h.campaign(["plan", "campaigns", "--env", "prod"])
        #expect(unknownEnv.stderr.contains("error[S040]"))
        let status = try await TestSupport.runAsync(["status", "campaigns", "--env", "staging"], environment: stage, currentDirectory: h.root)
        let row = status.stdout.split(separator: "\n").first { $0.hasPrefix("a ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(row?.prefix(3) == ["a", "segment", "scheduled"], "\(status.stdout)")
        let show = try await TestSupport.runAsync(["state", "show", "a", "--state", h.root + "/campaigns/staging.json"], currentDirectory: h.root)
        #expect(try JSONParser().parse(show.stdout)["status"]?.stringValue == "scheduled")
        // The state commands find the environment's state by the same rule (not .campaign/state.json).
        let byEnvironment = try await TestSupport.runAsync(["state", "show", "a", "--env", "staging"], currentDirectory: h.root)
        #expect(byEnvironment.status == 0, "\(byEnvironment.stderr)")
        #expect(try JSONParser().parse(byEnvironment.stdout)["status"]?.stringValue == "scheduled")
        let listed = try await TestSupport.runAsync(["state", "list", "--env", "staging"], currentDirectory: h.root)
        #expect(listed.stdout.contains("a ") && listed.stdout.contains("scheduled"), "\(listed.stdout)\(listed.stderr)")
        await h.stop()
    }
}

@Suite("Apply: interruption and estimates", .serialized)
struct ApplyInterruptTests {
    @Test func firstCtrlCFinishesTheRequestInFlightSavesAndExits130() async throws {
        let h = try await DeployHarness.start { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .delay, delay: 1.5)] }
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("b.yaml", DeployHarness.segment("B"))
        let process = try await h.startApply()
        try await Task.sleep(for: .milliseconds(700))
        kill(process.processIdentifier, SIGINT)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 130)
        // The create in flight finished and was recorded; the next one was not started.
        let creates = await h.ledger("/1/targets/create.json")
        #expect(creates.count == 1)
        #expect(try await h.id("a") == creates.first?["id"]?.intValue)
        #expect(try await h.record("b") == nil)
        #expect(try await h.apply().status == 0)
        #expect(await h.ledger("/1/targets/create.json").count == 2)
        await h.stop()
    }

    @Test func aSecondCtrlCExitsAtOnce() async throws {
        let h = try await DeployHarness.start { $0.faults = [.init(endpoint: "/1/targets/create.json", mode: .delay, delay: 10)] }
        try h.write("a.yaml", DeployHarness.segment("A"))
        let process = try await h.startApply()
        try await Task.sleep(for: .milliseconds(700))
        let start = ContinuousClock.now
        kill(process.processIdentifier, SIGINT)
        try await Task.sleep(for: .milliseconds(200))
        kill(process.processIdentifier, SIGINT)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 130)
        // It did not wait for the 10-second request in flight.
        #expect(ContinuousClock.now - start < .seconds(5))
        // The create's intent is on disk: the next plan refuses to guess.
        #expect(try await h.record("a")?["status"]?.stringValue == "unknown")
        await h.stop()
    }

    @Test func estimatesAddReach() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let plan = try await h.plan(["--estimate"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.line("a")?.contains("(estimated reach: ios ") == true)
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        await h.stop()
    }
}

@Suite("Apply on a terminal", .serialized)
struct ApplyTerminalTests {
    @Test func progressShowsDoneTotalRateAndETAOnATerminal() async throws {
        let h = try await DeployHarness.start()
        var identities: [String] = []
        for index in 0..<2500 { identities.append("user-\(index)") }
        try h.write("big.yaml", DeployHarness.send("Big", identities: identities))
        // `script` gives the command a pseudo-terminal, as a person's shell would.
        let command = "\(TestSupport.product("campaign")) apply campaigns --auto-approve --init-state --color never"
        let run = try await TestSupport.runAsync(["-qec", command, "/dev/null"], product: "/usr/bin/script", environment: h.environment, currentDirectory: h.root)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("big: 1/3 requests,"))
        #expect(run.stdout.contains("ETA"))
        #expect(run.stdout.contains("big: send: sent 3 requests"))
        #expect(await h.ledger("/1/send/push.json").count == 3)
        await h.stop()
    }
}

@Suite("Apply: the confirmation prompt", .serialized)
struct ApplyConfirmationTests {
    /// `campaign apply` on a pseudo-terminal (`script`), answering the prompt with `answer`.
    func answer(_ answer: String, _ h: DeployHarness) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(TestSupport.product("campaign")) apply campaigns --init-state --color never", "/dev/null"]
        process.currentDirectoryURL = URL(fileURLWithPath: h.root)
        process.environment = ProcessInfo.processInfo.environment.merging(h.environment) { $1 }
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try await Task.sleep(for: .milliseconds(1500))
        input.fileHandleForWriting.write(Data((answer + "\n").utf8))
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        try? input.fileHandleForWriting.close()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func onlyYesApplies() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let declined = try await answer("y", h)
        #expect(declined.contains("Apply these changes? Only 'yes' is accepted:"), "\(declined)")
        #expect(declined.contains("Apply cancelled."), "\(declined)")
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        let accepted = try await answer("yes", h)
        #expect(accepted.contains("a: create: created"), "\(accepted)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }
}

@Suite("Verbose logging", .serialized)
struct VerboseLoggingTests {
    @Test func verboseLogsRequestsWithThePasscodeRedacted() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        let run = try await h.apply(["--verbose"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("/1/targets/create.json"))
        #expect(run.stderr.contains("X-CleverTap-Passcode: <redacted>"))
        #expect(!(run.stdout + run.stderr).contains("pass-s3cret-4711"))
        await h.stop()
    }
}
