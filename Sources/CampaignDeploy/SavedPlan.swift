import CampaignEngine
import Foundation
import JSON

/// A plan saved by `plan --out`: the exact requests, the state it was made against (lineage and serial) and a hash
/// of its inputs, so `apply FILE` can refuse it when anything moved since — or when it was applied already.
///
/// The file is reviewed, then applied; it is not trusted. `apply FILE` plans again from the files and state (which
/// must be unchanged) and applies only that new plan, and only when it matches the saved one action for action
/// (``difference(from:)``): an edited title, recipient, key, a duplicated or injected action is refused.
public struct SavedPlan: Sendable {
    /// 2: string ids and provider facts. 3: each changed action's field changes (`changes_recorded`, `changes`) and
    /// the fields a create records (`facts.fields`); schedules shown with their zone. Plans of earlier formats are
    /// refused (S030: make the plan again).
    public static let formatVersion = 3

    public var id: String
    /// The lineage of the state planned against; empty when there was no state yet.
    public var lineage: String
    public var serial: Int
    /// Whether the state existed when the plan was made (a first plan is made against none).
    public var stateExisted: Bool
    public var inputsHash: String
    /// The paths the campaigns were read from.
    public var paths: [String]
    public var createdAt: String
    public var plan: Plan

    /// A plan made against `state` (nil: no state existed yet).
    public init(plan: Plan, state: EngineState?, inputsHash: String, paths: [String]) {
        id = UUID().uuidString.lowercased()
        lineage = state?.lineage ?? ""
        serial = state?.serial ?? 0
        stateExisted = state != nil
        self.inputsHash = inputsHash
        self.paths = paths
        createdAt = Date().formatted(.iso8601)
        self.plan = plan
    }

    public var json: JSONValue {
        .object([
            ("format_version", .int(Self.formatVersion)), ("plan_id", .string(id)), ("lineage", .string(lineage)),
            ("serial", .int(serial)), ("state_exists", .bool(stateExisted)), ("inputs_sha256", .string(inputsHash)), ("paths", .array(paths.map(JSONValue.string))),
            ("created_at", .string(createdAt)), ("summary", .string(plan.summary)),
            ("observations", .object(plan.observations.sorted { $0.key < $1.key }.map { key, status in
                switch status {
                case .notCompleted: (key, .string("not-completed"))
                case .stoppedOutside: (key, .string("stopped-outside"))
                case .completed(let facts): (key, .object([("completed", .object(facts.map { ($0.name, .string($0.value)) }))]))
                }
            })),
            ("actions", .array(plan.actions.map(Self.json))),
        ])
    }

    static func json(_ action: PlanAction) -> JSONValue {
        var members: [(String, JSONValue)] = [("key", .string(action.key)), ("action", .string(action.kind.rawValue)), ("reason", .string(action.reason))]
        if let id = action.id { members.append(("id", .string(id))) }
        if let from = action.movedFrom { members.append(("moved_from", .string(from))) }
        if let facts = action.facts {
            var f: [(String, JSONValue)] = [
                ("provider", .string(facts.provider)), ("type", .string(facts.kind)), ("name", .string(facts.name)), ("file", .string(facts.file)),
                ("hash", .string(facts.hash)),
            ]
            if let project = facts.project { f.append(("project", .string(project))) }
            if let schedule = facts.schedule { f.append(("schedule", .string(schedule))) }
            if let startsAt = facts.startsAt { f.append(("starts_at", .number(String(startsAt.timeIntervalSince1970)))) }
            if !facts.facts.isEmpty { f.append(("facts", .object(facts.facts.map { ($0.name, .string($0.value)) }))) }
            if let fields = facts.fields { f.append(("fields", .object(fields.map { ($0.path, .string($0.value)) }))) }
            members.append(("facts", .object(f)))
        }
        if let changes = action.changes {
            members.append(("changes_recorded", .bool(changes != .notRecorded)))
            members.append(("changes", PlanRenderer.changesJSON(changes)))
        }
        members.append(("requests", .array(action.requests.map { request in
            var r: [(String, JSONValue)] = [
                ("method", .string(request.method)), ("path", .string(request.path)), ("batch", .int(request.batch)),
                ("recipients", StateRecord.recipientsJSON(request.recipients)),
            ]
            if request.removes { r.append(("removes", .bool(true))) }
            r.append(("body", request.body))
            return .object(r)
        })))
        return .object(members)
    }

