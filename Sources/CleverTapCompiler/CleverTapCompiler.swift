import CampaignModel
import JSON

/// Compiles campaigns into exactly the requests CleverTap expects (see the API reference): creates for segment
/// campaigns of every channel (push, web push, email, SMS), sends on `/1/send/{push,webpush,email,sms}.json`.
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
            let path = sendPath(identity.channel)
            return batches.enumerated().map { index, to in
                CleverTapRequest(key: campaign.key, path: path, body: tree { emitSendBody(campaign, to: to, into: &$0) }, batch: index + 1, batchCount: batches.count)
            }
        }
    }

    /// The endpoint of an identity send on `channel`: `/1/send/{push,webpush,email,sms}.json`.
    public static func sendPath(_ channel: Channel) -> String {
        switch channel {
        case .push: CleverTapEndpoint.sendPush
        case .webpush: CleverTapEndpoint.sendWebPush
        case .email: CleverTapEndpoint.sendEmail
        case .sms: CleverTapEndpoint.sendSMS
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
            let path = sendPath(identity.channel)
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
        // A campaign that names no channel is a push written before channels existed: no `target_mode`, so its
        // request (and the hash in state) is what it always was.
        if let channel = segment.writtenChannel { e.member("target_mode", channel.rawValue) }
        e.key("where")
        emitWhere(segment.audience, into: &e)
        e.key("content")
        emitContent(campaign, into: &e)
        if !segment.devices.isEmpty {
            e.key("devices")
            e.beginArray()
            for device in segment.devices { e.string(device.rawValue) }
            e.endArray()
        }
        switch segment.schedule {
        case .now: e.member("when", "now")
        case .at(let time): e.member("when", time.apiValue)
        case .delivery(let delivery):
            e.key("when")
            emitDelivery(delivery, into: &e)
        }
        emitOptions(campaign.options, into: &e)
        emitCreateOptions(campaign.options, into: &e)
        e.endObject()
    }

    /// The `when` object of a push's delivery plan.
    private static func emitDelivery<E: JSONEmitter>(_ delivery: DeliverySchedule, into e: inout E) {
        e.beginObject()
        e.member("type", "later")
        e.key("delivery_date_time")
        e.beginArray()
        for time in delivery.times { e.string(time.apiValue) }
        e.endArray()
        if delivery.inUserTimeZone { e.member("delivery_timezone", "user") }
        if let nextDay = delivery.nextDayWhenPassed { e.member("user_timezone_wrap_around", nextDay) }
        if let dnd = delivery.doNotDisturb {
            e.key("dnd")
            e.beginObject()
            e.member("message_state", dnd.rawValue)
            e.member("dnd_timezone", "user")
            e.endObject()
        }
        if let cutoff = delivery.cutoff { e.member("campaign_cutoff", cutoff.description) }
        e.endObject()
    }

    /// Options only a create takes, after the shared ones, each only when set.
    private static func emitCreateOptions<E: JSONEmitter>(_ options: Options, into e: inout E) {
        if let value = options.respectThrottle { e.member("respect_throttle", value) }
        if let value = options.skipEstimate { e.member("skip_estimate", value) }
        if let value = options.sendToAllDevices { e.member("send_to_all_devices", value) }
        if let group = options.controlGroup {
            e.key("control_group")
            e.beginObject()
            switch group {
            case .percentage(let percent):
                e.member("type", "campaign")
                e.member("percentage", percent)
            case .custom(let name):
                e.member("type", "custom")
                e.member("name", name)
            }
            e.endObject()
        }
        if let value = options.systemControlGroupInclude { e.member("system_control_group_include", value) }
        if let ttl = options.timeToLive {
            e.key("ttl")
            e.beginObject()
            switch ttl {
            case .minutes(let minutes):
                e.member("ttl_type", "relative")
                e.member("value", minutes)
            case .until(let time):
                e.member("ttl_type", "absolute")
                e.member("value", time.date.yyyymmdd * 10_000 + time.hour * 100 + time.minute)
            }
            e.endObject()
        }
        if let goal = options.conversionGoal {
            e.key("conversion_goal")
            e.beginObject()
            e.member("event_name", goal.event)
            e.member("conversion_time", goal.window)
            if let revenue = goal.revenueProperty { e.member("revenue_property", revenue) }
            e.endObject()
        }
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
                // Equality only: the brief's `{"Key", "value"}` items, as always. Any operator: the current
                // `{"name", "operator", "value"}` items for every condition, booleans as "True"/"False".
                var operatorForm = false
                for index in filter.profile.indices where filter.profile[index].condition.isOperatorForm {
                    operatorForm = true
                    break
                }
                for field in filter.profile {
                    e.beginObject()
                    switch field.condition {
                    case .equals(let value) where !operatorForm:
                        e.member("Key", field.key)
                        e.key("value")
                        emitScalar(value, into: &e)
                    case .equals(let value):
                        emitCondition(field.key, .equals, .one(value), into: &e)
                    case .compare(let op, let operand):
                        emitCondition(field.key, op, operand, into: &e)
                    }
                    e.endObject()
                }
                e.endArray()
                e.endObject()
            }
        }
        e.endObject()
    }

    /// An email's `sender_name`, an SMS's DLT ids (`message_info`), after the body.
    private static func emitContentOptions<E: JSONEmitter>(_ extra: ContentOptions, into e: inout E) {
        if let sender = extra.senderName { e.member("sender_name", sender) }
        if extra.dltTemplateID != nil || extra.dltEntityID != nil {
            e.key("message_info")
            e.beginObject()
            if let template = extra.dltTemplateID { e.member("template_id", template) }
            if let entity = extra.dltEntityID { e.member("entity_id", entity) }
            e.endObject()
        }
    }

    /// The members of one `{"name", "operator", "value"}` profile condition.
    private static func emitCondition<E: JSONEmitter>(_ name: String, _ op: ProfileOperator, _ operand: ProfileOperand, into e: inout E) {
        e.member("name", name)
        e.member("operator", op.rawValue)
        switch operand {
        case .none: break
        case .one(let value):
            e.key("value")
            emitQueryValue(value, into: &e)
        case .any(let values):
            e.key("value")
            e.beginArray()
            for value in values { emitQueryValue(value, into: &e) }
            e.endArray()
        }
    }

    /// A value in the query language's operator form: booleans are the strings "True" and "False".
    private static func emitQueryValue<E: JSONEmitter>(_ value: ScalarValue, into e: inout E) {
        if case .bool(let flag) = value {
            e.string(flag ? "True" : "False")
        } else {
            emitScalar(value, into: &e)
        }
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
        case .sms(let body):
            e.member("body", body)
        }
        if !campaign.contentOptions.isEmpty { emitContentOptions(campaign.contentOptions, into: &e) }
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

    /// Options creates and sends share, each only when set (a campaign written before issue 13 sets only the
    /// first two, so its request is unchanged).
    private static func emitOptions<E: JSONEmitter>(_ options: Options, into e: inout E) {
        if let tagGroup = options.tagGroup { e.member("tag_group", tagGroup) }
        if let caps = options.respectFrequencyCaps { e.member("respect_frequency_caps", caps) }
        if let provider = options.providerNickName { e.member("provider_nick_name", provider) }
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
        case .object(let object):
            e.beginObject()
            for entry in object.entries.indices {
                e.key(object.entries[entry].key)
                emitScalar(object.entries[entry].value, into: &e)
            }
            e.endObject()
        }
    }
}
