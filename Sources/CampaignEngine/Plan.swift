import Foundation
import JSON

/// What a plan does for one campaign.
public enum ActionKind: String, Sendable, Hashable, CaseIterable {
    case create
    case send
    case replace
    /// An idempotent update in place (a kind whose changes are applied, or a sync of members).
    case update
    case stop
    case move
    case forget
    case noChange = "no-change"
    /// A delivered send whose file was removed: its record stays (a send is never forgotten implicitly; `campaign
    /// state forget KEY` removes it).
    case kept
    case refused

    /// Whether applying it calls the provider or changes state.
    public var isChange: Bool { self != .noChange && self != .refused && self != .kept }
}

/// One line of a plan.
public struct PlanAction: Sendable {
    public var key: String
    public var kind: ActionKind
    /// Why, in words.
    public var reason: String
    /// The provider id involved (the resource to stop or update, or the unchanged one).
    public var id: String?
    /// For member kinds: the members the action removes (a sync), by kind of member.
    public var removals: [String: [String]] = [:]
    /// Requests to make, in order (creates, sends).
    public var requests: [ProviderRequest]
    /// For `move`: the key it moves from.
    public var movedFrom: String?
    /// Estimated reach per device, when asked for.
    public var estimates: [(String, Int)]?
    /// For a resource whose content changed (a replace, an update, or a refusal of the change): how its request
    /// differs from the one last applied, field by field. Explanation only: nil for every other action.
    public var changes: FieldDiff?
    /// Lines the provider adds under the action about its members (``PlanNote``: a contact held back for consent).
    /// Explanation only; empty for every action of a provider that reviews nothing.
    public var notes: [PlanNote] = []
    /// What state records once the action is applied (nil for forget and removals).
    public var facts: RecordFacts? {
        get { recordedFacts ?? desired.map(RecordFacts.init) }
        set {
            recordedFacts = newValue
            desired = nil
        }
    }
    /// Facts given as such (read from a saved plan), or taken from the desired campaign when asked for: most
    /// actions of a large plan are never applied, so their facts are not copied out in advance.
    private var recordedFacts: RecordFacts?
    private var desired: DesiredResource?

    public init(key: String, kind: ActionKind, reason: String, id: String? = nil, requests: [ProviderRequest] = [], movedFrom: String? = nil, facts: RecordFacts? = nil) {
        self.key = key
        self.kind = kind
        self.reason = reason
        self.id = id
        self.requests = requests
        self.movedFrom = movedFrom
        self.recordedFacts = facts
    }

    /// An action whose facts are those of `desired`.
    public init(key: String, kind: ActionKind, reason: String, id: String? = nil, requests: [ProviderRequest] = [], movedFrom: String? = nil, desired: DesiredResource) {
        self.init(key: key, kind: kind, reason: reason, id: id, requests: requests, movedFrom: movedFrom)
        self.desired = desired
    }
}

/// What state keeps about a desired resource once an action on it is applied.
public struct RecordFacts: Sendable, Hashable {
    public var provider: String
    public var kind: String
    public var name: String
    public var file: String
    public var project: String?
    public var hash: String
    public var schedule: String?
    public var startsAt: Date?
    /// Provider facts.
    public var facts: [Fact]
    /// The reviewable fields of the request (``DesiredResource/fields``), recorded with its hash.
    public var fields: [ResourceField]?

    public init(
        provider: String, kind: String, name: String, file: String, project: String? = nil, hash: String, schedule: String? = nil,
        startsAt: Date? = nil, facts: [Fact] = [], fields: [ResourceField]? = nil
    ) {
        self.provider = provider
        self.kind = kind
        self.name = name
        self.file = file
        self.project = project
        self.hash = hash
        self.schedule = schedule
        self.startsAt = startsAt
        self.facts = facts
        self.fields = fields
    }

    public init(_ desired: DesiredResource) {
        self.init(
            provider: desired.provider, kind: desired.kind, name: desired.name, file: desired.file, project: desired.project, hash: desired.hash,
            schedule: desired.members == nil ? desired.schedule : nil, startsAt: desired.startsAt, facts: desired.facts, fields: desired.fields)
    }
}

/// Live facts about a resource in state, gathered before planning.
public enum LiveStatus: Sendable, Hashable {
    case notCompleted
    /// Delivered, with the provider's facts about it (statistics).
    case completed(facts: [Fact])
    /// Stopped outside this tool (drift).
    case stoppedOutside
}

/// A plan: what will happen to every campaign.
public struct Plan: Sendable {
    public var actions: [PlanAction]
    /// State updates learned from live data (completions, drift), applied with the plan.
    public var observations: [String: LiveStatus]
    /// Records in state outside the paths planned: never touched, only counted.
    public var notInScope: Int
    /// A note shown before everything else (for example, that the state does not exist yet).
    public var notice: String?

    public init(actions: [PlanAction], observations: [String: LiveStatus] = [:], notInScope: Int = 0, notice: String? = nil) {
        self.actions = actions
        self.observations = observations
        self.notInScope = notInScope
        self.notice = notice
    }

    public func count(_ kind: ActionKind) -> Int { counts[kind] ?? 0 }

    /// How many actions of each kind, in one pass.
    public var counts: [ActionKind: Int] {
        var result: [ActionKind: Int] = [:]
        for action in actions { result[action.kind, default: 0] += 1 }
        return result
    }

    /// True when anything would change.
    public var hasChanges: Bool { actions.contains { $0.kind.isChange } }
    /// True when anything is refused.
    public var hasRefusals: Bool { actions.contains { $0.kind == .refused } }

    /// `Plan: 2 to create, 1 to send, 1 to stop, 0 to replace, 5 unchanged, 1 refused` (+ moves and forgets when any).
    public var summary: String {
        let counts = self.counts
        func count(_ kind: ActionKind) -> Int { counts[kind] ?? 0 }
        var parts = ["\(count(.create)) to create", "\(count(.send)) to send", "\(count(.stop)) to stop", "\(count(.replace)) to replace"]
        if count(.update) > 0 { parts.append("\(count(.update)) to update") }
        if count(.move) > 0 { parts.append("\(count(.move)) to move") }
        if count(.forget) > 0 { parts.append("\(count(.forget)) to forget") }
        parts.append("\(count(.noChange)) unchanged")
        if count(.kept) > 0 { parts.append("\(count(.kept)) kept") }
        parts.append("\(count(.refused)) refused")
        if notInScope > 0 { parts.append("\(notInScope) not in scope") }
        // Notes by mark and word, only when there are any (`2 ! consent`).
        var noted: [String: Int] = [:]
        for action in actions { for note in action.notes { noted[note.mark + " " + note.word, default: 0] += 1 } }
        for (word, count) in noted.sorted(by: { $0.key < $1.key }) { parts.append("\(count) \(word)") }
        return "Plan: " + parts.joined(separator: ", ")
    }
}
