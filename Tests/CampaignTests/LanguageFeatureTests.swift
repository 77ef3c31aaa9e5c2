import CampaignLanguage
import CampaignModel
import CleverTapCompiler
import CleverTapProvider
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace

/// Issue 13, points 2–5: profile operators, `audience: all`, a push's delivery plan, and the create options.
@Suite("Campaign language: operators, audience all, delivery plans, options")
struct LanguageFeatureTests {
    func load(_ text: String, project: String? = nil) throws -> LoadedCampaigns {
        try ProjectFixture(campaign: text, project: project).load()
    }

    func segment(audience: String = "all", schedule: String = "now", options: String = "") -> String {
        "name: C\ndevices: [ios]\naudience: \(audience)\ncontent: {title: T, body: B}\nschedule: \(schedule)\n" + (options.isEmpty ? "" : "options: \(options)\n")
    }

    func profile(_ lines: String) -> String {
        "name: C\ndevices: [ios]\naudience:\n  profile:\n\(lines)content: {title: T, body: B}\nschedule: now\n"
    }

    // MARK: operators

    @Test func equalityOnlyListsKeepTheBriefsForm() throws {
        let loaded = try load(profile("    Tier: Gold\n    Newsletter: true\n    Orders: 3\n"))
        #expect(loaded.requests.first?.body["where"]?.compactText
            == #"{"common_profile_properties":{"profile_fields":[{"Key":"Tier","value":"Gold"},{"Key":"Newsletter","value":true},{"Key":"Orders","value":3}]}}"#)
    }

    @Test func anyOperatorMakesEveryConditionTheCurrentForm() throws {
        let loaded = try load(profile("""
                Tier: Gold
                Newsletter: true
                Orders: {operator: greater_than, value: 3}
                Phone: {operator: exists}
                City: {operator: equals, value: [Berlin, Hamburg]}
                Opted In: {operator: equals, value: false}

            """))
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        #expect(loaded.requests.first?.body["where"]?["common_profile_properties"]?["profile_fields"]?.compactText
            == #"[{"name":"Tier","operator":"equals","value":"Gold"},{"name":"Newsletter","operator":"equals","value":"True"},{"name":"Orders","operator":"greater_than","value":3},{"name":"Phone","operator":"exists"},{"name":"City","operator":"equals","value":["Berlin","Hamburg"]},{"name":"Opted In","operator":"equals","value":"False"}]"#)
    }

    @Test func aWrongOperatorForTheValuesTypeNamesTheAllowedOnes() throws {
        let loaded = try load(profile("""
                City: {operator: greater_than, value: Berlin}
                Orders: {operator: contains, value: 3}
                Newsletter: {operator: not_equals, value: true}

            """))
        #expect(loaded.codes == ["C025", "C025", "C025"])
        let messages = loaded.errors.map(\.message)
        #expect(messages[0] == "`greater_than` does not apply to string `Berlin`")
        #expect(loaded.errors[0].hint?.hasPrefix("for strings use `equals`, `not_equals`, `contains`, `does_not_contain`, `exists`, `does_not_exist`") == true)
        #expect(loaded.errors[1].hint == "for numbers use `equals`, `greater_than`, `greater_than_equals`, `less_than`, `less_than_equals`")
        #expect(loaded.errors[2].hint == "for booleans use `equals`")
    }

    @Test func unknownOperatorsSuggestAndUndocumentedOnesAreRefused() throws {
        let loaded = try load(profile("""
                A: {operator: greater_then, value: 1}
                B: {operator: between, value: [1, 5]}
                C: {operator: not_contains, value: x}
                D: {operator: exists, value: x}
                E: {value: x}
                F: {operator: equals, value: [1, x]}
                G: {operator: equals, value: []}
                H: {operator: equals, valu: 1}

            """))
        #expect(loaded.codes == ["C025", "C025", "C025", "C004", "C003", "C004", "C005", "C003", "C001"])
        #expect(loaded.errors[0].hint?.hasPrefix("did you mean `greater_than`?") == true)
        #expect(loaded.errors[1].hint?.contains("no `between`") == true)
        #expect(loaded.errors[2].hint?.hasPrefix("did you mean `does_not_contain`?") == true)
        #expect(loaded.errors[3].message == "`exists` takes no `value`")
        #expect(loaded.errors[8].hint == "did you mean `value`?")
    }

