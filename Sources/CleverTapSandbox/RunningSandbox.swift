import Foundation
import Hummingbird
import Logging
import SandboxLedger

/// A sandbox started in this process (for tests and benchmarks): its port, its state, and how to stop it.
public final class RunningSandbox: Sendable {
    public let port: Int
    public let state: SandboxState
    private let task: Task<Void, any Error>

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, state: SandboxState, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    /// Starts a sandbox on a free loopback port (unless `configuration.port` names one), with the routes `mount` adds
    /// (another provider's, recording into the same `ledger`), and waits until it listens.
    public static func start(
        _ configuration: SandboxConfiguration = SandboxConfiguration(), logLevel: Logger.Level = .critical, ledger: SandboxLedger? = nil,
        mount: (Router<BasicRequestContext>) -> Void = { _ in }
    ) async throws -> RunningSandbox {
        let state = try SandboxState(configuration: configuration, ledger: ledger)
        var logger = Logger(label: "campaign-sandbox")
        logger.logLevel = logLevel
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = SandboxServer.application(state: state, configuration: configuration, logger: logger, mount: mount) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = await task.result
            throw SandboxError("the sandbox could not start listening")
        }
        return RunningSandbox(port: port, state: state, task: task)
    }

    /// Stops the server and waits for it to finish.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// A sandbox nobody holds any more is stopped, even when whoever started it left early (a test whose
    /// `#require` failed before its `stop()`): no server outlives its harness.
    deinit { task.cancel() }
}
