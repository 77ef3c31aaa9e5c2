import AsyncHTTPClient
import Foundation
import HTTPExchange
import JSON
import Logging
import NIOCore
import NIOPosix
import RequestPacing

/// A CleverTap API client that keeps to the documented limits and never repeats a create or send whose outcome
/// it does not know.
///
/// - `targets/*` requests: at most ``CleverTapConfiguration/maxTargetsInFlight`` at once; creates and estimates
///   spaced to ``CleverTapConfiguration/createRate``.
/// - sends: spaced to ``CleverTapConfiguration/sendRate`` with bounded concurrency.
/// - 429: waits `Retry-After` (or the documented lockout) and tries again — a rejected request did nothing.
/// - reads, and requests that never reached the server: retried with exponential backoff and jitter.
/// - a create, send or stop that may have reached the server and got no clear answer: ``CleverTapError/Kind/outcomeUnknown``.
public final class CleverTapClient: Sendable {
    public let configuration: CleverTapConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let targetsGate: AsyncSemaphore
    private let sendsGate: AsyncSemaphore
    private let createPace: RateGate
    private let sendPace: RateGate
    /// What the client saw, for tests, benchmarks and summaries.
    public let metrics = ClientMetrics()
    /// Why every request is refused before it is sent (``CleverTapConfiguration/validate()`` failed), if it is.
    private let configurationProblem: CleverTapError?

