import AsyncHTTPClient
import Foundation
import HTTPExchange
import JSON
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RequestPacing

/// The PersonaClick subscriptions API client. `shop_id` and `shop_secret` travel in the JSON body of a POST; a GET
/// carries `shop_id` in its query and the secret in `X-Shop-Secret`, so the secret is never part of a URL (nor of a
/// log line, an error or an answer shown).
///
/// - Idempotent calls (`manage`, `check`, `changes`, `confirm_email`, and callbacks other than `hard_bounced`):
///   retried up to ``PersonaClickConfiguration/maxRetries`` times with exponential backoff and jitter after a
///   network error or a 5xx.
/// - 429: waits `Retry-After` and tries again (a refused request did nothing), up to ``PersonaClickConfiguration/maxRateLimitWaits``.
/// - A `hard_bounced` callback is never repeated blindly: a lost answer or a 5xx is ``PersonaClickError/Kind/outcomeUnknown``.
/// - Both error shapes are read: `{"status":"error","message":…}` and `{"status":"error","payload":{"message":…}}`.
public final class PersonaClickClient: Sendable {
    public let configuration: PersonaClickConfiguration
    /// Requests, 429s and retries seen.
    public let metrics = PersonaClickMetrics()
    private let http: HTTPClient
    private let logger: Logger
    private let gate: AsyncSemaphore
    private let pace: RateGate?
    private let problem: PersonaClickError?

    /// The header a GET carries the shop secret in.
    public static let secretHeader = "X-Shop-Secret"
    /// The largest page of the change feed.
    public static let maxPage = 20_000

