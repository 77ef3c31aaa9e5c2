import CleverTapClient
import CleverTapSandbox
import Foundation
import JSON
import Testing

@Suite("Contract: client against the sandbox", .serialized)
struct SandboxContractTests {
    @Test func createsEstimatesAndLedger() async throws {
        let h = try await SandboxHarness.start()
        let created = try await h.client.createCampaign(Bodies.create())
        #expect(created.id == 1_457_000_001)
        #expect(created.estimates.map(\.0) == ["android", "ios"])
        let estimates = try await h.client.estimate(Bodies.create(name: "Other"))
        // Estimates are a deterministic function of `where` and the device.
        #expect(estimates["android"] == created.estimates[0].1)
        #expect(estimates["ios"] == created.estimates[1].1)
        #expect(await h.ledgerCount("/1/targets/create.json") == 1)
        let ledger = await h.sandbox.state.ledgerJSON()
        #expect(ledger["entries"]?.arrayValue?.first?["body"]?["name"]?.stringValue == "Contract test")
        await h.stop()
    }

    @Test func resultsListAndStopFollowTheVirtualClock() async throws {
        let h = try await SandboxHarness.start { $0.completionDelay = 600; $0.timezone = "Europe/Berlin" }
        let now = try await h.client.createCampaign(Bodies.create(name: "Now"))
        #expect(try await h.client.result(id: now.id) == .notCompleted)
        // A campaign two hours ahead, in the sandbox's zone.
        let sandboxNow = await h.sandbox.state.now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
        let later = sandboxNow.addingTimeInterval(7200)
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: later)
        let when = String(format: "%04d%02d%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
        let scheduled = try await h.client.createCampaign(Bodies.create(name: "Scheduled", when: when))
        let stopped = try await h.client.createCampaign(Bodies.create(name: "Stopped", when: when))
        try await h.client.stopCampaign(id: stopped.id)
        try await h.client.stopCampaign(id: stopped.id)  // stopping again succeeds and does nothing
        #expect(await h.ledgerCount("/1/targets/stop.json") == 1)

        await h.sandbox.state.advanceClock(by: 700)
        guard case .completed(let sent, let clicked) = try await h.client.result(id: now.id) else {
            Issue.record("the `now` campaign did not complete")
            return
        }
        #expect(sent == now.estimates.reduce(0) { $0 + $1.1 })
        #expect(clicked == sent * (5 + now.id % 20) / 100)
        #expect(try await h.client.result(id: scheduled.id) == .notCompleted)
        let today = c.year! * 10_000 + c.month! * 100 + c.day!
        var statuses = Dictionary(uniqueKeysWithValues: try await h.client.listCampaigns(from: today - 1, to: today + 1).map { ($0.id, $0.status) })
        #expect(statuses[scheduled.id] == "pending")
        #expect(statuses[stopped.id] == "stopped")

        // `when` has minute precision, so the start is up to 59 s before now + 2 h: 10–69 s into a 600 s run.
        await h.sandbox.state.advanceClock(by: 7200 - 700 + 10)
        statuses = Dictionary(uniqueKeysWithValues: try await h.client.listCampaigns(from: today - 1, to: today + 1).map { ($0.id, $0.status) })
        #expect(statuses[scheduled.id] == "running")
        await h.sandbox.state.advanceClock(by: 600)
        #expect(try await h.client.result(id: scheduled.id) != .notCompleted)
        #expect(try await h.client.result(id: stopped.id) == .notCompleted)  // a stopped campaign never completes
        let stopCompleted = await cleverTapError { try await h.client.stopCampaign(id: now.id) }
        #expect(stopCompleted?.kind == .apiFailure)
        let unknown = await cleverTapError { try await h.client.stopCampaign(id: 42) }
        #expect(unknown?.kind == .apiFailure)
        #expect(unknown?.httpStatus == 400)
        await h.stop()
    }

