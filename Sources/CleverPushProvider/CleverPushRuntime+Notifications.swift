import CampaignDeploy
import CampaignEngine
import CleverPushClient
import Foundation
import JSON

/// Notifications: names resolved, user ids looked up, sent once in parts of at most 50,000 ids.
extension CleverPushRuntime {
    /// Before a plan proposes a notification naming tags, topics or segments: why it cannot be sent (a name the
    /// channel does not have, with its close matches), or nil.
    public func checkBeforeCreate(_ request: ProviderRequest) async throws(ProviderFailure) -> String? {
        guard case .object(var fields) = request.body else { return nil }
        do { return try await resolveNames(&fields) } catch { throw Self.failure(error) }
    }

    /// Replaces the names in `fields` (`tagNames`…) by the ids the channel's listings give them (`tags`…); the first
    /// name the channel does not have, said with its close matches, or nil.
    func resolveNames(_ fields: inout [(String, JSONValue)]) async throws(CleverPushError) -> String? {
        for (namesField, idsField, what) in [("tagNames", "tags", "tag"), ("topicNames", "topics", "topic"), ("segmentNames", "segments", "segment")] {
            guard let index = fields.firstIndex(where: { $0.0 == namesField }) else { continue }
            let names = fields[index].1.arrayValue?.compactMap(\.stringValue) ?? []
            let listed: [(id: String, name: String)]
            switch what {
            case "tag": listed = try await client.tags()
            case "topic": listed = try await client.topics()
            default: listed = try await client.segments()
            }
            switch Self.ids(of: names, in: listed, what: what) {
            case .success(let ids): fields[index] = (idsField, .array(ids.map { .string($0) }))
            case .failure(let unknown): return unknown.message
            }
        }
        return nil
    }

    /// A name the channel's listing does not have, said with its close matches.
    struct UnknownName: Error {
        var message: String
    }

    /// The ids of `names` in a channel's listing of `what`s (`tag`, `topic`, `segment`), or the first name it does
    /// not have, with its close matches.
    static func ids(of names: [String], in listed: [(id: String, name: String)], what: String) -> Result<[String], UnknownName> {
        var ids: [String] = []
        for name in names {
            guard let found = listed.first(where: { $0.name == name }) else {
                let close = listed.map(\.name).filter { isClose($0, name) }.prefix(3)
                let known = close.isEmpty ? "the channel's \(what)s: " + listed.map(\.name).prefix(10).joined(separator: ", ") : "close matches: " + close.joined(separator: ", ")
                return .failure(UnknownName(message: "no \(what) named `\(name)` in the channel (\(known))"))
            }
            ids.append(found.id)
        }
        return .success(ids)
    }

    /// Names resolved to ids, user ids looked up, then the send (in parts of 50,000 subscription ids).
    func send(_ request: ProviderRequest) async -> StepOutcome {
        guard case .object(var fields) = request.body else { return .failed(ProviderFailure(code: "CP-BODY", message: "not a notification body"), neverSent: true) }
        fields.insert(("channelId", .string(client.configuration.channelID)), at: 0)
        do {
            if let unknown = try await resolveNames(&fields) {
                return .failed(ProviderFailure(code: "CP-NAME", message: unknown + "; nothing was sent"), neverSent: true)
            }
            if let index = fields.firstIndex(where: { $0.0 == "userIds" }) {
                var ids: [JSONValue] = []
                for user in fields[index].1.arrayValue?.compactMap(\.stringValue) ?? [] {
                    if let id = try await client.lookup(userID: user) { ids.append(.string(id)) }
                }
                guard !ids.isEmpty else {
                    return .failed(ProviderFailure(code: "CP-USERS", message: "none of the user ids has a subscription in the channel; nothing was sent"), neverSent: true)
                }
                fields[index] = ("subscriptionIds", .array(ids))
            }
        } catch {
            return .failed(Self.failure(error), neverSent: true)
        }
        // Parts of at most 50,000 subscription ids; without a list, one send.
        var parts: [[(String, JSONValue)]] = [fields]
        if let index = fields.firstIndex(where: { $0.0 == "subscriptionIds" }), let ids = fields[index].1.arrayValue, ids.count > CleverPushBinding.subscriptionsPerSend {
            parts = stride(from: 0, to: ids.count, by: CleverPushBinding.subscriptionsPerSend).map { start in
                var part = fields
                part[index] = ("subscriptionIds", .array(Array(ids[start..<min(ids.count, start + CleverPushBinding.subscriptionsPerSend)])))
                return part
            }
        }
        var sent: [String] = []
        for part in parts {
            do {
                sent.append(try await client.send(.object(part)))
            } catch {
                if sent.isEmpty {
                    return error.kind == .outcomeUnknown ? .unknown(Self.failure(error)) : .failed(Self.failure(error), neverSent: true)
                }
                // Some parts went out: the notification exists; what is missing cannot be sent again blindly.
                return .unknown(ProviderFailure(code: error.code, message: "\(sent.count) of \(parts.count) parts were sent (\(sent.joined(separator: ", "))); then: \(error.description)"))
            }
        }
        let facts = sent.count > 1 ? [Fact("parts", sent.joined(separator: ","))] : []
        return .done(id: sent.first, facts: facts)
    }

    static func isClose(_ a: String, _ b: String) -> Bool {
        let x = a.lowercased(), y = b.lowercased()
        if x.contains(y) || y.contains(x) { return true }
        return distance(Array(x), Array(y)) <= max(1, min(x.count, y.count) / 3)
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() { current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)) }
            previous = current
        }
        return previous[b.count]
    }
}
