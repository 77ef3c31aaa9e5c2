import CampaignDeploy
import CampaignEngine
import CleverTapSandbox
import Foundation
import JSON
import Testing

/// Where a test's state is kept: the two backends every plan/apply rule is checked on.
enum StateKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case file, postgres
    var testDescription: String { rawValue }
}

/// A project folder, a state (a file, or a schema of its own in the test PostgreSQL) and a sandbox, driven through
/// the built `campaign` binary.
struct DeployHarness {
    let sandbox: RunningSandbox
    let root: String
    var environment: [String: String]
    var kind: StateKind = .file
    /// The PostgreSQL cluster of a test that started one of its own (nil: the shared one).
    var server: PostgresTestServer?
    /// `CAMPAIGN_STATE`: the state file, or the database URL.
    var stateURL: String { environment["CAMPAIGN_STATE"] ?? "" }

    static func start(state kind: StateKind, _ configure: (inout SandboxConfiguration) -> Void = { _ in }) async throws -> DeployHarness {
        var harness = try await start(configure)
        if kind == .postgres {
            let server = try await PostgresTestServer.shared
            harness.kind = .postgres
            harness.environment["CAMPAIGN_STATE"] = server.url()
            harness.environment.merge(server.environment) { $1 }
        }
        return harness
    }

    static func start(_ configure: (inout SandboxConfiguration) -> Void = { _ in }) async throws -> DeployHarness {
        var configuration = SandboxConfiguration(accountID: "ACC", passcode: "pass-s3cret-4711", timezone: "UTC", createRate: 0, targetsLatency: 0)
        configure(&configuration)
        let sandbox = try await RunningSandbox.start(configuration)
        let root = try TestSupport.temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/campaigns", withIntermediateDirectories: true)
        try "timezone: UTC\n".write(toFile: root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        return DeployHarness(sandbox: sandbox, root: root, environment: [
            "CLEVERTAP_API_URL": sandbox.baseURL, "CLEVERTAP_ACCOUNT_ID": "ACC", "CLEVERTAP_PASSCODE": "pass-s3cret-4711",
            "CAMPAIGN_STATE": root + "/state.json", "CAMPAIGN_CREATE_RATE": "100",
        ])
    }

    func stop() async { await sandbox.stop() }

    /// Writes `campaigns/<relative>`.
    func write(_ relative: String, _ text: String) throws {
        let path = root + "/campaigns/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: root + "/campaigns/" + relative) }

    func campaign(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> TestSupport.Run {
        try await TestSupport.runAsync(arguments, environment: environment.merging(extra) { $1 }, currentDirectory: root)
    }

    func plan(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> TestSupport.Run {
        try await campaign(["plan", "campaigns", "--color", "never"] + extra, environment: environment)
    }
    /// `campaign apply campaigns --auto-approve`, with `--init-state` while the state does not exist yet (the first
    /// apply of a new project; without it a missing state is refused, which `SafetyTests` checks).
    func apply(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> TestSupport.Run {
        try await campaign(["apply", "campaigns", "--auto-approve", "--color", "never"] + (try await firstApply) + extra, environment: environment)
    }

    /// `--init-state` while the state does not exist.
    var firstApply: [String] {
        get async throws { try await exists() ? [] : ["--init-state"] }
    }

    /// Whether the state exists.
    func exists() async throws -> Bool {
        switch kind {
        case .file: FileManager.default.fileExists(atPath: root + "/state.json")
        case .postgres: try await postgres().state(stateURL) != nil
        }
    }

    /// The cluster the state is in.
    func postgres() async throws -> PostgresTestServer {
        if let server { return server }
        return try await PostgresTestServer.shared
    }

    /// `campaign apply campaigns --auto-approve` started in the background, for tests that signal it.
    func startApply() async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.product("campaign"))
        process.arguments = ["apply", "campaigns", "--auto-approve"] + (try await firstApply)
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func ledger(_ endpoint: String) async -> [JSONValue] {
        (await sandbox.state.ledgerJSON()["entries"]?.arrayValue ?? []).filter { $0["endpoint"]?.stringValue == endpoint }
    }

    /// The state as the tool reads it: the state file with its journal (left by a run that died) applied, or the
    /// workspace's rows.
    func state() async throws -> JSONValue {
        switch kind {
        case .file: return try StateStore(path: root + "/state.json").load().json
        case .postgres: return try await postgres().state(stateURL)?.json ?? EngineState().json
        }
    }

    func record(_ key: String) async throws -> JSONValue? { try await state()["campaigns"]?[key] }

    /// The provider id recorded for `key` (state keeps ids as text; CleverTap's are numbers).
    func id(_ key: String) async throws -> Int? { try await record(key)?["id"]?.stringValue.flatMap { Int($0) } }

    /// `YYYY-MM-DD HH:MM` (UTC) `minutes` from now.
    static func schedule(inMinutes minutes: Int) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date().addingTimeInterval(Double(minutes) * 60))
    }

    static func segment(_ name: String, schedule: String = "\"2030-06-01 10:00\"", title: String = "Hello", extra: String = "") -> String {
        "name: \(name)\ndevices: [ios]\naudience: {all: true}\ncontent: {title: \(title), body: World}\nschedule: \(schedule)\n\(extra)"
    }

    static func send(_ name: String, identities: [String], title: String = "Hi") -> String {
        "name: \(name)\ntype: identity\naudience:\n  identity: [\(identities.joined(separator: ", "))]\ncontent: {title: \(title), body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n"
    }
}

extension TestSupport.Run {
    /// The plan line of `key`.
    func line(_ key: String) -> String? {
        stdout.split(separator: "\n").map(String.init).first { $0.contains(" \(key): ") }
    }
}
