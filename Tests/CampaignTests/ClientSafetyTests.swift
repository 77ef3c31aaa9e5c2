import AsyncHTTPClient
@testable import CleverTapClient
import CleverTapSandbox
import Foundation
import HTTPExchange
import JSON
import Logging
import Synchronization
import Testing

/// A secret that cannot appear in any message by accident: every test checks that no text contains `marker`.
private let marker = "Zq7"
private let secret = marker + "-s3cr3t-4711"

/// Runs `body` and returns the configuration error it throws (or records an issue).
private func configurationError(
    _ body: () throws(CleverTapError) -> CleverTapConfiguration, sourceLocation: SourceLocation = #_sourceLocation
) -> CleverTapError? {
    do {
        _ = try body()
        Issue.record("expected a configuration error", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.kind == .configuration, sourceLocation: sourceLocation)
        #expect(error.code == "CT-CONFIG", sourceLocation: sourceLocation)
        return error
    }
}

/// Every log line the client writes, with its metadata.
final class LogSink: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}

@Suite("Client safety: credentials are checked when the configuration is made")
struct CredentialValidationTests {
    static let good = ["CLEVERTAP_ACCOUNT_ID": "ACC-1", "CLEVERTAP_PASSCODE": "pass-ok"]

    static func env(_ changes: [String: String]) -> [String: String] { good.merging(changes) { $1 } }

    @Test func badPasscodesAreRefusedByNameWithoutShowingTheValue() {
        let cases: [(value: String, says: String)] = [
            (secret + "\n", "control character"),
            (secret + "\r\n", "control character"),
            ("Zq7\u{1}s3cr3t", "control character"),
            ("Zq7\u{7F}s3cr3t", "control character"),
            ("\t" + secret, "control character"),
            (" " + secret, "space"),
            (secret + " ", "space"),
            (secret + "é", "non-ASCII"),
            (String(repeating: marker, count: 23_334), "longer than 256"),
        ]
        for (value, says) in cases {
            let error = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_PASSCODE": value]))
            }
            #expect(error?.message.hasPrefix("CLEVERTAP_PASSCODE ") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(says) == true, "\(error?.message ?? "") should say \(says)")
            #expect(error?.message.contains("not shown") == true)
            #expect(error?.description.contains(marker) == false)
        }
        // The message named in the issue, word for word.
        let newline = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_PASSCODE": secret + "\n"]))
        }
        #expect(newline?.message == "CLEVERTAP_PASSCODE contains a control character (often a trailing newline); the value is not shown")
    }

    @Test func badAccountIDsAreRefusedByName() {
        for value in ["Zq7-ACC\n", "Zq7\u{0}ACC", " Zq7-ACC", String(repeating: "Zq7", count: 43)] {
            let error = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_ACCOUNT_ID": value]))
            }
            #expect(error?.message.hasPrefix("CLEVERTAP_ACCOUNT_ID ") == true, "\(error?.message ?? "")")
            #expect(error?.description.contains(marker) == false)
        }
        // Exactly at the bounds: accepted.
        let longest = try? CleverTapConfiguration.fromEnvironment(Self.env([
            "CLEVERTAP_ACCOUNT_ID": String(repeating: "a", count: 128), "CLEVERTAP_PASSCODE": String(repeating: "p", count: 256),
        ]))
        #expect(longest?.credentials.passcode.count == 256)
        // A space inside is printable and allowed; only surrounding whitespace is refused.
        #expect((try? CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_PASSCODE": "a b"])))?.credentials.passcode == "a b")
    }

    @Test func namedVariablesAreNamedInTheError() {
        let error = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(
                ["CLEVERTAP_STAGE_ID": "A", "CLEVERTAP_STAGE_PASS": secret + "\n"],
                accountIDVariable: "CLEVERTAP_STAGE_ID", passcodeVariable: "CLEVERTAP_STAGE_PASS")
        }
        #expect(error?.message.hasPrefix("CLEVERTAP_STAGE_PASS contains a control character") == true)
        #expect(error?.description.contains(marker) == false)
    }

    @Test func credentialsCanBeCheckedOnTheirOwn() {
        #expect(throws: CleverTapError.self) { try CleverTapCredentials(validatingAccountID: "ACC", passcode: "p\n") }
        #expect(throws: CleverTapError.self) { try CleverTapCredentials(validatingAccountID: "", passcode: "p") }
        #expect((try? CleverTapCredentials(validatingAccountID: "ACC", passcode: "p"))?.passcode == "p")
        #expect(CleverTapCredentials(accountID: "ACC", passcode: "p\n").problem() != nil)
        #expect(CleverTapCredentials(accountID: "ACC", passcode: "p").problem() == nil)
    }
}

