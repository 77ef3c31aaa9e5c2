import CampaignDeploy
import CampaignEngine
import CampaignModel
import CampaignLanguage
import CleverPushClient
import Foundation
import JSON

/// Binds validated CleverPush resources to the engine: their kinds, content hashes, members and requests. Pure.
public enum CleverPushBinding {
    /// The path of a request that changes only state (a row that left an `add` audience keeps its tag).
    public static let stateOnly = "(state only)"
    /// Members per tag or subscriber request (each member is its own API call, made concurrently by the runtime).
    public static let membersPerRequest = 1_000
    /// Subscription ids per notification request.
    public static let subscriptionsPerSend = 50_000
    /// Member kinds.
    public static let subscription = "subscription"
    /// A tag audience's members given as external user ids.
    public static let user = "user"
    public static let row = "row"
    /// Between a subscriber row's id and the hash of its content, in its member (`u-1001 #3fa2b1c4d5e6f7a8`).
    public static let rowSeparator = " #"

    /// A body naming its members in full, so that a plan's JSON carries every list.
    static func body(_ fields: [(String, JSONValue)], _ key: String, _ members: [String]) -> JSONValue {
        .object(fields + [(key, .array(members.map { .string($0) }))])
    }

    /// The engine's view of `resources` of the project `project` whose time zone is `timezone`.
    public static func desired(_ resources: [CleverPushResource], timezone: String, project: String = ".", relativeFile: @escaping @Sendable (String) -> String = { $0 }) -> [DesiredResource] {
        let zone = TimeZone(identifier: timezone) ?? TimeZone(secondsFromGMT: 0) ?? .current
        return resources.map { desired($0, zone: zone, project: project, file: relativeFile($0.file)) }
    }

    static func hash(_ value: JSONValue) -> String { ContentHash.sha256(JSONWriter(indent: nil).bytes(value)) }

    static func desired(_ resource: CleverPushResource, zone: TimeZone, project: String, file: String) -> DesiredResource {
        switch resource.body {
        case .notification(let notification):
            var startsAt: Date?
            var schedule = "now"
            if case .at(let time) = notification.schedule {
                startsAt = instant(time, in: zone)
                schedule = time.description
            }
            let requests = sendRequests(notification, startsAt: startsAt)
            return DesiredResource(
                key: resource.key, name: resource.name, file: file, project: project, provider: CleverPushRules.name, kind: CleverPushRules.notification,
                hash: hash(.array(requests.map(\.body))), startsAt: startsAt, schedule: schedule, facts: { [Fact("title", notification.title)] }
            ) { _ in requests }
        case .tagAudience(let audience):
            let identity = JSONValue.object([("tagId", .string(audience.tagID)), ("mode", .string(audience.mode.rawValue))])
            let path = audience.mode == .remove ? CleverPushPaths.untag : CleverPushPaths.tag
            let tagID = audience.tagID
            let mode = audience.mode
            // Subscription ids, or user ids (a change of one to the other is a change of members: the old ones go).
            let kind = audience.byUserID ? user : subscription
            let listed = audience.byUserID ? "userIds" : "subscriptionIds"
            return DesiredResource(
                key: resource.key, name: resource.name, file: file, project: project, provider: CleverPushRules.name, kind: CleverPushRules.tagAudience,
                hash: hash(identity), members: [kind: audience.members], memberWords: words(mode),
                facts: { [Fact("tag_id", tagID), Fact("mode", mode.rawValue)] },
                removals: { gone in
                    // Only a mirror untags rows that left the file; `add` keeps their tag, `remove` has nothing to undo.
                    gone.keys.sorted().flatMap { goneKind in
                        chunks(gone[goneKind] ?? []).enumerated().map { index, ids in
                            ProviderRequest(path: mode == .mirror ? CleverPushPaths.untag : stateOnly,
                                            body: body([("tagId", .string(tagID))], goneKind == user ? "userIds" : "subscriptionIds", ids),
                                            batch: index + 1, recipients: [goneKind: ids], removes: true)
                        }
                    }
                }
            ) { subset in
                orStateOnly(identity, chunks((subset ?? [:])[kind] ?? []).enumerated().map { index, ids in
                    ProviderRequest(path: path, body: body([("tagId", .string(tagID))], listed, ids), batch: index + 1, recipients: [kind: ids])
                })
            }
        case .subscribers(let subscribers):
            var identity: [(String, JSONValue)] = [("mode", .string(subscribers.mode.rawValue))]
            if let form = subscribers.emailOptInFormID { identity.append(("emailOptInFormId", .string(form))) }
            let settings = JSONValue.object(identity)
            if subscribers.mode == .remove {
                let ids = subscribers.rows.map(\.id)
                return DesiredResource(
                    key: resource.key, name: resource.name, file: file, project: project, provider: CleverPushRules.name, kind: CleverPushRules.subscribers,
                    hash: hash(settings), members: [subscription: ids],
                    memberWords: MemberWords(addSign: "-", addWord: "unsubscribe", removeSign: "", removeWord: untracked),
                    removals: { gone in
                        chunks(gone[subscription] ?? []).enumerated().map { ProviderRequest(path: stateOnly, body: body([], "subscriptionIds", $1), batch: $0 + 1, recipients: [subscription: $1], removes: true) }
                    }
                ) { subset in
                    orStateOnly(settings, chunks((subset ?? [:])[subscription] ?? []).enumerated().map {
                        ProviderRequest(path: CleverPushPaths.unsubscribe, body: body([], "subscriptionIds", $1), batch: $0 + 1, recipients: [subscription: $1])
                    })
                }
            }
            // A row's member is its id and the hash of what is sent for it: a changed row is a new member (synced) and
            // an old one (dropped from state only), an unchanged row is nothing to do.
            var bodies: [String: JSONValue] = [:]
            var members: [String] = []
            for row in subscribers.rows {
                let body = syncBody(row, form: subscribers.emailOptInFormID)
                let member = row.id + rowSeparator + String(hash(body).prefix(16))
                bodies[member] = body
                members.append(member)
            }
            let byMember = bodies
            return DesiredResource(
                key: resource.key, name: resource.name, file: file, project: project, provider: CleverPushRules.name, kind: CleverPushRules.subscribers,
                hash: hash(settings), members: [row: members],
                removals: { gone in
                    chunks(gone[row] ?? []).enumerated().map { ProviderRequest(path: stateOnly, body: body([], "rows", $1), batch: $0 + 1, recipients: [row: $1], removes: true) }
                }
            ) { subset in
                orStateOnly(settings, chunks((subset ?? [:])[row] ?? []).enumerated().map { index, rows in
                    ProviderRequest(path: CleverPushPaths.sync(channel: "{channelId}"), body: .object([("rows", .array(rows.map { byMember[$0] ?? .null }))]),
                                    batch: index + 1, recipients: [row: rows])
                })
            }
        }
    }

