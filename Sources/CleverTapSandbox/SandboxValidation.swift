import JSON

/// The API's documented validation of request bodies (see the CleverTap references: the brief, and the current API
/// with its confidence notes). Messages are CleverTap's where they are documented.
enum SandboxValidation {
    static let pushDevices: Set<String> = ["android", "ios", "windows"]
    static let recipientLists = ["FBID", "GPID", "Email", "Identity", "objectId"]
    static let maxRecipients = 1000
    /// The channels the sandbox builds (`target_mode`); the API's default is `push`.
    static let targetModes: Set<String> = ["push", "webpush", "email", "sms"]

    /// What an account has that requests may name.
    struct Account: Sendable {
        /// Custom control groups by name.
        var customControlGroups: Set<String>
        /// Provider nicknames by `target_mode`.
        var providers: [String: Set<String>]
    }

    private static func nonEmptyString(_ value: JSONValue?) -> Bool {
        guard let text = value?.stringValue else { return false }
        return !text.allSatisfy(\.isWhitespace)
    }

    private static func frequencyCapsProblem(_ body: JSONValue) -> SandboxResponse? {
        if let caps = body["respect_frequency_caps"], caps.boolValue == nil {
            return .fail(400, "respect_frequency_caps must be a boolean", code: 73)
        }
        return nil
    }

    private static func channelProblem(_ body: JSONValue) -> SandboxResponse? {
        // The channel id in `platform_specific.android`, or (current docs, recorded clients) at the top level.
        let channel = body["content"]?["platform_specific"]?["android"]?["wzrk_cid"] ?? body["wzrk_cid"]
        guard nonEmptyString(channel) else {
            return .fail(400, "Notification channel is required for devices having Android 8.0 or above", code: 9)
        }
        return nil
    }

    private static func invalid(_ message: String) -> SandboxResponse { .fail(400, message, code: 400) }
    private static let whereFailed = invalid("Query specified in where failed to parse")

    /// The channel of a create body: `target_mode`, `push` when absent; nil when it is not one the API takes.
    static func targetMode(_ body: JSONValue) -> String? {
        guard let value = body["target_mode"] else { return "push" }
        guard let mode = value.stringValue, targetModes.contains(mode) else { return nil }
        return mode
    }

    /// Why a `targets/create.json` body is refused, or nil. (`when` is read by the caller, which knows the time.)
    static func createProblem(_ body: JSONValue, account: Account) -> SandboxResponse? {
        guard nonEmptyString(body["name"]) else { return invalid("Field name is empty") }
        guard let mode = targetMode(body) else {
            return invalid("Invalid target_mode \(body["target_mode"]?.compactText ?? "")")
        }
        if let problem = contentProblem(body["content"], mode: mode) { return problem }
        if let problem = devicesProblem(body["devices"], mode: mode) { return problem }
        guard let when = body["when"] else { return invalid("Field when is empty") }
        if when.objectValue != nil {
            guard mode == "push" else { return invalid("Field when is invalid (an object is for push campaigns only)") }
            if let problem = whenObjectProblem(when) { return problem }
        } else if !nonEmptyString(when) {
            return invalid("Field when is empty")
        }
        if let problem = audienceProblem(body) { return problem }
        if let problem = frequencyCapsProblem(body) { return problem }
        if let problem = optionsProblem(body, mode: mode, account: account) { return problem }
        if mode == "push", body["devices"]?.arrayValue?.contains(.string("android")) == true, let problem = channelProblem(body) { return problem }
        return nil
    }

    /// The content each channel needs, with the API's messages.
    private static func contentProblem(_ content: JSONValue?, mode: String) -> SandboxResponse? {
        let object = content?.objectValue != nil ? content : nil
        switch mode {
        case "email":
            guard nonEmptyString(object?["subject"]) else { return invalid("Field subject is empty (inside content)") }
            guard nonEmptyString(object?["body"]) else { return invalid("Field body is empty (inside content)") }
            if let sender = object?["sender_name"], !nonEmptyString(sender) { return invalid("Field sender_name is empty (inside content)") }
        case "sms":
            guard nonEmptyString(object?["body"]) else { return invalid("Field body is empty (inside content)") }
        default:
            guard nonEmptyString(object?["title"]) else { return invalid("Field title is empty (inside content)") }
            guard nonEmptyString(object?["body"]) else { return invalid("Field body is empty (inside content)") }
            if let platforms = object?["platform_specific"], platforms.objectValue == nil { return invalid("Field platform_specific must be an object (inside content)") }
        }
        return nil
    }

    /// Push: `android`, `ios`, `windows`; web push: `web`; email and SMS take none (ignored if sent).
    private static func devicesProblem(_ value: JSONValue?, mode: String) -> SandboxResponse? {
        guard mode == "push" || mode == "webpush" else { return nil }
        guard let devices = value?.arrayValue, !devices.isEmpty else { return invalid("Field devices is empty") }
        for device in devices {
            let valid = mode == "webpush" ? device == .string("web") : device.stringValue.map(pushDevices.contains) ?? false
            if !valid { return invalid("Invalid device \(device.compactText)") }
        }
        return nil
    }

