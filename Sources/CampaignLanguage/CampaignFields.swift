import CampaignModel

/// The language's field names, in one place for validation, suggestions and docs.
enum CampaignFields {
    /// Keys of `platform_specific` per channel (none for email and SMS).
    static func platforms(for channel: Channel) -> [Platform] {
        switch channel {
        case .push: Platform.push
        case .webpush: Platform.webpush
        case .email, .sms: []
        }
    }

    static let topLevel = [
        "key", "provider", "name", "type", "channel", "devices", "audience", "content", "platform_specific", "schedule", "options",
        "stopped",
    ]
    /// Fields a project's `defaults` may set (everything but identity and naming).
    static let defaultable = topLevel.filter { $0 != "key" && $0 != "name" }
    /// Fields that only segment campaigns take.
    static let segmentOnly = ["devices", "schedule", "stopped"]
    /// Platform names of a push and of a web push.
    static let pushPlatformNames = Platform.push.map(\.rawValue)
    static let webPlatformNames = Platform.webpush.map(\.rawValue)
    /// Fields that only identity sends take (`channel` is for both since issue 13).
    static let identityOnly: [String] = []
    /// Defaults ignored for segment campaigns: `defaults.channel` always applied to identity sends only, and still
    /// does, so a segment campaign written before channels existed never changes channel by itself.
    static let defaultsIgnoredForSegments = ["channel"]
    static let segmentAudience = ["all", "event", "from", "to", "profile"]
    static let identityAudience = ["fbid", "gpid", "email", "identity", "objectid", "file"]
    static let pushContent = ["title", "body"]
    static let emailContent = ["subject", "body", "sender_name"]
    static let smsContent = ["body", "dlt"]
    static let dlt = ["template_id", "entity_id"]
    /// Options for both types.
    static let sharedOptions = ["respect_frequency_caps", "tag_group", "provider_nick_name"]
    /// Options only a create (segment campaign) takes.
    static let createOptions = [
        "respect_throttle", "skip_estimate", "send_to_all_devices", "control_group", "system_control_group_include", "ttl", "conversion_goal",
    ]
    static let options = sharedOptions + createOptions
    /// Options of a push only.
    static let pushOnlyOptions = ["send_to_all_devices", "ttl"]
    static let controlGroup = ["percentage", "custom"]
    static let timeToLive = ["minutes", "until"]
    static let conversionGoal = ["event", "within", "revenue_property"]
    /// `schedule` as a mapping (a push's delivery plan).
    static let delivery = ["times", "timezone", "when_passed", "do_not_disturb", "cutoff"]
    /// A profile condition in the operator form.
    static let condition = ["operator", "value"]
    static let project = ["provider", "timezone", "region", "defaults", "environments", "cleverpush", "personaclick"]
    /// The providers this build has, by the name resources give in `provider:`.
    public static let providers = ["clevertap", "cleverpush", "personaclick"]
    /// An environment's settings per provider (`environments.NAME.clevertap`), and in the older flat form.
    static let cleverTapEnvironment = ["region", "api_url", "account_id_env", "passcode_env"]
    static let regions = ["eu1", "in1", "sg1", "us1", "aps3", "mec1"]

    /// Hints for audience keys of the other campaign type (e.g. `email` in a segment campaign).
    static func otherTypeHints(_ keys: [String], _ explanation: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, "`\($0)` \(explanation)") })
    }
}