@Suite("Client safety: no secret in any error or log", .serialized)
struct ClientSecretLeakTests {
    /// Every endpoint, once; the errors they throw.
    static func everyEndpoint(_ client: CleverTapClient) async -> [CleverTapError] {
        var errors: [CleverTapError] = []
        do { _ = try await client.createCampaign(Bodies.create()) } catch { errors.append(error) }
        do { _ = try await client.estimate(Bodies.create()) } catch { errors.append(error) }
        do { try await client.stopCampaign(id: 1) } catch { errors.append(error) }
        do { _ = try await client.result(id: 1) } catch { errors.append(error) }
        do { _ = try await client.listCampaigns(from: 20270101, to: 20270131) } catch { errors.append(error) }
        do { try await client.send(path: "/1/send/push.json", body: Bodies.push()) } catch { errors.append(error) }
        return errors
    }

    @Test func malformedPasscodesNeverLeaveTheClientAndNeverShow() async throws {
        let sink = LogSink()
        let sandbox = try await RunningSandbox.start(SandboxConfiguration(accountID: "ACC", passcode: secret, createRate: 0, targetsLatency: 0))
        for passcode in [secret + "\n", "Zq7\u{1}x", String(repeating: marker, count: 23_334)] {
            let client = CleverTapClient(
                configuration: CleverTapConfiguration(
                    baseURL: sandbox.baseURL, credentials: CleverTapCredentials(accountID: "ACC", passcode: passcode),
                    connectTimeout: 2, readTimeout: 5, backoff: 0.01),
                logger: Logger(label: "test") { _ in CapturingLogHandler(sink: sink) })
            let errors = await Self.everyEndpoint(client)
            #expect(errors.count == 6)
            for error in errors {
                #expect(error.kind == .configuration, "\(error)")
                #expect(!error.description.contains(marker))
                #expect(!error.message.contains(marker))
            }
            // Refused before any request: nothing was sent, so nothing is unknown.
            #expect(await client.metrics.totalSent == 0)
            await client.shutdown()
        }
        #expect(await sandbox.state.statsJSON()["requests"]?.objectValue?.isEmpty == true)
        #expect(!sink.all.joined(separator: "\n").contains(marker))
        await sandbox.stop()
    }

    @Test func aWrongPasscodeIsUnauthorizedAndNeverShown() async throws {
        let sink = LogSink()
        let sandbox = try await RunningSandbox.start(SandboxConfiguration(accountID: "ACC", passcode: "the-right-one", createRate: 0, targetsLatency: 0))
        let client = CleverTapClient(
            configuration: CleverTapConfiguration(
                baseURL: sandbox.baseURL, credentials: CleverTapCredentials(accountID: "ACC", passcode: secret), backoff: 0.01),
            logger: Logger(label: "test") { _ in CapturingLogHandler(sink: sink) })
        let errors = await Self.everyEndpoint(client)
        #expect(errors.count == 6)
        for error in errors {
            #expect(error.kind == .unauthorized)
            #expect(!error.description.contains(marker))
        }
        let log = sink.all.joined(separator: "\n")
        #expect(log.contains("request"))  // the log is captured at all
        #expect(!log.contains(marker))
        await client.shutdown()
        await sandbox.stop()
    }

    @Test func aFailureTextOfTheServerHasTheSecretsRedacted() async {
        // A server (or a proxy in front of it) that echoes the request's headers in its error text.
        let client = CleverTapClient(configuration: CleverTapConfiguration(
            baseURL: "http://127.0.0.1:9", credentials: CleverTapCredentials(accountID: "ACC-Zq7", passcode: secret)))
        let echoed = client.apiFailureMessage("bad header X-CleverTap-Passcode: \(secret) for ACC-Zq7\u{1B}[2J end")
        #expect(!echoed.contains(marker))
        #expect(echoed.contains("<redacted>"))
        #expect(!echoed.contains("\u{1B}"))
        #expect(echoed.hasSuffix(" end"))
        #expect(client.apiFailureMessage(String(repeating: "x", count: 10_000)).count <= 520)
        await client.shutdown()
    }

