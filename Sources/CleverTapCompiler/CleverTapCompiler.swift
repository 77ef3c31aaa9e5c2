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
                CleverTapRequest(key: campaign.key, path: path, body: tree { emitSendBody(campaign, to: to, into: &$0) }, batch: index + 1, batchCount: batches.count)
            }
        }
    }

    /// The body of `POST /1/targets/create.json`.
    public static func createBody(_ campaign: Campaign, _ segment: SegmentDelivery) -> JSONValue {
        tree { emitCreateBody(campaign, segment, into: &$0) }
    }

    /// Writes the requests of `campaign` (see ``compile(_:)-swift.type.method``), each as ``CleverTapRequest/json``
    /// shows it, straight into `emitter`: no tree is built. The text is byte-identical to writing the trees.
    public static func writeRequests(_ campaign: Campaign, into emitter: inout JSONTextEmitter) {
        emitRequests(campaign, into: &emitter)
    }

    /// Writes the body of a segment campaign's create request into `emitter` (no tree is built).
    public static func writeCreateBody(_ campaign: Campaign, _ segment: SegmentDelivery, into emitter: inout JSONTextEmitter) {
        emitCreateBody(campaign, segment, into: &emitter)
    }

    /// Writes what every send request of an identity send shares — its body without `to` — into `emitter`.
    public static func writeSendBodyWithoutRecipients(_ campaign: Campaign, into emitter: inout JSONTextEmitter) {
        emitSendBody(campaign, to: nil, into: &emitter)
    }

    /// The tree that `emit` produces.
    static func tree(_ emit: (inout JSONTreeEmitter) -> Void) -> JSONValue {
        var emitter = JSONTreeEmitter()
        emit(&emitter)
        return emitter.value ?? .null
    }

    static func emitRequests<E: JSONEmitter>(_ campaign: Campaign, into e: inout E) {
        switch campaign.delivery {
        case .segment(let segment):
            CleverTapRequest.emitEnvelope(key: campaign.key, method: "POST", path: CleverTapEndpoint.createTarget, batch: 1, batchCount: 1, into: &e) {
                emitCreateBody(campaign, segment, into: &$0)
            }
        case .identity(let identity):
            let batches = batchRecipients(identity.recipients)
            let path = identity.channel == .email ? CleverTapEndpoint.sendEmail : CleverTapEndpoint.sendPush
            for (index, to) in batches.enumerated() {
                CleverTapRequest.emitEnvelope(key: campaign.key, method: "POST", path: path, batch: index + 1, batchCount: batches.count, into: &e) {
                    emitSendBody(campaign, to: to, into: &$0)
                }
            }
        }
    }

    static func emitCreateBody<E: JSONEmitter>(_ campaign: Campaign, _ segment: SegmentDelivery, into e: inout E) {
        e.beginObject()
        e.member("name", campaign.name)
        e.key("where")
        emitWhere(segment.audience, into: &e)
        e.key("content")
        emitContent(campaign, into: &e)
        e.key("devices")
        e.beginArray()
        for device in segment.devices { e.string(device.rawValue) }
        e.endArray()
        switch segment.schedule {
        case .now: e.member("when", "now")
        case .at(let time): e.member("when", time.apiValue)
        }
        emitOptions(campaign.options, into: &e)
        e.endObject()
    }

    private static func emitWhere<E: JSONEmitter>(_ audience: SegmentAudience, into e: inout E) {
        e.beginObject()
        if case .filtered(let filter) = audience {
            if let event = filter.event { e.member("event_name", event) }
            if let dates = filter.dates {
                e.member("from", dates.lowerBound.yyyymmdd)
                e.member("to", dates.upperBound.yyyymmdd)
            }
            if !filter.profile.isEmpty {
                e.key("common_profile_properties")
                e.beginObject()
                e.key("profile_fields")
                e.beginArray()
                for field in filter.profile {
                    e.beginObject()
                    e.member("Key", field.key)
                    e.key("value")
                    emitScalar(field.value, into: &e)
                    e.endObject()
                }
                e.endArray()
                e.endObject()
            }
        }
        e.endObject()
    }

    private static func emitContent<E: JSONEmitter>(_ campaign: Campaign, into e: inout E) {
        e.beginObject()
        switch campaign.content {
        case .push(let title, let body):
            e.member("title", title)
            e.member("body", body)
        case .email(let subject, let body):
            e.member("subject", subject)
            e.member("body", body)
        }
        let specific = campaign.platformSpecific
        if !specific.isEmpty {
            e.key("platform_specific")
            e.beginObject()
            // By index: iterating would copy every list and entry (this runs for every campaign compiled).
            for platform in specific.platforms.indices {
                e.key(specific.platforms[platform].0.rawValue)
                e.beginObject()
                for entry in specific.platforms[platform].1.indices {
                    e.key(specific.platforms[platform].1[entry].key)
                    emitScalar(specific.platforms[platform].1[entry].value, into: &e)
                }
                e.endObject()
            }
            e.endObject()
        }
        e.endObject()
    }

    private static func emitOptions<E: JSONEmitter>(_ options: Options, into e: inout E) {
        if let tagGroup = options.tagGroup { e.member("tag_group", tagGroup) }
        if let caps = options.respectFrequencyCaps { e.member("respect_frequency_caps", caps) }
    }

    /// A send body; without `to` when `to` is nil.
    private static func emitSendBody<E: JSONEmitter>(_ campaign: Campaign, to: [(RecipientKind, [String])]?, into e: inout E) {
        e.beginObject()
        if let to {
            e.key("to")
            e.beginObject()
            for (kind, ids) in to {
                e.key(apiName(kind))
                e.beginArray()
                for id in ids { e.string(id) }
                e.endArray()
            }
            e.endObject()
        }
        emitOptions(campaign.options, into: &e)
        e.key("content")
        emitContent(campaign, into: &e)
        e.endObject()
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

    private static func emitScalar<E: JSONEmitter>(_ value: ScalarValue, into e: inout E) {
        switch value {
        case .string(let s): e.string(s)
        case .number(let n): e.number(n)
        case .bool(let b): e.bool(b)
        }
    }
}
