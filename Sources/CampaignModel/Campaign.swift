import Diagnostics

/// One campaign, validated and typed: what a YAML document in `campaigns/` means.
///
/// A value type with copy-on-write storage: a campaign holds dozens of strings and arrays, and a run passes
/// 10,000 of them between arrays and stages, so a copy costs one reference count rather than one per field.
public struct Campaign: Sendable, Hashable {
    private var storage: Storage

    public init(key: String, name: String, delivery: Delivery, content: Content, platformSpecific: PlatformSpecific, options: Options, origin: Origin) {
        storage = Storage(Fields(key: key, name: name, delivery: delivery, content: content, platformSpecific: platformSpecific, options: options, origin: origin))
    }

    /// The campaign's identity in state (`promos/spring`); never sent to the provider.
    public var key: String {
        _read { yield storage.fields.key }
        _modify {
            makeUnique()
            yield &storage.fields.key
        }
    }

    /// The name shown in the provider's dashboard; unique in the project.
    public var name: String {
        _read { yield storage.fields.name }
        _modify {
            makeUnique()
            yield &storage.fields.name
        }
    }

    /// Segment campaign or identity send, with what belongs to each.
    public var delivery: Delivery {
        _read { yield storage.fields.delivery }
        _modify {
            makeUnique()
            yield &storage.fields.delivery
        }
    }

    public var content: Content {
        _read { yield storage.fields.content }
        _modify {
            makeUnique()
            yield &storage.fields.content
        }
    }

    public var platformSpecific: PlatformSpecific {
        _read { yield storage.fields.platformSpecific }
        _modify {
            makeUnique()
            yield &storage.fields.platformSpecific
        }
    }

    public var options: Options {
        _read { yield storage.fields.options }
        _modify {
            makeUnique()
            yield &storage.fields.options
        }
    }

    /// Where the campaign's document starts, and where its key and name are written.
    public var origin: Origin {
        _read { yield storage.fields.origin }
        _modify {
            makeUnique()
            yield &storage.fields.origin
        }
    }

    /// The campaign type.
    public var type: CampaignType {
        switch delivery {
        case .segment: .segment
        case .identity: .identity
        }
    }

    public static func == (lhs: Campaign, rhs: Campaign) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
    }

    /// Copies the storage first when another campaign shares it. (Fields are read and modified in place through
    /// `_read`/`_modify`: reading `campaign.origin.document` copies nothing else.)
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// A campaign's fields, shared between copies. Mutated only after ``Campaign/makeUnique()``, that is only while
    /// exactly one campaign refers to it, which is what makes sharing it between threads safe.
    private final class Storage: @unchecked Sendable {
        var fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }

        func copy() -> Storage { Storage(fields) }
    }

    private struct Fields: Hashable {
        var key: String
        var name: String
        var delivery: Delivery
        var content: Content
        var platformSpecific: PlatformSpecific
        var options: Options
        var origin: Origin
    }
}

/// Where a campaign is written, for cross-file diagnostics.
public struct Origin: Sendable, Hashable {
    /// The campaign's file, relative to nothing: as discovered.
    public var file: String
    /// The document's start.
    public var document: SourceLocation
    /// The `key:` value, or the document start when the key was derived from the path.
    public var key: SourceLocation
    /// The `name:` value.
    public var name: SourceLocation
    /// The `options.tag_group` value, when set.
    public var tagGroup: SourceLocation?

    public init(file: String, document: SourceLocation, key: SourceLocation, name: SourceLocation, tagGroup: SourceLocation? = nil) {
        self.file = file
        self.document = document
        self.key = key
        self.name = name
        self.tagGroup = tagGroup
    }
}

/// `segment` (a campaign to a segment of the user base) or `identity` (a send to named recipients).
public enum CampaignType: String, Sendable, Hashable, CaseIterable {
    case segment
    case identity
}

/// How a campaign reaches people.
public enum Delivery: Sendable, Hashable {
    case segment(SegmentDelivery)
    case identity(IdentityDelivery)
}

/// A segment campaign: devices, who, when, and whether it is stopped.
public struct SegmentDelivery: Sendable, Hashable {
    /// Non-empty, no duplicates, in written order.
    public var devices: [Device]
    public var audience: SegmentAudience
    public var schedule: Schedule
    /// True when the plan should stop the campaign.
    public var stopped: Bool

    public init(devices: [Device], audience: SegmentAudience, schedule: Schedule, stopped: Bool) {
        self.devices = devices
        self.audience = audience
        self.schedule = schedule
        self.stopped = stopped
    }
}

/// An identity send: a channel and the recipients.
public struct IdentityDelivery: Sendable, Hashable {
    public var channel: Channel
    public var recipients: Recipients

    public init(channel: Channel, recipients: Recipients) {
        self.channel = channel
        self.recipients = recipients
    }
}

/// The devices a segment campaign targets.
public enum Device: String, Sendable, Hashable, CaseIterable {
    case android
    case ios
    case windows
}

/// The channel of an identity send.
public enum Channel: String, Sendable, Hashable, CaseIterable {
    case push
    case email
}

/// Optional request fields.
public struct Options: Sendable, Hashable {
    public var respectFrequencyCaps: Bool?
    public var tagGroup: String?

    public init(respectFrequencyCaps: Bool? = nil, tagGroup: String? = nil) {
        self.respectFrequencyCaps = respectFrequencyCaps
        self.tagGroup = tagGroup
    }
}
