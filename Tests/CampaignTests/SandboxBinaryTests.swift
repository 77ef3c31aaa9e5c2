import Foundation
import JSON
import SandboxLedger
import Testing

/// A `campaign-sandbox` process started for a test.
final class SandboxProcess: @unchecked Sendable {
    let process = Process()
    let port: Int

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: TestSupport.product("campaign-sandbox"))
        process.arguments = ["--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        var line = Data()
        let deadline = Date().addingTimeInterval(20)
        while !line.contains(0x0A), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on http://127.0.0.1:"),
            let port = Int(text.dropFirst("listening on http://127.0.0.1:".count).prefix { $0.isNumber })
        else {
            process.terminate()
            throw SandboxError(message: "unexpected first line: \(text)")
        }
        self.port = port
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    struct SandboxError: Error { var message: String }
}

@Suite("campaign-sandbox (the built binary)", .serialized)
struct SandboxBinaryTests {
    @Test func portZeroLedgerFileAndPersistenceAcrossRestarts() async throws {
        let folder = try TestSupport.temporaryFolder()
        let ledger = folder + "/ledger.jsonl"
        let data = folder + "/state.json"
        let arguments = ["--account-id", "ACC", "--passcode", "PASS", "--ledger", ledger, "--data", data, "--create-rate", "0"]
        let first = try SandboxProcess(arguments)
        let created = try await SandboxHarness.rawPost(first.baseURL + "/1/targets/create.json", body: Bodies.create(devices: ["ios"]).compactText, account: "ACC", passcode: "PASS")
        #expect(created.status == 200)
        let id = try #require(created.body?["id"]?.intValue)
        let sent = try await SandboxHarness.rawPost(first.baseURL + "/1/send/push.json", body: Bodies.push().compactText, account: "ACC", passcode: "PASS")
        #expect(sent.status == 200)
        first.stop()

        let lines = try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try JSONParser().parse(String(lines[0]))["id"]?.intValue == id)
        #expect(try JSONParser().parse(String(lines[1]))["endpoint"]?.stringValue == "/1/send/push.json")

        // Restarted on the same data file, it remembers the campaign and continues the ids.
        let second = try SandboxProcess(arguments)
        let stopped = try await SandboxHarness.rawPost(second.baseURL + "/1/targets/stop.json", body: #"{"id":\#(id)}"#, account: "ACC", passcode: "PASS")
        #expect(stopped.body?["status"]?.stringValue == "success")
        let next = try await SandboxHarness.rawPost(second.baseURL + "/1/targets/create.json", body: Bodies.create(devices: ["ios"]).compactText, account: "ACC", passcode: "PASS")
        #expect(next.body?["id"]?.intValue == id + 1)
        second.stop()
    }

