import Foundation
import Hummingbird
import Logging

/// A CleverPush sandbox started in this process (tests, benchmarks): its port, its state, and how to stop it.
public final class RunningCleverPushSandbox: Sendable {
    public let port: Int
    public let state: CleverPushSandboxState
    private let task: Task<Void, any Error>

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, state: CleverPushSandboxState, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public struct StartFailure: Error {}

    /// Starts on a free loopback port and waits until it listens.
    public static func start(_ configuration: CleverPushSandboxConfiguration = CleverPushSandboxConfiguration()) async throws -> RunningCleverPushSandbox {
        let state = CleverPushSandboxState(configuration: configuration)
        var logger = Logger(label: "cleverpush-sandbox")
        logger.logLevel = .critical
        let router = Router()
        CleverPushRoutes.mount(on: router, state: state)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "campaign-sandbox"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = await task.result
            throw StartFailure()
        }
        return RunningCleverPushSandbox(port: port, state: state, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    deinit { task.cancel() }
}
