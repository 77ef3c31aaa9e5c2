import Diagnostics

/// One campaign, validated and typed: what a YAML document in `campaigns/` means.
///
/// A value type with copy-on-write storage: a campaign holds dozens of strings and arrays, and a run passes
/// 10,000 of them between arrays and stages, so a copy costs one reference count rather than one per field.
public struct Campaign: Sendable, Hashable {
    private var storage: Storage

    public init(
        key: String, name: String, delivery: Delivery, content: Content, platformSpecific: PlatformSpecific, options: Options, origin: Origin,
        contentOptions: ContentOptions = ContentOptions()
    ) {
        storage = Storage(Fields(
            key: key, name: name, delivery: delivery, content: content, platformSpecific: platformSpecific, options: options, origin: origin,
            contentOptions: contentOptions))
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

    /// Content fields beyond the title (or subject) and body: an email's sender name, an SMS's DLT ids.
    public var contentOptions: ContentOptions {
        _read { yield storage.fields.contentOptions }
        _modify {
            makeUnique()
            yield &storage.fields.contentOptions
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
        var contentOptions: ContentOptions
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

/// A segment campaign: its channel, devices, who, when, and whether it is stopped.
public struct SegmentDelivery: Sendable, Hashable {
    /// Non-empty, no duplicates, in written order (`[web]` for web push; empty for email and SMS, which target
    /// people rather than devices).
    public var devices: [Device]
    public var audience: SegmentAudience
    public var schedule: Schedule
    /// True when the plan should stop the campaign.
    public var stopped: Bool
    /// The channel written (`channel:`), or nil for a campaign that names none: a push, whose request stays what
    /// it was before channels existed (no `target_mode`), so upgrading never changes it.
    public var writtenChannel: Channel?

    public init(devices: [Device], audience: SegmentAudience, schedule: Schedule, stopped: Bool, channel: Channel? = nil) {
        self.devices = devices
        self.audience = audience
        self.schedule = schedule
        self.stopped = stopped
        self.writtenChannel = channel
    }

    /// The channel: the one written, else push.
    public var channel: Channel { writtenChannel ?? .push }
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
    /// Browsers: the only device of a web push.
    case web

    /// The devices of a mobile push (`channel: push`).
    public static let push: [Device] = [.android, .ios, .windows]
}

/// What a campaign or send is: a mobile push, a web push, an email or an SMS.
public enum Channel: String, Sendable, Hashable, CaseIterable {
    case push
    case webpush
    case email
    case sms
}