    @Test func aListInTheShorthandPointsToTheOperatorForm() throws {
        let loaded = try load(profile("    Tier: [Gold, Platinum]\n"))
        #expect(loaded.codes == ["C002"])
        #expect(loaded.errors.first?.hint == "to match any of several values write `Tier: {operator: equals, value: [\u{2026}]}`")
    }

    // MARK: audience all

    @Test func audienceAllIsTheWholeUserBase() throws {
        let loaded = try load(segment(audience: "all"))
        #expect(loaded.requests.first?.body["where"]?.compactText == "{}")
        // The older spelling compiles to the same request.
        let older = try load(segment(audience: "{all: true}"))
        #expect(older.requests.first?.body.compactText == loaded.requests.first?.body.compactText)
    }

    @Test func anEmptyOrMisspelledAudienceStaysAnError() throws {
        #expect(try load(segment(audience: "")).codes == ["C002"])
        #expect(try load(segment(audience: "{}")).codes == ["C024"])
        let misspelled = try load(segment(audience: "al"))
        #expect(misspelled.codes == ["C002"])
        #expect(misspelled.errors.first?.hint?.hasPrefix("did you mean `all`?") == true)
        #expect(try load(segment(audience: "everyone")).codes == ["C002"])
    }

    // MARK: delivery plans

    @Test func aDeliveryPlanCompilesToTheWhenObject() throws {
        let loaded = try load(segment(schedule: """

              times: ["2030-05-03 15:20", "2030-05-04 15:20"]
              timezone: user
              when_passed: next_day
              do_not_disturb: delay
              cutoff: "18:00"
            """))
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        #expect(loaded.requests.first?.body["when"]?.compactText
            == #"{"type":"later","delivery_date_time":["20300503 15:20","20300504 15:20"],"delivery_timezone":"user","user_timezone_wrap_around":true,"dnd":{"message_state":"delay","dnd_timezone":"user"},"campaign_cutoff":"18:00"}"#)
        let account = try load(segment(schedule: "{times: [\"2030-05-03T15:20:00Z\"], do_not_disturb: discard}"), project: "timezone: Europe/Berlin\n")
        #expect(account.requests.first?.body["when"]?.compactText == #"{"type":"later","delivery_date_time":["20300503 17:20"],"dnd":{"message_state":"discard","dnd_timezone":"user"}}"#)
    }

    @Test func daylightSavingWarningsOnlyForTheAccountsZone() throws {
        let project = "timezone: Europe/Berlin\n"
        let account = try load(segment(schedule: "{times: [\"2030-03-31 02:30\"]}"), project: project)
        #expect(account.codes == ["C051"])
        let user = try load(segment(schedule: "{times: [\"2030-03-31 02:30\"], timezone: user}"), project: project)
        #expect(user.diagnostics.isEmpty)
    }

    @Test func deliveryTimesAreSortedUniqueAndTheCutoffComesAfterTheFirst() throws {
        let loaded = try load(segment(schedule: """

              times: ["2030-05-04 10:00", "2030-05-03 10:00", "2030-05-03 10:00"]
              cutoff: "09:00"
            """))
        #expect(loaded.codes == ["C052", "C052", "C052"])
        #expect(loaded.errors[0].message == "`2030-05-03 10:00` comes before `2030-05-04 10:00`")
        #expect(loaded.errors[1].message == "`2030-05-03 10:00` is listed twice")
        #expect(loaded.errors[2].message == "`cutoff` 09:00 is not after the first send time (10:00)")
    }

    @Test func deliveryPlanDiagnostics() throws {
        let loaded = try load(segment(schedule: """

              times: [now, "2030-05-03T10:00:00+02:00", "2030-13-01 10:00"]
              timezone: user
              when_passed: later
              do_not_disturb: hold
              cutoff: "9:00"
            """))
        #expect(loaded.codes == ["C050", "C050", "C050", "C004", "C004", "C050"])
        let noTimes = try load(segment(schedule: "{time: \"2030-01-01 10:00\", when_passed: drop}"))
        #expect(noTimes.codes == ["C003", "C001", "C004"])
        #expect(noTimes.errors[1].hint == "did you mean `times`? (a list, even for one time)")
        #expect(noTimes.errors[2].message == "`when_passed` needs `timezone: user`")
    }

