import CampaignModel
import Diagnostics
import YAMLFrontEnd

extension DocumentDecoder {
    /// `content` per channel: `title` and `body` (push, web push); `subject`, HTML `body` and `sender_name` (email;
    /// `sender_name` required for segment campaigns, optional for identity sends, which had no such field before);
    /// `body` and the opt-in `dlt` ids (SMS).
    mutating func content(_ fields: Fields, document: YAMLDocument, channel: Channel, type: CampaignType) -> (content: Content, options: ContentOptions)? {
        let allowed: [String]
        let required: [String]
        switch channel {
        case .push, .webpush: (allowed, required) = (CampaignFields.pushContent, CampaignFields.pushContent)
        case .email: (allowed, required) = (CampaignFields.emailContent, type == .segment ? CampaignFields.emailContent : ["subject", "body"])
        case .sms: (allowed, required) = (CampaignFields.smsContent, ["body"])
        }
        guard let node = fields["content"] else {
            checker.error(CampaignDiagnosticCode.missingField, "campaign has no `content`", at: document.location,
                          hint: "add `content:` with " + required.map { "`\($0)`" }.joined(separator: " and "))
            return nil
        }
        guard let content = checker.fields(node, what: "`content`", allowed: allowed, extraHints: Self.contentHints(channel)) else { return nil }
        // By position in `allowed` (title, body | subject, body, sender_name | body): no dictionary per campaign.
        var values = [String?](repeating: nil, count: allowed.count)
        var failed = false
        for (index, field) in allowed.enumerated() where field != "dlt" {
            guard let value = content[field] else {
                if required.contains(field) {
                    let why = field == "sender_name" ? " (the name the email comes from)" : ""
                    checker.error(CampaignDiagnosticCode.missingField, "`content` has no `\(field)`\(why)", at: node,
                                  hint: field == "sender_name" ? "add e.g. `sender_name: Example Shop`" : nil)
                    failed = true
                }
                continue
            }
            if let text = checker.string(value, field: field) { values[index] = text } else { failed = true }
        }
        var options = ContentOptions(senderName: channel == .email ? values[2] : nil)
        if let dltNode = content["dlt"] {
            if let dlt = checker.fields(dltNode, what: "`content.dlt`", allowed: CampaignFields.dlt) {
                options.dltTemplateID = dlt["template_id"].flatMap { checker.string($0, field: "dlt.template_id") }
                options.dltEntityID = dlt["entity_id"].flatMap { checker.string($0, field: "dlt.entity_id") }
                if dlt["template_id"] == nil {
                    checker.error(CampaignDiagnosticCode.missingField, "`content.dlt` has no `template_id`", at: dltNode,
                                  hint: "give the DLT template id registered for this text (and `entity_id`), or remove `dlt`")
                    failed = true
                }
            } else {
                failed = true
            }
        }
        guard !failed else { return nil }
        switch channel {
        case .push, .webpush:
            guard let title = values[0], let body = values[1] else { return nil }
            return (.push(title: title, body: body), options)
        case .email:
            guard let subject = values[0], let body = values[1] else { return nil }
            return (.email(subject: subject, body: body), options)
        case .sms:
            guard let body = values[0] else { return nil }
            return (.sms(body: body), options)
        }
    }

    /// Typed keys of each platform: the type the value must have and how the API takes it.
    private enum PlatformKeyType {
        case string
        /// A boolean sent as the string "true"/"false" (iOS `mutable-content`).
        case boolAsString
        case bool
        /// A whole number from 0 to `maximum`.
        case count(maximum: Int)
        /// A mapping of scalars (KaiOS `kaiosKV`).
        case flatMapping
    }

    /// The largest `badge_count`: far above any badge an app shows, and an integer every JSON reader keeps exactly.
    static let maximumBadgeCount = 1_000_000

    /// The largest per-browser `ttl` of a web push (the unit is not documented; a year in seconds).
    static let maximumBrowserTTL = 31_536_000