    /// `where` or `segment: "all"`, never both, never neither (the Node SDK's rules, the QA suite's message).
    private static func audienceProblem(_ body: JSONValue) -> SandboxResponse? {
        let clause = body["where"]
        if let segment = body["segment"] {
            guard clause == nil else { return invalid("Target does not support both where and segment") }
            guard segment.stringValue == "all" else { return invalid("segment value must be all") }
            return nil
        }
        guard let clause, clause.objectValue != nil else { return whereFailed }
        if let event = clause["event_name"], !nonEmptyString(event) { return whereFailed }
        let from = clause["from"]
        let to = clause["to"]
        if from != nil || to != nil {
            guard let from = from?.intValue, let to = to?.intValue else { return whereFailed }
            if from > to { return invalid("Query parse failure - The from date cannot be after the to date") }
        }
        if let profile = clause["common_profile_properties"] {
            guard let fields = profile["profile_fields"]?.arrayValue, fields.allSatisfy(validProfileFilter) else { return whereFailed }
        }
        if let properties = clause["event_properties"] {
            guard let items = properties.arrayValue, items.allSatisfy({ $0["name"] != nil && validFilter($0, nameKey: "name") }) else { return whereFailed }
        }
        return nil
    }

    /// `{"Key", "value"}` (the brief's form) or `{"name", "operator", "value"}` (the current form).
    static func validProfileFilter(_ item: JSONValue) -> Bool {
        guard let members = item.objectValue else { return false }
        if members.contains(where: { $0.0 == "Key" }) {
            guard item["Key"]?.stringValue != nil, let value = item["value"], isPrimitive(value) || isPrimitiveList(value) else { return false }
            return members.allSatisfy { $0.0 == "Key" || $0.0 == "value" }
        }
        return validFilter(item, nameKey: "name")
    }

    /// The operators per value type (CleverTap Query Language).
    static let stringOperators: Set<String> = ["equals", "not_equals", "contains", "does_not_contain", "exists", "does_not_exist"]
    static let numberOperators: Set<String> = ["equals", "greater_than", "greater_than_equals", "less_than", "less_than_equals"]

    /// A `{name, operator, value}` filter: a documented operator that fits the value's type; booleans are the
    /// strings "True" / "False"; a list applies its values as OR (one type); `exists`/`does_not_exist` need no value.
    static func validFilter(_ item: JSONValue, nameKey: String) -> Bool {
        guard let members = item.objectValue, members.allSatisfy({ [nameKey, "operator", "value"].contains($0.0) }),
            let name = item[nameKey]?.stringValue, !name.isEmpty, let op = item["operator"]?.stringValue
        else { return false }
        guard let value = item["value"] else { return op == "exists" || op == "does_not_exist" }
        let values = value.arrayValue ?? [value]
        guard !values.isEmpty, values.allSatisfy(isPrimitive) else { return false }
        if values.allSatisfy({ $0.stringValue != nil }) { return stringOperators.contains(op) }
        if values.allSatisfy({ if case .number = $0 { return true } else { return false } }) { return numberOperators.contains(op) }
        return false  // a JSON boolean (the form takes "True"/"False") or mixed types
    }

