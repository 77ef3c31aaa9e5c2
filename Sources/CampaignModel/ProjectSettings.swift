/// Settings from `project.yaml`.
public struct ProjectSettings: Sendable, Hashable {
    /// The account's IANA time zone; wall-clock schedules are read in it.
    public var timezone: String
    /// The CleverTap region (`eu1`, `in1`, …), if set.
    public var region: String?

    public init(timezone: String = "UTC", region: String? = nil) {
        self.timezone = timezone
        self.region = region
    }
}
