/// Optional request fields, each sent only when set.
public struct Options: Sendable, Hashable {
    public var respectFrequencyCaps: Bool?
    public var tagGroup: String?
    /// The provider (of the campaign's channel) to send through, by its nickname in the account.
    public var providerNickName: String?
    /// Whether the account's throttle applies (the API's default: false). Segment campaigns.
    public var respectThrottle: Bool?
    /// Create at once without estimating the reach (the answer's estimates are then empty). Segment campaigns.
    public var skipEstimate: Bool?
    /// Push: deliver to every device of a user, not only the last one used. Segment campaigns.
    public var sendToAllDevices: Bool?
    /// Users held back to measure the campaign. Segment campaigns.
    public var controlGroup: ControlGroup?
    /// Whether the account's system control group is included. Segment campaigns.
    public var systemControlGroupInclude: Bool?
    /// How long a push may wait for a device (Android and iOS). Segment push campaigns.
    public var timeToLive: TimeToLive?
    /// The event that counts as a conversion. Segment campaigns.
    public var conversionGoal: ConversionGoal?

    /// Nothing set by default: each option is sent only when set.
    public init(
        respectFrequencyCaps: Bool? = nil, tagGroup: String? = nil, providerNickName: String? = nil, respectThrottle: Bool? = nil,
        skipEstimate: Bool? = nil, sendToAllDevices: Bool? = nil, controlGroup: ControlGroup? = nil, systemControlGroupInclude: Bool? = nil,
        timeToLive: TimeToLive? = nil, conversionGoal: ConversionGoal? = nil
    ) {
        self.respectFrequencyCaps = respectFrequencyCaps
        self.tagGroup = tagGroup
        self.providerNickName = providerNickName
        self.respectThrottle = respectThrottle
        self.skipEstimate = skipEstimate
        self.sendToAllDevices = sendToAllDevices
        self.controlGroup = controlGroup
        self.systemControlGroupInclude = systemControlGroupInclude
        self.timeToLive = timeToLive
        self.conversionGoal = conversionGoal
    }
}

/// A campaign's control group: a share of the audience, or a custom group defined in the account.
public enum ControlGroup: Sendable, Hashable {
    /// This percentage of the audience (1 to 99) is held back.
    case percentage(Int)
    /// The account's custom control group of this name.
    case custom(String)
}

/// How long a push may wait for an offline device.
public enum TimeToLive: Sendable, Hashable {
    /// This many minutes after it is sent.
    case minutes(Int)
    /// Until this wall-clock time in the account's time zone.
    case until(LocalDateTime)
}

/// The event that counts as a conversion of a campaign.
public struct ConversionGoal: Sendable, Hashable {
    /// The event's name.
    public var event: String
    /// How long after the message a conversion counts: a number and a unit, `30m`, `2H`, `1D`, `1W`, `1M`.
    public var window: String
    /// The event property holding the revenue, if any.
    public var revenueProperty: String?

    public init(event: String, window: String, revenueProperty: String? = nil) {
        self.event = event
        self.window = window
        self.revenueProperty = revenueProperty
    }
}