    /// Times in the future are checked when planning, like any schedule: the plan's start is the first time, and
    /// in the user's time zone that wall clock where it comes first (UTC+14).
    @Test func aDeliveryPlanStartsAtItsFirstTime() throws {
        let account = try load(segment(schedule: "{times: [\"2030-05-03 10:00\", \"2030-05-04 10:00\"]}"), project: "timezone: Europe/Berlin\n")
        let user = try load(segment(schedule: "{times: [\"2030-05-03 10:00\"], timezone: user}"), project: "timezone: Europe/Berlin\n")
        let inAccount = try #require(CleverTapBinding.desired(account.campaigns, timezone: "Europe/Berlin").first)
        let inUser = try #require(CleverTapBinding.desired(user.campaigns, timezone: "Europe/Berlin").first)
        #expect(inAccount.startsAt?.formatted(.iso8601) == "2030-05-03T08:00:00Z")
        #expect(inAccount.schedule == "2030-05-03 10:00 Europe/Berlin (+1 more)")
        #expect(inUser.startsAt?.formatted(.iso8601) == "2030-05-02T20:00:00Z")
        #expect(inUser.schedule == "2030-05-03 10:00 in each user's time zone")
        #expect(inUser.facts.contains { $0.name == "scheduled_date" && $0.value == "20300503" })
    }

    // MARK: options

    @Test func optionsCompileAfterTheOlderOnesEachOnlyWhenSet() throws {
        let loaded = try load(segment(schedule: "\"2030-06-01 09:00\"", options: """
            {tag_group: g, respect_frequency_caps: false, provider_nick_name: P, respect_throttle: true, skip_estimate: false, send_to_all_devices: true, control_group: {custom: Holdout}, system_control_group_include: true, ttl: {until: "2030-06-02 09:00"}, conversion_goal: {event: Charged, within: 2H}}
            """))
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        let body = try #require(loaded.requests.first?.body)
        #expect(body.objectValue?.map(\.0) == [
            "name", "where", "content", "devices", "when", "tag_group", "respect_frequency_caps", "provider_nick_name", "respect_throttle", "skip_estimate",
            "send_to_all_devices", "control_group", "system_control_group_include", "ttl", "conversion_goal",
        ])
        #expect(body["control_group"]?.compactText == #"{"type":"custom","name":"Holdout"}"#)
        #expect(body["ttl"]?.compactText == #"{"ttl_type":"absolute","value":203006020900}"#)
        #expect(body["conversion_goal"]?.compactText == #"{"event_name":"Charged","conversion_time":"2H"}"#)
        let percentage = try load(segment(options: "{control_group: {percentage: 10}, ttl: {minutes: 1440}, conversion_goal: {event: Charged, within: 1D, revenue_property: Amount}}"))
        #expect(percentage.requests.first?.body["control_group"]?.compactText == #"{"type":"campaign","percentage":10}"#)
        #expect(percentage.requests.first?.body["ttl"]?.compactText == #"{"ttl_type":"relative","value":1440}"#)
        #expect(percentage.requests.first?.body["conversion_goal"]?.compactText == #"{"event_name":"Charged","conversion_time":"1D","revenue_property":"Amount"}"#)
    }

    @Test func optionDiagnostics() throws {
        let loaded = try load(segment(schedule: "\"2030-06-01 09:00\"", options: """
            {respect_throttle: yes, control_group: {percentage: 0}, ttl: {until: "2030-06-01 08:00"}, conversion_goal: {event: Charged, within: 1 day}, skip_estimat: true}
            """))
        #expect(loaded.codes == ["C002", "C004", "C004", "C004", "C001"])
        #expect(loaded.errors[3].hint?.contains("`30m`, `12H`, `1D`, `2W`") == true)
        #expect(loaded.errors[4].hint == "did you mean `skip_estimate`?")
        let both = try load(segment(options: "{control_group: {percentage: 5, custom: X}, ttl: {minutes: 0}}"))
        #expect(both.codes == ["C004", "C004"])
    }

    @Test func optionsThatDoNotFitTheTypeOrChannelAreErrors() throws {
        let identity = try load("name: S\ntype: identity\naudience: {identity: [u]}\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\noptions: {respect_throttle: true, provider_nick_name: P}\n")
        #expect(identity.codes == ["C006"])
        let email = try load("name: E\nchannel: email\naudience: all\ncontent: {subject: S, body: B, sender_name: N}\nschedule: now\noptions: {ttl: {minutes: 5}, send_to_all_devices: true}\n")
        #expect(email.codes == ["C008", "C008"])
        #expect(email.errors.first?.message == "`options.ttl` is for push campaigns, not email")
    }
}