    /// A client for `configuration`. One that fails ``PersonaClickConfiguration/validate()`` is not refused here:
    /// every call then throws that `.configuration` error without sending anything.
    public init(configuration: PersonaClickConfiguration, logger: Logger = Logger(label: "personaclick", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        do {
            try configuration.validate()
            problem = nil
        } catch {
            problem = error
        }
        http = APIHTTPClient.make(connectTimeout: configuration.call.connectTimeout, readTimeout: configuration.call.readTimeout, connections: configuration.call.concurrency)
        gate = AsyncSemaphore(permits: max(1, configuration.call.concurrency))
        pace = configuration.call.rate.map { RateGate(perSecond: $0) }
    }

    /// Closes connections. Call once when done.
    public func shutdown() async { try? await http.shutdown() }

    // MARK: endpoints

    /// Sets a contact's flags: `identity` (`email`, `phone`…) and `value`, and the flags given (real JSON booleans;
    /// the others are left as they are).
    public func manage(identity: String, value: String, flags: [(String, Bool)]) async throws(PersonaClickError) {
        let body: [(String, JSONValue)] = [(identity, .string(value))] + flags.map { ($0.0, .bool($0.1)) }
        _ = try await call(.POST, PersonaClickPaths.manage, body: body, idempotent: true)
    }

    /// Reports `event` for `email`. A `hard_bounced` callback is never retried after it may have left.
    public func callback(email: String, event: String) async throws(PersonaClickError) {
        _ = try await call(.POST, PersonaClickPaths.callback, body: [("email", .string(email)), ("event", .string(event))], idempotent: event != "hard_bounced")
    }

    /// Marks `email` confirmed; true when it was, false when it was confirmed already (the API's 400 "already
    /// confirmed", which is done, not a failure).
    @discardableResult
    public func confirmEmail(_ email: String) async throws(PersonaClickError) -> Bool {
        do {
            _ = try await call(.POST, PersonaClickPaths.confirmEmail, body: [("email", .string(email))], idempotent: true)
            return true
        } catch where error.kind == .nothingToChange && error.message.lowercased().contains("already") {
            return false
        }
    }

    /// A contact's status by `email` or `phone`.
    public func check(identity: String, value: String) async throws(PersonaClickError) -> PersonaClickCheck {
        let answer = try await call(.GET, PersonaClickPaths.check, query: [(identity, value)], body: nil, idempotent: true)
        let root = answer["payload"].flatMap { $0["exists"] != nil ? $0 : nil } ?? answer
        var flags: [String: Bool] = [:]
        for name in Self.flagNames { if let value = root[name]?.looseBool { flags[name] = value } }
        return PersonaClickCheck(
            exists: root["exists"]?.looseBool ?? false, flags: flags, emailConfirmed: root["email_confirmed"]?.looseBool ?? false,
            emailBounced: root["email_bounced"]?.looseBool ?? false, emailSuppressed: root["email_suppressed"]?.looseBool ?? false,
            emailBlacklisted: root["email_blacklisted"]?.looseBool ?? false)
    }

    /// The 12 flag names, as the API spells them.
    static let flagNames = ["email", "sms", "web_push", "mobile_push"].flatMap { channel in ["bulk", "chain", "transactional"].map { channel + "_" + $0 } }

    /// One page of the change feed from `from` to `to` (`YYYY-MM-DD`).
    public func changes(from: String, to: String, offset: Int, limit: Int = PersonaClickClient.maxPage) async throws(PersonaClickError) -> [PersonaClickChange] {
        let query = [("from", from), ("to", to), ("offset", String(offset)), ("limit", String(min(max(1, limit), Self.maxPage)))]
        // A page of 20,000 items is read straight into changes (no tree); any other shape is parsed as a tree below.
        let (_, bytes) = try await exchange(.GET, PersonaClickPaths.changes, query: query, body: nil, idempotent: true, raw: true)
        if let items = PersonaClickChange.page(bytes) { return items }
        guard let answer = try? JSONParser(maxDepth: 64).parse(bytes) else {
            throw PersonaClickError(.invalidResponse, "the change feed's answer was not JSON", path: PersonaClickPaths.changes)
        }
        if answer["status"]?.stringValue == "error" {
            throw PersonaClickError(.apiFailure, Self.errorMessage(answer).map(safe) ?? "PersonaClick answered an error", path: PersonaClickPaths.changes)
        }
        guard let items = answer.arrayValue ?? answer["payload"]?.arrayValue ?? answer["payload"]?["changes"]?.arrayValue ?? answer["changes"]?.arrayValue else {
            throw PersonaClickError(.invalidResponse, "the change feed was answered without a list of changes", path: PersonaClickPaths.changes)
        }
        return items.compactMap(PersonaClickChange.init(json:))
    }

    /// Every change from `from` to `to`, paged by `offset` until a short page; `pages` counts the pages read.
    public func allChanges(from: String, to: String, pageSize: Int = PersonaClickClient.maxPage) async throws(PersonaClickError) -> (changes: [PersonaClickChange], pages: Int) {
        var all: [PersonaClickChange] = []
        var offset = 0
        var pages = 0
        let size = min(max(1, pageSize), Self.maxPage)
        while true {
            let page = try await changes(from: from, to: to, offset: offset, limit: size)
            pages += 1
            all += page
            if page.count < size || pages >= 10_000 { break }
            offset += size
        }
        return (all, pages)
    }

    // MARK: the request loop

    /// One call with its retries (``CallAttempts``: the rules every client shares). A POST's `body` gets `shop_id` and `shop_secret` first; a GET's `query` gets
    /// `shop_id`, and the secret goes in `X-Shop-Secret`. `idempotent`: repeating it is harmless, so network errors and
    /// 5xx are retried.
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [(String, JSONValue)]?, idempotent: Bool) async throws(PersonaClickError) -> JSONValue {
        try await exchange(method, path, query: query, body: body, idempotent: idempotent, raw: false).json ?? .null
    }