    private static let typedKeys: [Platform: [String: PlatformKeyType]] = [
        .ios: ["mutable-content": .boolAsString, "badge_count": .count(maximum: DocumentDecoder.maximumBadgeCount), "sound_file": .string, "category": .string, "deep_link": .string],
        .android: ["wzrk_cid": .string, "default_sound": .bool, "background_image": .string, "large_icon": .string, "deep_link": .string],
        .windows: [:],
        .safari: ["deep_link": .string, "ttl": .count(maximum: DocumentDecoder.maximumBrowserTTL)],
        .chrome: [
            "image": .string, "icon": .string, "deep_link": .string, "ttl": .count(maximum: DocumentDecoder.maximumBrowserTTL), "require_interaction": .bool,
            "cta_title1": .string, "cta_link1": .string, "cta_iconlink1": .string,
        ],
        .firefox: ["icon": .string, "deep_link": .string, "ttl": .count(maximum: DocumentDecoder.maximumBrowserTTL)],
        .kaios: ["icon": .string, "ttl": .count(maximum: DocumentDecoder.maximumBrowserTTL), "kaiosKV": .flatMapping],
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
            let allowed = CampaignFields.platforms(for: channel)
            if allowed.isEmpty, let keyNode = fields.keyNode("platform_specific") {
                if keyNode.location.file == file {
                    let code = type == .identity && channel == .email ? CampaignDiagnosticCode.notForType : CampaignDiagnosticCode.notForChannel
                    checker.error(code, "`platform_specific` is for push notifications, not \(channel == .email ? "email" : "SMS")", at: keyNode,
                                  hint: "remove it; \(channel == .email ? "an email" : "an SMS") has only `content`")
                    return nil
                }
                return PlatformSpecific()
            }
            // Settings for the other kind of push that come from defaults are dropped quietly (the mapping is rebuilt
            // only when there are such settings: this runs for every campaign).
            let otherKind = channel == .webpush ? CampaignFields.pushPlatformNames : CampaignFields.webPlatformNames
            var own = node
            if context.defaults?["platform_specific"] != nil, let pairs = node.mapping, pairs.contains(where: { otherKind.contains($0.key.scalar?.value ?? "") && $0.key.location.file != file }) {
                own = YAMLNode(.mapping(YAMLMapping(pairs.filter { pair in
                    !(otherKind.contains(pair.key.scalar?.value ?? "") && pair.key.location.file != file)
                })), at: node.location, tag: node.tag)
            }
            guard let platforms = checker.fields(own, what: "`platform_specific`", allowed: channel == .webpush ? CampaignFields.webPlatformNames : CampaignFields.pushPlatformNames,
                                                 extraHints: Self.otherKindHints(channel))
            else { return nil }
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
                    case .flatMapping?: value = flatObject(setting.value, field: field())
                    case nil: value = scalarValue(setting.value, field: field())
                    }
                    if let value { entries.append((setting.name, value)) } else { failed = true }
                }
                result.platforms.append((platform, entries))
            }
        }
        // Android 8+ needs a notification channel; CleverTap answers HTTP 400 (code 9) without one.
        let needsChannel = channel == .push && ((devices?.contains(.android) ?? false) || type == .identity)
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

    /// Hints for keys of another channel's content.
    static func contentHints(_ channel: Channel) -> [String: String] {
        switch channel {
        case .email: ["title": "an email has a `subject`, not a `title`", "sender": "did you mean `sender_name`?"]
        case .sms: ["title": "an SMS has only a `body`", "subject": "an SMS has only a `body`; `subject` is for `channel: email`"]
        case .push, .webpush: ["subject": "a push has a `title`; `subject` is for `channel: email`", "sender_name": "`sender_name` is for `channel: email`"]
        }
    }

    /// Hints for the other kind of push's platforms (`android` in a web push, `chrome` in a push).
    static func otherKindHints(_ channel: Channel) -> [String: String] {
        let names = channel == .webpush ? CampaignFields.pushPlatformNames : CampaignFields.webPlatformNames
        return Dictionary(uniqueKeysWithValues: names.map { name in
            (name, channel == .webpush ? "`\(name)` is a mobile platform; a web push (`channel: webpush`) takes `chrome`, `firefox`, `safari`, `kaios`"
                : "`\(name)` is a browser; write `channel: webpush` for a web push")
        })
    }

    /// A mapping of scalars (typed by the core schema), e.g. KaiOS `kaiosKV`.
    private mutating func flatObject(_ node: YAMLNode, field: String) -> ScalarValue? {
        guard let pairs = checker.fields(node, what: "`\(field)`", allowed: nil) else { return nil }
        var entries: [(key: String, value: ScalarValue)] = []
        var failed = false
        for pair in pairs.entries {
            if let value = scalarValue(pair.value, field: "\(field).\(pair.name)") { entries.append((pair.name, value)) } else { failed = true }
        }
        return failed ? nil : .object(ScalarObject(entries))
    }
}
