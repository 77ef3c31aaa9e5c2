import CampaignModel
import Diagnostics
import Foundation
import YAMLFrontEnd

extension DocumentDecoder {
    /// `devices`, `audience`, `schedule` and `stopped` of a segment campaign on `channel` (nil: none written, a push).
    mutating func segment(_ fields: Fields, document: YAMLDocument, channel written: Channel?) -> SegmentDelivery? {
        let channel = written ?? .push
        let devices: [Device]?
        switch channel {
        case .push: devices = self.devices(fields, document: document)
        case .webpush: devices = webDevices(fields)
        case .email, .sms:
            if let keyNode = fields.keyNode("devices") {
                checker.error(CampaignDiagnosticCode.notForChannel, "`devices` is for push and web push campaigns, not \(channel == .email ? "email" : "SMS")", at: keyNode,
                              hint: "remove `devices`: \(channel == .email ? "an email" : "an SMS") reaches people, not devices")
                devices = nil
            } else {
                devices = []
            }
        }
        let audience = segmentAudience(fields, document: document)
        var schedule: Schedule?
        if let node = fields["schedule"] {
            if node.mapping != nil {
                if channel == .push {
                    schedule = delivery(node).map(Schedule.delivery)
                } else {
                    checker.error(CampaignDiagnosticCode.notForChannel, "a delivery plan (`schedule` as a mapping) is for push campaigns, not \(channel.rawValue)", at: node,
                                  hint: "write `schedule: now` or `schedule: \"YYYY-MM-DD HH:MM\"`")
                }
            } else {
                schedule = self.schedule(node)
            }
        } else {
            checker.error(CampaignDiagnosticCode.missingField, "segment campaign has no `schedule`", at: document.location,
                          hint: "add `schedule: now`, `schedule: \"2027-05-01 09:00\"` (account time zone) or an ISO 8601 time with an offset")
        }
        var stopped: Bool? = false
        if let node = fields["stopped"] { stopped = checker.bool(node, field: "stopped") }
        guard let devices, let audience, let schedule, let stopped else { return nil }
        return SegmentDelivery(devices: devices, audience: audience, schedule: schedule, stopped: stopped, channel: written)
    }

    /// A web push targets browsers: `devices` may be left out, or be `[web]`.
    private mutating func webDevices(_ fields: Fields) -> [Device]? {
        guard let node = fields["devices"] else { return [.web] }
        guard let items = checker.list(node, field: "devices", of: "`web`") else { return nil }
        let names = items.map { $0.scalar?.value ?? "" }
        guard names == ["web"] else {
            checker.error(CampaignDiagnosticCode.invalidValue, "a web push targets `devices: [web]`", at: node,
                          hint: "remove `devices` (a web push targets `web`), or write `channel: push` for a mobile push")
            return nil
        }
        return [.web]
    }

    private mutating func devices(_ fields: Fields, document: YAMLDocument) -> [Device]? {
        guard let node = fields["devices"] else {
            checker.error(CampaignDiagnosticCode.missingField, "segment campaign has no `devices`", at: document.location,
                          hint: "add e.g. `devices: [android, ios]`")
            return nil
        }
        guard let items = checker.list(node, field: "devices", of: "`android`, `ios`, `windows`") else { return nil }
        if items.isEmpty {
            checker.error(CampaignDiagnosticCode.emptyValue, "`devices` must list at least one device", at: node)
            return nil
        }
        var devices: [Device] = []
        var seen: [Device: SourceLocation] = [:]
        var failed = false
        for item in items {
            if item.scalar?.value == "web" {
                checker.error(CampaignDiagnosticCode.invalidValue, "`web` is the device of a web push", at: item,
                              hint: "write `channel: webpush` (browsers), or list `android`, `ios`, `windows` for a mobile push")
                failed = true
                continue
            }
            guard let device = checker.choice(item, field: "devices", as: MobileDevice.self)?.device else {
                failed = true
                continue
            }
            if let first = seen[device] {
                checker.error(CampaignDiagnosticCode.invalidValue, "device `\(device.rawValue)` is listed twice", at: item,
                              related: [RelatedLocation("first listed here", at: first)])
                failed = true
                continue
            }
            seen[device] = item.location
            devices.append(device)
        }
        return failed ? nil : devices
    }

