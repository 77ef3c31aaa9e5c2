import Foundation
import Hummingbird
import Logging

/// A PersonaClick sandbox started in this process (tests, benchmarks): its port, its state, and how to stop it.
public final class RunningPersonaClickSandbox: Sendable {
    public let port: Int
    public let state: PersonaClickSandboxState
    private let task: Task<Void, any Error>

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, state: PersonaClickSandboxState, task: Task<Void, any Error>) {
        self.port = port
        self.state = state
        self.task = task
    }

    public struct StartFailure: Error {}

    /// Starts on a free loopback port and waits until it listens.
    public static func start(_ configuration: PersonaClickSandboxConfiguration = PersonaClickSandboxConfiguration()) async throws -> RunningPersonaClickSandbox {
        let state = PersonaClickSandboxState(configuration: configuration)
        var logger = Logger(label: "personaclick-sandbox")
        logger.logLevel = .critical
        let router = Router()
        PersonaClickRoutes.mount(on: router, state: state)
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
        return RunningPersonaClickSandbox(port: port, state: state, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    deinit { task.cancel() }
}
