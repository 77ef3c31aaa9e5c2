import Foundation
import Parallel

/// Compares the campaigns the files describe with state and live data, and decides what to do with each.
/// Pure: time and live data are inputs.
public struct Planner: Sendable {
    /// A scheduled campaign may be replaced only while its start is at least this far ahead.
    public static let replaceMargin: TimeInterval = 5 * 60

    public var now: Date

    public init(now: Date) {
        self.now = now
    }

    /// The plan for `desired` against `state`, with `live` facts about campaigns in state. Records that no desired
    /// campaign matches are stopped, forgotten or kept only when `scope` contains them; the others are counted.
    public func plan(desired: [DesiredCampaign], state: EngineState, live: [String: LiveStatus], scope: PlanScope = .everything) -> Plan {
        var actions: [PlanAction] = []
        // In key order: sort indices, not the campaigns, and only when they are not in order already (strictly
        // increasing keys are unique too).
        var order = Array(desired.indices)
        var keysUnique = true
        if !desired.indices.dropFirst().allSatisfy({ desired[$0 - 1].key < desired[$0].key }) {
            order.sort { desired[$0].key < desired[$1].key }
            keysUnique = order.indices.dropFirst().allSatisfy { desired[order[$0 - 1]].key != desired[order[$0]].key }
        }
        // Records as live data says they are now.
        var records = state.campaigns
        for (key, status) in live {
            guard var record = records[key] else { continue }
            switch status {
            case .completed(let sent, let clicked):
                record.status = .completed
                record.stats = (sent, clicked)
            case .stoppedOutside:
                record.status = .stopped
            case .notCompleted:
                break
            }
            records[key] = record
        }
        // Moves: a new key whose request is identical to that of a key no longer in the files.
        var movedAway: [String: String] = [:]  // old key -> new key
        let newKeys = desired.filter { records.index(forKey: $0.key) == nil }
        // With unique keys, when every record matched a campaign none was removed from the files (and the set of
        // the files' keys is not needed).
        let everyRecordMatched = keysUnique && records.count == desired.count - newKeys.count
        let desiredKeys = everyRecordMatched ? [] : Set(desired.map(\.key))
        let orphans = newKeys.isEmpty || everyRecordMatched ? [:] : records.filter { !desiredKeys.contains($0.key) && $0.value.status != .unknown && $0.value.intent == nil }
        // A new key whose twin is outside the scope is neither moved (that would touch the twin) nor created (that
        // would deliver it twice): it is refused until both are planned together.
        var twinOutOfScope: [String: String] = [:]  // new key -> old key
        for campaign in newKeys where !orphans.isEmpty {
            let hash: String
            switch campaign.kind {
            case .scheduled(let s): hash = s.requestHash
            case .send(let s): hash = s.contentHash
            }
            let twins = orphans.filter { $0.value.hash == hash && movedAway[$0.key] == nil && $0.value.name == campaign.name }.map(\.key).sorted()
            if let old = twins.first(where: { scope.contains(records[$0]!) }) {
                movedAway[old] = campaign.key
            } else if let old = twins.first {
                twinOutOfScope[campaign.key] = old
            }
        }

        let movedTo = Dictionary(movedAway.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        let twins = twinOutOfScope
        // Each campaign's action depends only on its own record: decided on all cores.
        let current = records
        actions = order.parallelMap { index in
            let key = desired[index].key
            if let old = movedTo.isEmpty ? nil : movedTo[key] {
                return PlanAction(key: key, kind: .move, reason: "moved from `\(old)` with an identical request; state only",
                                  id: current[old]?.id, movedFrom: old, desired: desired[index])
            }
            if let twin = twins.isEmpty ? nil : twins[key] {
                return PlanAction(key: key, kind: .refused, reason: "the same campaign as `\(twin)`, which is not in the paths planned; plan both together (or the whole project) to move it", desired: desired[index])
            }
            if let record = current[key], let owner = record.project, owner != desired[index].project {
                return PlanAction(key: key, kind: .refused, reason: "the key `\(key)` belongs to the project `\(owner)` in this state; keys are unique across every project sharing a state", id: record.id)
            }
            return action(for: desired[index], record: current[key], drift: !live.isEmpty && live[key] == .stoppedOutside)
        }
        var notInScope = 0
        for key in everyRecordMatched ? [] : records.keys.filter({ !desiredKeys.contains($0) && movedAway[$0] == nil }).sorted() {
            guard let record = records[key] else { continue }
            guard scope.contains(record) else {
                notInScope += 1
                continue
            }
            if record.status == .unknown || record.intent != nil {
                actions.append(PlanAction(key: key, kind: .refused, reason: "removed from the files, but the outcome of its last request is unknown; run `campaign reconcile` first", id: record.id))
            } else if record.kind == .scheduled && record.status == .scheduled {
                actions.append(PlanAction(key: key, kind: .stop, reason: "removed from the files while still scheduled", id: record.id))
            } else if record.kind == .send {
                actions.append(PlanAction(key: key, kind: .kept, reason: "removed from the files after it was sent to \(record.deliveredCount) recipients; the record stays so they are never sent to again (`campaign state forget \(key)` drops it)"))
            } else {
                actions.append(PlanAction(key: key, kind: .forget, reason: "removed from the files after it was \(record.status.rawValue); dropped from state, no API call", id: record.id))
            }
        }
        return Plan(actions: actions, observations: live, notInScope: notInScope)
    }

    private func liveText(_ record: StateRecord) -> String {
        switch record.status {
        case .completed:
            // Plain concatenation: this runs for every unchanged campaign.
            if let stats = record.stats { return "completed: sent " + String(stats.sent) + ", clicked " + String(stats.clicked) }
            return "completed"
        case .scheduled: return record.when == "now" || record.when == nil ? "scheduled for now" : "scheduled for \(record.when!)"
        case .stopped: return "stopped"
        case .sent: return "sent to \(record.deliveredCount) recipients in \(record.batchesSent) request\(record.batchesSent == 1 ? "" : "s")"
        case .unknown: return "unknown"
        }
    }

    private func action(for campaign: DesiredCampaign, record: StateRecord?, drift: Bool) -> PlanAction {
        let key = campaign.key
        switch campaign.kind {
        case .scheduled(let scheduled):
            guard let record else {
                if scheduled.stopped {
                    return PlanAction(key: key, kind: .noChange, reason: "`stopped: true`; never created", desired: campaign)
                }
                if let startsAt = scheduled.startsAt, startsAt <= now {
                    return PlanAction(key: key, kind: .refused, reason: "schedule \(scheduled.when) is in the past", desired: campaign)
                }
                return PlanAction(key: key, kind: .create, reason: "new campaign, \(scheduled.when == "now" ? "sent now" : "scheduled for \(scheduled.when)")",
                                  requests: [scheduled.request], desired: campaign)
            }
            if record.status == .unknown || record.intent != nil {
                return unknownRefusal(key, record)
            }
            let driftNote = drift ? " (drift: stopped outside campaign-as-code)" : ""
            if record.kind != .scheduled {
                return PlanAction(key: key, kind: .refused, reason: "was a send, now a scheduled campaign; give it a new `key`", id: record.id)
            }
            if record.hash == scheduled.requestHash {
                if scheduled.stopped && record.status == .scheduled {
                    return PlanAction(key: key, kind: .stop, reason: "`stopped: true` while still scheduled", id: record.id, desired: campaign)
                }
                return PlanAction(key: key, kind: .noChange, reason: liveText(record) + driftNote, id: record.id, desired: campaign)
            }
            // Changed.
            let stillAhead = record.status == .scheduled && record.when != "now" && (record.startsAt.map { $0.timeIntervalSince(now) >= Self.replaceMargin } ?? false)
            guard stillAhead else {
                let what = record.status == .scheduled ? "started (or starts within 5 minutes)" : record.status.rawValue
                return PlanAction(key: key, kind: .refused,
                                  reason: "changed after it \(record.status == .scheduled ? "" : "was ")\(what)\(driftNote): a delivered campaign is immutable; give it a new `key`",
                                  id: record.id)
            }
            if scheduled.stopped {
                return PlanAction(key: key, kind: .stop, reason: "`stopped: true` while still scheduled", id: record.id, desired: campaign)
            }
            if let startsAt = scheduled.startsAt, startsAt <= now {
                return PlanAction(key: key, kind: .refused, reason: "new schedule \(scheduled.when) is in the past", id: record.id)
            }
            return PlanAction(key: key, kind: .replace, reason: "changed while scheduled for \(record.when ?? "?"): stop \(record.id.map(String.init) ?? "?"), create anew",
                              id: record.id, requests: [scheduled.request], desired: campaign)

        case .send(let send):
            guard let record else {
                let requests = send.requests(send.recipients)
                let count = send.recipients.values.reduce(0) { $0 + $1.count }
                return PlanAction(key: key, kind: .send, reason: "new send: \(count) recipients in \(requests.count) request\(requests.count == 1 ? "" : "s")",
                                  requests: requests, desired: campaign)
            }
            if record.status == .unknown || record.intent != nil {
                return unknownRefusal(key, record)
            }
            guard record.kind == .send else {
                return PlanAction(key: key, kind: .refused, reason: "was a scheduled campaign, now a send; give it a new `key`", id: record.id)
            }
            guard record.hash == send.contentHash else {
                return PlanAction(key: key, kind: .refused, reason: "changed after it was sent: a delivered send is immutable; give it a new `key`")
            }
            var added: [String: [String]] = [:]
            var removed = 0
            for (kind, list) in send.recipients {
                let already = Set(record.delivered[kind] ?? [])
                let new = list.filter { !already.contains($0) }
                if !new.isEmpty { added[kind] = new }
            }
            for (kind, list) in record.delivered {
                let wanted = Set(send.recipients[kind] ?? [])
                removed += list.filter { !wanted.contains($0) }.count
            }
            if removed > 0 {
                return PlanAction(key: key, kind: .refused, reason: "\(removed) recipients were removed after they were sent to: a delivered send is immutable")
            }
            if added.isEmpty {
                return PlanAction(key: key, kind: .noChange, reason: liveText(record), desired: campaign)
            }
            let requests = send.requests(added)
            let count = added.values.reduce(0) { $0 + $1.count }
            return PlanAction(key: key, kind: .send, reason: "\(count) new recipients in \(requests.count) request\(requests.count == 1 ? "" : "s") (the \(record.deliveredCount) already sent to are skipped)",
                              requests: requests, desired: campaign)
        }
    }

    private func unknownRefusal(_ key: String, _ record: StateRecord) -> PlanAction {
        let action = record.intent?.action.rawValue ?? "request"
        return PlanAction(key: key, kind: .refused,
                          reason: "the outcome of its last \(action) is unknown; run `campaign reconcile` or `campaign state resolve \(key)`",
                          id: record.id)
    }
}
