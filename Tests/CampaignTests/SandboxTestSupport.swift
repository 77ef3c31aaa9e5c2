import AsyncHTTPClient
import CleverTapClient
import CleverTapSandbox
import Foundation
import JSON
import NIOCore
import Synchronization
import Testing

/// Clients of every harness, kept alive (see ``SandboxHarness/start(_:client:)``).
private let keepAlive = Mutex<[CleverTapClient]>([])

/// Starts an in-process sandbox (real HTTP over loopback) and a client pointed at it.
struct SandboxHarness {
    let sandbox: RunningSandbox
    let client: CleverTapClient

    static let account = "TEST-ACCOUNT"
    static let passcode = "s3cr3t-passcode-value"

    static func start(
        _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        client clientConfigure: (inout CleverTapConfiguration) -> Void = { _ in }
    ) async throws -> SandboxHarness {
        var configuration = SandboxConfiguration(accountID: account, passcode: passcode, createRate: 0, targetsLatency: 0)
        configure(&configuration)
        let sandbox = try await RunningSandbox.start(configuration)
        var clientConfiguration = CleverTapConfiguration(
            baseURL: sandbox.baseURL, credentials: CleverTapCredentials(accountID: account, passcode: passcode),
            connectTimeout: 5, readTimeout: 20, createRate: 1000, backoff: 0.01)
        clientConfigure(&clientConfiguration)
        let client = CleverTapClient(configuration: clientConfiguration)
        // If a test throws before `stop()`, the client must not be deinitialised un-shut-down (async-http-client traps
        // on that in debug builds); keep it alive for the life of the test process.
        keepAlive.withLock { $0.append(client) }
        return SandboxHarness(sandbox: sandbox, client: client)
    }

    func stop() async {
        await client.shutdown()
        await sandbox.stop()
    }

    /// A raw POST (no client pacing), for provoking the sandbox directly.
    static func rawPost(
        _ url: String, body: String?, account: String = account, passcode: String = passcode, headers: [(String, String)] = []
    ) async throws -> (status: Int, body: JSONValue?, retryAfter: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = body == nil ? .GET : .POST
        request.headers.add(name: "X-CleverTap-Account-Id", value: account)
        request.headers.add(name: "X-CleverTap-Passcode", value: passcode)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        // A client of its own: no pooled connection from an earlier test's sandbox (which may have had this port).
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            try? await client.shutdown()
            return (Int(response.status.code), try? JSONParser().parse(Array(buffer: bytes)), response.headers.first(name: "Retry-After"))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// A raw GET (control endpoints).
    static func rawGet(_ url: String, headers: [(String, String)] = []) async throws -> JSONValue? {
        try await rawPost(url, body: nil, headers: headers).body
    }

    func ledgerCount(_ endpoint: String) async -> Int { await sandbox.state.ledgerCounts()[endpoint] ?? 0 }
}

/// Request bodies for the contract tests.
enum Bodies {
    static func create(name: String = "Contract test", when: String = "now", devices: [String] = ["android", "ios"], channel: Bool = true, extra: [(String, JSONValue)] = []) -> JSONValue {
        var platform: [(String, JSONValue)] = []
        if channel { platform.append(("android", .object([("wzrk_cid", .string("general"))]))) }
        return .object([
            ("name", .string(name)),
            ("where", .object([("event_name", .string("App Launched")), ("from", .int(20270101)), ("to", .int(20270131))])),
            ("content", .object([("title", .string("Hi")), ("body", .string("There")), ("platform_specific", .object(platform))])),
            ("devices", .array(devices.map(JSONValue.string))),
            ("when", .string(when)),
        ] + extra)
    }

    static func push(recipients: Int = 2, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([
            ("to", .object([("Identity", .array((0..<recipients).map { .string("user-\($0)") }))])),
            ("content", .object([("title", .string("Hi")), ("body", .string("There")),
                                 ("platform_specific", .object([("android", .object([("wzrk_cid", .string("general"))]))]))])),
        ] + extra)
    }
}

/// Runs `body` and returns the CleverTapError it throws (or records an issue).
func cleverTapError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> CleverTapError? {
    do {
        try await body()
        Issue.record("expected a CleverTapError", sourceLocation: sourceLocation)
        return nil
    } catch let error as CleverTapError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