    @Test func libraryErrorTextsAreNeverQuoted() {
        // async-http-client puts the offending header value into its error; the client must not repeat it.
        let errors: [any Error] = [
            HTTPClientError.invalidHeaderFieldValues([secret + "\n"]),
            HTTPClientError.invalidHeaderFieldNames([secret]),
            HTTPClientError.invalidURL,
            HTTPClientError.readTimeout,
            HTTPClientError.connectTimeout,
            CustomError(text: secret),
        ]
        for error in errors {
            let failure = ExchangeFailure.classify(error)
            #expect(!failure.reason.contains(marker), "\(failure.reason)")
            #expect(!failure.reason.isEmpty)
        }
        // A header the library refused was never sent, and would be refused again: the call ends at once.
        #expect(ExchangeFailure.classify(HTTPClientError.invalidHeaderFieldValues([secret])) == .refusedLocally("the HTTP library refused a header (a credential it cannot send); nothing was sent"))
        // One meaning for every client: what certainly never left, and what may have acted.
        let never: [any Error] = [HTTPClientError.connectTimeout, HTTPClientError.tlsHandshakeTimeout, HTTPClientError.getConnectionFromPoolTimeout, HTTPClientError.invalidHeaderFieldValues([secret])]
        for error in never {
            let failure = ExchangeFailure.classify(error)
            if case .maybeSent = failure { Issue.record("\(error) counted as maybe sent") }
            #expect(!failure.reason.contains(marker))
        }
        let maybe: [any Error] = [HTTPClientError.readTimeout, HTTPClientError.remoteConnectionClosed, CustomError(text: secret)]
        for error in maybe {
            let failure = ExchangeFailure.classify(error)
            if case .maybeSent = failure {} else { Issue.record("\(error) counted as never sent") }
            #expect(!failure.reason.contains(marker))
        }
        // The backoff doubles per retry, with jitter within ×0.5…1.5.
        for retry in 1...4 {
            let wait = ExchangeFailure.backoff(first: 0.2, retry: retry)
            let base = 0.2 * Double(1 << (retry - 1))
            #expect(wait >= base * 0.5 && wait <= base * 1.5)
        }
    }

    struct CustomError: Error, CustomStringConvertible {
        var text: String
        var description: String { "custom failure: \(text)" }
    }
}

@Suite("Client safety: API URLs")
struct APIURLSafetyTests {
    static let credentials = ["CLEVERTAP_ACCOUNT_ID": "ACC", "CLEVERTAP_PASSCODE": "PASS"]

    static func env(_ changes: [String: String]) -> [String: String] { credentials.merging(changes) { $1 } }

