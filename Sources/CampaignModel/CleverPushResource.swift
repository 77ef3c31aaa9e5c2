import Diagnostics

/// A validated `provider: cleverpush` resource: a notification, a tag audience or a subscriber sync.
public struct CleverPushResource: Sendable, Hashable {
    /// The resource's kind, as `type:` says.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case notification
        case tagAudience = "tag_audience"
        case subscribers
    }

    /// What the resource is, with its kind's fields.
    public enum Body: Sendable, Hashable {
        case notification(CleverPushNotification)
        case tagAudience(CleverPushTagAudience)
        case subscribers(CleverPushSubscribers)
    }

    public var key: String
    public var name: String
    public var body: Body
    /// The file it is written in, as discovered.
    public var file: String
    /// Where its document starts, and where its key was written (or derived).
    public var document: SourceLocation
    public var keyLocation: SourceLocation

    public init(key: String, name: String, body: Body, file: String, document: SourceLocation, keyLocation: SourceLocation) {
        self.key = key
        self.name = name
        self.body = body
        self.file = file
        self.document = document
        self.keyLocation = keyLocation
    }

    /// The kind of ``body``.
    public var kind: Kind {
        switch body {
        case .notification: .notification
        case .tagAudience: .tagAudience
        case .subscribers: .subscribers
        }
    }
}

/// A CleverPush notification: content, an audience, a schedule.
public struct CleverPushNotification: Sendable, Hashable {
    /// Who receives it.
    public enum Audience: Sendable, Hashable {
        /// The whole channel (written `audience: all`).
        case all
        /// Subscriptions with any of these tags, topics or segments, by name (resolved to ids through the channel's
        /// listings when it is sent).
        case names(tags: [String], topics: [String], segments: [String])
        /// These native subscription ids (from a CSV).
        case subscriptions([String])
        /// The subscriptions whose `user_id` attribute is one of these (looked up when it is sent).
        case users([String])
    }

    public var title: String
    public var text: String
    public var url: String
    public var mediaURL: String?
    public var iconURL: String?
    public var audience: Audience
    /// `now`, or a wall-clock time in the project's time zone.
    public var schedule: Schedule

    public init(title: String, text: String, url: String, mediaURL: String? = nil, iconURL: String? = nil, audience: Audience, schedule: Schedule = .now) {
        self.title = title
        self.text = text
        self.url = url
        self.mediaURL = mediaURL
        self.iconURL = iconURL
        self.audience = audience
        self.schedule = schedule
    }
}

/// One tag kept on a set of subscriptions.
public struct CleverPushTagAudience: Sendable, Hashable {
    /// How the file's rows are applied.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Rows are tagged; rows that left the file are untagged.
        case mirror
        /// Rows are tagged; rows that left the file keep the tag.
        case add
        /// Rows are untagged.
        case remove
    }

    /// The tag's id in the channel.
    public var tagID: String
    public var mode: Mode
    /// Native subscription ids (or, with ``byUserID``, external user ids), in file order, without duplicates.
    public var members: [String]
    /// The members are `user_id`s, each looked up (`GET /subscription?attributeId=user_id`) when it is tagged or untagged.
    public var byUserID: Bool

    public init(tagID: String, mode: Mode, members: [String], byUserID: Bool = false) {
        self.tagID = tagID
        self.mode = mode
        self.members = members
        self.byUserID = byUserID
    }
}

/// Rows of a CSV synced to subscriptions.
public struct CleverPushSubscribers: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Create or update a subscription per row.
        case upsert
        /// Unsubscribe each row's subscription (by its native id).
        case remove
    }

    /// One row: its identity (`user_id`, or the subscription id for `remove`) and its fields by column, in column order.
    public struct Row: Sendable, Hashable {
        public var id: String
        public var fields: [(String, String)]

        public init(id: String, fields: [(String, String)]) {
            self.id = id
            self.fields = fields
        }

        public static func == (a: Row, b: Row) -> Bool { a.id == b.id && a.fields.elementsEqual(b.fields, by: { $0 == $1 }) }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            for (name, value) in fields {
                hasher.combine(name)
                hasher.combine(value)
            }
        }
    }

    public var mode: Mode
    /// The double opt-in form sent to new email addresses.
    public var emailOptInFormID: String?
    public var rows: [Row]

    public init(mode: Mode, emailOptInFormID: String? = nil, rows: [Row]) {
        self.mode = mode
        self.emailOptInFormID = emailOptInFormID
        self.rows = rows
    }

    /// Columns mapped to a subscription's own fields; every other column is a custom attribute.
    public static let knownColumns = ["email", "phone", "topics", "country", "language"]
}
