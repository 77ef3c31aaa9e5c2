import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore

/// CleverPush's routes (the paths of `CleverPushPaths`, the official SDKs' form) on a Hummingbird router, onto
/// ``CleverPushSandboxState``. The brief's `/subscription/tag/add|remove` are not served (404), so a client using
/// them is caught.
public enum CleverPushRoutes {
    static let authorization = HTTPField.Name("Authorization")!

    /// Adds the routes and the control endpoints (`/_sandbox/cleverpush/…`) to `router`.
    public static func mount(on router: Router<BasicRequestContext>, state: CleverPushSandboxState) {
        for what in ["tags", "topics", "segments"] {
            router.get(RouterPath(stringLiteral: "/channel/:channel/\(what)")) { request, context -> Response in
                try await serve(request, route: "/channel/{id}/\(what)", state: state) { _ in
                    await state.listing(what, channel: context.parameters.get("channel") ?? "")
                }
            }
        }
        router.get("/channel/:channel/notifications") { request, context -> Response in
            try await serve(request, route: "/channel/{id}/notifications", state: state) { _ in
                let query = request.uri.queryParameters
                return await state.notificationList(
                    channel: context.parameters.get("channel") ?? "", limit: query.get("limit").flatMap { Int($0) } ?? 100, offset: query.get("offset").flatMap { Int($0) } ?? 0)
            }
        }
        router.post("/subscription/sync/:channel") { request, context -> Response in
            try await serve(request, route: "/subscription/sync/{id}", state: state) { body in
                await state.sync(channel: context.parameters.get("channel") ?? "", body: body)
            }
        }
        router.get("/subscription") { request, _ -> Response in
            try await serve(request, route: "/subscription", state: state) { _ in
                let query = request.uri.queryParameters
                return await state.lookup(
                    channel: query.get("channelId"), attribute: query.get("attributeId"),
                    value: query.get("attributeValue") ?? query.get("attribute_value"))
            }
        }
        router.post("/subscription/unsubscribe") { request, _ -> Response in
            try await serve(request, route: "/subscription/unsubscribe", state: state) { await state.unsubscribe(body: $0) }
        }
        router.post("/subscription/tag") { request, _ -> Response in
            try await serve(request, route: "/subscription/tag", state: state) { await state.tag(body: $0, remove: false) }
        }
        router.post("/subscription/untag") { request, _ -> Response in
            try await serve(request, route: "/subscription/untag", state: state) { await state.tag(body: $0, remove: true) }
        }
        router.post("/notification/send") { request, _ -> Response in
            try await serve(request, route: "/notification/send", state: state) { await state.send(body: $0) }
        }
        router.get("/_sandbox/cleverpush/ledger") { _, _ -> Response in json(200, await state.ledgerJSON()) }
        router.get("/_sandbox/cleverpush/stats") { _, _ -> Response in json(200, await state.statsJSON()) }
        router.post("/_sandbox/cleverpush/faults") { request, _ -> Response in
            var request = request
            let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
            guard let body = try? JSONParser().parse(bytes), let path = body["endpoint"]?.stringValue, let mode = body["mode"]?.stringValue,
                ["fail", "commit-then-drop", "rate-limit"].contains(mode)
            else {
                return json(400, .object([("error", .string("expected {\"endpoint\", \"mode\": fail|commit-then-drop|rate-limit, \"count\"?, \"retry_after\"?}"))]))
            }
            await state.addFault(.init(path: path, mode: mode, remaining: body["count"]?.intValue ?? 1, retryAfter: body["retry_after"]?.intValue ?? 1))
            return json(200, .object([("success", .bool(true))]))
        }
        router.delete("/_sandbox/cleverpush/faults") { _, _ -> Response in
            await state.clearFaults()
            await state.clearRefused()
            return json(200, .object([("success", .bool(true))]))
        }
        router.post("/_sandbox/cleverpush/refuse") { request, _ -> Response in
            var request = request
            let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
            let ids = (try? JSONParser().parse(bytes))?["subscriptionIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
            await state.refuse(ids)
            return json(200, .object([("success", .bool(true))]))
        }
    }

    /// Authentication, rate limit and faults, then `act` with the parsed body (`{}` for a GET).
    static func serve(_ request: Request, route: String, state: CleverPushSandboxState, act: @Sendable (JSONValue) async -> (status: Int, body: JSONValue)) async throws -> Response {
        var request = request
        switch await state.admit(path: request.uri.path, route: route, key: request.headers[authorization]) {
        case .reject(let status, let error, let retryAfter):
            return json(status, .object([("error", .string(error))]), retryAfter: retryAfter)
        case .act(let dropAfter):
            // Counted in flight until its answer is made (before the client can see it, so a client's next request
            // never overlaps the count of the last).
            await state.enter()
            do {
                let response = try await perform(&request, state: state, dropAfter: dropAfter, act: act)
                await state.leave()
                return response
            } catch {
                await state.leave()
                throw error
            }
        }
    }

    /// After the optional latency: the body parsed, `act`, and its answer (or a connection that dies after acting).
    static func perform(_ request: inout Request, state: CleverPushSandboxState, dropAfter: Bool, act: @Sendable (JSONValue) async -> (status: Int, body: JSONValue)) async throws -> Response {
        let latency = state.configuration.latency
        if latency > 0 { try await Task.sleep(for: .milliseconds(Int64(min(latency, 60) * 1000))) }
        var body = JSONValue.object([])
        if request.method == .post {
            let bytes = Array(buffer: try await request.collectBody(upTo: 32 << 20))
            guard let parsed = try? JSONParser().parse(bytes) else { return json(400, .object([("error", .string("Invalid JSON body"))])) }
            body = parsed
        }
        let answer = await act(body)
        if dropAfter {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 64) { _ in throw Dropped() })
        }
        return json(answer.status, answer.body)
    }

    struct Dropped: Error {}

    static func json(_ status: Int, _ body: JSONValue, retryAfter: Int? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter(indent: nil).bytes(body))))
    }
}