    @Test func urlsWithUserinfoAreRefusedWithoutShowingIt() {
        for url in ["http://user:\(secret)@127.0.0.1:9", "https://\(secret)@eu1.api.clevertap.com", "http://u:\(marker)@[::1]:9/"] {
            let fromRunner = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": url]))
            }
            #expect(fromRunner?.message.contains("CLEVERTAP_API_URL") == true, "\(fromRunner?.message ?? "")")
            #expect(fromRunner?.message.contains("user:password@") == true)
            #expect(fromRunner?.description.contains(marker) == false)
            #expect(fromRunner?.description.contains("127.0.0.1") == false)
            let fromProject = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: url, allowCustomURL: true)
            }
            #expect(fromProject?.message.contains("api_url") == true)
            #expect(fromProject?.description.contains(marker) == false)
        }
        // Control characters, queries and fragments have no place in a base URL either.
        for url in ["http://127.0.0.1:9/\n", "http://127.0.0.1:9/?\(marker)", "http://127.0.0.1:9#\(marker)", "ftp://127.0.0.1", "http://", "http:///x"] {
            let error = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": url]))
            }
            #expect(error?.description.contains(marker) == false)
        }
    }

    @Test func aClientMadeWithUserinfoRefusesAndNeverLogsIt() async throws {
        let sink = LogSink()
        let sandbox = try await RunningSandbox.start(SandboxConfiguration(accountID: "ACC", passcode: "PASS", createRate: 0, targetsLatency: 0))
        let client = CleverTapClient(
            configuration: CleverTapConfiguration(
                baseURL: "http://user:\(secret)@127.0.0.1:\(sandbox.port)", credentials: CleverTapCredentials(accountID: "ACC", passcode: "PASS"),
                backoff: 0.01),
            logger: Logger(label: "test") { _ in CapturingLogHandler(sink: sink) })
        let errors = await ClientSecretLeakTests.everyEndpoint(client)
        #expect(errors.count == 6)
        for error in errors {
            #expect(error.kind == .configuration)
            #expect(!error.description.contains(marker))
        }
        #expect(await client.metrics.totalSent == 0)
        #expect(!sink.all.joined().contains(marker))
        await client.shutdown()
        await sandbox.stop()
    }

    @Test func theVerboseLogShowsTheRequestButNeverThePasscode() async throws {
        let sink = LogSink()
        let sandbox = try await RunningSandbox.start(SandboxConfiguration(accountID: "ACC", passcode: secret, createRate: 0, targetsLatency: 0))
        let client = CleverTapClient(
            configuration: CleverTapConfiguration(baseURL: sandbox.baseURL, credentials: CleverTapCredentials(accountID: "ACC", passcode: secret)),
            logger: Logger(label: "test") { _ in CapturingLogHandler(sink: sink) })
        _ = try await client.createCampaign(Bodies.create())
        let log = sink.all.joined(separator: "\n")
        #expect(log.contains("url=\(sandbox.baseURL)/1/targets/create.json"))
        #expect(log.contains("X-CleverTap-Passcode: <redacted>"))
        #expect(!log.contains(marker))
        await client.shutdown()
        await sandbox.stop()
    }

    @Test func aProjectURLMustBeACleverTapHostUnlessAllowed() throws {
        for url in ["https://evil.example.com", "http://127.0.0.1:9", "https://eu1.api.clevertap.com.evil.example", "http://eu1.api.clevertap.com",
                    "https://eu1.api.clevertap.com:8443", "https://eu1.api.clevertap.com/proxy", "https://clevertap.com"] {
            let error = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: url)
            }
            #expect(error?.message.contains("api_url") == true, "\(url): \(error?.message ?? "")")
            #expect(error?.message.contains("--allow-api-url") == true)
            #expect(error?.message.contains("CAMPAIGN_ALLOW_API_URL=1") == true)
        }
        // Allowed by the caller (a flag or a runner-set variable): any http(s) URL.
        #expect(try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: "http://127.0.0.1:9/", allowCustomURL: true).baseURL == "http://127.0.0.1:9")
        // CleverTap's own hosts need no permission.
        #expect(try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: "https://in1.api.clevertap.com").baseURL == "https://in1.api.clevertap.com")
        #expect(try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: "https://US1.api.clevertap.com/").baseURL == "https://us1.api.clevertap.com")
        #expect(try CleverTapConfiguration.fromEnvironment(Self.credentials, apiURL: "https://api.clevertap.com").baseURL == "https://api.clevertap.com")
    }

    @Test func theRunnersURLIsTrusted() throws {
        // The runner's variable (the tests' sandbox, a staging proxy) needs no permission.
        #expect(try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": "http://127.0.0.1:9"])).baseURL == "http://127.0.0.1:9")
        #expect(try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": "https://proxy.internal:8443/ct/"])).baseURL == "https://proxy.internal:8443/ct")
        // The project's default region gives way to the runner's URL or region.
        #expect(try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": "http://127.0.0.1:9"]), defaultRegion: "in1").baseURL == "http://127.0.0.1:9")
        #expect(try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_REGION": "sg1"]), defaultRegion: "in1").baseURL == "https://sg1.api.clevertap.com")
        #expect(try CleverTapConfiguration.fromEnvironment(Self.credentials, defaultRegion: "in1").baseURL == "https://in1.api.clevertap.com")
    }

    @Test func theRunnerAndTheProjectMustNotBothChooseTheHost() {
        let urlAndURL = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": "http://127.0.0.1:9"]), apiURL: "https://eu1.api.clevertap.com")
        }
        #expect(urlAndURL?.message.contains("CLEVERTAP_API_URL") == true)
        #expect(urlAndURL?.message.contains("`api_url`") == true)
        #expect(urlAndURL?.message.contains("unset") == true)
        let urlAndRegion = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_API_URL": "http://127.0.0.1:9"]), region: "eu1")
        }
        #expect(urlAndRegion?.message.contains("CLEVERTAP_API_URL") == true)
        #expect(urlAndRegion?.message.contains("`region`") == true)
        let regionAndRegion = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_REGION": "us1"]), region: "eu1")
        }
        #expect(regionAndRegion?.message.contains("CLEVERTAP_REGION") == true)
        let regionAndURL = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_REGION": "us1"]), apiURL: "https://us1.api.clevertap.com")
        }
        #expect(regionAndURL?.message.contains("CLEVERTAP_REGION") == true)
        // The same region from both is no conflict.
        #expect((try? CleverTapConfiguration.fromEnvironment(Self.env(["CLEVERTAP_REGION": "eu1"]), region: "eu1"))?.baseURL == "https://eu1.api.clevertap.com")
    }

    @Test func credentialVariablesMustBeCleverTapVariables() {
        let environment = Self.credentials.merging([
            "HOME": secret, "GITHUB_TOKEN": secret, "AWS_SECRET_ACCESS_KEY": secret, "CLEVERTAP_": secret, "clevertap_pass": secret,
        ]) { $1 }
        for name in ["HOME", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "CLEVERTAP_", "clevertap_pass", "CLEVERTAP_PASS-WORD", "CLEVERTAP_PASS\n"] {
            let asPasscode = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(environment, passcodeVariable: name)
            }
            #expect(asPasscode?.message.contains("CLEVERTAP_") == true, "\(name): \(asPasscode?.message ?? "")")
            #expect(asPasscode?.message.contains("passcode") == true)
            #expect(asPasscode?.description.contains(marker) == false)
            let asAccount = configurationError { () throws(CleverTapError) in
                try CleverTapConfiguration.fromEnvironment(environment, accountIDVariable: name)
            }
            #expect(asAccount?.message.contains("account") == true)
            #expect(asAccount?.description.contains(marker) == false)
        }
        let same = configurationError { () throws(CleverTapError) in
            try CleverTapConfiguration.fromEnvironment(Self.credentials, accountIDVariable: "CLEVERTAP_PASSCODE")
        }
        #expect(same?.message.contains("same variable") == true)
        let named = try? CleverTapConfiguration.fromEnvironment(
            ["CLEVERTAP_STAGE_ID": "A", "CLEVERTAP_STAGE_PASS": "B"], accountIDVariable: "CLEVERTAP_STAGE_ID", passcodeVariable: "CLEVERTAP_STAGE_PASS")
        #expect(named?.credentials.accountID == "A")
    }
}

