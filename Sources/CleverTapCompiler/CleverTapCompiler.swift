import CampaignModel
import JSON

/// Compiles campaigns into exactly the requests CleverTap expects (see the API reference).
public enum CleverTapCompiler {
    /// Most recipients in one send request, counted over all identifier lists.
    public static let maxRecipientsPerRequest = 1000

    /// The requests for `campaigns`, ordered by key and then batch. Deterministic.
    public static func compile(_ campaigns: [Campaign]) -> [CleverTapRequest] {
        campaigns.sorted { $0.key < $1.key }.flatMap(compile)
    }

    /// The requests for one campaign: one create for a segment campaign, one or more sends for an identity send.
    public static func compile(_ campaign: Campaign) -> [CleverTapRequest] {
        switch campaign.delivery {
        case .segment(let segment):
            return [CleverTapRequest(key: campaign.key, path: CleverTapEndpoint.createTarget, body: createBody(campaign, segment))]
        case .identity(let identity):
            let batches = batchRecipients(identity.recipients)
            let path = identity.channel == .email ? CleverTapEndpoint.sendEmail : CleverTapEndpoint.sendPush
            return batches.enumerated().map { index, to in
                CleverTapRequest(key: campaign.key, path: path, body: sendBody(campaign, to: to), batch: index + 1, batchCount: batches.count)
            }
        }
    }

    /// The body of `POST /1/targets/create.json`; `estimateOnly` adds `"estimate_only": true`.
    public static func createBody(_ campaign: Campaign, _ segment: SegmentDelivery, estimateOnly: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(9)
        members.append(("name", .string(campaign.name)))
        if estimateOnly { members.append(("estimate_only", .bool(true))) }
        members.append(("where", whereClause(segment.audience)))
        members.append(("content", content(campaign)))
        members.append(("devices", .array(segment.devices.map { .string($0.rawValue) })))
        switch segment.schedule {
        case .now: members.append(("when", .string("now")))
        case .at(let time): members.append(("when", .string(time.apiValue)))
        }
        members += options(campaign.options)
        return .object(members)
    }

    private static func whereClause(_ audience: SegmentAudience) -> JSONValue {
        guard case .filtered(let filter) = audience else { return .object([]) }
        var members: [(String, JSONValue)] = []
        if let event = filter.event { members.append(("event_name", .string(event))) }
        if let dates = filter.dates {
            members.append(("from", .int(dates.lowerBound.yyyymmdd)))
            members.append(("to", .int(dates.upperBound.yyyymmdd)))
        }
        if !filter.profile.isEmpty {
            let fields = filter.profile.map { JSONValue.object([("Key", .string($0.key)), ("value", json($0.value))]) }
            members.append(("common_profile_properties", .object([("profile_fields", .array(fields))])))
        }
        return .object(members)
    }

    private static func content(_ campaign: Campaign) -> JSONValue {
        var members: [(String, JSONValue)]
        switch campaign.content {
        case .push(let title, let body): members = [("title", .string(title)), ("body", .string(body))]
        case .email(let subject, let body): members = [("subject", .string(subject)), ("body", .string(body))]
        }
        if !campaign.platformSpecific.isEmpty {
            let platforms = campaign.platformSpecific.platforms.map { platform, entries in
                (platform.rawValue, JSONValue.object(entries.map { ($0.key, json($0.value)) }))
            }
            members.append(("platform_specific", .object(platforms)))
        }
        return .object(members)
    }

    private static func options(_ options: Options) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if let tagGroup = options.tagGroup { members.append(("tag_group", .string(tagGroup))) }
        if let caps = options.respectFrequencyCaps { members.append(("respect_frequency_caps", .bool(caps))) }
        return members
    }

    private static func sendBody(_ campaign: Campaign, to: [(RecipientKind, [String])]) -> JSONValue {
        let lists = to.map { kind, ids in (apiName(kind), JSONValue.array(ids.map(JSONValue.string))) }
        var members: [(String, JSONValue)] = [("to", .object(lists))]
        members += options(campaign.options)
        members.append(("content", content(campaign)))
        return .object(members)
    }

    /// The API's name for a recipient list.
    public static func apiName(_ kind: RecipientKind) -> String {
        switch kind {
        case .fbid: "FBID"
        case .gpid: "GPID"
        case .email: "Email"
        case .identity: "Identity"
        case .objectid: "objectId"
        }
    }

    /// Recipients in order (kinds in ``RecipientKind`` order, each list in its order) cut into consecutive batches of
    /// at most ``maxRecipientsPerRequest``, each batch keeping only its non-empty lists.
    public static func batchRecipients(_ recipients: Recipients) -> [[(RecipientKind, [String])]] {
        var batches: [[(RecipientKind, [String])]] = []
        var current: [(RecipientKind, [String])] = []
        var room = maxRecipientsPerRequest
        for kind in RecipientKind.allCases {
            var remaining = recipients[kind][...]
            while !remaining.isEmpty {
                let take = remaining.prefix(room)
                current.append((kind, Array(take)))
                remaining = remaining.dropFirst(take.count)
                room -= take.count
                if room == 0 {
                    batches.append(current)
                    current = []
                    room = maxRecipientsPerRequest
                }
            }
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    static func json(_ value: ScalarValue) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .number(let n): .number(n)
        case .bool(let b): .bool(b)
        }
    }
}
