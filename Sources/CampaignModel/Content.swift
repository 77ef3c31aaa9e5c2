/// What a notification says.
public enum Content: Sendable, Hashable {
    /// A push notification (segment campaigns and identity pushes).
    case push(title: String, body: String)
    /// An email (identity sends on the email channel); the body is HTML.
    case email(subject: String, body: String)
}

/// A platform of `platform_specific`.
public enum Platform: String, Sendable, Hashable, CaseIterable {
    case ios
    case android
    case windows

    /// The matching device of a segment campaign.
    public var device: Device {
        switch self {
        case .ios: .ios
        case .android: .android
        case .windows: .windows
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
}
