import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore

/// PersonaClick's subscription routes on a Hummingbird router, onto ``PersonaClickSandboxState``, and the sandbox-only
/// routes under `/_sandbox/personaclick/` (changes "at the source", the ledger, stats, faults, refusals).
public enum PersonaClickRoutes {
    static let secretHeader = HTTPField.Name("X-Shop-Secret")!

    /// Adds the routes to `router`.
    public static func mount(on router: Router<BasicRequestContext>, state: PersonaClickSandboxState) {
        router.post("/subscriptions/manage") { request, _ -> Response in
            try await serve(request, route: "/subscriptions/manage", state: state) { body, _ in await state.manage(body) }
        }
        router.post("/subscriptions/callback") { request, _ -> Response in
            try await serve(request, route: "/subscriptions/callback", state: state) { body, _ in await state.callback(body) }
        }
        router.post("/subscriptions/confirm_email") { request, _ -> Response in
            try await serve(request, route: "/subscriptions/confirm_email", state: state) { body, _ in await state.confirmEmail(body) }
        }
        router.get("/subscriptions/check") { request, _ -> Response in
            try await serve(request, route: "/subscriptions/check", state: state) { _, query in await state.check(query) }
        }
        router.get("/subscriptions/changes") { request, _ -> Response in
            try await serve(request, route: "/subscriptions/changes", state: state) { _, query in await state.changes(query) }
        }
        router.get("/_sandbox/personaclick/ledger") { _, _ -> Response in json(200, await state.ledgerJSON()) }
        router.get("/_sandbox/personaclick/stats") { _, _ -> Response in json(200, await state.statsJSON()) }
        router.get("/_sandbox/personaclick/contact") { request, _ -> Response in
            return json(200, await state.contactJSON(queryMap(request)))
        }
        router.post("/_sandbox/personaclick/unsubscribe_page") { request, _ -> Response in
            let body = try await control(request)
            guard let email = body["email"]?.stringValue, !email.isEmpty else { return json(400, .object([("error", .string("expected {\"email\", \"datetime\"?}"))])) }
            await state.unsubscribePage(email: email, at: body["datetime"]?.stringValue)
            return json(200, .object([("status", .string("success"))]))
        }
        router.post("/_sandbox/personaclick/source") { request, _ -> Response in
            let body = try await control(request)
            guard let contact = body["contact"]?.stringValue, let event = body["event"]?.stringValue,
                ["subscribe", "unsubscribe", "hard_bounced", "complained", "blacklisted"].contains(event)
            else {
                return json(400, .object([("error", .string("expected {\"contact\", \"contact_type\"?, \"event\", \"channel\"?, \"campaign_type\"?, \"datetime\"?}"))]))
            }
            await state.sourceChange(contact: contact, contactType: body["contact_type"]?.stringValue ?? "email", event: event, channel: body["channel"]?.stringValue ?? "crm",
                                     campaignType: body["campaign_type"]?.stringValue ?? "", at: body["datetime"]?.stringValue)
            return json(200, .object([("status", .string("success"))]))
        }
        router.post("/_sandbox/personaclick/seed_changes") { request, _ -> Response in
            let body = try await control(request)
            let count = min(max(0, body["count"]?.intValue ?? 0), 10_000_000)
            let total = await state.seedChanges(count: count, event: body["event"]?.stringValue ?? "subscribe", channel: body["channel"]?.stringValue ?? "import",
                                                at: body["datetime"]?.stringValue)
            return json(200, .object([("changes", .int(total))]))
        }
        router.post("/_sandbox/personaclick/refuse") { request, _ -> Response in
            let body = try await control(request)
            let contacts = body["contacts"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let status = body["status"]?.intValue ?? 403
            guard [400, 403, 404].contains(status) else { return json(400, .object([("error", .string("status must be 400, 403 or 404"))])) }
            await state.refuse(contacts, status: status, shape: body["shape"]?.stringValue ?? "message")
            return json(200, .object([("status", .string("success"))]))
        }
        router.post("/_sandbox/personaclick/faults") { request, _ -> Response in
            let body = try await control(request)
            guard let path = body["endpoint"]?.stringValue, let mode = body["mode"]?.stringValue, ["fail", "commit-then-drop", "rate-limit"].contains(mode) else {
                return json(400, .object([("error", .string("expected {\"endpoint\", \"mode\": fail|commit-then-drop|rate-limit, \"count\"?, \"retry_after\"?}"))]))
            }
            await state.addFault(.init(path: path, mode: mode, remaining: body["count"]?.intValue ?? 1, retryAfter: body["retry_after"]?.intValue ?? 1))
            return json(200, .object([("status", .string("success"))]))
        }
        router.delete("/_sandbox/personaclick/faults") { _, _ -> Response in
            await state.clearFaults()
            return json(200, .object([("status", .string("success"))]))
        }
    }

    static func control(_ request: Request) async throws -> JSONValue {
        var request = request
        let bytes = Array(buffer: try await request.collectBody(upTo: 1 << 20))
        return (try? JSONParser().parse(bytes)) ?? .object([])
    }

    /// Credentials, rate limit and faults (every request recorded in the ledger with its path and query), then `act`
    /// with the parsed body (`{}` for a GET) and the query.
    static func serve(_ request: Request, route: String, state: PersonaClickSandboxState,
                      act: @Sendable (JSONValue, [String: String]) async -> (status: Int, body: JSONValue)) async throws -> Response {
        var request = request
        let query = request.uri.queryParameters
        let map = queryMap(request)
        var body = JSONValue.object([])
        let isPost = request.method == .post
        if isPost {
            let bytes = Array(buffer: try await request.collectBody(upTo: 32 << 20))
            guard let parsed = try? JSONParser().parse(bytes) else {
                return json(400, PersonaClickSandboxState.error("invalid JSON body"))
            }
            body = parsed
        }
        let uri = request.uri.description
        let configuredSecret = state.configuration.shopSecret
        let secretInURL = uri.contains("shop_secret") || uri.contains(configuredSecret)
        let contact = isPost ? (body["email"]?.stringValue ?? body["phone"]?.stringValue ?? body["external_id"]?.stringValue ?? body["loyalty_id"]?.stringValue ?? body["telegram_id"]?.stringValue)
            : (query.get("email") ?? query.get("phone"))
        let shopID = isPost ? body["shop_id"]?.stringValue : query.get("shop_id")
        let secret = isPost ? body["shop_secret"]?.stringValue : request.headers[secretHeader]
        switch await state.admit(method: isPost ? "POST" : "GET", uri: uri, route: route, shopID: shopID, secret: secret, secretInURL: secretInURL, contact: contact) {
        case .reject(let status, let error, let retryAfter):
            return json(status, error, retryAfter: retryAfter)
        case .act(let dropAfter):
            let answer = await act(body, map)
            if dropAfter {
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 64) { _ in throw Dropped() })
            }
            return json(answer.status, answer.body)
        }
    }

    struct Dropped: Error {}

    /// The query's parameters (the first of each name).
    static func queryMap(_ request: Request) -> [String: String] {
        var map: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where map[String(name)] == nil { map[String(name)] = String(value) }
        return map
    }

    static func json(_ status: Int, _ body: JSONValue, retryAfter: Int? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter(indent: nil).bytes(body))))
    }
}
