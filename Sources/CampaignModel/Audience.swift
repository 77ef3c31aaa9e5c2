/// Who a segment campaign reaches.
public enum SegmentAudience: Sendable, Hashable {
    /// The whole user base (`all: true`).
    case all
    /// Users matching every filter given.
    case filtered(AudienceFilter)
}

/// Filters of a segment audience; at least one is set.
public struct AudienceFilter: Sendable, Hashable {
    /// Users who did this event…
    public var event: String?
    /// …between these dates (inclusive; both or neither, and only with `event`).
    public var dates: ClosedRange<CalendarDate>?
    /// Profile properties to match, in written order.
    public var profile: [ProfileField]

    public init(event: String? = nil, dates: ClosedRange<CalendarDate>? = nil, profile: [ProfileField] = []) {
        self.event = event
        self.dates = dates
        self.profile = profile
    }
}

/// A profile property and the value to match.
public struct ProfileField: Sendable, Hashable {
    public var key: String
    public var value: ScalarValue

    public init(key: String, value: ScalarValue) {
        self.key = key
        self.value = value
    }
}

/// The kinds of recipient identifiers, in the order the compiler takes them.
public enum RecipientKind: String, Sendable, Hashable, CaseIterable {
    case fbid
    case gpid
    case email
    case identity
    case objectid
}

/// The recipients of an identity send: per kind, in file order (inline before CSV), duplicates removed.
public struct Recipients: Sendable, Hashable {
    public var lists: [RecipientKind: [String]]

    public init(lists: [RecipientKind: [String]] = [:]) {
        self.lists = lists
    }

    /// The identifiers of one kind. Changed in place (`recipients[.email].append(…)` appends to the stored list;
    /// a getter and setter would copy the whole list for every recipient added).
    public subscript(kind: RecipientKind) -> [String] {
        get { lists[kind] ?? [] }
        _modify { yield &lists[kind, default: []] }
    }

    /// Every recipient counted over all kinds.
    public var count: Int { lists.values.reduce(0) { $0 + $1.count } }
}
