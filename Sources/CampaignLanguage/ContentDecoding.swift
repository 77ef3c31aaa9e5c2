import CampaignModel
import Diagnostics
import YAMLFrontEnd

extension DocumentDecoder {
    /// `content`: `title` and `body` for a push, `subject` and `body` for an email.
    mutating func content(_ fields: Fields, document: YAMLDocument, isEmail: Bool) -> Content? {
        let required = isEmail ? CampaignFields.emailContent : CampaignFields.pushContent
        guard let node = fields["content"] else {
            checker.error(CampaignDiagnosticCode.missingField, "campaign has no `content`", at: document.location,
                          hint: "add `content:` with " + required.map { "`\($0)`" }.joined(separator: " and "))
            return nil
        }
        let hints = isEmail
            ? ["title": "an email has a `subject`, not a `title`"]
            : ["subject": "a push has a `title`; `subject` is for `channel: email`"]
        guard let content = checker.fields(node, what: "`content`", allowed: required, extraHints: hints) else { return nil }
        var values: [String] = []
        for field in required {
            guard let value = content[field] else {
                checker.error(CampaignDiagnosticCode.missingField, "`content` has no `\(field)`", at: node)
                continue
            }
            if let text = checker.string(value, field: field) { values.append(text) }
        }
        guard values.count == 2 else { return nil }
        return isEmail ? .email(subject: values[0], body: values[1]) : .push(title: values[0], body: values[1])
    }

    /// Typed keys of each platform: the type the value must have and how the API takes it.
    private enum PlatformKeyType {
        case string
        /// A boolean sent as the string "true"/"false" (iOS `mutable-content`).
        case boolAsString
        case bool
        /// A whole number from 0 to `maximum`.
        case count(maximum: Int)
    }

    /// The largest `badge_count`: far above any badge an app shows, and an integer every JSON reader keeps exactly.
    static let maximumBadgeCount = 1_000_000

    private static let typedKeys: [Platform: [String: PlatformKeyType]] = [
        .ios: ["mutable-content": .boolAsString, "badge_count": .count(maximum: DocumentDecoder.maximumBadgeCount), "sound_file": .string, "category": .string, "deep_link": .string],
        .android: ["wzrk_cid": .string, "default_sound": .bool, "background_image": .string, "large_icon": .string, "deep_link": .string],
        .windows: [:],
    ]

    /// `platform_specific`: per platform, typed keys checked and converted, other keys passed through typed.
    mutating func platformSpecific(_ fields: Fields, document: YAMLDocument, delivery: Delivery?, type: CampaignType, channel: Channel) -> PlatformSpecific? {
        var result = PlatformSpecific()
        var failed = false
        let devices: [Device]? = {
            if case .segment(let segment) = delivery { return segment.devices }
            return nil
        }()
        if let node = fields["platform_specific"] {
            if type == .identity, channel == .email, let keyNode = fields.keyNode("platform_specific") {
                if keyNode.location.file == file {
                    checker.error(CampaignDiagnosticCode.notForType, "`platform_specific` is for push notifications, not email", at: keyNode)
                    return nil
                }
            }
            guard let platforms = checker.fields(node, what: "`platform_specific`", allowed: CampaignFields.platforms) else { return nil }
            for entry in platforms.entries {
                guard let platform = Platform(rawValue: entry.name) else { continue }
                let fromDefaults = entry.key.location.file != file
                if let devices, !devices.contains(platform.device) {
                    // Defaults may cover platforms a campaign does not target: drop those quietly.
                    if fromDefaults, entry.value.mapping?.allSatisfy({ $0.key.location.file != file }) ?? true { continue }
                    checker.warning(CampaignDiagnosticCode.platformNotInDevices, "`\(platform.rawValue)` settings, but `\(platform.rawValue)` is not in `devices`", at: entry.key.location,
                                    hint: "add `\(platform.rawValue)` to `devices`, or remove these settings")
                }
                guard let settings = checker.fields(entry.value, what: "`platform_specific.\(platform.rawValue)`", allowed: nil) else {
                    failed = true
                    continue
                }
                var entries: [(key: String, value: ScalarValue)] = []
                for setting in settings.entries {
                    // The field's name is made only for a message (this runs for every setting of every campaign).
                    let field = { "\(platform.rawValue).\(setting.name)" }
                    let value: ScalarValue?
                    switch Self.typedKeys[platform]?[setting.name] {
                    case .string?: value = checker.string(setting.value, field: field()).map(ScalarValue.string)
                    case .bool?: value = checker.bool(setting.value, field: field()).map(ScalarValue.bool)
                    case .boolAsString?: value = checker.bool(setting.value, field: field()).map { .string($0 ? "true" : "false") }
                    case .count(let maximum)?: value = checker.count(setting.value, field: field(), maximum: maximum).map(ScalarValue.number)
                    case nil: value = scalarValue(setting.value, field: field())
                    }
                    if let value { entries.append((setting.name, value)) } else { failed = true }
                }
                result.platforms.append((platform, entries))
            }
        }
        // Android 8+ needs a notification channel; CleverTap answers HTTP 400 (code 9) without one.
        let needsChannel = (devices?.contains(.android) ?? false) || (type == .identity && channel == .push)
        if needsChannel, !failed, result.value("wzrk_cid", for: .android) == nil {
            let at = fields.keyNode("platform_specific")?.location ?? fields.keyNode("devices")?.location ?? document.location
            checker.error(CampaignDiagnosticCode.missingNotificationChannel,
                          type == .identity ? "an identity push needs `platform_specific.android.wzrk_cid`" : "Android campaigns need `platform_specific.android.wzrk_cid`",
                          at: at,
                          hint: "set the Android notification channel id, here or once for all campaigns in project.yaml `defaults`; CleverTap rejects the request without it (HTTP 400, code 9)")
            return nil
        }
        return failed ? nil : result
    }
}