    /// ``call(_:_:query:body:idempotent:)``'s loop. `raw`: a 2xx answer's bytes are returned as they are (`json` nil),
    /// for the caller to read; otherwise `json` is the parsed answer.
    func exchange(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: [(String, JSONValue)]?, idempotent: Bool, raw: Bool) async throws(PersonaClickError) -> (json: JSONValue?, bytes: [UInt8]) {
        if var problem {
            problem.path = path
            throw problem
        }
        var url = configuration.baseURL + path
        var payload: [UInt8]?
        if method == .GET {
            var components = URLComponents()
            components.queryItems = ([("shop_id", configuration.shopID)] + query).map { URLQueryItem(name: $0.0, value: $0.1) }
            url += "?" + (components.percentEncodedQuery ?? "")
        } else {
            let fields: [(String, JSONValue)] = [("shop_id", .string(configuration.shopID)), ("shop_secret", .string(configuration.shopSecret))] + (body ?? [])
            payload = JSONWriter(indent: nil).bytes(.object(fields))
        }
        var attempts = CallAttempts(configuration.call.limits, idempotent: idempotent, service: "PersonaClick", displayURL: configuration.displayURL)
        while true {
            let exchanged: (exchange: CallAttempts.Exchange, bytes: [UInt8])
            do { exchanged = try await once(method, url: url, path: path, payload: payload) } catch {
                throw PersonaClickError(.unreachable, "cancelled", path: path)
            }
            if case .answer(status: 429, _) = exchanged.exchange { await metrics.limited() }
            switch attempts.next(after: exchanged.exchange) {
            case .retry(let wait, let rateLimited):
                if !rateLimited { await metrics.retried() }
                try await sleep(wait, path: path)
            case .answered(let status):
                let bytes = exchanged.bytes
                if raw, (200..<300).contains(status) { return (nil, bytes) }
                let json = try? JSONParser(maxDepth: 64).parse(bytes)
                let message = json.flatMap(Self.errorMessage).map(safe)
                if status >= 400 {
                    switch status {
                    case 400: throw PersonaClickError(.nothingToChange, message ?? Self.meaning400(path), httpStatus: 400, path: path)
                    case 401, 403: throw PersonaClickError(.refused, message ?? "PersonaClick refused the request", httpStatus: status, path: path)
                    case 404: throw PersonaClickError(.missingParameter, message ?? "a mandatory parameter is missing", httpStatus: 404, path: path)
                    default: throw PersonaClickError(.apiFailure, message ?? "PersonaClick refused the request", httpStatus: status, path: path)
                    }
                }
                guard let json else {
                    throw PersonaClickError(idempotent ? .invalidResponse : .outcomeUnknown, "the answer was not JSON", httpStatus: status, path: path)
                }
                if json["status"]?.stringValue == "error" {
                    throw PersonaClickError(.apiFailure, message ?? "PersonaClick answered an error", httpStatus: status, path: path)
                }
                return (json, bytes)
            case .failed(let failure):
                throw PersonaClickError(failure, path: path)
            }
        }
    }

    /// The message of either error shape: `{"status":"error","message":…}` or `{"status":"error","payload":{"message":…}}`.
    static func errorMessage(_ json: JSONValue) -> String? {
        json["message"]?.stringValue ?? json["payload"]?["message"]?.stringValue ?? json["error"]?.stringValue
    }

    /// What a 400 without a message means for `path`, as the API documents it.
    static func meaning400(_ path: String) -> String {
        switch path {
        case PersonaClickPaths.manage: "nothing to change"
        case PersonaClickPaths.callback: "the event is missing or wrong"
        case PersonaClickPaths.confirmEmail: "double opt-in is off, or the email is unknown"
        default: "the request was refused"
        }
    }

    /// A server's text, safe to show: the secret cut out, control characters replaced, at most 300 characters.
    func safe(_ text: String) -> String {
        var message = text
        if configuration.shopSecret.count >= 4 { message = message.replacingOccurrences(of: configuration.shopSecret, with: "<redacted>") }
        return String(String.UnicodeScalarView(message.unicodeScalars.prefix(300).map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0 }))
    }

    /// One exchange, inside the concurrency and rate limits: how it ended, and the answer's bytes.
    private func once(_ method: HTTPMethod, url: String, path: String, payload: [UInt8]?) async throws -> (exchange: CallAttempts.Exchange, bytes: [UInt8]) {
        await gate.acquire()
        defer { Task { await gate.release() } }
        if let pace { try await pace.wait() }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let payload {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
        } else {
            request.headers.add(name: Self.secretHeader, value: configuration.shopSecret)
        }
        logger.debug("request", metadata: ["method": "\(method.rawValue)", "url": "\(configuration.displayURL + path)"])
        await metrics.sent()
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.call.readTimeout * 1000)))
            let status = Int(response.status.code)
            let received: ByteBuffer
            do { received = try await response.body.collect(upTo: 64 << 20) } catch {
                return (.failed(.maybeSent("the connection closed before the answer was complete")), [])
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
            logger.debug("response", metadata: ["url": "\(configuration.displayURL + path)", "status": "\(status)"])
            return (.answer(status: status, retryAfter: retryAfter), Array(buffer: received))
        } catch {
            // Cancelled once the request was handed to the library: it may have left, so it counts as maybe sent.
            if Task.isCancelled { return (.failed(.maybeSent("cancelled while waiting for the answer")), []) }
            return (.failed(ExchangeFailure.classify(error)), [])
        }
    }

    private func sleep(_ seconds: Double, path: String) async throws(PersonaClickError) {
        do { try await Task.sleep(for: .milliseconds(Int64((seconds.isFinite ? max(0, min(seconds, 300)) : 0) * 1000))) } catch {
            throw PersonaClickError(.unreachable, "cancelled while waiting to retry", path: path)
        }
    }
}
