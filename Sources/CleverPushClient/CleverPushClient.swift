import AsyncHTTPClient
import Foundation
import HTTPExchange
import JSON
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RequestPacing

/// The CleverPush API client. The raw private key travels in `Authorization` and is never logged or shown.
///
/// - Idempotent calls (listings, lookups, sync, unsubscribe, tag, untag): retried up to ``CleverPushConfiguration/maxRetries``
///   times with exponential backoff and jitter after a network error or a 5xx.
/// - 429: waits `Retry-After` and tries again (a refused request did nothing), up to ``CleverPushConfiguration/maxRateLimitWaits``.
/// - A notification send is never repeated blindly: a lost answer or a 5xx is ``CleverPushError/Kind/outcomeUnknown``.
/// - At most ``CleverPushConfiguration/concurrency`` requests in flight, started at most ``CleverPushConfiguration/rate`` per second.
public final class CleverPushClient: Sendable {
    /// Where it talks to, with the key and the limits.
    public let configuration: CleverPushConfiguration
    /// Requests, 429s and retries seen.
    public let metrics = CleverPushMetrics()
    private let http: HTTPClient
    private let logger: Logger
    private let gate: AsyncSemaphore
    private let pace: RateGate?
    private let problem: CleverPushError?

    /// A client for `configuration`. One that fails ``CleverPushConfiguration/validate()`` is not refused here: every
    /// call then throws that `.configuration` error without sending anything.
    public init(configuration: CleverPushConfiguration, logger: Logger = Logger(label: "cleverpush", factory: { _ in SwiftLogNoOpLogHandler() })) {
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

    var channel: String { configuration.channelID }

    // MARK: endpoints

    /// A listing's items as (id, name): tags, topics or segments.
    public func list(_ path: String, field: String) async throws(CleverPushError) -> [(id: String, name: String)] {
        let answer = try await call(.GET, path, body: nil, idempotent: true)
        let items = answer[field]?.arrayValue ?? answer.arrayValue ?? []
        return items.compactMap { item in
            guard let id = item["_id"]?.stringValue ?? item["id"]?.stringValue, let name = item["name"]?.stringValue else { return nil }
            return (id, name)
        }
    }

    /// The channel's tags, topics and segments as (id, name).
    public func tags() async throws(CleverPushError) -> [(id: String, name: String)] { try await list(CleverPushPaths.tags(channel: channel), field: "tags") }
    public func topics() async throws(CleverPushError) -> [(id: String, name: String)] { try await list(CleverPushPaths.topics(channel: channel), field: "topics") }
    public func segments() async throws(CleverPushError) -> [(id: String, name: String)] { try await list(CleverPushPaths.segments(channel: channel), field: "segments") }

    /// A notification as the channel's listing gives it.
    public struct ListedNotification: Sendable, Hashable {
        public var id: String
        public var title: String
        public var text: String
        public var url: String?
        public var createdAt: String?
        public var status: String?
    }

    /// One page of the channel's notifications, newest first.
    public func notifications(limit: Int = 100, offset: Int = 0) async throws(CleverPushError) -> [ListedNotification] {
        let answer = try await call(.GET, CleverPushPaths.notifications(channel: channel), query: [("limit", String(limit)), ("offset", String(offset))], body: nil, idempotent: true)
        return (answer["notifications"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["_id"]?.stringValue ?? item["id"]?.stringValue else { return nil }
            return ListedNotification(id: id, title: item["title"]?.stringValue ?? "", text: item["text"]?.stringValue ?? "", url: item["url"]?.stringValue,
                                      createdAt: item["createdAt"]?.stringValue, status: item["status"]?.stringValue)
        }
    }

    /// Sends (or schedules) a notification; its id. Never retried after it may have left.
    public func send(_ body: JSONValue) async throws(CleverPushError) -> String {
        let answer = try await call(.POST, CleverPushPaths.send, body: body, idempotent: false)
        guard let id = answer["notification"]?["_id"]?.stringValue ?? answer["_id"]?.stringValue ?? answer["id"]?.stringValue else {
            throw CleverPushError(.outcomeUnknown, "the send was answered without a notification id; it may have gone out", path: CleverPushPaths.send)
        }
        return id
    }

    /// What a subscription sync answered.
    public struct Synced: Sendable, Hashable {
        public var id: String
        public var emailConfirmationNeeded: Bool
    }

    /// Creates or updates a subscription (with `subscriptionId` in `body`, an update). `idempotent`: whether repeating
    /// it is harmless (an update that mails nothing); otherwise a lost answer or a 5xx is not retried but reported as
    /// `outcomeUnknown` (a create could make a second subscription, a double opt-in could be mailed twice).
    public func sync(_ body: JSONValue, idempotent: Bool = true) async throws(CleverPushError) -> Synced {
        let path = CleverPushPaths.sync(channel: channel)
        let answer = try await call(.POST, path, body: body, idempotent: idempotent)
        guard let id = answer["id"]?.stringValue ?? answer["_id"]?.stringValue else {
            throw CleverPushError(.invalidResponse, "the sync was answered without a subscription id", path: path)
        }
        return Synced(id: id, emailConfirmationNeeded: answer["emailConfirmationNeeded"]?.boolValue ?? false)
    }

    /// The id of the subscription whose `user_id` attribute is `userID`, if any.
    public func lookup(userID: String) async throws(CleverPushError) -> String? {
        guard let found = try await subscription(userID: userID) else { return nil }
        return found["_id"]?.stringValue ?? found["id"]?.stringValue
    }

    /// The subscription whose `user_id` attribute is `userID` as CleverPush gives it (`_id`, `emailAddress`,
    /// `customAttributes`…), if any.
    public func subscription(userID: String) async throws(CleverPushError) -> JSONValue? {
        do {
            let answer = try await call(.GET, CleverPushPaths.lookup, query: [("channelId", channel), ("attributeId", "user_id"), ("attributeValue", userID)], body: nil, idempotent: true)
            return answer["subscription"] ?? answer
        } catch where error.httpStatus == 404 {
            return nil
        }
    }

    /// Unsubscribes the subscription with this native id.
    public func unsubscribe(_ subscriptionID: String) async throws(CleverPushError) {
        _ = try await call(.POST, CleverPushPaths.unsubscribe, body: .object([("channelId", .string(channel)), ("subscriptionId", .string(subscriptionID))]), idempotent: true)
    }

    /// Tags (or, with `remove`, untags) one subscription.
    public func tag(_ subscriptionID: String, tagID: String, remove: Bool) async throws(CleverPushError) {
        let body = JSONValue.object([("channelId", .string(channel)), ("subscriptionId", .string(subscriptionID)), ("tagId", .string(tagID))])
        _ = try await call(.POST, remove ? CleverPushPaths.untag : CleverPushPaths.tag, body: body, idempotent: true)
    }

    // MARK: the request loop

    /// One call with its retries (``CallAttempts``: the rules every client shares). `idempotent`: repeating it is
    /// harmless, so network errors and 5xx are retried.
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue?, idempotent: Bool) async throws(CleverPushError) -> JSONValue {
        if var problem {
            problem.path = path
            throw problem
        }
        var url = configuration.baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            url += "?" + (components.percentEncodedQuery ?? "")
        }
        let payload = body.map { JSONWriter(indent: nil).bytes($0) }
        var attempts = CallAttempts(configuration.call.limits, idempotent: idempotent, service: "CleverPush", displayURL: configuration.displayURL)
        while true {
            let exchanged: (exchange: CallAttempts.Exchange, json: JSONValue?)
            do { exchanged = try await once(method, url: url, path: path, payload: payload) } catch {
                throw CleverPushError(.unreachable, "cancelled", path: path)
            }
            if case .answer(status: 429, _) = exchanged.exchange { await metrics.limited() }
            switch attempts.next(after: exchanged.exchange) {
            case .retry(let wait, let rateLimited):
                if !rateLimited { await metrics.retried() }
                try await sleep(wait, path: path)
            case .answered(let status):
                if status == 401 || status == 403 {
                    throw CleverPushError(.unauthorized, "CleverPush refused the private key: check the variable the settings name", httpStatus: status, path: path)
                }
                if status >= 400 {
                    throw CleverPushError(.apiFailure, safe(exchanged.json?["error"]?.stringValue ?? "CleverPush refused the request"), httpStatus: status, path: path)
                }
                guard let json = exchanged.json else {
                    throw CleverPushError(idempotent ? .invalidResponse : .outcomeUnknown, "the answer was not JSON", httpStatus: status, path: path)
                }
                return json
            case .failed(let failure):
                throw CleverPushError(failure, path: path)
            }
        }
    }

