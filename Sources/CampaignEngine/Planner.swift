import Foundation
import Parallel

/// Compares the resources the files describe with state and live data, and decides what to do with each, by the
/// rules each provider declares for its kinds (``KindRules``). Pure: time and live data are inputs.
public struct Planner: Sendable {
    /// The default margin of ``KindRules/Change/replaceWhilePending(margin:)`` kinds.
    public static let replaceMargin: TimeInterval = 5 * 60

    public var now: Date
    public var rules: RuleBook

    public init(now: Date, rules: RuleBook) {
        self.now = now
        self.rules = rules
    }

    /// The plan for `desired` against `state`, with `live` facts about resources in state. Records that no desired
    /// resource matches are stopped, forgotten or kept only when `scope` contains them; the others are counted.
    public func plan(desired: [DesiredResource], state: EngineState, live: [String: LiveStatus], scope: PlanScope = .everything) -> Plan {
        var actions: [PlanAction] = []
        // In key order: sort indices, not the resources, and only when they are not in order already (strictly
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
            Self.observe(status, on: &record)
            records[key] = record
        }
        // Moves: a new key whose content is identical to that of a key no longer in the files.
        var movedAway: [String: String] = [:]  // old key -> new key
        let newKeys = desired.filter { records.index(forKey: $0.key) == nil }
        // With unique keys, when every record matched a resource none was removed from the files (and the set of
        // the files' keys is not needed).
        let everyRecordMatched = keysUnique && records.count == desired.count - newKeys.count
        let desiredKeys = everyRecordMatched ? [] : Set(desired.map(\.key))
        let orphans = newKeys.isEmpty || everyRecordMatched ? [:] : records.filter { !desiredKeys.contains($0.key) && $0.value.status != .unknown && $0.value.intent == nil }
        // A new key whose twin is outside the scope is neither moved (that would touch the twin) nor created (that
        // would deliver it twice): it is refused until both are planned together. Likewise a twin whose last request
        // is of unknown outcome: it may have been delivered; it must be settled first.
        var twinOutOfScope: [String: String] = [:]  // new key -> old key
        var twinUnsettled: [String: String] = [:]  // new key -> old key
        let unsettled = newKeys.isEmpty || everyRecordMatched ? [:] : records.filter { !desiredKeys.contains($0.key) && ($0.value.status == .unknown || $0.value.intent != nil) }
        for resource in newKeys where !unsettled.isEmpty {
            if let old = unsettled.filter({ $0.value.hash == resource.hash && $0.value.provider == resource.provider && $0.value.kind == resource.kind }).map(\.key).min() {
                twinUnsettled[resource.key] = old
            }
        }
        for resource in newKeys where !orphans.isEmpty {
            let twins = orphans.filter {
                $0.value.hash == resource.hash && $0.value.provider == resource.provider && $0.value.kind == resource.kind
                    && movedAway[$0.key] == nil && $0.value.name == resource.name
            }.map(\.key).sorted()
            if let old = twins.first(where: { records[$0].map(scope.contains) == true }) {
                movedAway[old] = resource.key
            } else if let old = twins.first {
                twinOutOfScope[resource.key] = old
            }
        }

