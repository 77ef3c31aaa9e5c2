import CampaignEngine
@testable import CampaignDeploy
@testable import CleverTapProvider
import CampaignCommands
import CampaignModel
import CleverTapCompiler
import Foundation
import JSON
import Testing

@Suite("Plan rendering and pure planning")
struct PlanRenderingTests {
    func bigPlan(_ count: Int) -> Plan {
        Plan(actions: (0..<count).map { index in
            PlanAction(key: "promos/campaign-\(index)", kind: .create, reason: "new campaign, scheduled for 20300101 10:00",
                       requests: [ProviderRequest(path: "/1/targets/create.json", body: .object([("name", .string("Campaign \(index)"))]))])
        })
    }

    @Test func markdownPutsTheSummaryFirstAndStaysUnderTheLimit() {
        let small = PlanRenderer.markdown(bigPlan(2))
        #expect(small.hasPrefix("### Campaign plan\n\n**Plan: 2 to create"))
        #expect(small.contains("<details><summary><code>promos/campaign-0</code>"))
        #expect(!small.contains("output cut"))
        let huge = PlanRenderer.markdown(bigPlan(3000))
        #expect(huge.count < PlanRenderer.markdownLimit)
        #expect(huge.contains("output cut to stay under 60000 characters"))
        #expect(huge.contains("**Plan: 3000 to create"))
    }