    /// A server's text, safe to show: the key cut out, control characters replaced, at most 300 characters.
    func safe(_ text: String) -> String {
        var message = text
        if configuration.privateKey.count >= 4 { message = message.replacingOccurrences(of: configuration.privateKey, with: "<redacted>") }
        return String(String.UnicodeScalarView(message.unicodeScalars.prefix(300).map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : $0 }))
    }

    /// One exchange, inside the concurrency and rate limits: how it ended, and the answer's JSON if there was one.
    private func once(_ method: HTTPMethod, url: String, path: String, payload: [UInt8]?) async throws -> (exchange: CallAttempts.Exchange, json: JSONValue?) {
        await gate.acquire()
        defer { Task { await gate.release() } }
        if let pace { try await pace.wait() }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: configuration.privateKey)
        if let payload {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload))
        }
        logger.debug("request", metadata: ["method": "\(method.rawValue)", "url": "\(configuration.displayURL + path)", "headers": "Authorization: <redacted>"])
        await metrics.sent()
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.call.readTimeout * 1000)))
            let status = Int(response.status.code)
            let received: ByteBuffer
            do { received = try await response.body.collect(upTo: 16 << 20) } catch {
                return (.failed(.maybeSent("the connection closed before the answer was complete")), nil)
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
            logger.debug("response", metadata: ["url": "\(configuration.displayURL + path)", "status": "\(status)"])
            return (.answer(status: status, retryAfter: retryAfter), try? JSONParser(maxDepth: 64).parse(Array(buffer: received)))
        } catch {
            // Cancelled once the request was handed to the library: it may have left, so it counts as maybe sent.
            if Task.isCancelled { return (.failed(.maybeSent("cancelled while waiting for the answer")), nil) }
            return (.failed(ExchangeFailure.classify(error)), nil)
        }
    }

    private func sleep(_ seconds: Double, path: String) async throws(CleverPushError) {
        do { try await Task.sleep(for: .milliseconds(Int64((seconds.isFinite ? max(0, min(seconds, 300)) : 0) * 1000))) } catch {
            throw CleverPushError(.unreachable, "cancelled while waiting to retry", path: path)
        }
    }
}
