import CleverTapSandbox
import Foundation
import Testing

/// The passcode (and anything secret in an environment) never reaches output, and repository content cannot send
/// credentials to a host of its choosing: end to end, through the `campaign` binary.
@Suite("Safety: secrets and hosts, end to end", .serialized)
struct SecretSafetyTests {
    let secret = "pass-s3cret-4711"

    /// Every way a deploy command can fail on the way to CleverTap, each scanned for the passcode.
    @Test func noFailingPathPrintsThePasscode() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        #expect(try await h.apply().status == 0)
        try h.write("b.yaml", DeployHarness.segment("B"))
        let cases: [(String, [String: String])] = [
            ("trailing newline", ["CLEVERTAP_PASSCODE": secret + "\n"]),
            ("control character", ["CLEVERTAP_PASSCODE": "pass-s3\u{1}cret-4711"]),
            ("huge", ["CLEVERTAP_PASSCODE": String(repeating: secret, count: 5000)]),
            ("wrong passcode", ["CLEVERTAP_PASSCODE": secret + "-wrong"]),
            ("unreachable", ["CLEVERTAP_API_URL": "http://127.0.0.1:9"]),
            ("credentials in the URL", ["CLEVERTAP_API_URL": h.sandbox.baseURL.replacingOccurrences(of: "http://", with: "http://user:\(secret)@")]),
        ]
        for (name, environment) in cases {
            for command in [["plan", "campaigns"], ["apply", "campaigns", "--auto-approve", "--verbose"], ["status", "campaigns", "--verbose"]] {
                let run = try await h.campaign(command + ["--color", "never"], environment: environment)
                #expect(run.status == 1, "\(name) \(command): \(run.stdout)\(run.stderr)")
                let output = run.stdout + run.stderr
                // The value given, and its tell-tale middle (a control character may split or escape the rest).
                let given = environment["CLEVERTAP_PASSCODE"] ?? secret
                #expect(!output.contains(secret) && !output.contains(given) && !output.contains("cret-4711"), "\(name) \(command): \(output)")
                #expect(!output.contains("invalidHeaderFieldValues"), "\(name): \(output)")
            }
        }
        let newline = try await h.campaign(["apply", "campaigns", "--auto-approve"], environment: ["CLEVERTAP_PASSCODE": secret + "\n"])
        #expect(newline.stderr.contains("CLEVERTAP_PASSCODE contains a control character"), "\(newline.stderr)")
        #expect(!newline.stderr.contains("unreachable"))
        // Nothing was sent by any of them.
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    @Test func repositoryContentCannotChooseTheHostOrTheVariables() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        var runner = h.environment
        runner["CLEVERTAP_API_URL"] = nil
        // A pull request points an environment at its own server.
        try "timezone: UTC\nenvironments:\n  prod: {api_url: \"\(h.sandbox.baseURL)\", account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: CLEVERTAP_PASSCODE}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        let refused = try await TestSupport.runAsync(["apply", "campaigns", "--env", "prod", "--auto-approve", "--init-state"], environment: runner, currentDirectory: h.root)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("CT-CONFIG"), "\(refused.stderr)")
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        // The runner may allow it (a trusted job).
        let allowed = try await TestSupport.runAsync(["apply", "campaigns", "--env", "prod", "--auto-approve", "--init-state", "--allow-api-url"], environment: runner, currentDirectory: h.root)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        // Variables outside CLEVERTAP_* are never read.
        try "timezone: UTC\nenvironments:\n  prod: {account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: HOME}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        try h.write("b.yaml", DeployHarness.segment("B"))
        let home = try await h.campaign(["apply", "campaigns", "--env", "prod", "--auto-approve"])
        #expect(home.status == 1)
        #expect(!(home.stdout + home.stderr).contains(ProcessInfo.processInfo.environment["HOME"] ?? "/root"), "\(home.stderr)")
        // The runner's URL and the project's region do not mix silently.
        try "timezone: UTC\nenvironments:\n  prod: {region: eu1, account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: CLEVERTAP_PASSCODE}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        let mixed = try await h.campaign(["apply", "campaigns", "--env", "prod", "--auto-approve"])
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("CLEVERTAP_API_URL"), "\(mixed.stderr)")
        #expect(await h.ledger("/1/targets/create.json").count == 1)
        await h.stop()
    }

    @Test func swappedVariableNamesNeverLogThePasscode() async throws {
        let h = try await DeployHarness.start()
        try h.write("a.yaml", DeployHarness.segment("A"))
        // Repository content swaps the names: the passcode is sent (and would be logged) as the account id.
        try "timezone: UTC\nenvironments:\n  pr: {account_id_env: CLEVERTAP_PASSCODE, passcode_env: CLEVERTAP_ACCOUNT_ID}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        let run = try await h.campaign(["apply", "campaigns", "--env", "pr", "--auto-approve", "--init-state", "--verbose"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("X-CleverTap-Account-Id: <redacted>"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(secret))
        await h.stop()
    }
}
