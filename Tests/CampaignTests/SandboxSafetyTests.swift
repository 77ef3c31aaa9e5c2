import AsyncHTTPClient
import CleverTapSandbox
import Foundation
import JSON
import NIOCore
import Testing

extension SandboxHarness {
    /// A raw GET; the answer's JSON.
    static func rawGet(_ url: String) async throws -> JSONValue? {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return try? JSONParser().parse(Array(buffer: bytes))
    }

    /// A raw DELETE; the HTTP status.
    static func rawDelete(_ url: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .DELETE
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}

@Suite("Sandbox safety", .serialized)
struct SandboxSafetyTests {
    static let account = "SANDBOX-ACCOUNT"
    static let passcode = "sandbox-passcode"

    // MARK: ids

    @Test func idsNearTheEndOfIntAreAnErrorNotATrap() async throws {
        let h = try await SandboxHarness.start { $0.firstID = Int.max - 1 }
        let base = h.sandbox.baseURL
        let last = try await SandboxHarness.rawPost(base + "/1/targets/create.json", body: Bodies.create().compactText)
        #expect(last.status == 200)
        #expect(last.body?["id"]?.intValue == Int.max - 1)
        let exhausted = try await SandboxHarness.rawPost(base + "/1/targets/create.json", body: Bodies.create().compactText)
        #expect(exhausted.status == 500)
        #expect(exhausted.body?["status"]?.stringValue == "fail")
        #expect(await h.ledgerCount("/1/targets/create.json") == 1)
        // Still serving, and the campaign it made behaves (statistics use the id).
        await h.sandbox.state.advanceClock(by: 120)
        let result = try await SandboxHarness.rawPost(base + "/1/targets/result.json", body: #"{"id":\#(Int.max - 1)}"#)
        #expect(result.body?["result"]?["sent"]?.intValue ?? 0 > 0)
        await h.stop()
    }

    @Test func theFirstIDFlagIsCheckedAndTheBinarySurvivesTheLastID() async throws {
        for bad in ["0", "-5", "9223372036854775808"] {
            let run = try await TestSupport.runAsync(["--first-id", bad], product: "campaign-sandbox", timeout: 30)
            #expect(run.status != 0, "--first-id \(bad) accepted")
        }
        let sandbox = try SandboxProcess(["--first-id", String(Int.max), "--create-rate", "0"])
        defer { sandbox.stop() }
        let first = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/targets/create.json", body: Bodies.create().compactText, account: Self.account, passcode: Self.passcode)
        #expect(first.status == 500)
        let second = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/targets/create.json", body: Bodies.create().compactText, account: Self.account, passcode: Self.passcode)
        #expect(second.status == 500)
        #expect(sandbox.process.isRunning)
    }

    // MARK: bounds on times

    @Test func hugeOrNonFiniteTimesAreRefusedByTheFlags() async throws {
        let refused: [[String]] = [
            ["--fault", "/1/send/push.json:delay:1:3601"],
            ["--fault", "/1/send/push.json:delay:1:1e300"],
            ["--fault", "/1/send/push.json:delay:1:inf"],
            ["--fault", "/1/send/push.json:delay:1:nan"],
            ["--lockout", "1e300"], ["--lockout", "nan"], ["--lockout", "-1"],
            ["--targets-latency", "1e300"], ["--targets-latency", "inf"],
            ["--completion-delay", "inf"], ["--completion-delay", "1e300"],
            ["--time-scale", "1e-300"], ["--time-scale", "inf"],
            ["--create-rate", "nan"], ["--create-rate", "1e300"],
        ]
        for arguments in refused {
            let run = try await TestSupport.runAsync(arguments, product: "campaign-sandbox", timeout: 30)
            #expect(run.status != 0, "\(arguments) accepted")
            #expect(!run.stderr.contains("Fatal error"), "\(arguments): \(run.stderr)")
        }
        #expect(FaultRule(argument: "/1/send/push.json:delay:1:3600") != nil)
        #expect(FaultRule(argument: "/1/send/push.json:delay:1:3600.5") == nil)
    }

    @Test func hugeDelaysAndClockStepsAreRefusedOverHTTP() async throws {
        let h = try await SandboxHarness.start()
        let base = h.sandbox.baseURL
        for delay in ["3600001", "9223372036854775807", "1e300", "-1"] {
            let armed = try await SandboxHarness.rawPost(base + "/_sandbox/faults", body: #"{"endpoint":"/1/send/push.json","mode":"delay","delay_ms":\#(delay)}"#)
            #expect(armed.status == 400, "delay_ms \(delay)")
        }
        let ok = try await SandboxHarness.rawPost(base + "/_sandbox/faults", body: #"{"endpoint":"/1/send/push.json","mode":"delay","delay_ms":3600000}"#)
        #expect(ok.status == 200)
        let cleared = try await SandboxHarness.rawDelete(base + "/_sandbox/faults")
        #expect(cleared == 200)
        for seconds in ["1e300", "1e20", "-1"] {
            let step = try await SandboxHarness.rawPost(base + "/_sandbox/clock", body: #"{"advance_seconds":\#(seconds)}"#)
            #expect(step.status == 400, "advance_seconds \(seconds)")
        }
        // Still serving.
        let sent = try await SandboxHarness.rawPost(base + "/1/send/push.json", body: Bodies.push().compactText)
        #expect(sent.status == 200)
        await h.stop()
    }

    // MARK: faults that would never fire

    @Test func faultsThatCannotFireAreRefused() async throws {
        let h = try await SandboxHarness.start()
        let base = h.sandbox.baseURL
        let refused = [
            #"{"endpoint":"/1/send/push.json","mode":"explode"}"#,
            #"{"endpoint":"/1/targets/create","mode":"fail"}"#,
            #"{"endpoint":"/nowhere","mode":"fail"}"#,
            #"{"mode":"fail"}"#,
            #"{"endpoint":"/1/send/push.json"}"#,
            #"{"endpoint":"/1/send/push.json","mode":"delay"}"#,
            #"{"endpoint":"/1/send/push.json","mode":"delay","delay_ms":"500"}"#,
            #"{"endpoint":"/1/send/push.json","mode":"delay","delay":5}"#,
            #"{"endpoint":"/1/send/push.json","mode":"fail","count":0}"#,
            #"{"endpoint":"/1/send/push.json","mode":"fail","count":-3}"#,
            #"{"endpoint":"/1/send/push.json","mode":"fail","count":"2"}"#,
            #"{"endpoint":"/1/send/push.json","mode":"fail","delay_ms":500}"#,
            #"[{"endpoint":"/1/send/push.json","mode":"fail"}]"#,
            #"not json"#,
        ]
        for body in refused {
            let armed = try await SandboxHarness.rawPost(base + "/_sandbox/faults", body: body)
            #expect(armed.status == 400, "\(body) was accepted")
            #expect(armed.body?["status"]?.stringValue == "fail")
        }
        // None of them was armed.
        let sent = try await SandboxHarness.rawPost(base + "/1/send/push.json", body: Bodies.push().compactText)
        #expect(sent.status == 200)
        // A complete request is still accepted, and fires.
        let armed = try await SandboxHarness.rawPost(base + "/_sandbox/faults", body: #"{"endpoint":"/1/send/push.json","mode":"fail","count":1}"#)
        #expect(armed.status == 200)
        let failed = try await SandboxHarness.rawPost(base + "/1/send/push.json", body: Bodies.push().compactText)
        #expect(failed.status == 500)
        await h.stop()
    }

    @Test func faultFlagsThatCannotFireAreRefused() {
        #expect(FaultRule(argument: "/1/nowhere.json:fail") == nil)
        #expect(FaultRule(argument: "/1/send/push.json:delay") == nil)
        #expect(FaultRule(argument: "/1/send/push.json:delay:1") == nil)
        #expect(FaultRule(argument: "/1/send/push.json:fail:1:5") == nil)
        #expect(FaultRule(argument: "/1/send/push.json:fail:0") == nil)
        #expect(FaultRule(argument: "/1/send/push.json:delay:2:1.5") == FaultRule(endpoint: "/1/send/push.json", mode: .delay, count: 2, delay: 1.5))
        #expect(FaultRule(argument: "/1/targets/result.json:empty-success") == FaultRule(endpoint: "/1/targets/result.json", mode: .emptySuccess))
    }

    // MARK: signals

    @Test func sigtermEndsTheBinaryPromptlyDuringADelayFault() async throws {
        let sandbox = try SandboxProcess([])
        let armed = try await SandboxHarness.rawPost(sandbox.baseURL + "/_sandbox/faults", body: #"{"endpoint":"/1/send/push.json","mode":"delay","delay_ms":3600000}"#)
        #expect(armed.status == 200)
        let url = sandbox.baseURL
        let request = Task {
            try? await SandboxHarness.rawPost(url + "/1/send/push.json", body: Bodies.push().compactText, account: Self.account, passcode: Self.passcode)
        }
        // Wait until the request is inside the sandbox (sleeping in the fault).
        var seen = false
        for _ in 0..<100 {
            let stats = try await SandboxHarness.rawGet(url + "/_sandbox/stats")
            if stats?["requests"]?["/1/send/push.json"]?.intValue == 1 {
                seen = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(seen)
        try await Task.sleep(for: .milliseconds(200))
        let start = Date()
        kill(sandbox.process.processIdentifier, SIGTERM)
        while sandbox.process.isRunning, Date().timeIntervalSince(start) < 8 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let exited = !sandbox.process.isRunning
        #expect(exited, "campaign-sandbox still running 8 s after SIGTERM")
        if exited {
            #expect(Date().timeIntervalSince(start) < 4)
        } else {
            kill(sandbox.process.processIdentifier, SIGKILL)
        }
        sandbox.process.waitUntilExit()
        request.cancel()
        _ = await request.value
    }
}
