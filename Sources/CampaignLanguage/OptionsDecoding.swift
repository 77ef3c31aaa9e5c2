import CampaignModel
import Diagnostics
import YAMLFrontEnd

extension DocumentDecoder {
    /// The largest control group, in percent: a larger one would leave almost nobody to send to.
    static let maximumControlGroupPercentage = 99
    /// The longest relative time to live, in minutes (a year): far beyond any push service's limit.
    static let maximumTimeToLiveMinutes = 525_600

    /// `options`: the shared request fields, and those only a segment campaign (or only a push) takes.
    mutating func options(_ fields: Fields, type: CampaignType, channel: Channel, schedule: Schedule?) -> (options: Options, tagGroupLocation: SourceLocation?) {
        guard let node = fields["options"], let options = checker.fields(node, what: "`options`", allowed: CampaignFields.options) else {
            return (Options(), nil)
        }
        var result = Options()
        for entry in options.entries {
            if type == .identity, CampaignFields.createOptions.contains(entry.name) {
                checker.error(CampaignDiagnosticCode.notForType, "`options.\(entry.name)` is for segment campaigns; an identity send takes only "
                              + CampaignFields.sharedOptions.map { "`\($0)`" }.joined(separator: ", "), at: entry.key)
                continue
            }
            if channel != .push, CampaignFields.pushOnlyOptions.contains(entry.name) {
                checker.error(CampaignDiagnosticCode.notForChannel, "`options.\(entry.name)` is for push campaigns, not \(channel.rawValue)", at: entry.key,
                              hint: "remove it, or write `channel: push`")
                continue
            }
            switch entry.name {
            case "respect_frequency_caps": result.respectFrequencyCaps = checker.bool(entry.value, field: "respect_frequency_caps")
            case "tag_group": result.tagGroup = checker.string(entry.value, field: "tag_group")
            case "provider_nick_name": result.providerNickName = checker.string(entry.value, field: "provider_nick_name")
            case "respect_throttle": result.respectThrottle = checker.bool(entry.value, field: "respect_throttle")
            case "skip_estimate": result.skipEstimate = checker.bool(entry.value, field: "skip_estimate")
            case "send_to_all_devices": result.sendToAllDevices = checker.bool(entry.value, field: "send_to_all_devices")
            case "system_control_group_include": result.systemControlGroupInclude = checker.bool(entry.value, field: "system_control_group_include")
            case "control_group": result.controlGroup = controlGroup(entry.value)
            case "ttl": result.timeToLive = timeToLive(entry.value, schedule: schedule)
            case "conversion_goal": result.conversionGoal = conversionGoal(entry.value)
            default: break
            }
        }
        return (result, options["tag_group"]?.location)
    }

    /// `control_group: {percentage: 10}` or `control_group: {custom: Name}`.
    private mutating func controlGroup(_ node: YAMLNode) -> ControlGroup? {
        guard let group = checker.fields(node, what: "`control_group`", allowed: CampaignFields.controlGroup) else { return nil }
        guard group.entries.count == 1, let entry = group.entries.first else {
            checker.error(CampaignDiagnosticCode.invalidValue, "`control_group` takes exactly one of `percentage` and `custom`", at: node,
                          hint: "`control_group: {percentage: 10}` holds back 10% of the audience; `control_group: {custom: Holdout}` uses the account's custom group")
            return nil
        }
        if entry.name == "custom" {
            return checker.string(entry.value, field: "control_group.custom").map(ControlGroup.custom)
        }
        guard let digits = checker.count(entry.value, field: "control_group.percentage", maximum: Self.maximumControlGroupPercentage), let percent = Int(digits) else { return nil }
        guard percent >= 1 else {
            checker.error(CampaignDiagnosticCode.invalidValue, "`control_group.percentage` must be 1 to \(Self.maximumControlGroupPercentage), not 0", at: entry.value,
                          hint: "remove `control_group` to hold nobody back")
            return nil
        }
        return .percentage(percent)
    }

