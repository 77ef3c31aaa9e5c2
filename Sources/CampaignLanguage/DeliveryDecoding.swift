import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// `schedule.timezone`: whose wall clock the times are.
enum DeliveryZone: String, CaseIterable {
    case account
    case user
}

/// `schedule.when_passed`: users whose local time has already passed.
enum WhenPassed: String, CaseIterable {
    case nextDay = "next_day"
    case drop
}

extension DocumentDecoder {
    /// `schedule` as a mapping: a push's delivery plan (CleverTap's `when` object).
    ///
    /// ```yaml
    /// schedule:
    ///   times: ["2027-05-03 15:20", "2027-05-10 15:20"]   # sorted, no duplicates
    ///   timezone: user          # account (default) or user: each user's wall clock
    ///   when_passed: next_day   # user time zone only: next_day or drop
    ///   do_not_disturb: delay   # delay or discard
    ///   cutoff: "22:00"         # no delivery after this time of day
    /// ```
    mutating func delivery(_ node: YAMLNode) -> DeliverySchedule? {
        guard let plan = checker.fields(node, what: "`schedule`", allowed: CampaignFields.delivery,
                                        extraHints: ["time": "did you mean `times`? (a list, even for one time)", "at": "write `times: [\"YYYY-MM-DD HH:MM\"]`",
                                                     "dnd": "did you mean `do_not_disturb`?", "campaign_cutoff": "did you mean `cutoff`?"])
        else { return nil }
        var failed = false
        var zone = DeliveryZone.account
        if let zoneNode = plan["timezone"] {
            if let value = checker.choice(zoneNode, field: "schedule.timezone", as: DeliveryZone.self) { zone = value } else { failed = true }
        }
        var result = DeliverySchedule(times: [], inUserTimeZone: zone == .user)
        if let passedNode = plan["when_passed"] {
            if zone != .user, let keyNode = plan.keyNode("when_passed") {
                checker.error(CampaignDiagnosticCode.invalidValue, "`when_passed` needs `timezone: user`", at: keyNode,
                              hint: "in the account's time zone every user gets the same instant; in each user's, `when_passed` says what happens where that time has passed")
                failed = true
            } else if let value = checker.choice(passedNode, field: "schedule.when_passed", as: WhenPassed.self) {
                result.nextDayWhenPassed = value == .nextDay
            } else {
                failed = true
            }
        }
        if let dndNode = plan["do_not_disturb"] {
            if let value = checker.choice(dndNode, field: "schedule.do_not_disturb", as: DoNotDisturb.self) { result.doNotDisturb = value } else { failed = true }
        }
        guard let timesNode = plan["times"] else {
            checker.error(CampaignDiagnosticCode.missingField, "the delivery plan has no `times`", at: node,
                          hint: "add `times: [\"YYYY-MM-DD HH:MM\"]`; for a single time in the account's zone `schedule: \"YYYY-MM-DD HH:MM\"` is enough")
            return nil
        }
        guard let items = checker.list(timesNode, field: "schedule.times", of: "times") else { return nil }
        if items.isEmpty {
            checker.error(CampaignDiagnosticCode.emptyValue, "`schedule.times` lists no time", at: timesNode)
            return nil
        }
        var previous: (time: LocalDateTime, node: YAMLNode)?
        for item in items {
            guard let text = checker.string(item, field: "schedule.times") else {
                failed = true
                continue
            }
            if zone == .user, text.contains("T") {
                checker.error(CampaignDiagnosticCode.invalidSchedule, "\(Quoting.code(text)) names an instant, but `timezone: user` sends at each user's wall clock", at: item,
                              hint: "write `YYYY-MM-DD HH:MM` without an offset")
                failed = true
                continue
            }
            guard text != "now", let schedule = self.schedule(item, inAccountZone: zone == .account), case .at(let time) = schedule else {
                if text == "now" {
                    checker.error(CampaignDiagnosticCode.invalidSchedule, "`now` cannot be one of several send times", at: item,
                                  hint: "write `schedule: now` on its own, or give times `YYYY-MM-DD HH:MM`")
                }
                failed = true
                continue
            }
            if let previous {
                if time == previous.time {
                    checker.error(CampaignDiagnosticCode.deliveryTimes, "`\(time)` is listed twice", at: item,
                                  related: [RelatedLocation("first listed here", at: previous.node.location)])
                    failed = true
                } else if time < previous.time {
                    checker.error(CampaignDiagnosticCode.deliveryTimes, "`\(time)` comes before `\(previous.time)`", at: item,
                                  hint: "list the send times in order, earliest first",
                                  related: [RelatedLocation("the earlier entry", at: previous.node.location)])
                    failed = true
                }
            }
            previous = (time, item)
            result.times.append(time)
        }
        if let cutoffNode = plan["cutoff"], let text = checker.string(cutoffNode, field: "schedule.cutoff") {
            if let cutoff = Self.timeOfDay(text) {
                if let first = result.times.first, let firstTime = TimeOfDay(hour: first.hour, minute: first.minute), cutoff <= firstTime {
                    checker.error(CampaignDiagnosticCode.deliveryTimes, "`cutoff` \(cutoff) is not after the first send time (\(firstTime))", at: cutoffNode,
                                  hint: "the cutoff stops delivery for the day; it must come after the send time, e.g. `cutoff: \"23:00\"`")
                    failed = true
                }
                result.cutoff = cutoff
            } else {
                checker.error(CampaignDiagnosticCode.invalidSchedule, "`schedule.cutoff`: \(Quoting.code(text)) is not a time of day", at: cutoffNode,
                              hint: "write `HH:MM`, e.g. `\"22:00\"`")
                failed = true
            }
        } else if plan["cutoff"] != nil {
            failed = true
        }
        return failed ? nil : result
    }

    /// `HH:MM` (two digits each), or nil.
    static func timeOfDay(_ text: String) -> TimeOfDay? {
        let b = Array(text.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":") else { return nil }
        let digits = [b[0], b[1], b[3], b[4]].map { Int($0) - 48 }
        guard digits.allSatisfy({ (0...9).contains($0) }) else { return nil }
        return TimeOfDay(hour: digits[0] * 10 + digits[1], minute: digits[2] * 10 + digits[3])
    }
}