    @Test func documentedValidationErrors() async throws {
        let h = try await SandboxHarness.start()
        let android = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create(channel: false)) }
        #expect(android?.httpStatus == 400)
        #expect(android?.apiCode == 9)
        #expect(android?.message == "Notification channel is required for devices having Android 8.0 or above")
        let iosOnly = try await h.client.createCampaign(Bodies.create(devices: ["ios"], channel: false))
        #expect(iosOnly.id > 0)
        let reversed = Bodies.create(extra: []).objectValue!.map { key, value -> (String, JSONValue) in
            key == "where" ? (key, .object([("event_name", .string("x")), ("from", .int(20270301)), ("to", .int(20270101))])) : (key, value)
        }
        let dates = await cleverTapError { _ = try await h.client.createCampaign(.object(reversed)) }
        #expect(dates?.message == "Query parse failure - The from date cannot be after the to date")
        let noName = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create(name: "")) }
        #expect(noName?.message == "Field name is empty")

        for path in ["/1/send/push.json", "/1/send/webpush.json", "/1/send/sms.json"] {
            try await h.client.send(path: path, body: Bodies.push())
        }
        try await h.client.send(path: "/1/send/email.json", body: .object([
            ("to", .object([("Email", .array([.string("a@example.com")]))])),
            ("content", .object([("subject", .string("S")), ("body", .string("<p>B</p>"))])),
        ]))
        #expect(await h.ledgerCount("/1/send/push.json") == 1)
        #expect(await h.ledgerCount("/1/send/email.json") == 1)
        let tooMany = await cleverTapError { try await h.client.send(path: "/1/send/push.json", body: Bodies.push(recipients: 1001)) }
        #expect(tooMany?.apiCode == 84)
        let noTo = await cleverTapError { try await h.client.send(path: "/1/send/push.json", body: .object([("content", .object([]))])) }
        #expect(noTo?.apiCode == 21)
        let caps = await cleverTapError { try await h.client.send(path: "/1/send/push.json", body: Bodies.push(extra: [("respect_frequency_caps", .string("yes"))])) }
        #expect(caps?.apiCode == 73)
        let raw = try await SandboxHarness.rawPost(h.sandbox.baseURL + "/1/send/push.json", body: "{not json")
        #expect(raw.status == 400)
        #expect(raw.body?["code"]?.intValue == 78)
        #expect(await h.ledgerCount("/1/send/push.json") == 1)
        await h.stop()
    }

    @Test func badCredentialsAre401AndThePasscodeNeverLeaks() async throws {
        let h = try await SandboxHarness.start(client: { $0.credentials.passcode = "wrong-passcode-123" })
        let error = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create()) }
        #expect(error?.kind == .unauthorized)
        #expect(error?.httpStatus == 401)
        #expect(error?.code == "CT401")
        #expect(!(String(describing: error) + String(reflecting: error)).contains("wrong-passcode-123"))
        #expect(!String(describing: h.client.configuration.credentials).contains("wrong-passcode-123"))
        let raw = try await SandboxHarness.rawPost(h.sandbox.baseURL + "/1/targets/create.json", body: "{}", passcode: "nope")
        #expect(raw.body?.compactText == #"{"status":"fail","error":"Account ID is not valid","code":401}"#)
        await h.stop()
    }

    @Test func concurrencyOverThreeLocksTheAccountOutAndTheClientWaitsItOut() async throws {
        // 4 raw requests at once, each taking 1.5 s (long enough to overlap on a loaded machine): the 4th breaks the
        // limit, and the lockout outlasts the others.
        let h = try await SandboxHarness.start { $0.targetsLatency = 1.5; $0.lockout = 4 }
        let url = h.sandbox.baseURL + "/1/targets/result.json"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { try await SandboxHarness.rawPost(url, body: #"{"id":1}"#).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 429 }.count == 1)
        // During the lockout every targets request is refused, with Retry-After.
        let locked = try await SandboxHarness.rawPost(url, body: #"{"id":1}"#)
        #expect(locked.status == 429)
        #expect(locked.retryAfter != nil)
        // The client waits (Retry-After) instead of hammering, then succeeds.
        let start = ContinuousClock.now
        let created = try await h.client.createCampaign(Bodies.create())
        #expect(created.id > 0)
        #expect(ContinuousClock.now - start >= .milliseconds(900))
        #expect(await h.client.metrics.rateLimited == 1)
        #expect(await h.ledgerCount("/1/targets/create.json") == 1)
        await h.stop()
    }

    @Test func threeConcurrentCreatesThroughTheClientNeverTrigger429() async throws {
        // The concurrency limit alone (pacing has its own test): arrival gaps squeezed by a loaded machine must not
        // read as a rate breach here.
        let h = try await SandboxHarness.start { $0.targetsLatency = 0.2; $0.createRate = 0 } client: { $0.createRate = 20 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<9 {
                group.addTask { _ = try await h.client.createCampaign(Bodies.create(name: "Parallel \(index)")) }
            }
            try await group.waitForAll()
        }
        let rejected = await h.sandbox.state.rejected
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(await h.sandbox.state.peakTargetsInFlight <= 3)
        #expect(await h.sandbox.state.peakTargetsInFlight >= 2)
        #expect(await h.ledgerCount("/1/targets/create.json") == 9)
        await h.stop()
    }

    @Test func createsArePacedToTheDocumentedRate() async throws {
        let h = try await SandboxHarness.start { $0.createRate = 1 } client: { $0.createRate = 1 }
        let start = ContinuousClock.now
        for index in 0..<3 { _ = try await h.client.createCampaign(Bodies.create(name: "Paced \(index)")) }
        #expect(ContinuousClock.now - start >= .milliseconds(1900))
        #expect(await h.sandbox.state.rejected.isEmpty)
        await h.stop()
    }
}

@Suite("Contract: faults", .serialized)
struct SandboxFaultTests {
    @Test func http500BeforeActingMakesAMutationUnknownButAReadIsRetried() async throws {
        let h = try await SandboxHarness.start {
            $0.faults = [FaultRule(endpoint: "/1/targets/create.json", mode: .fail), FaultRule(endpoint: "/1/targets/result.json", mode: .fail, count: 2)]
        }
        let create = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create()) }
        #expect(create?.kind == .outcomeUnknown)
        #expect(create?.httpStatus == 500)
        #expect(await h.ledgerCount("/1/targets/create.json") == 0)
        let created = try await h.client.createCampaign(Bodies.create())
        #expect(try await h.client.result(id: created.id) == .notCompleted)
        #expect(await h.client.metrics.sent["/1/targets/result.json"] == 3)
        await h.stop()
    }

    @Test func commitThenDropLeavesTheOutcomeUnknownWhileTheLedgerHasIt() async throws {
        let h = try await SandboxHarness.start {
            $0.faults = [FaultRule(endpoint: "/1/targets/create.json", mode: .commitThenDrop), FaultRule(endpoint: "/1/send/push.json", mode: .commitThenDrop)]
        }
        let create = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create()) }
        #expect(create?.kind == .outcomeUnknown)
        #expect(await h.ledgerCount("/1/targets/create.json") == 1)
        let send = await cleverTapError { try await h.client.send(path: "/1/send/push.json", body: Bodies.push()) }
        #expect(send?.kind == .outcomeUnknown)
        #expect(await h.ledgerCount("/1/send/push.json") == 1)
        // Never retried blindly: exactly one request each.
        #expect(await h.client.metrics.sent["/1/targets/create.json"] == 1)
        await h.stop()
    }

    @Test func delaysBeyondTheReadTimeout() async throws {
        let h = try await SandboxHarness.start {
            $0.faults = [FaultRule(endpoint: "/1/targets/create.json", mode: .delay, delay: 1.5), FaultRule(endpoint: "/1/targets/list.json", mode: .delay, delay: 1.5)]
        } client: { $0.readTimeout = 0.5 }
        let create = await cleverTapError { _ = try await h.client.createCampaign(Bodies.create()) }
        #expect(create?.kind == .outcomeUnknown)
        let listed = try await h.client.listCampaigns(from: 20000101, to: 20991231)
        #expect(listed.count <= 1)
        #expect(await h.client.metrics.sent["/1/targets/list.json"] == 2)
        await h.stop()
    }

    @Test func http200WithStatusFailIsAnError() async throws {
        let h = try await SandboxHarness.start { $0.faults = [FaultRule(endpoint: "/1/send/push.json", mode: .statusFail)] }
        let error = await cleverTapError { try await h.client.send(path: "/1/send/push.json", body: Bodies.push()) }
        #expect(error?.kind == .apiFailure)
        #expect(error?.httpStatus == 200)
        #expect(error?.apiCode == 89)
        #expect(await h.ledgerCount("/1/send/push.json") == 0)
        await h.stop()
    }

    @Test func faultsCanBeArmedOverHTTP() async throws {
        let h = try await SandboxHarness.start()
        let armed = try await SandboxHarness.rawPost(h.sandbox.baseURL + "/_sandbox/faults", body: #"{"endpoint":"/1/send/email.json","mode":"status-fail","count":1}"#)
        #expect(armed.status == 200)
        let error = await cleverTapError {
            try await h.client.send(path: "/1/send/email.json", body: .object([("to", .object([("Email", .array([.string("a@example.com")]))])), ("content", .object([("subject", .string("S")), ("body", .string("B"))]))]))
        }
        #expect(error?.apiCode == 89)
        await h.stop()
    }

    @Test func requestsThatNeverReachTheServerAreRetriedThenReported() async throws {
        // A port bound and held, but not listening: connections are refused, and no sandbox of a test running in
        // parallel can take it meanwhile (a port freed and reused was taken once).
        let (held, port) = try PostgresTestServer.heldClosedPort()
        defer { close(held) }
        let client = CleverTapClient(configuration: CleverTapConfiguration(
            baseURL: "http://127.0.0.1:\(port)", credentials: CleverTapCredentials(accountID: "a", passcode: "p"),
            connectTimeout: 1, readTimeout: 2, backoff: 0.01))
        let error = await cleverTapError { _ = try await client.createCampaign(Bodies.create()) }
        #expect(error?.kind == .unreachable)
        #expect(await client.metrics.sent["/1/targets/create.json"] == 3)
        await client.shutdown()
    }
}

