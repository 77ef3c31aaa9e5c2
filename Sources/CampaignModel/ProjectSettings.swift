/// Settings from `project.yaml`.
public struct ProjectSettings: Sendable, Hashable {
    /// The account's IANA time zone; wall-clock schedules are read in it.
    public var timezone: String
    /// The CleverTap region (`eu1`, `in1`, …), if set.
    public var region: String?
    /// The provider of resources that do not name one (`provider:`); nil: `clevertap`.
    public var provider: String?

    public init(timezone: String = "UTC", region: String? = nil, provider: String? = nil) {
        self.timezone = timezone
        self.region = region
        self.provider = provider
    }
}