    private mutating func segmentAudience(_ fields: Fields, document: YAMLDocument) -> SegmentAudience? {
        guard let node = fields["audience"] else {
            checker.error(CampaignDiagnosticCode.missingField, "segment campaign has no `audience`", at: document.location,
                          hint: "add `audience: all` for the whole user base, or filters (`event`, `from`/`to`, `profile`)")
            return nil
        }
        // `audience: all`: the whole user base, said explicitly. Any other word is a mistake; an empty audience
        // stays an error (it must never mean everyone by accident).
        if let scalar = node.scalar, !node.isNull {
            if scalar.value == "all" { return .all }
            let suggestion = Suggestions.closest(to: scalar.value, in: ["all"]) != nil ? "did you mean `all`? " : ""
            checker.error(CampaignDiagnosticCode.wrongType, "`audience` must be `all` or a mapping of filters, not \(Checker.describe(node))", at: node,
                          hint: suggestion + "write `audience: all` for the whole user base, or filters (`event`, `from`/`to`, `profile`)")
            return nil
        }
        guard let audience = checker.fields(node, what: "`audience`", allowed: CampaignFields.segmentAudience,
                                            extraHints: CampaignFields.otherTypeHints(CampaignFields.identityAudience, "lists recipients of an identity send; add `type: identity`"))
        else { return nil }
        let filters = ["event", "from", "to", "profile"].filter { audience.has($0) }
        if let allNode = audience["all"] {
            guard let all = checker.bool(allNode, field: "all") else { return nil }
            if !all {
                checker.error(CampaignDiagnosticCode.audienceConflict, "`all: false` selects nobody", at: allNode,
                              hint: "remove `all` and give filters, or write `all: true` for the whole user base")
                return nil
            }
            if let first = filters.first, let keyNode = audience.keyNode(first) {
                checker.error(CampaignDiagnosticCode.audienceConflict, "`all: true` excludes other audience filters", at: keyNode,
                              hint: "remove `all` to filter, or remove the filters to reach everyone",
                              related: [RelatedLocation("`all` is set here", at: allNode.location)])
                return nil
            }
            return .all
        }
        if filters.isEmpty {
            checker.error(CampaignDiagnosticCode.emptyAudience, "`audience` selects nobody", at: node,
                          hint: "write `audience: all` for the whole user base, or give `event`, `from`/`to` or `profile`")
            return nil
        }
        var filter = AudienceFilter()
        var failed = false
        if let eventNode = audience["event"] {
            filter.event = checker.string(eventNode, field: "event")
            if filter.event == nil { failed = true }
        }
        let from = audience["from"]
        let to = audience["to"]
        if from != nil || to != nil {
            if filter.event == nil, audience["event"] == nil, let keyNode = audience.keyNode(from != nil ? "from" : "to") {
                checker.error(CampaignDiagnosticCode.dateRangeIncomplete, "`from` and `to` need an `event`", at: keyNode,
                              hint: "the dates bound when users did `event`; add `event: …`")
                failed = true
            }
            if from == nil || to == nil, let keyNode = audience.keyNode(from != nil ? "from" : "to") {
                checker.error(CampaignDiagnosticCode.dateRangeIncomplete, "`from` and `to` come as a pair", at: keyNode,
                              hint: "add `\(from == nil ? "from" : "to"): YYYY-MM-DD`")
                failed = true
            }
            let fromDate = from.flatMap { date($0, field: "from") }
            let toDate = to.flatMap { date($0, field: "to") }
            if let fromDate, let toDate, let from, let to {
                if fromDate > toDate {
                    checker.error(CampaignDiagnosticCode.dateRangeReversed, "`from` (\(fromDate)) is after `to` (\(toDate))", at: from,
                                  related: [RelatedLocation("`to` is here", at: to.location)])
                    failed = true
                } else {
                    filter.dates = fromDate...toDate
                }
            } else {
                failed = true
            }
        }
        if let profileNode = audience["profile"] {
            if let profile = self.profile(profileNode) { filter.profile = profile } else { failed = true }
        }
        return failed ? nil : .filtered(filter)
    }

    private mutating func date(_ node: YAMLNode, field: @autoclosure () -> String) -> CalendarDate? {
        guard let text = checker.string(node, field: field()) else { return nil }
        if let date = ScheduleParser.date(text) { return date }
        let problem = ScheduleParser.looksLikeDate(text) ? "no such date" : "not a date"
        checker.error(CampaignDiagnosticCode.invalidDate, "`\(field())`: \(Quoting.code(text)) is \(problem)", at: node,
                      hint: "write dates as YYYY-MM-DD, e.g. 2026-03-31")
        return nil
    }