    @Test func oneLedgerForEveryProviderInOneFileAndAcrossRestarts() async throws {
        let folder = try TestSupport.temporaryFolder()
        let ledger = folder + "/ledger.jsonl"
        let data = folder + "/state.json"
        let arguments = ["--account-id", "ACC", "--passcode", "PASS", "--ledger", ledger, "--data", data, "--create-rate", "0", "--cleverpush-key", "CPK"]
        let first = try SandboxProcess(arguments)
        let created = try await SandboxHarness.rawPost(first.baseURL + "/1/targets/create.json", body: Bodies.create(devices: ["ios"]).compactText, account: "ACC", passcode: "PASS")
        #expect(created.status == 200)
        let tagged = try await SandboxHarness.rawPost(
            first.baseURL + "/subscription/tag", body: #"{"channelId":"SANDBOXCHANNEL","subscriptionId":"s1","tagId":"tag-vip"}"#, headers: [("Authorization", "CPK")])
        #expect(tagged.status == 200)
        let managed = try await SandboxHarness.rawPost(
            first.baseURL + "/subscriptions/manage", body: #"{"shop_id":"SANDBOX-SHOP","shop_secret":"sandbox-shop-secret","email":"ana@example.com","email_bulk":true}"#, headers: [])
        #expect(managed.status == 200)
        let sent = try await SandboxHarness.rawPost(first.baseURL + "/1/send/push.json", body: Bodies.push().compactText, account: "ACC", passcode: "PASS")
        #expect(sent.status == 200)
        // One sequence across providers, each entry naming its provider; CleverTap's fields as before.
        let entries = try #require(try await SandboxHarness.rawGet(first.baseURL + "/_sandbox/ledger")?["entries"]?.arrayValue)
        #expect(entries.map { $0["seq"]?.intValue } == [1, 2, 3, 4])
        #expect(entries.map { $0["provider"]?.stringValue } == ["clevertap", "cleverpush", "personaclick", "clevertap"])
        #expect(entries[0].objectValue?.map(\.0) == ["seq", "provider", "time", "endpoint", "id", "body"])
        #expect(entries[1]["action"]?.stringValue == "tag" && entries[1]["subscriptionId"]?.stringValue == "s1")
        // CleverPush's view is the same entries, filtered.
        let pushOnly = try #require(try await SandboxHarness.rawGet(first.baseURL + "/_sandbox/cleverpush/ledger")?.arrayValue)
        #expect(pushOnly == [entries[1]])
        first.stop()
        // One file, in the same order; no second file.
        let lines = try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n").map { try JSONParser().parse(String($0)) }
        #expect(lines == entries)
        #expect(!FileManager.default.fileExists(atPath: ledger + ".cleverpush") && !FileManager.default.fileExists(atPath: ledger + ".personaclick"))
        // Restarted on the same data file, the ledger is kept and its sequence continues.
        let second = try SandboxProcess(arguments)
        let again = try await SandboxHarness.rawPost(
            second.baseURL + "/subscription/untag", body: #"{"channelId":"SANDBOXCHANNEL","subscriptionId":"s1","tagId":"tag-vip"}"#, headers: [("Authorization", "CPK")])
        #expect(again.status == 200)
        let kept = try #require(try await SandboxHarness.rawGet(second.baseURL + "/_sandbox/ledger")?["entries"]?.arrayValue)
        second.stop()
        #expect(Array(kept.prefix(4)) == entries)
        #expect(kept.last?["seq"]?.intValue == 5 && kept.last?["provider"]?.stringValue == "cleverpush")
    }

    @Test func theLedgerTakesAnyProvidersObjects() throws {
        let ledger = SandboxLedger()
        ledger.append(provider: "clevertap", fields: [("endpoint", .string("/1/send/push.json"))])
        let personaclick = try #require(ledger.append(.object([("provider", .string("personaclick")), ("seq", .int(99)), ("action", .string("push"))])))
        #expect(personaclick == .object([("seq", .int(2)), ("provider", .string("personaclick")), ("action", .string("push"))]))
        #expect(ledger.append(.object([("action", .string("no provider"))])) == nil)
        #expect(ledger.entries(provider: "personaclick") == [personaclick])
        #expect(ledger.entries().count == 2)
    }

    @Test func faultsFromFlagsAndBadFlags() async throws {
        let sandbox = try SandboxProcess(["--fault", "/1/send/push.json:fail:1"])
        let failed = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/send/push.json", body: Bodies.push().compactText, account: "SANDBOX-ACCOUNT", passcode: "sandbox-passcode")
        #expect(failed.status == 500)
        let ok = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/send/push.json", body: Bodies.push().compactText, account: "SANDBOX-ACCOUNT", passcode: "sandbox-passcode")
        #expect(ok.status == 200)
        sandbox.stop()
        let bad = try await TestSupport.runAsync(["--fault", "nonsense"], product: "campaign-sandbox")
        #expect(bad.status != 0)
        let zone = try await TestSupport.runAsync(["--timezone", "Mars/Base"], product: "campaign-sandbox")
        #expect(zone.status != 0)
    }

    /// The account as flags (issue 13): providers per channel, custom control groups, the start time.
    @Test func providersControlGroupsAndStartTimeFromFlags() async throws {
        let sandbox = try SandboxProcess(["--provider", "email:SendGrid", "--control-group", "Loyal holdout", "--start-time", "2025-01-01T00:00:00Z", "--create-rate", "0"])
        let email = try String(contentsOfFile: TestSupport.fixture("reference/current/c-email-sender-name.json"), encoding: .utf8)
        let accepted = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/targets/create.json", body: email, account: "SANDBOX-ACCOUNT", passcode: "sandbox-passcode")
        #expect(accepted.status == 200, "\(accepted.body?.compactText ?? "")")
        let custom = Bodies.create(devices: ["ios"], extra: [("control_group", .object([("type", .string("custom")), ("name", .string("Loyal holdout"))]))])
        let grouped = try await SandboxHarness.rawPost(sandbox.baseURL + "/1/targets/create.json", body: custom.compactText, account: "SANDBOX-ACCOUNT", passcode: "sandbox-passcode")
        #expect(grouped.status == 200, "\(grouped.body?.compactText ?? "")")
        sandbox.stop()
        for arguments in [["--provider", "email"], ["--provider", "fax:Number"], ["--start-time", "yesterday"]] {
            let bad = try await TestSupport.runAsync(arguments, product: "campaign-sandbox")
            #expect(bad.status != 0, "\(arguments)")
        }
    }
}