    /// A client for `configuration`. A configuration that fails ``CleverTapConfiguration/validate()`` (a passcode with
    /// a newline, credentials in the URL…) is not refused here, but every request then throws that
    /// `.configuration` error without sending anything.
    public init(configuration: CleverTapConfiguration, logger: Logger = Logger(label: "clevertap", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        do {
            try configuration.validate()
            configurationProblem = nil
        } catch {
            configurationProblem = error
        }
        http = APIHTTPClient.make(
            connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout, connections: configuration.sendConcurrency + configuration.maxTargetsInFlight)
        targetsGate = AsyncSemaphore(permits: configuration.maxTargetsInFlight)
        sendsGate = AsyncSemaphore(permits: configuration.sendConcurrency)
        createPace = RateGate(perSecond: configuration.createRate, safety: 1.02)
        sendPace = RateGate(perSecond: configuration.sendRate, safety: 1.02)
    }

    /// Closes connections. Call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: endpoints

    /// `POST /1/targets/create.json`: creates a campaign and returns its id and estimates.
    public func createCampaign(_ body: JSONValue) async throws(CleverTapError) -> CreatedCampaign {
        let answer = try await perform("/1/targets/create.json", body, mutation: true)
        guard let id = answer["id"]?.intValue else {
            throw CleverTapError(.outcomeUnknown, "the create succeeded without an id", endpoint: "/1/targets/create.json")
        }
        return CreatedCampaign(id: id, estimates: Self.estimates(answer))
    }

    /// `POST /1/targets/create.json` with `estimate_only`: the estimated reach per device; creates nothing.
    public func estimate(_ body: JSONValue) async throws(CleverTapError) -> [String: Int] {
        let answer = try await perform("/1/targets/create.json", Self.estimateBody(body), mutation: false)
        return Dictionary(Self.estimates(answer), uniquingKeysWith: { a, _ in a })
    }

    /// The body `estimate` sends for the create body `body`: the same, with `"estimate_only": true` after `name`.
    public static func estimateBody(_ body: JSONValue) -> JSONValue {
        var members = body.objectValue ?? []
        members.removeAll { $0.0 == "estimate_only" }
        members.insert(("estimate_only", .bool(true)), at: min(1, members.count))
        return .object(members)
    }

    /// `POST /1/targets/stop.json`.
    public func stopCampaign(id: Int) async throws(CleverTapError) {
        _ = try await perform("/1/targets/stop.json", .object([("id", .int(id))]), mutation: true)
    }

    /// `POST /1/targets/result.json`: the statistics, or `.notCompleted`; `.invalidResponse` for a success without
    /// `result.sent` and `result.clicked`.
    public func result(id: Int) async throws(CleverTapError) -> CampaignResult {
        let answer: JSONValue
        do {
            answer = try await perform("/1/targets/result.json", .object([("id", .int(id))]), mutation: false)
        } catch where error.kind == .apiFailure && error.message.contains("hasn't been completed") {
            return .notCompleted
        }
        return try Self.campaignResult(answer)
    }

    /// The statistics of a successful `result.json` answer: `result` must be an object with non-negative integers
    /// `sent` and `clicked`. Anything else is `.invalidResponse` — never "completed, sent 0".
    static func campaignResult(_ answer: JSONValue) throws(CleverTapError) -> CampaignResult {
        guard let result = answer["result"], result.objectValue != nil else {
            throw CleverTapError(.invalidResponse, "the answer has no `result` object", endpoint: "/1/targets/result.json")
        }
        guard let sent = result["sent"]?.intValue, let clicked = result["clicked"]?.intValue, sent >= 0, clicked >= 0 else {
            throw CleverTapError(.invalidResponse, "the answer's `result` lacks the counts `sent` and `clicked`", endpoint: "/1/targets/result.json")
        }
        return .completed(sent: sent, clicked: clicked)
    }

    /// `POST /1/targets/list.json`: campaigns scheduled between two dates (`YYYYMMDD`, inclusive);
    /// `.invalidResponse` for a success without a `targets` array or with an entry without an integer `id`.
    public func listCampaigns(from: Int, to: Int) async throws(CleverTapError) -> [TargetSummary] {
        let answer = try await perform("/1/targets/list.json", .object([("from", .int(from)), ("to", .int(to))]), mutation: false)
        return try Self.targetSummaries(answer)
    }

    /// The entries of a successful `list.json` answer. A missing list is an error rather than "no campaigns":
    /// drift detection and reconciling rely on it.
    static func targetSummaries(_ answer: JSONValue) throws(CleverTapError) -> [TargetSummary] {
        guard let items = answer["targets"]?.arrayValue else {
            throw CleverTapError(.invalidResponse, "the answer has no `targets` list", endpoint: "/1/targets/list.json")
        }
        var summaries: [TargetSummary] = []
        summaries.reserveCapacity(items.count)
        for item in items {
            guard let id = item["id"]?.intValue else {
                throw CleverTapError(.invalidResponse, "an entry of `targets` has no integer `id`", endpoint: "/1/targets/list.json")
            }
            summaries.append(TargetSummary(
                id: id, name: item["name"]?.stringValue ?? "", scheduledOn: item["scheduled_on"]?.intValue ?? 0,
                status: item["status"]?.stringValue ?? ""))
        }
        return summaries
    }

    /// `POST /1/send/{push,email,webpush,sms}.json` (the path says which).
    public func send(path: String, body: JSONValue) async throws(CleverTapError) {
        _ = try await perform(path, body, mutation: true)
    }

    // MARK: the request loop

    private func perform(_ path: String, _ body: JSONValue, mutation: Bool) async throws(CleverTapError) -> JSONValue {
        if var problem = configurationProblem {
            problem.endpoint = path
            throw problem
        }
        let isTargets = path.hasPrefix("/1/targets/")
        let paced = path == "/1/targets/create.json"
        // Serialized on the first attempt, once the request holds its concurrency permit (see `once`).
        var payload: [UInt8]?
        // A mutation (a create, send or stop) is not idempotent: without an answer it may have acted.
        var attempts = CallAttempts(configuration.limits, idempotent: !mutation, service: "CleverTap", displayURL: configuration.displayURL)
        while true {
            let exchanged: (exchange: CallAttempts.Exchange, json: JSONValue?)
            do {
                exchanged = try await once(path, body, payload: &payload, isTargets: isTargets, paced: paced)
            } catch {
                throw CleverTapError(.unreachable, "cancelled", endpoint: path)
            }
            if case .answer(status: 429, _) = exchanged.exchange { await metrics.recordRateLimited() }
            switch attempts.next(after: exchanged.exchange) {
            case .retry(let wait, let rateLimited):
                if rateLimited { logger.warning("rate limited; waiting before retrying", metadata: ["endpoint": "\(path)", "seconds": "\(wait)"]) }
                try await sleep(seconds: wait, path: path)
            case .answered(let status):
                let json = exchanged.json
                if status == 401 {
                    throw CleverTapError(.unauthorized, "CleverTap refused the credentials: check the account id and passcode", httpStatus: 401, apiCode: json?["code"]?.intValue, endpoint: path)
                }
                guard let json else {
                    if mutation {
                        throw CleverTapError(.outcomeUnknown, "the answer was not JSON; the request may or may not have acted", httpStatus: status, endpoint: path)
                    }
                    throw CleverTapError(.invalidResponse, "the answer was not JSON", httpStatus: status, endpoint: path)
                }
                if json["status"]?.stringValue == "success", status < 300 { return json }
                let message = apiFailureMessage(json["error"]?.stringValue ?? "CleverTap answered status \(json["status"]?.stringValue ?? "missing")")
                throw CleverTapError(.apiFailure, message, httpStatus: status, apiCode: json["code"]?.intValue, endpoint: path)
            case .failed(let failure):
                throw CleverTapError(failure, endpoint: path)
            }
        }
    }

    /// A failure text from the server, safe to show: the passcode and account id cut out (a server or proxy may
    /// echo headers), control characters replaced, at most 500 characters.
    func apiFailureMessage(_ text: String) -> String {
        var message = text
        for secret in [configuration.credentials.passcode, configuration.credentials.accountID] where secret.count >= 4 {
            message = message.replacingOccurrences(of: secret, with: "<redacted>")
        }
        var scalars = String.UnicodeScalarView()
        for scalar in message.unicodeScalars.prefix(500) {
            scalars.append(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar)
        }
        return String(scalars)
    }

    /// One HTTP exchange, inside the concurrency and pacing limits. `payload` is `body` serialized; nil until the
    /// first attempt makes it.
    private func once(_ path: String, _ body: JSONValue, payload: inout [UInt8]?, isTargets: Bool, paced: Bool) async throws -> (exchange: CallAttempts.Exchange, json: JSONValue?) {
        let gate = isTargets ? targetsGate : sendsGate
        await gate.acquire()
        defer { Task { await gate.release() } }
        // The body is serialized here, holding a permit, and not when the caller asks: a caller that starts 1000 sends
        // at once (1000 bodies of 1000 recipients) would otherwise keep the cooperative threads busy serializing all of
        // them (~25 ms on two cores) while the first permit holders' pacing wake-ups wait behind that work — and a
        // pacing slot that passes unused is lost for good (`RateGate` never hands out slots in the past). Here at most
        // `sendConcurrency` bodies exist at once, and each is made while its holder waits for its slot anyway.
        let bytes: [UInt8]
        if let made = payload {
            bytes = made
        } else {
            bytes = JSONWriter(indent: nil).bytes(body)
            payload = bytes
        }
        if paced {
            try await createPace.wait()
        } else if !isTargets {
            try await sendPace.wait()
        }
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.method = .POST
        // Only a configuration that passed `validate()` gets here: the values are printable ASCII of bounded size.
        request.headers.add(name: "X-CleverTap-Account-Id", value: configuration.credentials.accountID)
        request.headers.add(name: "X-CleverTap-Passcode", value: configuration.credentials.passcode)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        logger.debug("request", metadata: [
            "method": "POST", "url": "\(configuration.displayURL + path)",
            // Both redacted: which variable holds which value is repository content (swapped names would log the
            // passcode as the account id).
            "headers": "X-CleverTap-Account-Id: <redacted>, X-CleverTap-Passcode: <redacted>",
            "bytes": "\(bytes.count)",
        ])
        await metrics.recordSent(path)
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.readTimeout * 1000)))
            let status = Int(response.status.code)
            let received: ByteBuffer
            do {
                received = try await response.body.collect(upTo: 16 << 20)
            } catch {
                return (.failed(.maybeSent("the connection closed before the answer was complete")), nil)
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
            let json = try? JSONParser(maxDepth: 64).parse(Array(buffer: received))
            logger.debug("response", metadata: ["url": "\(configuration.displayURL + path)", "status": "\(status)"])
            return (.answer(status: status, retryAfter: retryAfter), json)
        } catch {
            // Cancelled once the request was handed to the library: it may have left, so it counts as maybe sent.
            if Task.isCancelled { return (.failed(.maybeSent("cancelled while waiting for the answer")), nil) }
            return (.failed(ExchangeFailure.classify(error)), nil)
        }
    }

    private func sleep(seconds: Double, path: String) async throws(CleverTapError) {
        do {
            // Bounded whatever it is given (a non-finite or huge value would trap in the conversion).
            try await Task.sleep(for: .milliseconds(Int64((seconds.isFinite ? min(max(0, seconds), 86_400) : 0) * 1000)))
        } catch {
            throw CleverTapError(.unreachable, "cancelled while waiting to retry", endpoint: path)
        }
    }

    private static func estimates(_ answer: JSONValue) -> [(String, Int)] {
        (answer["estimates"]?.objectValue ?? []).compactMap { key, value in value.intValue.map { (key, $0) } }
    }
}

/// A created campaign.
public struct CreatedCampaign: Sendable, Hashable {
    public var id: Int
    public var estimates: [(String, Int)]

    public static func == (a: CreatedCampaign, b: CreatedCampaign) -> Bool {
        a.id == b.id && a.estimates.map(\.0) == b.estimates.map(\.0) && a.estimates.map(\.1) == b.estimates.map(\.1)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// A campaign's statistics, or that it has not completed yet.
public enum CampaignResult: Sendable, Hashable {
    case notCompleted
    case completed(sent: Int, clicked: Int)
}

/// One entry of `list.json`.
public struct TargetSummary: Sendable, Hashable {
    public var id: Int
    public var name: String
    /// `YYYYMMDDHHMM` (the sandbox) or `YYYYMMDD`.
    public var scheduledOn: Int
    public var status: String
}

/// Counters of what the client sent and saw.
public actor ClientMetrics {
    public private(set) var sent: [String: Int] = [:]
    public private(set) var rateLimited = 0

    func recordSent(_ path: String) { sent[path, default: 0] += 1 }
    func recordRateLimited() { rateLimited += 1 }

    /// Requests sent over all endpoints.
    public var totalSent: Int { sent.values.reduce(0, +) }
}
