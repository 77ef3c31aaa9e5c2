import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import PersonaClickSandbox
import Testing

/// A project folder, a state and a PersonaClick sandbox, driven through the built `campaign` binary.
struct ClickHarness {
    static let secret = "pc-sh0p-s3cr3t-4711"
    static let shop = "SHOP-42"
    let sandbox: RunningPersonaClickSandbox
    let root: String
    var environment: [String: String]

    static func start(_ configure: (inout PersonaClickSandboxConfiguration) -> Void = { _ in }) async throws -> ClickHarness {
        var configuration = PersonaClickSandboxConfiguration(shopID: shop, shopSecret: secret)
        configure(&configuration)
        let sandbox = try await RunningPersonaClickSandbox.start(configuration)
        let root = try TestSupport.temporaryFolder()
        try FileManager.default.createDirectory(atPath: root + "/campaigns", withIntermediateDirectories: true)
        try "timezone: UTC\npersonaclick: {shop_id: \(shop), shop_secret_env: PERSONACLICK_TEST_SECRET}\n"
            .write(toFile: root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        return ClickHarness(sandbox: sandbox, root: root, environment: [
            "PERSONACLICK_API_URL": sandbox.baseURL, "PERSONACLICK_TEST_SECRET": secret, "CAMPAIGN_STATE": root + "/state.json",
            "CAMPAIGN_PERSONACLICK_BACKOFF": "0.01",
        ])
    }

    func stop() async { await sandbox.stop() }

    func write(_ relative: String, _ text: String) throws {
        let path = root + "/campaigns/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func campaign(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> TestSupport.Run {
        try await TestSupport.runAsync(arguments, environment: environment.merging(extra) { $1 }, currentDirectory: root)
    }

    func plan(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> TestSupport.Run {
        try await campaign(["plan", "campaigns", "--color", "never"] + extra, environment: environment)
    }

    func apply(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> TestSupport.Run {
        let first = FileManager.default.fileExists(atPath: root + "/state.json") ? [] : ["--init-state"]
        return try await campaign(["apply", "campaigns", "--auto-approve", "--color", "never"] + first + extra, environment: environment)
    }

    func state() throws -> EngineState { try StateStore(path: root + "/state.json").load() }
    func record(_ key: String) throws -> StateRecord? { try state().campaigns[key] }

    /// The contacts state records for `key` (encoded members).
    func members(_ key: String) throws -> [String] { try record(key)?.delivered["contact"] ?? [] }

    /// The sandbox's ledger lines.
    func ledger() async -> [JSONValue] { sandbox.state.ledgerJSON()["entries"]?.arrayValue ?? [] }

    /// Accepted requests to `endpoint` (status 200), optionally about `contact`.
    func accepted(_ endpoint: String, contact: String? = nil) async -> [JSONValue] {
        await ledger().filter {
            $0["endpoint"]?.stringValue == endpoint && $0["status"]?.intValue == 200 && (contact == nil || $0["contact"]?.stringValue == contact)
        }
    }

    static func preferences(_ name: String = "Newsletter", file: String = "contacts.csv", defaults: String? = nil) -> String {
        "provider: personaclick\ntype: subscription_preferences\nname: \(name)\nfile: \(file)\n" + (defaults.map { "defaults: \($0)\n" } ?? "")
    }

    static func suppressions(_ name: String = "Bounces", file: String = "suppressions.csv") -> String {
        "provider: personaclick\ntype: suppressions\nname: \(name)\nfile: \(file)\n"
    }
}