@Suite("Client safety: answers without their members", .serialized)
struct ResponseShapeTests {
    @Test func aResultWithoutItsMembersIsAnInvalidResponse() throws {
        func parse(_ text: String) throws -> Result<CampaignResult, CleverTapError> {
            let json = try JSONParser().parse(text)
            return Result { () throws(CleverTapError) in try CleverTapClient.campaignResult(json) }
        }
        #expect(try parse(#"{"status":"success","result":{"sent":82,"clicked":28}}"#).get() == .completed(sent: 82, clicked: 28))
        for text in [#"{"status":"success"}"#, #"{"status":"success","result":null}"#, #"{"status":"success","result":{}}"#,
                     #"{"status":"success","result":{"sent":82}}"#, #"{"status":"success","result":{"sent":"82","clicked":1}}"#,
                     #"{"status":"success","result":{"sent":-1,"clicked":0}}"#, #"{"status":"success","result":[1,2]}"#] {
            guard case .failure(let error) = try parse(text) else {
                Issue.record("\(text) was read as a result")
                continue
            }
            #expect(error.kind == .invalidResponse)
            #expect(error.code == "CT-RESPONSE")
        }
    }

    @Test func aListWithoutTargetsIsAnInvalidResponse() throws {
        func parse(_ text: String) throws -> Result<[TargetSummary], CleverTapError> {
            let json = try JSONParser().parse(text)
            return Result { () throws(CleverTapError) in try CleverTapClient.targetSummaries(json) }
        }
        #expect(try parse(#"{"status":"success","targets":[]}"#).get().isEmpty)
        #expect(try parse(#"{"status":"success","targets":[{"id":7,"name":"N","scheduled_on":202701011200,"status":"pending"}]}"#).get().first?.id == 7)
        for text in [#"{"status":"success"}"#, #"{"status":"success","targets":{}}"#, #"{"status":"success","targets":[{"name":"no id"}]}"#] {
            guard case .failure(let error) = try parse(text) else {
                Issue.record("\(text) was read as a list")
                continue
            }
            #expect(error.kind == .invalidResponse)
        }
    }

    @Test func againstTheSandboxsEmptySuccessFault() async throws {
        let h = try await SandboxHarness.start { $0.completionDelay = 0 }
        let created = try await h.client.createCampaign(Bodies.create())
        await h.sandbox.state.advanceClock(by: 10)
        #expect(try await h.client.result(id: created.id) != .notCompleted)
        try await h.sandbox.state.addFault(FaultRule(endpoint: "/1/targets/result.json", mode: .emptySuccess))
        let result = await cleverTapError { _ = try await h.client.result(id: created.id) }
        #expect(result?.kind == .invalidResponse)
        #expect(result?.endpoint == "/1/targets/result.json")
        try await h.sandbox.state.addFault(FaultRule(endpoint: "/1/targets/list.json", mode: .emptySuccess))
        let list = await cleverTapError { _ = try await h.client.listCampaigns(from: 20000101, to: 20991231) }
        #expect(list?.kind == .invalidResponse)
        await h.stop()
    }
}