    @Test func textAndJSON() throws {
        var plan = bigPlan(1)
        plan.actions.append(PlanAction(key: "x", kind: .refused, reason: "because"))
        let text = PlanRenderer.text(plan, colors: false)
        #expect(text == "+ promos/campaign-0: create — new campaign, scheduled for 20300101 10:00\n! x: refused — because\nPlan: 1 to create, 0 to send, 0 to stop, 0 to replace, 0 unchanged, 1 refused\n")
        #expect(PlanRenderer.text(plan, colors: true).contains("\u{1B}[1;31m! x: refused"))
        // Ids are written digit by digit.
        let ids = ["0", "7", "10", "1009999", "\(Int.max)", "cp-Xa9"]
        let withIds = Plan(actions: ids.map { PlanAction(key: "k\($0)", kind: .noChange, reason: "r", id: $0) })
        #expect(PlanRenderer.text(withIds, colors: false).split(separator: "\n").prefix(ids.count).map(String.init)
                == ids.map { "= k\($0): no-change [id \($0)] — r" })
        // Colours wrap each line and the summary, and nothing else.
        #expect(PlanRenderer.textBytes(plan, colors: true) == Array(("\u{1B}[32m+ promos/campaign-0: create — new campaign, scheduled for 20300101 10:00\u{1B}[0m\n"
            + "\u{1B}[1;31m! x: refused — because\u{1B}[0m\n"
            + "\u{1B}[1mPlan: 1 to create, 0 to send, 0 to stop, 0 to replace, 0 unchanged, 1 refused\u{1B}[0m\n").utf8))
        let json = PlanRenderer.json(plan)
        #expect(json["summary"]?["refused"]?.intValue == 1)
        #expect(json["actions"]?.arrayValue?.first?["requests"]?.arrayValue?.first?["path"]?.stringValue == "/1/targets/create.json")
    }

    @Test func actionFactsComeFromTheDesiredCampaignUnlessGiven() {
        let desired = DesiredResource(
            key: "a", name: "A", file: "a.yaml", provider: "clevertap", kind: "scheduled", hash: "h", schedule: "20300101 10:00",
            facts: { [Fact("scheduled_date", "20300101")] }
        ) { _ in [ProviderRequest(path: "/1/targets/create.json", body: .object([]))] }
        var action = PlanAction(key: "a", kind: .create, reason: "new", desired: desired)
        #expect(action.facts == RecordFacts(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", project: ".", hash: "h", schedule: "20300101 10:00",
                                            facts: [Fact("scheduled_date", "20300101")]))
        action.facts = RecordFacts(provider: "clevertap", kind: "send", name: "B", file: "b.yaml", hash: "c")
        #expect(action.facts?.name == "B" && action.facts?.kind == "send")
        action.facts = nil
        #expect(action.facts == nil)
        #expect(PlanAction(key: "x", kind: .forget, reason: "gone").facts == nil)
    }

    @Test func aCopyUnderANewKeyIsNotAMoveWhileTheOriginalStays() {
        func desired(_ key: String) -> DesiredResource {
            DesiredResource(key: key, name: "A", file: "\(key).yaml", provider: "clevertap", kind: "scheduled", hash: "h") { _ in
                [ProviderRequest(path: "/1/targets/create.json", body: .object([]))]
            }
        }
        var state = EngineState()
        var record = StateRecord(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", hash: "h", status: .completed, at: "t")
        record.id = "1"
        state.campaigns["a"] = record
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        // The same request under a second key while `a` is still in the files: a create, not a move.
        let both = Planner(now: now, rules: RuleBook([CleverTapRules()])).plan(desired: [desired("a"), desired("b")], state: state, live: [:])
        #expect(both.actions.map(\.kind) == [.noChange, .create])
        // Once `a` is gone, `b` takes its place.
        let moved = Planner(now: now, rules: RuleBook([CleverTapRules()])).plan(desired: [desired("b")], state: state, live: [:])
        #expect(moved.actions.map(\.kind) == [.move] && moved.actions.first?.movedFrom == "a")
        // Keys out of order, and a record no longer in the files.
        state.campaigns["z"] = StateRecord(provider: "clevertap", kind: "scheduled", name: "Z", file: "z.yaml", hash: "y", status: .completed, at: "t")
        let removed = Planner(now: now, rules: RuleBook([CleverTapRules()])).plan(desired: [desired("b"), desired("a")], state: state, live: [:])
        // (A delivered campaign whose file is gone is kept, so restoring the file never delivers it again.)
        #expect(removed.actions.map(\.key) == ["a", "b", "z"] && removed.actions.map(\.kind) == [.noChange, .create, .kept])
    }

    @Test func unknownRecordsAreNeverTouched() {
        var state = EngineState()
        var record = StateRecord(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", hash: "h", status: .unknown, at: "t")
        record.intent = Intent(action: .create, startedAt: "t")
        state.campaigns["a"] = record
        let desired = DesiredResource(key: "a", name: "A", file: "a.yaml", provider: "clevertap", kind: "scheduled", hash: "h") { _ in
            [ProviderRequest(path: "/1/targets/create.json", body: .object([]))]
        }
        let plan = Planner(now: Date(), rules: RuleBook([CleverTapRules()])).plan(desired: [desired], state: state, live: [:])
        #expect(plan.actions.map(\.kind) == [.refused])
        let removed = Planner(now: Date(), rules: RuleBook([CleverTapRules()])).plan(desired: [], state: state, live: [:])
        #expect(removed.actions.map(\.kind) == [.refused])
    }

    @Test func stateRoundTripsThroughJSON() throws {
        var state = EngineState()
        var record = StateRecord(provider: "clevertap", kind: "send", name: "S", file: "s.yaml", hash: "c", status: .sent, at: "2026-01-01T00:00:00Z")
        record.delivered = ["identity": ["u1", "u2"]]
        record.batchesSent = 1
        state.campaigns["s"] = record
        state.serial = 7
        let text = JSONWriter().string(state.json)
        let back = try EngineState(json: try JSONParser().parse(text))
        #expect(back.lineage == state.lineage)
        #expect(back.serial == 7)
        #expect(back.campaigns["s"]?.delivered == ["identity": ["u1", "u2"]])
        #expect(JSONWriter().string(back.json) == text)
    }

    @Test func stateFilesAreReadInAnyMemberOrderAndRefusedWhenNewer() throws {
        let record = #"{"type": "scheduled", "status": "completed", "name": "A", "file": "a.yaml", "request_sha256": "h", "id": 7, "stats": {"clicked": 2, "sent": 9}, "extra": [1, {"x": null}], "created_at": "t"}"#
        // Campaigns before the version (a hand-edited file), unknown members anywhere.
        let reordered = try EngineState(jsonText: Array(#"{"campaigns": {"a": \#(record)}, "note": {"k": [true]}, "serial": 3, "lineage": "l", "format_version": 1}"#.utf8))
        #expect(reordered.serial == 3 && reordered.lineage == "l")
        let a = try #require(reordered.campaigns["a"])
        // Format 1: the integer id becomes text, the statistics facts.
        #expect(a.id == "7" && a.status == .completed && a.hash == "h" && a.facts[fact: "sent"] == "9" && a.facts[fact: "clicked"] == "2" && a.updatedAt == "t")
        #expect(a.provider == "clevertap" && a.kind == "scheduled")
        // A newer format is refused for its version, whatever its campaigns look like and wherever they are.
        for text in [#"{"campaigns": {"a": {"type": "rocket"}}, "format_version": 3, "lineage": "l", "serial": 1}"#,
                     #"{"format_version": 3, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "rocket"}}}"#] {
            #expect { try EngineState(jsonText: Array(text.utf8)) } throws: { error in
                (error as? StateFileError)?.description.contains("format_version 3") == true && (error as? StateFileError)?.syntax == nil
            }
        }
        // Descriptive members of the wrong type count as absent; an id that is not an integer is refused (it would
        // silently lose the campaign); a record without a valid type or status is refused by key.
        let loose = try EngineState(jsonText: Array(#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "name": 5, "stats": [1]}}}"#.utf8))
        #expect(loose.campaigns["a"]?.id == nil && loose.campaigns["a"]?.name == "" && loose.campaigns["a"]?.facts == [])
        #expect { try EngineState(jsonText: Array(#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": {"type": "scheduled", "status": "scheduled", "id": "7"}}}"#.utf8)) } throws: { error in
            (error as? StateFileError)?.description.contains("`campaigns.a.id` must be an integer") == true
        }
        #expect { try EngineState(jsonText: Array(#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"b": {"type": "scheduled"}}}"#.utf8)) } throws: { error in
            (error as? StateFileError)?.description.contains("campaign `b`") == true
        }
        // Text that is not JSON says so (and where), even after valid records.
        for text in [#"{"format_version": 1, "lineage": "l", "serial": 1, "campaigns": {"a": \#(record),}}"#, #"{"format_version": 1} x"#, "[", ""] {
            #expect { try EngineState(jsonText: Array(text.utf8)) } throws: { error in (error as? StateFileError)?.syntax != nil }
        }
        #expect { try EngineState(jsonText: Array("[1]".utf8)) } throws: { error in (error as? StateFileError)?.description.contains("no format_version") == true }
    }
}

@Suite("CleverTap binding")
struct BindingTests {
    @Test(arguments: [(2030, 2, 2, 10, 7, "20300202 10:07"), (2026, 12, 31, 0, 0, "20261231 00:00"), (2026, 1, 9, 23, 59, "20260109 23:59"),
                      (999, 1, 1, 9, 5, "9990101 09:05"), (1, 1, 1, 0, 1, "10101 00:01"), (9999, 12, 31, 12, 30, "99991231 12:30")])
    func whenIsWrittenAsTheAPITakesIt(year: Int, month: Int, day: Int, hour: Int, minute: Int, expected: String) throws {
        let date = try #require(CalendarDate(year: year, month: month, day: day))
        let time = try #require(LocalDateTime(date: date, hour: hour, minute: minute))
        #expect(time.apiValue == expected)
    }

    @Test func requestHashesAreHexSHA256() {
        #expect(CleverTapBinding.sha256([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(CleverTapBinding.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func eachProjectsCampaignsAreBoundInItsOwnTimeZone() throws {
        let campaign = "name: N\ndevices: [ios]\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: \"2030-01-01 12:00\"\n"
        let utc = try ProjectFixture(["a.yaml": campaign.replacingOccurrences(of: "name: N", with: "name: In UTC")], project: "timezone: UTC\n")
        let tokyo = try ProjectFixture(["b.yaml": campaign.replacingOccurrences(of: "name: N", with: "name: In Tokyo")], project: "timezone: Asia/Tokyo\n")
        let context = try DeployContext.load(paths: [utc.root, tokyo.root], statePath: utc.path("state.json"), environmentName: nil, environment: [:])
        let starts = context.desired.map { $0.startsAt?.formatted(.iso8601) }
        #expect(context.desired.map(\.name) == ["In UTC", "In Tokyo"])
        #expect(starts == ["2030-01-01T12:00:00Z", "2030-01-01T03:00:00Z"])
    }

    @Test func wallClockTimesBecomeInstantsInTheAccountZone() throws {
        let winter = try #require(CalendarDate(year: 2027, month: 1, day: 15))
        let summer = try #require(CalendarDate(year: 2027, month: 7, day: 1))
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        #expect(CleverTapBinding.instant(try #require(LocalDateTime(date: winter, hour: 9, minute: 0)), in: berlin).formatted(.iso8601) == "2027-01-15T08:00:00Z")
        #expect(CleverTapBinding.instant(try #require(LocalDateTime(date: summer, hour: 14, minute: 30)), in: berlin).formatted(.iso8601) == "2027-07-01T12:30:00Z")
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(CleverTapBinding.instant(try #require(LocalDateTime(date: winter, hour: 23, minute: 59)), in: newYork).formatted(.iso8601) == "2027-01-16T04:59:00Z")
    }
}