    /// `ttl: {minutes: 1440}` or `ttl: {until: "YYYY-MM-DD HH:MM"}` (account time zone, after the send time).
    private mutating func timeToLive(_ node: YAMLNode, schedule: Schedule?) -> TimeToLive? {
        guard let ttl = checker.fields(node, what: "`ttl`", allowed: CampaignFields.timeToLive) else { return nil }
        guard ttl.entries.count == 1, let entry = ttl.entries.first else {
            checker.error(CampaignDiagnosticCode.invalidValue, "`ttl` takes exactly one of `minutes` and `until`", at: node,
                          hint: "`ttl: {minutes: 1440}` (relative) or `ttl: {until: \"2027-05-02 09:00\"}` (absolute, account time zone)")
            return nil
        }
        if entry.name == "minutes" {
            guard let digits = checker.count(entry.value, field: "ttl.minutes", maximum: Self.maximumTimeToLiveMinutes), let minutes = Int(digits) else { return nil }
            guard minutes >= 1 else {
                checker.error(CampaignDiagnosticCode.invalidValue, "`ttl.minutes` must be at least 1", at: entry.value)
                return nil
            }
            return .minutes(minutes)
        }
        guard let text = checker.string(entry.value, field: "ttl.until") else { return nil }
        guard case .success(.at(let until)) = ScheduleParser.schedule(text, timezone: context.settings.timezone) else {
            checker.error(CampaignDiagnosticCode.invalidValue, "`ttl.until`: \(Quoting.code(text)) is not a date and time", at: entry.value,
                          hint: "write `YYYY-MM-DD HH:MM` in the account's time zone (\(context.settings.timezone)), or ISO 8601 with an offset")
            return nil
        }
        let last: LocalDateTime? = switch schedule {
        case .at(let time)?: time
        case .delivery(let delivery)?: delivery.times.last
        default: nil
        }
        if let last, until <= last {
            checker.error(CampaignDiagnosticCode.invalidValue, "`ttl.until` (\(until)) is not after the campaign's last send time (\(last))", at: entry.value,
                          hint: "a message that expires before it is sent reaches nobody")
            return nil
        }
        return .until(until)
    }

    /// `conversion_goal: {event: Charged, within: 1D, revenue_property: Amount}`.
    private mutating func conversionGoal(_ node: YAMLNode) -> ConversionGoal? {
        guard let goal = checker.fields(node, what: "`conversion_goal`", allowed: CampaignFields.conversionGoal) else { return nil }
        var failed = false
        let event = goal["event"].flatMap { checker.string($0, field: "conversion_goal.event") }
        if goal["event"] == nil {
            checker.error(CampaignDiagnosticCode.missingField, "`conversion_goal` has no `event`", at: node, hint: "add `event: Charged` (the event that counts as a conversion)")
            failed = true
        }
        var window: String?
        if let node = goal["within"] {
            if let text = checker.string(node, field: "conversion_goal.within") {
                if Self.isConversionWindow(text) {
                    window = text
                } else {
                    checker.error(CampaignDiagnosticCode.invalidValue, "`conversion_goal.within`: \(Quoting.code(text)) is not a window", at: node,
                                  hint: "a number and a unit: `m` minutes, `H` hours, `D` days, `W` weeks, `M` months, e.g. `30m`, `12H`, `1D`, `2W`")
                }
            }
        } else {
            checker.error(CampaignDiagnosticCode.missingField, "`conversion_goal` has no `within`", at: node, hint: "add the conversion window, e.g. `within: 1D`")
            failed = true
        }
        let revenue = goal["revenue_property"].flatMap { checker.string($0, field: "conversion_goal.revenue_property") }
        guard !failed, let event, let window, goal["revenue_property"] == nil || revenue != nil else { return nil }
        return ConversionGoal(event: event, window: window, revenueProperty: revenue)
    }

    /// `1` to `999` followed by one of `m`, `H`, `D`, `W`, `M` (the form of the documented `1D`).
    static func isConversionWindow(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let unit = bytes.last, "mHDWM".utf8.contains(unit), (2...4).contains(bytes.count) else { return false }
        let digits = bytes.dropLast()
        return digits.first != UInt8(ascii: "0") && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