    private static func isPrimitive(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .number, .bool: true
        default: false
        }
    }

    private static func isPrimitiveList(_ value: JSONValue) -> Bool {
        value.arrayValue.map { !$0.isEmpty && $0.allSatisfy(isPrimitive) } ?? false
    }

    /// The documented `when` object: `type`, `delivery_date_time`, `delivery_timezone`, `user_timezone_wrap_around`,
    /// `dnd`, `campaign_cutoff`. (That the times are ahead is checked with the clock, by the caller.)
    private static func whenObjectProblem(_ when: JSONValue) -> SandboxResponse? {
        let bad = invalid("Field when is invalid")
        guard let type = when["type"]?.stringValue, type == "now" || type == "later" else { return bad }
        if let times = when["delivery_date_time"] {
            guard let list = times.arrayValue, !list.isEmpty, list.allSatisfy({ $0.stringValue.map(isWhenText) ?? false }) else { return bad }
        } else if type == "later" {
            return bad
        }
        if let zone = when["delivery_timezone"], !(zone.stringValue.map { $0 == "user" || $0 == "account" } ?? false) { return bad }
        if let wrap = when["user_timezone_wrap_around"], wrap.boolValue == nil { return bad }
        if let dnd = when["dnd"] {
            guard let state = dnd["message_state"]?.stringValue, state == "delay" || state == "discard" else { return bad }
            if let zone = dnd["dnd_timezone"], !nonEmptyString(zone) { return bad }
        }
        if let cutoff = when["campaign_cutoff"] {
            guard let text = cutoff.stringValue, isTimeOfDay(text) else { return bad }
        }
        return nil
    }

    /// `YYYYMMDD HH:MM` by form (the calendar is checked by the caller).
    static func isWhenText(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 14, b[8] == UInt8(ascii: " "), b[11] == UInt8(ascii: ":") else { return false }
        return b.enumerated().allSatisfy { index, byte in index == 8 || index == 11 || (byte >= 48 && byte <= 57) }
    }

    static func isTimeOfDay(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":"), [b[0], b[1], b[3], b[4]].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return (Int(b[0] - 48) * 10 + Int(b[1] - 48)) < 24 && (Int(b[3] - 48) * 10 + Int(b[4] - 48)) < 60
    }

    /// Types of the optional create fields, and the account's control groups and providers.
    private static func optionsProblem(_ body: JSONValue, mode: String, account: Account) -> SandboxResponse? {
        for flag in ["estimate_only", "respect_throttle", "skip_estimate", "send_to_all_devices", "system_control_group_include"] {
            if let value = body[flag], value.boolValue == nil { return invalid("Field \(flag) must be a boolean") }
        }
        if let problem = providerProblem(body, mode: mode, account: account) { return problem }
        if let group = body["control_group"] {
            switch group["type"]?.stringValue {
            case "campaign":
                guard let percent = group["percentage"]?.intValue, (1...100).contains(percent) else {
                    return invalid("Field control_group.percentage must be an integer from 1 to 100")
                }
            case "custom":
                guard let name = group["name"]?.stringValue, !name.isEmpty else { return invalid("Field control_group.name is empty") }
                guard account.customControlGroups.contains(name) else { return invalid("No custom control group with name \(name) is defined") }
            default:
                return invalid("Field control_group.type must be campaign or custom")
            }
        }
        if let ttl = body["ttl"] {
            if let minutes = ttl.intValue {
                // The older top-level integer form.
                guard minutes > 0 else { return invalid("Field ttl is invalid") }
            } else {
                guard let type = ttl["ttl_type"]?.stringValue, let value = ttl["value"]?.intValue else { return invalid("Field ttl is invalid") }
                switch type {
                case "relative": guard value > 0 else { return invalid("Field ttl is invalid") }
                case "absolute": guard (100_001_010_000...999_912_312_359).contains(value) else { return invalid("Field ttl is invalid") }
                default: return invalid("Field ttl is invalid")
                }
            }
        }
        if let goal = body["conversion_goal"] {
            guard goal.objectValue != nil, nonEmptyString(goal["event_name"]) else { return invalid("Field conversion_goal.event_name is empty") }
            for field in ["conversion_time", "revenue_property"] {
                if let value = goal[field], !nonEmptyString(value) { return invalid("Field conversion_goal.\(field) is invalid") }
            }
            if let filter = goal["filter_type"], filter.objectValue == nil { return invalid("Field conversion_goal.filter_type is invalid") }
        }
        if let tag = body["tag_group"], tag.stringValue == nil { return invalid("Field tag_group must be a string") }
        return nil
    }

    /// `provider_nick_name` names one of the account's providers of the channel.
    private static func providerProblem(_ body: JSONValue, mode: String, account: Account) -> SandboxResponse? {
        guard let value = body["provider_nick_name"] else { return nil }
        guard let name = value.stringValue, account.providers[mode]?.contains(name) == true else {
            return invalid("InCorrect provider_nick_name!")
        }
        return nil
    }

    /// The channel an identity send's endpoint stands for.
    static func sendMode(_ endpoint: String) -> String {
        switch endpoint {
        case "/1/send/email.json": "email"
        case "/1/send/webpush.json": "webpush"
        case "/1/send/sms.json": "sms"
        default: "push"
        }
    }

    /// Why a `send/*.json` body is refused, or nil.
    static func sendProblem(_ endpoint: String, _ body: JSONValue, account: Account) -> SandboxResponse? {
        guard let to = body["to"]?.objectValue, !to.isEmpty else {
            return .fail(400, "Field to is mandatory", code: 21)
        }
        var count = 0
        for (key, list) in to {
            guard recipientLists.contains(key), let items = list.arrayValue,
                items.allSatisfy({ $0.stringValue.map { !$0.isEmpty } ?? false })
            else { return .fail(400, "Invalid recipients in to.\(key)", code: 84) }
            count += items.count
        }
        if count == 0 { return .fail(400, "Field to is mandatory", code: 21) }
        if count > maxRecipients {
            return .fail(400, "Invalid recipients: \(count) in one request; at most \(maxRecipients)", code: 84)
        }
        if let problem = frequencyCapsProblem(body) { return problem }
        guard let content = body["content"], content.objectValue != nil else {
            return .fail(400, "Field content is empty", code: 400)
        }
        let mode = sendMode(endpoint)
        switch mode {
        case "email":
            guard nonEmptyString(content["subject"]), nonEmptyString(content["body"]) else {
                return .fail(400, "Fields subject and body are required (inside content)", code: 400)
            }
            if let sender = content["sender_name"], !nonEmptyString(sender) { return invalid("Field sender_name is empty (inside content)") }
        default:
            guard nonEmptyString(content["body"]) else { return .fail(400, "Field body is empty (inside content)", code: 400) }
            if mode == "push", let problem = channelProblem(body) { return problem }
        }
        if let tag = body["tag_group"], tag.stringValue == nil { return invalid("Field tag_group must be a string") }
        return providerProblem(body, mode: mode, account: account)
    }
}
