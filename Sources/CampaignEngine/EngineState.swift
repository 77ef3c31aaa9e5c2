import Foundation
import JSON

/// The record of what exists at the provider: versioned, with a lineage fixed at creation and a serial that
/// increments on every write.
public struct EngineState: Sendable {
    /// The state file format this build writes and reads.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var lineage: String
    public var serial: Int
    public var campaigns: [String: StateRecord]
    /// Ids of saved plans already applied (a plan is applied once).
    public var appliedPlans: [String]

    public init(lineage: String = UUID().uuidString.lowercased()) {
        formatVersion = Self.currentFormatVersion
        self.lineage = lineage
        serial = 0
        campaigns = [:]
        appliedPlans = []
    }
}

/// The lifecycle of a campaign in state.
public enum RecordStatus: String, Sendable, Hashable, CaseIterable {
    /// Created and waiting for (or in) delivery.
    case scheduled
    /// Delivered; statistics available.
    case completed
    /// Stopped before delivery.
    case stopped
    /// A send delivered to every recorded recipient.
    case sent
    /// A request's outcome is unknown: nothing touches it until it is reconciled or resolved.
    case unknown

    /// Final: nothing about it can change any more, so live data is not queried again (unless `--refresh`).
    public var isFinal: Bool { self == .completed || self == .stopped || self == .sent }
}

/// A request recorded before it is made, so a crash or a lost answer leaves a trace.
public struct Intent: Sendable, Hashable {
    public enum Action: String, Sendable { case create, stop, send }
    public var action: Action
    public var startedAt: String
    /// For sends: the batch.
    public var batch: Int?
    /// For sends: the recipients of that batch.
    public var recipients: [String: [String]]
    /// For creates: the request hash being created.
    public var requestHash: String?

    public init(action: Action, startedAt: String, batch: Int? = nil, recipients: [String: [String]] = [:], requestHash: String? = nil) {
        self.action = action
        self.startedAt = startedAt
        self.batch = batch
        self.recipients = recipients
        self.requestHash = requestHash
    }
}

/// One campaign in state.
public struct StateRecord: Sendable {
    public enum Kind: String, Sendable { case scheduled, send }
    public var kind: Kind
    public var name: String
    /// The campaign's file, relative to its project's root (older states: as it was named then).
    public var file: String
    /// The project it belongs to (``DesiredCampaign/project``); nil in records written before projects were
    /// recorded.
    public var project: String?
    /// Scheduled campaigns: the request hash; sends: the content hash.
    public var hash: String
    /// Scheduled campaigns: `now` or `YYYYMMDD HH:MM`.
    public var when: String?
    public var scheduledDate: Int?
    public var startsAt: Date?
    /// The provider's id of a scheduled campaign.
    public var id: Int?
    public var status: RecordStatus
    public var stats: (sent: Int, clicked: Int)?
    /// A request in flight or of unknown outcome.
    public var intent: Intent?
    /// Sends: recipients delivered so far, by kind.
    public var delivered: [String: [String]]
    /// Sends: how many requests went out.
    public var batchesSent: Int
    public var createdAt: String
    public var updatedAt: String

    public init(kind: Kind, name: String, file: String, hash: String, status: RecordStatus, at time: String) {
        self.kind = kind
        self.name = name
        self.file = file
        self.hash = hash
        self.status = status
        self.delivered = [:]
        self.batchesSent = 0
        self.createdAt = time
        self.updatedAt = time
    }

    /// Recipients delivered, counted over all kinds.
    public var deliveredCount: Int { delivered.values.reduce(0) { $0 + $1.count } }
}
