/// Who a segment campaign reaches.
public enum SegmentAudience: Sendable, Hashable {
    /// The whole user base (`audience: all` or `all: true`).
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

/// A profile property and the condition it must meet.
public struct ProfileField: Sendable, Hashable {
    public var key: String
    public var condition: ProfileCondition

    /// The shorthand `Property: value`: equal to `value`.
    public init(key: String, value: ScalarValue) {
        self.key = key
        self.condition = .equals(value)
    }

    /// A condition of either form.
    public init(key: String, condition: ProfileCondition) {
        self.key = key
        self.condition = condition
    }
}

/// What a profile property must be.
public enum ProfileCondition: Sendable, Hashable {
    /// The shorthand `Property: value`: equal to the value.
    case equals(ScalarValue)
    /// The operator form `Property: {operator: …, value: …}`.
    case compare(ProfileOperator, ProfileOperand)

    /// Whether this is the operator form.
    public var isOperatorForm: Bool {
        if case .compare = self { return true }
        return false
    }
}

/// What an operator compares with.
public enum ProfileOperand: Sendable, Hashable {
    /// No value (`exists`, `does_not_exist`).
    case none
    case one(ScalarValue)
    /// Several values: any of them matches.
    case any([ScalarValue])
}

/// The query language's operators for profile properties, per value type.
public enum ProfileOperator: String, Sendable, Hashable, CaseIterable {
    case equals
    case notEquals = "not_equals"
    case contains
    case doesNotContain = "does_not_contain"
    case exists
    case doesNotExist = "does_not_exist"
    case greaterThan = "greater_than"
    case greaterThanEquals = "greater_than_equals"
    case lessThan = "less_than"
    case lessThanEquals = "less_than_equals"

    /// The operators for string values.
    public static let forStrings: [ProfileOperator] = [.equals, .notEquals, .contains, .doesNotContain, .exists, .doesNotExist]
    /// The operators for numbers.
    public static let forNumbers: [ProfileOperator] = [.equals, .greaterThan, .greaterThanEquals, .lessThan, .lessThanEquals]
    /// The operators for booleans (sent as the strings "True" / "False").
    public static let forBooleans: [ProfileOperator] = [.equals]

    /// Whether the operator takes no value.
    public var takesNoValue: Bool { self == .exists || self == .doesNotExist }
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