@Suite("Client configuration")
struct ClientConfigurationTests {
    @Test func regionsURLsAndCredentialsFromTheEnvironment() throws {
        let env = ["CLEVERTAP_ACCOUNT_ID": "ACC", "CLEVERTAP_PASSCODE": "PASS"]
        #expect(try CleverTapConfiguration.fromEnvironment(env).baseURL == "https://eu1.api.clevertap.com")
        #expect(try CleverTapConfiguration.fromEnvironment(env.merging(["CLEVERTAP_REGION": "in1"]) { $1 }).baseURL == "https://in1.api.clevertap.com")
        let sandbox = try CleverTapConfiguration.fromEnvironment(env.merging(["CLEVERTAP_REGION": "sg1", "CLEVERTAP_API_URL": "http://127.0.0.1:9/"]) { $1 })
        #expect(sandbox.baseURL == "http://127.0.0.1:9")
        #expect(throws: CleverTapError.self) { try CleverTapConfiguration.fromEnvironment(env.merging(["CLEVERTAP_REGION": "moon"]) { $1 }) }
        do {
            _ = try CleverTapConfiguration.fromEnvironment(["CLEVERTAP_ACCOUNT_ID": "ACC"])
            Issue.record("missing passcode accepted")
        } catch {
            #expect(error.message == "CLEVERTAP_PASSCODE is not set: export the CleverTap passcode")
        }
        let named = try CleverTapConfiguration.fromEnvironment(["CLEVERTAP_STAGE_ID": "A", "CLEVERTAP_STAGE_PASS": "B"], accountIDVariable: "CLEVERTAP_STAGE_ID", passcodeVariable: "CLEVERTAP_STAGE_PASS")
        #expect(named.credentials.accountID == "A")
        #expect(!"\(named.credentials)".contains("B"))
    }
}