        let movedTo = Dictionary(movedAway.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        let twins = twinOutOfScope
        let unsettledTwins = twinUnsettled
        // Each resource's action depends only on its own record: decided on all cores.
        let current = records
        actions = order.parallelMap { index in
            let key = desired[index].key
            if let old = movedTo.isEmpty ? nil : movedTo[key] {
                return PlanAction(key: key, kind: .move, reason: "moved from `\(old)` with an identical request; state only",
                                  id: current[old]?.id, movedFrom: old, desired: desired[index])
            }
            if let twin = unsettledTwins.isEmpty ? nil : unsettledTwins[key] {
                return PlanAction(key: key, kind: .refused, reason: "the same campaign as `\(twin)`, whose last request has an unknown outcome (it may have gone out); settle `\(twin)` first with `campaign reconcile` or `campaign state resolve \(twin)`", desired: desired[index])
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
            actions.append(removal(key, record))
        }
        return Plan(actions: actions, observations: live, notInScope: notInScope)
    }

    /// `record` as `status` says it is now.
    public static func observe(_ status: LiveStatus, on record: inout StateRecord) {
        switch status {
        case .completed(let facts):
            record.status = .completed
            record.facts = record.facts.merging(facts)
        case .stoppedOutside:
            record.status = .stopped
        case .notCompleted:
            break
        }
    }

    /// What to do about a record whose file is gone (and that is in scope).
    private func removal(_ key: String, _ record: StateRecord) -> PlanAction {
        let kindRules = rules.rules(provider: record.provider, kind: record.kind)
        if record.status == .unknown || record.intent != nil {
            return PlanAction(key: key, kind: .refused, reason: "removed from the files, but the outcome of its last request is unknown; run `campaign reconcile` first", id: record.id)
        }
        guard let kindRules else {
            return PlanAction(key: key, kind: .kept, reason: "removed from the files; its provider `\(record.provider)` or kind `\(record.kind)` is not known to this build, so it is left alone")
        }
        if kindRules.members == .none && record.status == .scheduled {
            return PlanAction(key: key, kind: .stop, reason: "removed from the files while still scheduled", id: record.id)
        }
        if kindRules.members != .none && record.deliveredCount > 0 {
            return PlanAction(key: key, kind: .kept, reason: "removed from the files after it was sent to \(record.deliveredCount) recipients; the record stays so they are never sent to again (`campaign state forget \(key)` drops it)")
        }
        if record.status == .completed {
            return PlanAction(key: key, kind: .kept, reason: "removed from the files after it was delivered; the record stays so that restoring the file never delivers it again (`campaign state forget \(key)` drops it)", id: record.id)
        }
        return PlanAction(key: key, kind: .forget, reason: "removed from the files after it was \(record.status.rawValue); dropped from state, no API call", id: record.id)
    }

    private func liveText(_ record: StateRecord, _ resource: DesiredResource) -> String {
        switch record.status {
        case .completed:
            return rules.summary(of: record) ?? "completed"
        case .scheduled: return record.startsAt == nil ? "scheduled for now" : "scheduled for " + shownSchedule(record, resource)
        case .stopped: return "stopped"
        case .sent: return "sent to \(record.deliveredCount) recipients in \(record.batchesSent) request\(record.batchesSent == 1 ? "" : "s")"
        case .unknown: return "unknown"
        }
    }

    /// A record's schedule as people read it, as the resource's provider shows times (in the project's zone): the
    /// resource's own schedule when it starts at the same instant (no work: most records are unchanged), else the
    /// record's instant shown by the provider, else the schedule as recorded (which older versions wrote as the API
    /// takes it).
    private func shownSchedule(_ record: StateRecord, _ resource: DesiredResource) -> String {
        guard let startsAt = record.startsAt else { return record.schedule ?? "now" }
        if startsAt == resource.startsAt { return resource.schedule }
        return resource.shown(startsAt) ?? record.schedule ?? "?"
    }

    /// The action for a resource in the files, with (for a changed one) what changed in its request. The decision is
    /// ``decide(_:record:drift:)``'s alone; ``explain(_:_:_:)`` only adds to it.
    private func action(for resource: DesiredResource, record: StateRecord?, drift: Bool) -> PlanAction {
        var action = decide(resource, record: record, drift: drift)
        if let record { Self.explain(&action, resource, record) }
        return action
    }

    /// Adds to a replace, an update or a refusal of a changed resource how its request differs from the one last
    /// applied, field by field (the provider's fields; compared only here, so unchanged resources never make theirs).
    /// Explanation only: it never changes the action's kind, requests or reason.
    static func explain(_ action: inout PlanAction, _ resource: DesiredResource, _ record: StateRecord) {
        switch action.kind {
        case .replace, .update, .refused: break
        default: return
        }
        // A record of another kind, or whose last request has an unknown outcome, is refused for that, not for what
        // changed: comparing fields would suggest otherwise.
        guard record.hash != resource.hash, record.provider == resource.provider, record.kind == resource.kind,
              record.intent == nil, record.status != .unknown, let fields = resource.fields
        else { return }
        action.changes = FieldDiff.between(record.fields, fields)
    }

    private func decide(_ resource: DesiredResource, record: StateRecord?, drift: Bool) -> PlanAction {
        let key = resource.key
        guard let kindRules = rules.rules(provider: resource.provider, kind: resource.kind) else {
            return PlanAction(key: key, kind: .refused, reason: "no provider `\(resource.provider)` with a kind `\(resource.kind)` in this build")
        }
        if let record, record.status == .unknown || record.intent != nil,
            !(kindRules.retriesUnknownDelivery && kindRules.members == .sync && record.intent?.action == .send && record.provider == resource.provider && record.kind == resource.kind
                && !(record.intent?.recipients.keys.contains(where: kindRules.unretriedMemberKinds.contains) ?? false)) {
            return unknownRefusal(key, record)
        }
        if let record, record.provider != resource.provider || record.kind != resource.kind {
            return PlanAction(key: key, kind: .refused, reason: "was a \(record.kind), now a \(resource.kind); give it a new `key`", id: record.id)
        }
        if kindRules.members != .none {
            return memberAction(resource, record: record, rules: kindRules)
        }
        guard let record else {
            if resource.stopped {
                return PlanAction(key: key, kind: .noChange, reason: "`stopped: true`; never created", desired: resource)
            }
            if let startsAt = resource.startsAt, startsAt <= now {
                return PlanAction(key: key, kind: .refused, reason: "schedule \(resource.schedule) is in the past", desired: resource)
            }
            return PlanAction(key: key, kind: .create, reason: "new campaign, \(resource.startsAt == nil ? "sent now" : "scheduled for \(resource.schedule)")",
                              requests: resource.requests(), desired: resource)
        }
        let driftNote = drift ? " (drift: stopped outside campaign-as-code)" : ""
        if record.hash == resource.hash {
            if resource.stopped && record.status == .scheduled {
                return PlanAction(key: key, kind: .stop, reason: "`stopped: true` while still scheduled", id: record.id, desired: resource)
            }
            return PlanAction(key: key, kind: .noChange, reason: liveText(record, resource) + driftNote, id: record.id, desired: resource)
        }
        // Changed.
        switch kindRules.change {
        case .inPlace:
            return PlanAction(key: key, kind: .update, reason: "changed: updated in place", id: record.id, requests: resource.requests(), desired: resource)
        case .refusedOnceCreated:
            return PlanAction(key: key, kind: .refused, reason: "changed after it was created: a delivered \(resource.kind) is immutable; give it a new `key`", id: record.id)
        case .replaceWhilePending(let margin):
            let stillAhead = record.status == .scheduled && (record.startsAt.map { $0.timeIntervalSince(now) >= margin } ?? false)
            guard stillAhead else {
                let what = record.status == .scheduled ? "started (or starts within \(Int(margin / 60)) minutes)" : record.status.rawValue
                return PlanAction(key: key, kind: .refused,
                                  reason: "changed after it \(record.status == .scheduled ? "" : "was ")\(what)\(driftNote): a delivered campaign is immutable; give it a new `key`",
                                  id: record.id)
            }
            if resource.stopped {
                return PlanAction(key: key, kind: .stop, reason: "`stopped: true` while still scheduled", id: record.id, desired: resource)
            }
            if let startsAt = resource.startsAt, startsAt <= now {
                return PlanAction(key: key, kind: .refused, reason: "new schedule \(resource.schedule) is in the past", id: record.id)
            }
            return PlanAction(key: key, kind: .replace, reason: "changed while scheduled for \(shownSchedule(record, resource)): stop \(record.id ?? "?"), create anew",
                              id: record.id, requests: resource.requests(), desired: resource)
        }
    }

    /// Resources with members: delivered to once (append-only), or kept in step (sync).
    private func memberAction(_ resource: DesiredResource, record: StateRecord?, rules kindRules: KindRules) -> PlanAction {
        let key = resource.key
        let members = resource.members ?? [:]
        let verb = kindRules.deliverAction
        guard let record else {
            let requests = resource.requests(members: members)
            let count = members.values.reduce(0) { $0 + $1.count }
            let inRequests = "in \(requests.count) request\(requests.count == 1 ? "" : "s")"
            var action: PlanAction
            if kindRules.members == .sync {
                // Said as what happens to them (`+3 tag`, `-3 untag`).
                let words = resource.memberWords ?? MemberWords(addWord: kindRules.addWord, removeWord: kindRules.removeWord)
                action = PlanAction(key: key, kind: verb, reason: "new \(resource.kind): \(words.addSign)\(count) \(words.addWord)\(Self.firstMembers(members, kindRules.shownMembers)) \(inRequests)",
                                    requests: requests, desired: resource)
            } else {
                action = PlanAction(key: key, kind: verb, reason: "new \(resource.kind): \(count) recipients \(inRequests)",
                                    requests: requests, desired: resource)
            }
            action.notes = rules.memberNotes(resource, adding: members)
            return action
        }
        if record.hash != resource.hash, kindRules.change != .inPlace {
            return PlanAction(key: key, kind: .refused, reason: "changed after it was sent: a delivered \(resource.kind) is immutable; give it a new `key`")
        }
        let (added, removed) = Self.memberChanges(desired: members, delivered: record.delivered)
        let removedCount = removed.values.reduce(0) { $0 + $1.count }
        if removedCount > 0 && kindRules.members == .appendOnly {
            return PlanAction(key: key, kind: .refused, reason: "\(removedCount) recipients were removed after they were sent to: a delivered send is immutable")
        }
        if added.isEmpty && removed.isEmpty && record.hash == resource.hash {
            return PlanAction(key: key, kind: .noChange, reason: liveText(record, resource), id: record.id, desired: resource)
        }
        let addedCount = added.values.reduce(0) { $0 + $1.count }
        if kindRules.members == .sync {
            // Everything is idempotent: the adds, the removals and (when the content changed) the whole content.
            var requests = (added.isEmpty ? [] : resource.requests(members: added)) + resource.removalRequests(removed)
            // Only the content changed (no member joined or left): its requests for no members.
            if requests.isEmpty, record.hash != resource.hash { requests = resource.requests(members: [:]) }
            let words = resource.memberWords ?? MemberWords(addWord: kindRules.addWord, removeWord: kindRules.removeWord)
            var reason = "\(words.addSign)\(addedCount) \(words.addWord)\(Self.firstMembers(added, kindRules.shownMembers)), \(words.removeSign)\(removedCount) \(words.removeWord)\(Self.firstMembers(removed, kindRules.shownMembers)), \(record.deliveredCount - removedCount) unchanged"
            if let separator = kindRules.memberVersionSeparator {
                reason = Self.versionedReason(added: added, removed: removed, unchanged: record.deliveredCount - removedCount, separator: separator, rules: kindRules)
            }
            var action = PlanAction(key: key, kind: .update, reason: reason, id: record.id, requests: requests, desired: resource)
            action.removals = removed
            action.notes = rules.memberNotes(resource, adding: added)
            return action
        }
        let requests = resource.requests(members: added)
        return PlanAction(key: key, kind: verb, reason: "\(addedCount) new recipients in \(requests.count) request\(requests.count == 1 ? "" : "s") (the \(record.deliveredCount) already sent to are skipped)",
                          requests: requests, desired: resource)
    }

    /// `+2 manage (…), ~1 changed (…), -1 release (…), 7 unchanged`: a sync of members written
    /// `identity<separator>version`, where an identity both added and removed is one member changed.
    static func versionedReason(added: [String: [String]], removed: [String: [String]], unchanged: Int, separator: String, rules: KindRules) -> String {
        func identity(_ member: String) -> Substring {
            guard let range = member.range(of: separator, options: .backwards) else { return member[...] }
            return member[..<range.lowerBound]
        }
        let removedIdentities = Set(removed.values.joined().map(identity))
        let addedIdentities = Set(added.values.joined().map(identity))
        var fresh: [String: [String]] = [:], changed: [String: [String]] = [:], gone: [String: [String]] = [:]
        for (kind, list) in added {
            for member in list {
                if removedIdentities.contains(identity(member)) { changed[kind, default: []].append(String(identity(member))) } else { fresh[kind, default: []].append(member) }
            }
        }
        for (kind, list) in removed { for member in list where !addedIdentities.contains(identity(member)) { gone[kind, default: []].append(member) } }
        func count(_ lists: [String: [String]]) -> Int { lists.values.reduce(0) { $0 + $1.count } }
        let changedCount = count(changed)
        return "+\(count(fresh)) \(rules.addWord)\(firstMembers(fresh, rules.shownMembers)), ~\(changedCount) changed\(firstMembers(changed, rules.shownMembers)), "
            + "-\(count(gone)) \(rules.removeWord)\(firstMembers(gone, rules.shownMembers)), \(unchanged) unchanged"
    }

    /// Per kind, the desired members not delivered yet (`added`, in desired order) and the delivered members no
    /// longer desired (`removed`, in delivered order).
    ///
    /// One dictionary of the delivered members' positions per kind, looked up once per desired member, instead of a
    /// set of each side: half the string hashing, the largest part of a plan's own work on a 100,000-member audience
    /// (measured on `make bench`'s cleverpush-tags project, 21 alternating runs: plan 168 ms before, 159 ms after;
    /// validate 111 ms).
    public static func memberChanges(desired: [String: [String]], delivered: [String: [String]]) -> (added: [String: [String]], removed: [String: [String]]) {
        var added: [String: [String]] = [:]
        var removed: [String: [String]] = [:]
        for (kind, list) in delivered where desired[kind] == nil {
            if !list.isEmpty { removed[kind] = list }
        }
        for (kind, wanted) in desired {
            let had = delivered[kind] ?? []
            var position: [String: Int] = [:]
            position.reserveCapacity(had.count)
            // A member delivered twice (never written so, but read from a file) counts as one: its first position.
            var repeats: [(index: Int, first: Int)] = []
            for (index, member) in had.enumerated() {
                if let first = position[member] { repeats.append((index, first)) } else { position[member] = index }
            }
            var kept = [Bool](repeating: false, count: had.count)
            var new: [String] = []
            for member in wanted {
                if let index = position[member] { kept[index] = true } else { new.append(member) }
            }
            for (index, first) in repeats { kept[index] = kept[first] }
            if !new.isEmpty { added[kind] = new }
            let gone = had.indices.filter { !kept[$0] }.map { had[$0] }
            if !gone.isEmpty { removed[kind] = gone }
        }
        return (added, removed)
    }

    /// ` (a, b, c, …)`: the first `count` members of `lists` (by kind, in kind order), or nothing.
    static func firstMembers(_ lists: [String: [String]], _ count: Int) -> String {
        guard count > 0 else { return "" }
        var shown: [String] = []
        var total = 0
        for kind in lists.keys.sorted() {
            let list = lists[kind] ?? []
            total += list.count
            shown += list.prefix(max(0, count - shown.count))
        }
        guard !shown.isEmpty else { return "" }
        return " (" + shown.joined(separator: ", ") + (total > shown.count ? ", …" : "") + ")"
    }

    private func unknownRefusal(_ key: String, _ record: StateRecord) -> PlanAction {
        let action = record.intent?.action.rawValue ?? "request"
        return PlanAction(key: key, kind: .refused,
                          reason: "the outcome of its last \(action) is unknown; run `campaign reconcile` or `campaign state resolve \(key)`",
                          id: record.id)
    }
}