    /// A free-form scalar typed by YAML 1.2's core schema: booleans, numbers, otherwise strings.
    mutating func scalarValue(_ node: YAMLNode, field: @autoclosure () -> String) -> ScalarValue? {
        guard let scalar = node.scalar else {
            checker.error(CampaignDiagnosticCode.wrongType, "`\(field())` must be a string, number or boolean, not \(Checker.describe(node))", at: node)
            return nil
        }
        switch CoreSchema.type(scalar) {
        case .null:
            checker.error(CampaignDiagnosticCode.emptyValue, "`\(field())` has no value", at: node,
                          hint: "write a value, or `\"\"` for an empty string")
            return nil
        case .bool(let value):
            return .bool(value)
        case .number(let number):
            if let problem = CoreSchema.rangeProblem(number) {
                checker.error(CampaignDiagnosticCode.invalidValue, "`\(field())`: \(Quoting.code(scalar.value, limit: 40)) \(problem)", at: node,
                              hint: "quote it to send it as text")
                return nil
            }
            if CoreSchema.hasLeadingZero(scalar) {
                checker.warning(CampaignDiagnosticCode.leadingZero, "`\(Quoting.sanitize(scalar.value, limit: 30))` is read as the number \(number)", at: node.location,
                                hint: "quote it (\"\(Quoting.sanitize(scalar.value, limit: 30))\") to send the text with its leading zero")
            }
            return .number(number)
        case .nonFinite(let text):
            checker.error(CampaignDiagnosticCode.invalidValue, "`\(field())`: \(Quoting.code(text)) is not a number JSON can carry", at: node,
                          hint: "quote it to send it as text")
            return nil
        case .string(let text):
            return .string(text)
        }
    }

    /// A warning when `time` does not exist in the account's zone or happens twice there (a daylight-saving
    /// change), naming the instant plan and apply take for it. The request itself (`when`) is unchanged.
    mutating func warnAboutDaylightSaving(_ time: LocalDateTime, at node: YAMLNode) {
        let zoneName = context.settings.timezone
        // Most days have no change of offset: nothing to read (a cached answer per zone and day).
        guard ScheduleParser.offsetMayChange(on: time.date, in: zoneName), let zone = TimeZone(identifier: zoneName) else { return }
        let reading = ScheduleParser.reading(time, in: zone)
        let instant: Date
        let what: String
        switch reading {
        case .once: return
        case .skipped(let used):
            instant = used
            what = "does not exist in \(zoneName) (the clocks skip it); it is taken as"
        case .repeated(let used, let isLater):
            instant = used
            what = "happens twice in \(zoneName) (the clocks go back); the \(isLater ? "later" : "earlier") one is taken:"
        }
        let (wall, offset) = ScheduleParser.wallClock(of: instant, in: zone)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3_600
        let minutes = abs(offset) % 3_600 / 60
        let offsetText = "\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes)"
        let utc = ScheduleParser.wallClock(of: instant, in: TimeZone(secondsFromGMT: 0) ?? zone).time
        let utcText = utc.map { "\($0.date)T\($0.description.suffix(5)):00Z" } ?? "?"
        let wallText = wall.map(\.description) ?? "?"
        let example = wall.map { "\($0.date)T\($0.description.suffix(5)):00\(offsetText)" } ?? "2027-05-01T09:00:00+02:00"
        checker.warning(
            CampaignDiagnosticCode.daylightSavingSchedule,
            "`\(time)` \(what) \(wallText) (UTC\(offsetText)), \(utcText)", at: node.location,
            hint: "to name the instant yourself, give the time with its offset, e.g. `\(example)`, or pick a time that happens once")
    }

    /// `now` or a time; `inAccountZone: false` (a delivery plan in each user's zone) skips the account zone's
    /// daylight-saving warning, which says nothing about users' zones.
    mutating func schedule(_ node: YAMLNode, inAccountZone: Bool = true) -> Schedule? {
        guard let text = checker.string(node, field: "schedule") else { return nil }
        switch ScheduleParser.schedule(text, timezone: context.settings.timezone) {
        case .success(let schedule):
            if inAccountZone, case .at(let time) = schedule { warnAboutDaylightSaving(time, at: node) }
            return schedule
        case .failure(let failure):
            let message: String
            switch failure {
            case .form: message = "\(Quoting.code(text)) is not a schedule"
            case .range: message = "\(Quoting.code(text)) is not a real date and time"
            case .seconds: message = "\(Quoting.code(text)) has seconds; CleverTap schedules to the minute"
            case .timezone: message = "the project's time zone \(Quoting.code(context.settings.timezone)) is unknown"
            }
            checker.error(CampaignDiagnosticCode.invalidSchedule, message, at: node,
                          hint: "write `now`, `YYYY-MM-DD HH:MM` (in the account's time zone, \(context.settings.timezone)) or ISO 8601 with an offset, e.g. `2026-05-01T09:00:00+02:00`")
            return nil
        }
    }
}