    /// What a plan calls rows that leave a file without any request (their record goes; nothing changes at CleverPush).
    public static let untracked = "untracked"

    /// How a tag audience's changes read: a mirror tags and untags; `add` tags, and rows that leave keep their tag;
    /// `remove` untags, and rows that leave are only forgotten.
    static func words(_ mode: CleverPushTagAudience.Mode) -> MemberWords? {
        switch mode {
        case .mirror: nil
        case .add: MemberWords(addWord: "tag", removeSign: "", removeWord: untracked)
        case .remove: MemberWords(addSign: "-", addWord: "untag", removeSign: "", removeWord: untracked)
        }
    }

    /// What a sync sends for `row`: `user_id` as a custom attribute, known columns to their fields, other columns to
    /// custom attributes.
    public static func syncBody(_ row: CleverPushSubscribers.Row, form: String?) -> JSONValue {
        var fields: [(String, JSONValue)] = []
        var attributes: [(String, JSONValue)] = [("user_id", .string(row.id))]
        for (name, value) in row.fields {
            switch name {
            case "email": fields.append(("emailAddress", .string(value)))
            case "phone": fields.append(("phoneNumber", .string(value)))
            case "topics": fields.append(("topics", .array(value.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })))
            case "country": fields.append(("country", .string(value)))
            case "language": fields.append(("language", .string(value)))
            default: attributes.append((name, .string(value)))
            }
        }
        if let form, fields.contains(where: { $0.0 == "emailAddress" }) { fields.append(("emailOptInFormId", .string(form))) }
        fields.append(("customAttributes", .object(attributes)))
        return .object(fields)
    }

    /// The send request of `notification` (the runtime cuts a list of subscription ids into parts of 50,000). Names of tags, topics and
    /// segments, and user ids, are resolved by the runtime just before sending.
    static func sendRequests(_ notification: CleverPushNotification, startsAt: Date?) -> [ProviderRequest] {
        var body: [(String, JSONValue)] = [("title", .string(notification.title)), ("text", .string(notification.text)), ("url", .string(notification.url))]
        if let media = notification.mediaURL { body.append(("mediaUrl", .string(media))) }
        if let icon = notification.iconURL { body.append(("iconUrl", .string(icon))) }
        if let startsAt { body.append(("scheduledAt", .string(startsAt.formatted(.iso8601)))) }
        func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        switch notification.audience {
        case .all:
            return [ProviderRequest(path: CleverPushPaths.send, body: .object(body))]
        case .names(let tags, let topics, let segments):
            if !tags.isEmpty { body.append(("tagNames", strings(tags))) }
            if !topics.isEmpty { body.append(("topicNames", strings(topics))) }
            if !segments.isEmpty { body.append(("segmentNames", strings(segments))) }
            return [ProviderRequest(path: CleverPushPaths.send, body: .object(body))]
        case .users(let ids):
            return [ProviderRequest(path: CleverPushPaths.send, body: .object(body + [("userIds", strings(ids))]))]
        case .subscriptions(let ids):
            // One create: the runtime sends it in parts of at most 50,000 ids.
            return [ProviderRequest(path: CleverPushPaths.send, body: .object(body + [("subscriptionIds", strings(ids))]))]
        }
    }

    /// `requests`, or with none (no member to deliver to: an empty file, or only the settings changed) one request
    /// that only records the resource's settings in state.
    static func orStateOnly(_ identity: JSONValue, _ requests: [ProviderRequest]) -> [ProviderRequest] {
        requests.isEmpty ? [ProviderRequest(path: stateOnly, body: identity)] : requests
    }

    static func chunks(_ list: [String]) -> [[String]] {
        stride(from: 0, to: list.count, by: membersPerRequest).map { Array(list[$0..<min(list.count, $0 + membersPerRequest)]) }
    }

    /// The instant of a wall-clock time in `zone` (the offset settled in two steps, for DST edges).
    static func instant(_ time: LocalDateTime, in zone: TimeZone) -> Date {
        let local = Double(ScheduleParser.daysSinceEpoch(time.date) * 86_400 + time.hour * 3_600 + time.minute * 60)
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: local))
        let second = zone.secondsFromGMT(for: Date(timeIntervalSince1970: local - Double(first)))
        return Date(timeIntervalSince1970: local - Double(second))
    }
}
