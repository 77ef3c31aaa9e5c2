import CampaignEngine
import Foundation
import JSON

/// A plan saved by `plan --out`: the exact requests, the state it was made against (lineage and serial) and a hash
/// of its inputs, so `apply FILE` can refuse it when anything moved since — or when it was applied already.
public struct SavedPlan: Sendable {
    public static let formatVersion = 1

    public var id: String
    public var lineage: String
    public var serial: Int
    public var inputsHash: String
    /// The paths the campaigns were read from.
    public var paths: [String]
    public var createdAt: String
    public var plan: Plan

    public init(plan: Plan, state: EngineState, inputsHash: String, paths: [String]) {
        id = UUID().uuidString.lowercased()
        lineage = state.lineage
        serial = state.serial
        self.inputsHash = inputsHash
        self.paths = paths
        createdAt = Date().formatted(.iso8601)
        self.plan = plan
    }

    public var json: JSONValue {
        .object([
            ("format_version", .int(Self.formatVersion)), ("plan_id", .string(id)), ("lineage", .string(lineage)),
            ("serial", .int(serial)), ("inputs_sha256", .string(inputsHash)), ("paths", .array(paths.map(JSONValue.string))),
            ("created_at", .string(createdAt)), ("summary", .string(plan.summary)),
            ("observations", .object(plan.observations.sorted { $0.key < $1.key }.map { key, status in
                switch status {
                case .notCompleted: (key, .string("not-completed"))
                case .stoppedOutside: (key, .string("stopped-outside"))
                case .completed(let sent, let clicked): (key, .object([("sent", .int(sent)), ("clicked", .int(clicked))]))
                }
            })),
            ("actions", .array(plan.actions.map(Self.json))),
        ])
    }

    static func json(_ action: PlanAction) -> JSONValue {
        var members: [(String, JSONValue)] = [("key", .string(action.key)), ("action", .string(action.kind.rawValue)), ("reason", .string(action.reason))]
        if let id = action.id { members.append(("id", .int(id))) }
        if let from = action.movedFrom { members.append(("moved_from", .string(from))) }
        if let facts = action.facts {
            var f: [(String, JSONValue)] = [("type", .string(facts.kind.rawValue)), ("name", .string(facts.name)), ("file", .string(facts.file)), ("hash", .string(facts.hash))]
            if let when = facts.when { f.append(("when", .string(when))) }
            if let startsAt = facts.startsAt { f.append(("starts_at", .number(String(startsAt.timeIntervalSince1970)))) }
            if let date = facts.scheduledDate { f.append(("scheduled_date", .int(date))) }
            members.append(("facts", .object(f)))
        }
        members.append(("requests", .array(action.requests.map { request in
            .object([
                ("method", .string(request.method)), ("path", .string(request.path)), ("batch", .int(request.batch)),
                ("recipients", StateRecord.recipientsJSON(request.recipients)), ("body", request.body),
            ])
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
        inputsHash = inputs
        paths = json["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
        createdAt = json["created_at"]?.stringValue ?? ""
        var actions: [PlanAction] = []
        for item in json["actions"]?.arrayValue ?? [] {
            guard let key = item["key"]?.stringValue, let kind = item["action"]?.stringValue.flatMap(ActionKind.init(rawValue:)) else {
                throw DeployError("S030", "the saved plan has an unreadable action")
            }
            var action = PlanAction(key: key, kind: kind, reason: item["reason"]?.stringValue ?? "", id: item["id"]?.intValue, movedFrom: item["moved_from"]?.stringValue)
            if let f = item["facts"], let type = f["type"]?.stringValue.flatMap(StateRecord.Kind.init(rawValue:)) {
                action.facts = RecordFacts(
                    kind: type, name: f["name"]?.stringValue ?? "", file: f["file"]?.stringValue ?? "", hash: f["hash"]?.stringValue ?? "",
                    when: f["when"]?.stringValue, startsAt: f["starts_at"]?.doubleValue.map(Date.init(timeIntervalSince1970:)),
                    scheduledDate: f["scheduled_date"]?.intValue)
            }
            action.requests = (item["requests"]?.arrayValue ?? []).map { r in
                ProviderRequest(method: r["method"]?.stringValue ?? "POST", path: r["path"]?.stringValue ?? "", body: r["body"] ?? .null,
                                batch: r["batch"]?.intValue ?? 1, recipients: StateRecord.recipients(r["recipients"]))
            }
            actions.append(action)
        }
        var observations: [String: LiveStatus] = [:]
        for (key, value) in json["observations"]?.objectValue ?? [] {
            if value.stringValue == "stopped-outside" { observations[key] = .stoppedOutside }
            else if let sent = value["sent"]?.intValue, let clicked = value["clicked"]?.intValue { observations[key] = .completed(sent: sent, clicked: clicked) }
        }
        plan = Plan(actions: actions, observations: observations)
    }

    /// Why this plan cannot be applied to `state` with inputs hashing to `inputsHash`, or nil.
    public func staleness(state: EngineState, inputsHash currentInputs: String) -> DeployError? {
        if state.appliedPlans.contains(id) {
            return DeployError("S031", "this plan was applied already", hint: "run `campaign plan` again")
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
}
