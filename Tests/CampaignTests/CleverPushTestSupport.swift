import CampaignDeploy
import CampaignEngine
import CleverPushSandbox
import CleverTapSandbox
import Foundation
import JSON
import SandboxLedger
import Testing

/// The sandbox as `campaign-sandbox` runs it (CleverTap's routes, CleverPush's mounted beside them, one ledger), with
/// its CleverPush state at hand.
struct PushSandbox: Sendable {
    let server: RunningSandbox
    let state: CleverPushSandboxState
    var baseURL: String { server.baseURL }
    var ledger: SandboxLedger { state.ledger }

    static func start(_ configuration: CleverPushSandboxConfiguration = CleverPushSandboxConfiguration()) async throws -> PushSandbox {
        let ledger = SandboxLedger()
        let state = CleverPushSandboxState(configuration: configuration, ledger: ledger)
        let server = try await RunningSandbox.start(ledger: ledger, mount: { CleverPushRoutes.mount(on: $0, state: state) })
        return PushSandbox(server: server, state: state)
    }

    func stop() async { await server.stop() }
}

/// A project folder, a state (a file, or a schema of its own in the test PostgreSQL) and a CleverPush sandbox,
/// driven through the built `campaign` binary.
struct PushHarness {
    static let key = "cp-pr1vate-k3y-0815"
    let sandbox: PushSandbox
    let root: String
    var environment: [String: String]
    var kind: StateKind = .file
    var stateURL: String { environment["CAMPAIGN_STATE"] ?? "" }

    static func start(state kind: StateKind = .file, _ configure: (inout CleverPushSandboxConfiguration) -> Void = { _ in }) async throws -> PushHarness {
        var configuration = CleverPushSandboxConfiguration(privateKey: key)
        configure(&configuration)
        let sandbox = try await PushSandbox.start(configuration)
        let root = try TestSupport.temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/campaigns", withIntermediateDirectories: true)
        try "timezone: UTC\ncleverpush: {channel_id: \(configuration.channelID), private_key_env: CLEVERPUSH_TEST_KEY}\n"
            .write(toFile: root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        var harness = PushHarness(sandbox: sandbox, root: root, environment: [
            "CLEVERPUSH_API_URL": sandbox.baseURL, "CLEVERPUSH_TEST_KEY": key, "CAMPAIGN_STATE": root + "/state.json",
            "CAMPAIGN_CLEVERPUSH_BACKOFF": "0.01",
        ])
        if kind == .postgres {
            let server = try await PostgresTestServer.shared
            harness.kind = .postgres
            harness.environment["CAMPAIGN_STATE"] = server.url()
            harness.environment.merge(server.environment) { $1 }
        }
        return harness
    }

    func stop() async { await sandbox.stop() }

    func write(_ relative: String, _ text: String) throws {
        let path = root + "/campaigns/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A CSV of one column `header` with `rows`.
    func writeCSV(_ relative: String, header: String, _ rows: [String]) throws {
        try write(relative, ([header] + rows).joined(separator: "\n") + "\n")
    }

    func campaign(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> TestSupport.Run {
        try await TestSupport.runAsync(arguments, environment: environment.merging(extra) { $1 }, currentDirectory: root)
    }

    func plan(_ extra: [String] = []) async throws -> TestSupport.Run { try await campaign(["plan", "campaigns", "--color", "never"] + extra) }

    func apply(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> TestSupport.Run {
        try await campaign(["apply", "campaigns", "--auto-approve", "--color", "never"] + (try await exists() ? [] : ["--init-state"]) + extra, environment: environment)
    }

    func exists() async throws -> Bool {
        switch kind {
        case .file: FileManager.default.fileExists(atPath: root + "/state.json")
        case .postgres: try await PostgresTestServer.shared.state(stateURL) != nil
        }
    }

    func state() async throws -> EngineState {
        switch kind {
        case .file: try StateStore(path: root + "/state.json").load()
        case .postgres: try await PostgresTestServer.shared.state(stateURL) ?? EngineState()
        }
    }

    func record(_ key: String) async throws -> StateRecord? { try await state().campaigns[key] }

    /// Arms a fault on `endpoint` (`fail`, `commit-then-drop`, `rate-limit`).
    func fault(_ endpoint: String, _ mode: String, count: Int = 1, retryAfter: Int = 1) async {
        await sandbox.state.addFault(.init(path: endpoint, mode: mode, remaining: count, retryAfter: retryAfter))
    }

    static func tagAudience(_ name: String = "VIP", tag: String = "tag-vip", mode: String = "mirror", file: String = "members.csv") -> String {
        "provider: cleverpush\ntype: tag_audience\nname: \(name)\ntag_id: \(tag)\nmode: \(mode)\nmembers: {file: \(file)}\n"
    }

    static func notification(_ name: String = "Push", title: String = "Spring sale", audience: String = "all", schedule: String = "now") -> String {
        "provider: cleverpush\ntype: notification\nname: \(name)\ncontent: {title: \(title), text: Hello, url: \"https://example.com/x\"}\naudience: \(audience)\nschedule: \(schedule)\n"
    }

    static func subscribers(_ name: String = "Customers", mode: String = "upsert", form: String? = "form-1", file: String = "customers.csv") -> String {
        "provider: cleverpush\ntype: subscribers\nname: \(name)\nmode: \(mode)\n" + (form.map { "email_opt_in_form_id: \($0)\n" } ?? "") + "file: \(file)\n"
    }
}
