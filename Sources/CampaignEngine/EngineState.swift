import Foundation
import JSON

/// The record of what exists at the providers: versioned, with a lineage fixed at creation and a serial that
/// increments on every write.
public struct EngineState: Sendable {
    /// The state file format this build writes. Format 1 (integer ids, CleverTap's fields) is still read.
    public static let currentFormatVersion = 2

    /// The format the state was read in (``currentFormatVersion`` for a new one); it is written in the current one.
    public var formatVersion: Int
    public var lineage: String
    public var serial: Int
    public var campaigns: [String: StateRecord]
    /// Ids of saved plans already applied (a plan is applied once).
    public var appliedPlans: [String]
    /// Per provider, a fingerprint of the account this state describes (never the account id itself): a state is
    /// applied to the account it was made with, not to another one whose credentials happen to be set.
    public var accounts: [String: String]

    public init(lineage: String = UUID().uuidString.lowercased()) {
        formatVersion = Self.currentFormatVersion
        self.lineage = lineage
        serial = 0
        campaigns = [:]
        appliedPlans = []
        accounts = [:]
    }
}

/// The lifecycle of a resource in state.
public enum RecordStatus: String, Sendable, Hashable, CaseIterable {
    /// Created and waiting for (or in) delivery.
    case scheduled
    /// Delivered by the provider; its statistics are facts.
    case completed
    /// Stopped before delivery.
    case stopped
    /// Delivered to every recorded member (a send, a sync).
    case sent
    /// A request's outcome is unknown: nothing touches it until it is reconciled or resolved.
    case unknown

    /// Final: nothing about it can change any more, so live data is not queried again (unless `--refresh`).
    public var isFinal: Bool { self == .completed || self == .stopped || self == .sent }
}

/// A request recorded before it is made, so a crash or a lost answer leaves a trace.
public struct Intent: Sendable, Hashable {
    public enum Action: String, Sendable { case create, stop, send, update }
    public var action: Action
    public var startedAt: String
    /// For member deliveries: the batch (the first, when ``batches`` is more than one).
    public var batch: Int?
    /// For member deliveries: the members of that batch (of every batch it covers).
    public var recipients: [String: [String]]
    /// For member deliveries of a kind whose batches overlap their records (``KindRules/overlapsBatches``): the
    /// members of the next batch, announced with the one in flight because it may leave before that one's outcome is
    /// written. Counted by kind: they are the last ones of that kind's list in ``recipients``. Empty otherwise.
    public var announced: [String: Int]
    /// For creates: the hash being created.
    public var requestHash: String?

    public init(action: Action, startedAt: String, batch: Int? = nil, recipients: [String: [String]] = [:], announced: [String: Int] = [:], requestHash: String? = nil) {
        self.action = action
        self.startedAt = startedAt
        self.batch = batch
        self.recipients = recipients
        self.announced = announced
        self.requestHash = requestHash
    }

    /// How many delivery batches the intent covers: two when it announced the next one and members of both are left
    /// (reconcile may have found one of them done).
    public var batches: Int {
        announced.isEmpty || recipients.allSatisfy({ $0.value.count == (announced[$0.key] ?? 0) }) ? 1 : 2
    }

    /// The members of the first batch the intent covers (``recipients`` without the announced ones).
    public var firstBatch: [String: [String]] {
        guard !announced.isEmpty else { return recipients }
        var first: [String: [String]] = [:]
        for (kind, ids) in recipients {
            let kept = Array(ids.dropLast(announced[kind] ?? 0))
            if !kept.isEmpty { first[kind] = kept }
        }
        return first
    }
}

/// One resource in state.
public struct StateRecord: Sendable, Equatable {
    /// The provider that owns it.
    public var provider: String
    /// Its kind, as the provider declares it.
    public var kind: String
    public var name: String
    /// The resource's file, relative to its project's root (older states: as it was named then).
    public var file: String
    /// The project it belongs to (``DesiredResource/project``); nil in records written before projects were
    /// recorded.
    public var project: String?
    /// The content hash (``DesiredResource/hash``).
    public var hash: String
    /// The schedule as people read it (`now`, `2030-06-01 10:00 Europe/Berlin`; records written before zones were
    /// shown: `20300601 10:00`).
    public var schedule: String?
    /// When delivery starts; nil for at once.
    public var startsAt: Date?
    /// The provider's id for it, opaque.
    public var id: String?
    public var status: RecordStatus
    /// Provider facts (a scheduled date, statistics…), in order.
    public var facts: [Fact]
    /// The reviewable fields of the request whose ``hash`` the record holds, as its provider showed them when that
    /// request was made (``DesiredResource/fields``); nil when they were not recorded (records written before they
    /// were, or a provider that shows none). Explanation only: plans compare them to say what changed.
    public var fields: [ResourceField]? {
        get { storedFields.fields }
        set { storedFields = .list(newValue) }
    }
    /// The fields as read from a state file are kept as their text (a slice of the text read, not a copy) and decoded
    /// when asked for: a plan of 10,000 unchanged records never needs them, and making a string per field of each
    /// would make a state take far longer to load.
    var storedFields: StoredFields = .list(nil)
    /// A request in flight or of unknown outcome.
    public var intent: Intent?
    /// Member kinds: members delivered so far, by kind of member.
    public var delivered: [String: [String]]
    /// Member kinds: how many requests went out.
    public var batchesSent: Int
    public var createdAt: String
    public var updatedAt: String

    public init(provider: String, kind: String, name: String, file: String, hash: String, status: RecordStatus, at time: String) {
        self.provider = provider
        self.kind = kind
        self.name = name
        self.file = file
        self.hash = hash
        self.status = status
        self.facts = []
        self.delivered = [:]
        self.batchesSent = 0
        self.createdAt = time
        self.updatedAt = time
    }

    /// Members delivered to, counted over all kinds.
    public var deliveredCount: Int { delivered.values.reduce(0) { $0 + $1.count } }
}

/// A record's fields: a list, or the text of their JSON object (an object of strings, as the record codec wrote it).
/// Equal when they hold the same fields, however kept (the same text is compared as such, without decoding it).
enum StoredFields: Sendable, Equatable {
    case list([ResourceField]?)
    case text(ArraySlice<UInt8>)

    static func == (lhs: StoredFields, rhs: StoredFields) -> Bool {
        switch (lhs, rhs) {
        case (.list(let a), .list(let b)): return a == b
        case (.text(let a), .text(let b)) where a == b: return true
        default: return lhs.fields == rhs.fields
        }
    }

    var fields: [ResourceField]? {
        switch self {
        case .list(let fields): fields
        case .text(let text): StateRecord.decodeFields(text)
        }
    }
}