    public init(json: JSONValue) throws(DeployError) {
        guard json["format_version"]?.intValue == Self.formatVersion, let id = json["plan_id"]?.stringValue,
            let lineage = json["lineage"]?.stringValue, let serial = json["serial"]?.intValue,
            let inputs = json["inputs_sha256"]?.stringValue
        else { throw DeployError("S030", "not a saved plan of this version of campaign") }
        self.id = id
        self.lineage = lineage
        self.serial = serial
        stateExisted = json["state_exists"]?.boolValue ?? true
        inputsHash = inputs
        paths = json["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
        createdAt = json["created_at"]?.stringValue ?? ""
        var actions: [PlanAction] = []
        for item in json["actions"]?.arrayValue ?? [] {
            guard let key = item["key"]?.stringValue, let kind = item["action"]?.stringValue.flatMap(ActionKind.init(rawValue:)) else {
                throw DeployError("S030", "the saved plan has an unreadable action")
            }
            var action = PlanAction(key: key, kind: kind, reason: item["reason"]?.stringValue ?? "", id: item["id"]?.stringValue, movedFrom: item["moved_from"]?.stringValue)
            if let f = item["facts"], let provider = f["provider"]?.stringValue, let type = f["type"]?.stringValue {
                action.facts = RecordFacts(
                    provider: provider, kind: type, name: f["name"]?.stringValue ?? "", file: f["file"]?.stringValue ?? "", project: f["project"]?.stringValue,
                    hash: f["hash"]?.stringValue ?? "", schedule: f["schedule"]?.stringValue,
                    startsAt: f["starts_at"]?.doubleValue.map(Date.init(timeIntervalSince1970:)),
                    facts: (f["facts"]?.objectValue ?? []).compactMap { name, value in value.stringValue.map { Fact(name, $0) } },
                    fields: f["fields"]?.objectValue.map { $0.compactMap { path, value in value.stringValue.map { ResourceField(path, $0) } } })
            }
            if let recorded = item["changes_recorded"]?.boolValue {
                var changes: [FieldChange] = []
                for change in item["changes"]?.arrayValue ?? [] {
                    guard let path = change["path"]?.stringValue else { throw DeployError("S030", "the saved plan has an unreadable field change") }
                    changes.append(FieldChange(path: path, old: change["old"]?.stringValue, new: change["new"]?.stringValue))
                }
                action.changes = recorded ? .changed(changes) : .notRecorded
            }
            action.requests = (item["requests"]?.arrayValue ?? []).map { r in
                ProviderRequest(method: r["method"]?.stringValue ?? "POST", path: r["path"]?.stringValue ?? "", body: r["body"] ?? .null,
                                batch: r["batch"]?.intValue ?? 1, recipients: StateRecord.recipients(r["recipients"]), removes: r["removes"]?.boolValue ?? false)
            }
            actions.append(action)
        }
        var observations: [String: LiveStatus] = [:]
        for (key, value) in json["observations"]?.objectValue ?? [] {
            if value.stringValue == "stopped-outside" { observations[key] = .stoppedOutside }
            else if let facts = value["completed"]?.objectValue { observations[key] = .completed(facts: facts.compactMap { name, v in v.stringValue.map { Fact(name, $0) } }) }
        }
        plan = Plan(actions: actions, observations: observations)
    }

    /// Why this plan cannot be applied to `state` (nil: no state exists) with inputs hashing to `inputsHash`, or nil.
    public func staleness(state: EngineState?, inputsHash currentInputs: String) -> DeployError? {
        guard let state else {
            if stateExisted {
                return DeployError("S032", "the plan was made against a state that does not exist here", hint: "check --state / --env, or run `campaign plan` again")
            }
            return currentInputs == inputsHash ? nil : DeployError("S034", "the campaign files changed since the plan was made", hint: "run `campaign plan` again")
        }
        if state.appliedPlans.contains(id) {
            return DeployError("S031", "this plan was applied already", hint: "run `campaign plan` again")
        }
        if !stateExisted {
            return DeployError("S033", "the plan was made before the state existed, and it exists now", hint: "run `campaign plan` again")
        }
        if state.lineage != lineage {
            return DeployError("S032", "the plan was made against another state (lineage \(lineage), the state's is \(state.lineage))", hint: "check --state / --env")
        }
        if state.serial != serial {
            return DeployError("S033", "the state changed since the plan was made (serial \(serial), now \(state.serial))", hint: "run `campaign plan` again")
        }
        if currentInputs != inputsHash {
            return DeployError("S034", "the campaign files changed since the plan was made", hint: "run `campaign plan` again")
        }
        return nil
    }

    /// The first way in which `current` (the plan made again now from the same files and state) differs from this
    /// saved plan, or nil when they match: the same keys, one action each, of the same kind, with the same ids and
    /// the same requests (method, path, batch, recipients and body).
    public func difference(from current: Plan) -> DeployError? {
        var saved: [String: PlanAction] = [:]
        for action in plan.actions {
            guard saved.updateValue(action, forKey: action.key) == nil else {
                return DeployError("S036", "the saved plan has two actions for `\(EngineState.shown(action.key))`", hint: "the file was edited; run `campaign plan --out` again")
            }
        }
        var now: [String: PlanAction] = [:]
        for action in current.actions { now[action.key] = action }
        for key in Set(saved.keys).union(now.keys).sorted() {
            let shown = EngineState.shown(key)
            guard let was = saved[key] else { return mismatch("the saved plan has no action for `\(shown)`, which the files now plan (\(now[key]!.kind.rawValue))") }
            guard let action = now[key] else { return mismatch("the saved plan has an action for `\(shown)` (\(was.kind.rawValue)) that the files do not plan") }
            guard was.kind == action.kind else { return mismatch("`\(shown)`: the saved plan says \(was.kind.rawValue), the files and state now say \(action.kind.rawValue)") }
            guard was.id == action.id, was.movedFrom == action.movedFrom else { return mismatch("`\(shown)`: the saved plan names another campaign id or source key") }
            guard was.requests.count == action.requests.count else {
                return mismatch("`\(shown)`: the saved plan has \(was.requests.count) requests, the files now make \(action.requests.count)")
            }
            for (index, (a, b)) in zip(was.requests, action.requests).enumerated() where Self.fingerprint(a) != Self.fingerprint(b) {
                return mismatch("`\(shown)`: request \(index + 1) differs from what the files now make (body, path or recipients)")
            }
            // What a reviewer read as the change must be the change: the field changes shown are compared too.
            guard was.changes == action.changes else {
                return mismatch("`\(shown)`: the saved plan shows other field changes than the files and state make now")
            }
        }
        return nil
    }

    private func mismatch(_ message: String) -> DeployError {
        DeployError("S036", "the saved plan does not match the plan made now: \(message)", hint: "apply only what was reviewed: run `campaign plan --out` again and review it")
    }

    /// sha256 of everything a request sends and records.
    static func fingerprint(_ request: ProviderRequest) -> String {
        let text = JSONWriter(indent: nil).bytes(.object([
            ("method", .string(request.method)), ("path", .string(request.path)), ("batch", .int(request.batch)),
            ("recipients", StateRecord.recipientsJSON(request.recipients)), ("removes", .bool(request.removes)), ("body", request.body),
        ]))
        return ContentHash.sha256(text)
    }
}
