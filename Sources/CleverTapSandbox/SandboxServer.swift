import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore

/// The sandbox's HTTP front: Hummingbird routes onto ``SandboxState``.
public enum SandboxServer {
    /// Largest request body accepted.
    static let maxBody = 32 << 20

    /// The application serving `state` on 127.0.0.1 at `configuration.port`, with the routes `mount` adds;
    /// `onRunning` receives the bound port.
    public static func application(
        state: SandboxState, configuration: SandboxConfiguration, logger: Logger,
        mount: (Router<BasicRequestContext>) -> Void = { _ in },
        onRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        // Another provider's routes on the same server (CleverPush's).
        mount(router)
        for endpoint in SandboxEndpoint.all {
            router.post(RouterPath(stringLiteral: endpoint)) { request, _ -> Response in
                try await handle(endpoint: endpoint, request: request, state: state)
            }
        }
        router.get("/_sandbox/ledger") { _, _ -> Response in
            json(200, await state.ledgerJSON())
        }
        router.get("/_sandbox/stats") { _, _ -> Response in
            json(200, await state.statsJSON())
        }
        router.post("/_sandbox/faults") { request, _ -> Response in
            var request = request
            let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
            // A fault that could never fire as meant is refused, not armed silently.
            let parsed: Result<FaultRule, SandboxError> = (try? JSONParser().parse(bytes)).map(FaultRule.parse(json:))
                ?? .failure(SandboxError("expected a JSON object"))
            do {
                try await state.addFault(parsed.get())
            } catch {
                let usage = "expected {\"endpoint\", \"mode\", \"count\"?, \"delay_ms\"?}: "
                return json(400, .object([("status", .string("fail")), ("error", .string(usage + String(describing: error)))]))
            }
            return json(200, .object([("status", .string("success"))]))
        }
        router.delete("/_sandbox/faults") { _, _ -> Response in
            await state.clearFaults()
            return json(200, .object([("status", .string("success"))]))
        }
        router.post("/_sandbox/clock") { request, _ -> Response in
            var request = request
            let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
            guard let seconds = (try? JSONParser().parse(bytes))?["advance_seconds"]?.doubleValue, seconds >= 0,
                await state.advanceClock(by: seconds)
            else {
                let limit = Int(SandboxConfiguration.maxClockAdvance)
                return json(400, .object([("status", .string("fail")), ("error", .string("expected {\"advance_seconds\": N}, 0 <= N, at most \(limit) in all"))]))
            }
            return json(200, .object([("status", .string("success"))]))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: configuration.port), serverName: "campaign-sandbox"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    static func json(_ status: Int, _ body: JSONValue, retryAfter: Int? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter(indent: nil).bytes(body))))
    }

    static let accountHeader = HTTPField.Name("X-CleverTap-Account-Id")!
    static let passcodeHeader = HTTPField.Name("X-CleverTap-Passcode")!

    static func handle(endpoint: String, request: Request, state: SandboxState) async throws -> Response {
        var request = request
        let admission = await state.admit(
            endpoint: endpoint, accountID: request.headers[accountHeader], passcode: request.headers[passcodeHeader])
        switch admission {
        case .reject(let response):
            return json(response.status, response.body, retryAfter: response.retryAfter)
        case .admit(let wait, let fault):
            let bytes: [UInt8]
            do {
                bytes = Array(buffer: try await request.collectBody(upTo: maxBody))
            } catch {
                await state.finish(endpoint: endpoint)
                return json(413, .object([("status", .string("fail")), ("error", .string("Request body too large")), ("code", .int(413))]))
            }
            if wait > 0 {
                do {
                    try await Task.sleep(for: .milliseconds(Int(wait * 1000)))
                } catch {
                    // Shutting down (the server's task was cancelled): the request is not performed.
                    await state.finish(endpoint: endpoint)
                    throw error
                }
            }
            let response: SandboxResponse
            switch fault {
            case .fail?:
                response = .fail(500, "Internal server error (injected)", code: 500)
            case .statusFail?:
                response = .fail(200, "Unexpected error, try again (injected)", code: 89)
            case .emptySuccess?:
                response = .success()
            case .commitThenDrop?:
                var committed = await state.process(endpoint: endpoint, body: bytes)
                committed.dropConnection = true
                response = committed
            case .delay?, nil:
                response = await state.process(endpoint: endpoint, body: bytes)
            }
            await state.finish(endpoint: endpoint)
            if response.dropConnection {
                // The work is done; the connection dies before an answer arrives.
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 64) { _ in
                    throw DroppedConnection()
                })
            }
            return json(response.status, response.body, retryAfter: response.retryAfter)
        }
    }

    struct DroppedConnection: Error {}
}
