/// What a notification says.
public enum Content: Sendable, Hashable {
    /// A push notification (segment campaigns and identity pushes).
    case push(title: String, body: String)
    /// An email; the body is HTML.
    case email(subject: String, body: String)
    /// An SMS: its text.
    case sms(body: String)
}

/// Content fields beyond the title (or subject) and body, each sent only when set.
public struct ContentOptions: Sendable, Hashable {
    /// Email: the sender's display name (`content.sender_name`).
    public var senderName: String?
    /// SMS, India's DLT registration (opt-in; the field names come from third-party clients only): the template id.
    public var dltTemplateID: String?
    /// SMS, India's DLT registration (opt-in): the registered entity id.
    public var dltEntityID: String?

    /// Nothing set by default: a campaign without these fields compiles as before they existed.
    public init(senderName: String? = nil, dltTemplateID: String? = nil, dltEntityID: String? = nil) {
        self.senderName = senderName
        self.dltTemplateID = dltTemplateID
        self.dltEntityID = dltEntityID
    }

    /// Whether none is set.
    public var isEmpty: Bool { senderName == nil && dltTemplateID == nil && dltEntityID == nil }
}

/// A platform of `platform_specific`: a mobile platform (push) or a browser (web push).
public enum Platform: String, Sendable, Hashable, CaseIterable {
    case ios
    case android
    case windows
    case chrome
    case firefox
    case safari
    case kaios

    /// The platforms of a mobile push.
    public static let push: [Platform] = [.ios, .android, .windows]
    /// The browsers of a web push.
    public static let webpush: [Platform] = [.chrome, .firefox, .safari, .kaios]

    /// The matching device of a segment campaign.
    public var device: Device {
        switch self {
        case .ios: .ios
        case .android: .android
        case .windows: .windows
        case .chrome, .firefox, .safari, .kaios: .web
        }
    }
}

/// Per-platform key/value settings, in written order and already in the form the API takes.
public struct PlatformSpecific: Sendable, Hashable {
    /// Platforms in written order with their entries.
    public var platforms: [(platform: Platform, entries: [(key: String, value: ScalarValue)])]

    public init(platforms: [(platform: Platform, entries: [(key: String, value: ScalarValue)])] = []) {
        self.platforms = platforms
    }

    public var isEmpty: Bool { platforms.isEmpty }

    /// The value of `key` for `platform`.
    public func value(_ key: String, for platform: Platform) -> ScalarValue? {
        platforms.first { $0.platform == platform }?.entries.first { $0.key == key }?.value
    }

    public static func == (lhs: PlatformSpecific, rhs: PlatformSpecific) -> Bool {
        lhs.platforms.count == rhs.platforms.count
            && zip(lhs.platforms, rhs.platforms).allSatisfy { a, b in
                a.platform == b.platform && a.entries.count == b.entries.count
                    && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            }
    }

    public func hash(into hasher: inout Hasher) {
        for (platform, entries) in platforms {
            hasher.combine(platform)
            for entry in entries {
                hasher.combine(entry.key)
                hasher.combine(entry.value)
            }
        }
    }
}

/// A typed scalar, as JSON will carry it.
public enum ScalarValue: Sendable, Hashable {
    case string(String)
    /// A number in canonical JSON syntax (`42`, `-1.5`, `1e3`).
    case number(String)
    case bool(Bool)
    /// A flat mapping of scalars, in written order (KaiOS `kaiosKV`); never nested deeper.
    case object(ScalarObject)
}

/// Key/value pairs of scalars in written order: a flat JSON object.
public struct ScalarObject: Sendable, Hashable {
    /// The pairs, in written order.
    public var entries: [(key: String, value: ScalarValue)]

    /// An object of `entries`, kept in this order.
    public init(_ entries: [(key: String, value: ScalarValue)]) {
        self.entries = entries
    }

    public static func == (lhs: ScalarObject, rhs: ScalarObject) -> Bool {
        lhs.entries.count == rhs.entries.count && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}
