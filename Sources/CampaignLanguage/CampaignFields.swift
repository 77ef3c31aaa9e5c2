import CampaignModel

/// The language's field names, in one place for validation, suggestions and docs.
enum CampaignFields {
    /// Keys of `platform_specific`.
    static let platforms = Platform.allCases.map(\.rawValue)

    static let topLevel = [
        "key", "provider", "name", "type", "channel", "devices", "audience", "content", "platform_specific", "schedule", "options",
        "stopped",
    ]
    /// Fields a project's `defaults` may set (everything but identity and naming).
    static let defaultable = topLevel.filter { $0 != "key" && $0 != "name" }
    /// Fields that only segment campaigns take.
    static let segmentOnly = ["devices", "schedule", "stopped"]
    /// Fields that only identity sends take.
    static let identityOnly = ["channel"]
    static let segmentAudience = ["all", "event", "from", "to", "profile"]
    static let identityAudience = ["fbid", "gpid", "email", "identity", "objectid", "file"]
    static let pushContent = ["title", "body"]
    static let emailContent = ["subject", "body"]
    static let options = ["respect_frequency_caps", "tag_group"]
    static let project = ["provider", "timezone", "region", "defaults", "environments"]
    /// The providers this build has, by the name resources give in `provider:`.
    public static let providers = ["clevertap"]
    /// An environment's settings per provider (`environments.NAME.clevertap`), and in the older flat form.
    static let cleverTapEnvironment = ["region", "api_url", "account_id_env", "passcode_env"]
    static let regions = ["eu1", "in1", "sg1", "us1", "aps3", "mec1"]

    /// Hints for audience keys of the other campaign type (e.g. `email` in a segment campaign).
    static func otherTypeHints(_ keys: [String], _ explanation: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, "`\($0)` \(explanation)") })
    }
}
