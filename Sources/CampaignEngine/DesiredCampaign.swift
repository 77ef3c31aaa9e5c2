import Foundation

/// What the files say should exist at a provider, in provider-neutral terms: a key, a kind its provider declares,
/// a content hash, provider facts, and the requests that create or deliver it.
///
/// Immutable, and shared by reference: a plan passes 10,000 of these between stages and actions, and a copy then
/// costs one reference count instead of one per string it holds.
public final class DesiredResource: Sendable {
    public let key: String
    public let name: String
    /// The file it is written in, relative to its project's root.
    public let file: String
    /// The project it belongs to (the same on every clone of the repository; see `ProjectRoot.identity`).
    public let project: String
    /// The provider that owns it (`clevertap`).
    public let provider: String
    /// Its kind, as the provider declares it (`scheduled`, `send`).
    public let kind: String
    /// sha256 of what identifies its content: a change of hash is a change of the resource. For member kinds the
    /// members are not part of it.
    public let hash: String
    /// When delivery starts; nil for at once.
    public let startsAt: Date?
    /// The schedule as people read it, with the zone it is read in (`now`, `2030-06-01 10:00 Europe/Berlin`).
    public let schedule: String
    /// The files ask for it to be stopped.
    public let stopped: Bool
    /// Every member, by kind of member, in order (member kinds only).
    public let members: [String: [String]]?
    /// How its sync's changes read in a plan, when not as its kind's words say.
    public let memberWords: MemberWords?
    /// Provider facts recorded with it (made when asked for: most plans need only the hash).
    public var facts: [Fact] { makeFacts() }
    /// The fields a reviewer sees of its request (nil: its provider shows none), made when asked for: only actions
    /// whose content changed compare them, and only applied actions record them.
    public var fields: [ResourceField]? { makeFields?() }
    private let makeFacts: @Sendable () -> [Fact]
    private let makeFields: (@Sendable () -> [ResourceField])?
    private let showTime: (@Sendable (Date) -> String)?
    private let makeRequests: @Sendable ([String: [String]]?) -> [ProviderRequest]
    private let makeRemovals: @Sendable ([String: [String]]) -> [ProviderRequest]

    public init(
        key: String, name: String, file: String, project: String = ".", provider: String, kind: String, hash: String,
        startsAt: Date? = nil, schedule: String = "now", stopped: Bool = false, members: [String: [String]]? = nil,
        memberWords: MemberWords? = nil, facts: @escaping @Sendable () -> [Fact] = { [] },
        fields: (@Sendable () -> [ResourceField])? = nil,
        showTime: (@Sendable (Date) -> String)? = nil,
        removals: @escaping @Sendable ([String: [String]]) -> [ProviderRequest] = { _ in [] },
        requests: @escaping @Sendable ([String: [String]]?) -> [ProviderRequest]
    ) {
        self.key = key
        self.name = name
        self.file = file
        self.project = project
        self.provider = provider
        self.kind = kind
        self.hash = hash
        self.startsAt = startsAt
        self.schedule = schedule
        self.stopped = stopped
        self.members = members
        self.memberWords = memberWords
        self.makeFacts = facts
        self.makeFields = fields
        self.showTime = showTime
        self.makeRequests = requests
        self.makeRemovals = removals
    }

    /// `instant` as its provider shows times to people (`2030-06-01 10:00 Europe/Berlin`, in its project's zone),
    /// or nil when the provider gives no way to: a record's schedule is then shown as it was recorded.
    public func shown(_ instant: Date) -> String? { showTime?(instant) }

    /// The requests that create it (`members` nil), or deliver it to exactly `members`.
    public func requests(members: [String: [String]]? = nil) -> [ProviderRequest] { makeRequests(members) }

    /// The requests that remove exactly `members` (sync kinds; each has `removes` set).
    public func removalRequests(_ members: [String: [String]]) -> [ProviderRequest] { members.isEmpty ? [] : makeRemovals(members) }
}
