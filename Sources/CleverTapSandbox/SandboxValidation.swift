import JSON

/// The API's documented validation of request bodies (see the CleverTap reference).
enum SandboxValidation {
    static let devices: Set<String> = ["android", "ios", "windows"]
    static let recipientLists = ["FBID", "GPID", "Email", "Identity", "objectId"]
    static let maxRecipients = 1000

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
        let channel = body["content"]?["platform_specific"]?["android"]?["wzrk_cid"]
        guard nonEmptyString(channel) else {
            return .fail(400, "Notification channel is required for devices having Android 8.0 or above", code: 9)
        }
        return nil
    }

    /// Why a `targets/create.json` body is refused, or nil.
    static func createProblem(_ body: JSONValue) -> SandboxResponse? {
        guard nonEmptyString(body["name"]) else { return .fail(400, "Field name is empty", code: 400) }
        guard let content = body["content"], content.objectValue != nil else {
            return .fail(400, "Field content is empty", code: 400)
        }
        guard nonEmptyString(content["title"]) else { return .fail(400, "Field title is empty (inside content)", code: 400) }
        guard nonEmptyString(content["body"]) else { return .fail(400, "Field body is empty (inside content)", code: 400) }
        guard let devices = body["devices"]?.arrayValue, !devices.isEmpty else {
            return .fail(400, "Field devices is empty", code: 400)
        }
        for device in devices where !(device.stringValue.map(Self.devices.contains) ?? false) {
            return .fail(400, "Invalid device \(device.compactText)", code: 400)
        }
        guard nonEmptyString(body["when"]) else { return .fail(400, "Field when is empty", code: 400) }
        guard let clause = body["where"], clause.objectValue != nil else {
            return .fail(400, "Query specified in where failed to parse", code: 400)
        }
        let from = clause["from"]
        let to = clause["to"]
        if from != nil || to != nil {
            guard let from = from?.intValue, let to = to?.intValue else {
                return .fail(400, "Query specified in where failed to parse", code: 400)
            }
            if from > to { return .fail(400, "Query parse failure - The from date cannot be after the to date", code: 400) }
        }
        if let profile = clause["common_profile_properties"] {
            guard let fields = profile["profile_fields"]?.arrayValue,
                fields.allSatisfy({ $0["Key"]?.stringValue != nil && $0["value"] != nil })
            else { return .fail(400, "Query specified in where failed to parse", code: 400) }
        }
        if let problem = frequencyCapsProblem(body) { return problem }
        if devices.contains(.string("android")), let problem = channelProblem(body) { return problem }
        return nil
    }

    /// Why a `send/*.json` body is refused, or nil.
    static func sendProblem(_ endpoint: String, _ body: JSONValue) -> SandboxResponse? {
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
        if endpoint == "/1/send/email.json" {
            guard nonEmptyString(content["subject"]), nonEmptyString(content["body"]) else {
                return .fail(400, "Fields subject and body are required (inside content)", code: 400)
            }
        } else {
            guard nonEmptyString(content["body"]) else { return .fail(400, "Field body is empty (inside content)", code: 400) }
            if endpoint == "/1/send/push.json", let problem = channelProblem(body) { return problem }
        }
        return nil
    }
}
