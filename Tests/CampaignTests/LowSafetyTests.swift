@testable import CleverTapProvider
import CampaignLanguage
import CampaignModel
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace

@Suite("Safety: recipient CSV cells hold no control characters or line breaks")
struct CSVControlCharacterTests {
    func send(_ csv: String) throws -> (ProjectFixture, LoadedCampaigns) {
        let fixture = try ProjectFixture([
            "send.yaml": "name: Send\ntype: identity\naudience: {file: people.csv}\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n",
            "people.csv": csv,
        ])
        return (fixture, fixture.load())
    }

    @Test func aLineBreakInsideAQuotedCellIsRefusedAtTheCell() async throws {
        let (fixture, loaded) = try send("identity,email\nu1,\"a@example.com\nb@example.com\"\nu2,c@example.com\n")
        #expect(loaded.campaigns.isEmpty)
        #expect(loaded.codes == ["C032"])
        let error = try #require(loaded.first("C032"))
        #expect(error.location == SourceLocation(file: fixture.path("people.csv"), line: 2, column: 4))
        #expect(error.message == "line break inside a quoted cell")
        #expect(error.hint?.contains("one recipient per row") == true)
        // A carriage return (alone or before a line feed) is a line break too.
        for csv in ["identity\n\"u1\r\nu2\"\n", "identity\n\"u1\ru2\"\n"] {
            let (_, other) = try send(csv)
            #expect(other.codes == ["C032"])
            #expect(other.first("C032")?.message == "line break inside a quoted cell")
        }
    }

    @Test(arguments: [("\u{01}", "U+0001"), ("\u{1B}", "U+001B"), ("\u{7F}", "U+007F"), ("\u{85}", "U+0085"), ("\u{0}", "U+0000")])
    func controlCharactersInACellAreRefused(character: String, name: String) async throws {
        // In a quoted cell and in a plain one.
        for csv in ["identity\nu0\n\"u1\(character)x\"\n", "identity\nu0\nu1\(character)x\n"] {
            let (fixture, loaded) = try send(csv)
            #expect(loaded.codes == ["C032"], "\(loaded.diagnostics)")
            let error = try #require(loaded.first("C032"))
            #expect(error.location?.file == fixture.path("people.csv"))
            #expect(error.location?.line == 3 && error.location?.column == 1)
            #expect(error.message.contains(name), "\(error.message)")
            #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
    }

    @Test func tabsAndOrdinaryQuotedCellsStayAccepted() async throws {
        let (_, loaded) = try send("identity\n\"u1\"\nu2\t\n\"u \"\"3\"\"\"\n")
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.requests.first?.body["to"]?.compactText == #"{"Identity":["u1","u2","u \"3\""]}"#)
    }
}

@Suite("Safety: schedules in a daylight-saving gap or overlap")
struct DaylightSavingScheduleTests {
    func load(_ schedule: String, timezone: String = "Europe/Berlin") throws -> LoadedCampaigns {
        let text = validSegment.replacingOccurrences(of: "schedule: now", with: "schedule: \(schedule)")
        return try ProjectFixture(campaign: text, project: "timezone: \(timezone)\n").load()
    }

    func instantUsed(_ date: (Int, Int, Int), _ hour: Int, _ minute: Int, zone: String) throws -> String {
        let day = try #require(CalendarDate(year: date.0, month: date.1, day: date.2))
        let local = try #require(LocalDateTime(date: day, hour: hour, minute: minute))
        let instant = CleverTapBinding.instant(local, in: try #require(TimeZone(identifier: zone)))
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: instant)
    }

    @Test func aTimeThatDoesNotExistWarnsWithTheInstantUsed() async throws {
        let loaded = try load("\"2027-03-28 02:30\"")
        #expect(loaded.errors.isEmpty)
        #expect(loaded.codes == ["C051"])
        let warning = try #require(loaded.first("C051"))
        #expect(warning.severity == .warning)
        // The instant plan and apply use for this wall clock: 03:30 summer time.
        #expect(try instantUsed((2027, 3, 28), 2, 30, zone: "Europe/Berlin") == "2027-03-28T01:30:00Z")
        #expect(warning.message == "`2027-03-28 02:30` does not exist in Europe/Berlin (the clocks skip it); it is taken as 2027-03-28 03:30 (UTC+02:00), 2027-03-28T01:30:00Z")
        #expect(warning.hint?.contains("offset") == true)
        // The request is what it was.
        #expect(loaded.requests.first?.body["when"]?.compactText == #""20270328 02:30""#)
    }

    @Test func aTimeThatHappensTwiceWarnsWithTheInstantUsed() async throws {
        let loaded = try load("\"2027-10-31 02:30\"")
        #expect(loaded.codes == ["C051"])
        let warning = try #require(loaded.first("C051"))
        #expect(try instantUsed((2027, 10, 31), 2, 30, zone: "Europe/Berlin") == "2027-10-31T01:30:00Z")
        #expect(warning.message == "`2027-10-31 02:30` happens twice in Europe/Berlin (the clocks go back); the later one is taken: 2027-10-31 02:30 (UTC+01:00), 2027-10-31T01:30:00Z")
        #expect(loaded.requests.first?.body["when"]?.compactText == #""20271031 02:30""#)
        // An instant given with its offset that lands on the ambiguous wall clock warns as well.
        let iso = try load("2027-10-31T02:30:00+02:00")
        #expect(iso.codes == ["C051"])
        // West of UTC the same two-step settling takes the earlier one: the warning says what is used, not a rule.
        let newYork = try load("\"2027-11-07 01:30\"", timezone: "America/New_York")
        #expect(try instantUsed((2027, 11, 7), 1, 30, zone: "America/New_York") == "2027-11-07T05:30:00Z")
        #expect(newYork.first("C051")?.message == "`2027-11-07 01:30` happens twice in America/New_York (the clocks go back); the earlier one is taken: 2027-11-07 01:30 (UTC-04:00), 2027-11-07T05:30:00Z")
    }

    @Test func ordinaryTimesDoNotWarn() async throws {
        for schedule in ["\"2027-03-28 01:59\"", "\"2027-03-28 03:00\"", "\"2027-10-31 03:00\"", "\"2027-10-31 01:59\"", "2027-07-01T12:00:00Z", "now"] {
            #expect(try load(schedule).diagnostics.isEmpty, "\(schedule)")
        }
        #expect(try load("\"2027-03-28 02:30\"", timezone: "UTC").diagnostics.isEmpty)
        // New York skips 02:00-03:00 on 2027-03-14.
        #expect(try load("\"2027-03-14 02:15\"", timezone: "America/New_York").codes == ["C051"])
    }
}

@Suite("Safety: project time zones are IANA region names")
struct TimeZoneNameTests {
    func codes(_ zone: String) throws -> [String] {
        try ProjectFixture(["a.yaml": validSegment], project: "timezone: \(zone)\n").load().codes
    }

    @Test(arguments: ["EST", "CET", "GMT", "PST", "EST5EDT", "PST8PDT", "Zulu", "UCT", "Japan", "GMT+1", "GMT-0530", "UTC+5"])
    func abbreviationsFoundationAcceptsAreRefused(zone: String) async throws {
        let loaded = try ProjectFixture(["a.yaml": validSegment], project: "timezone: \(zone)\n").load()
        #expect(loaded.codes == ["C062"], "\(loaded.diagnostics)")
        let error = try #require(loaded.first("C062"))
        #expect(error.hint?.contains("Europe/Berlin") == true)
        // The refused name is not used (an error stops compile, plan and apply anyway).
        #expect(loaded.projects.first?.context.settings.timezone == "UTC")
    }

    @Test func regionNamesAndUTCAreAccepted() async throws {
        for zone in ["UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires", "Asia/Tokyo"] {
            #expect(try codes(zone) == [], "\(zone)")
        }
        #expect(try codes("Mars/Olympus") == ["C061"])
    }
}

@Suite("Safety: numbers sent to CleverTap are finite and in range")
struct NumberRangeTests {
    func campaign(profile: String = "    Tier: gold\n", ios: String = "{badge_count: 1}") -> String {
        "name: N\ndevices: [ios]\naudience:\n  event: Launch\n  profile:\n\(profile)content: {title: T, body: B}\nschedule: now\nplatform_specific:\n  ios: \(ios)\n"
    }

    @Test(arguments: ["1000001", "99999999999999999999999", "0x7FFFFFFFFFFFFFFF"])
    func badgeCountIsBounded(value: String) async throws {
        let loaded = try ProjectFixture(campaign: campaign(ios: "{badge_count: \(value)}")).load()
        #expect(loaded.codes == ["C004"], "\(loaded.diagnostics)")
        #expect(loaded.first("C004")?.message.contains("1000000") == true)
    }

    @Test func badgeCountUpToTheBoundIsSent() async throws {
        let loaded = try ProjectFixture(campaign: campaign(ios: "{badge_count: 1000000}")).load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.requests.first?.body["content"]?["platform_specific"]?.compactText == #"{"ios":{"badge_count":1000000}}"#)
    }

    @Test(arguments: ["1e400", "-1e400", "1.5E+999", "123456789012345678901234567890", "-9223372036854775809", "0xFFFFFFFFFFFFFFFF"])
    func numbersJSONConsumersCannotCarryAreRefused(value: String) async throws {
        let inProfile = try ProjectFixture(campaign: campaign(profile: "    Score: \(value)\n")).load()
        #expect(inProfile.codes == ["C004"], "\(inProfile.diagnostics)")
        #expect(inProfile.first("C004")?.hint?.contains("quote") == true)
        let passedThrough = try ProjectFixture(campaign: campaign(ios: "{custom: \(value)}")).load()
        #expect(passedThrough.codes == ["C004"], "\(passedThrough.diagnostics)")
        // Quoted, it is text.
        let quoted = try ProjectFixture(campaign: campaign(profile: "    Score: \"\(value)\"\n")).load()
        #expect(quoted.diagnostics.isEmpty)
    }

    @Test func numbersInRangeAreSentAsWritten() async throws {
        let profile = "    A: 9223372036854775807\n    B: -9223372036854775808\n    C: 1.5e300\n    D: 1e-400\n    E: 0x10\n"
        let loaded = try ProjectFixture(campaign: campaign(profile: profile)).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.requests.first?.body["where"]?["common_profile_properties"]?.compactText
            == #"{"profile_fields":[{"Key":"A","value":9223372036854775807},{"Key":"B","value":-9223372036854775808},{"Key":"C","value":1.5e300},{"Key":"D","value":1e-400},{"Key":"E","value":16}]}"#)
    }
}

@Suite("Safety: file names are escaped in every diagnostics format")
struct FileNameEscapingTests {
    let hostile = "a\nb\u{1B}[31m\r.yaml"
    var diagnostic: Diagnostic {
        .error("C001", "unknown key `x`", at: SourceLocation(file: hostile, line: 2, column: 3),
               related: [RelatedLocation("first here", at: SourceLocation(file: hostile, line: 1, column: 1))])
    }

    @Test func textIsOneLinePerPlaceWithoutEscapes() {
        let text = DiagnosticRenderer(format: .text).render([diagnostic])
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x0D })
        #expect(text == "a\\nb\\u{1B}[31m\\r.yaml:2:3: error[C001]: unknown key `x`\na\\nb\\u{1B}[31m\\r.yaml:1:1: note: first here\n")
    }

    @Test func githubIsOneAnnotationWithoutEscapes() {
        let text = DiagnosticRenderer(format: .github).render([diagnostic])
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 2)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(text.hasPrefix("::error file=a\\nb\\u{1B}[31m\\r.yaml,line=2,col=3,title=C001::"))
    }

    @Test func jsonCarriesTheExactNameEscaped() async throws {
        let text = DiagnosticRenderer(format: .json).render([diagnostic])
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["file"] as? String == hostile)
    }

    @Test func theCLIDoesNotLetAFileNameInjectAnnotations() async throws {
        let folder = try TestSupport.temporaryFolder()
        let name = "x\n::error file=evil.yaml::forged\u{1B}[2J.yaml"
        try "name: [\n".write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        let run = try await TestSupport.runAsync(["validate", "--format", "github", folder])
        #expect(run.status == 1)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("::error file=") || $0.hasPrefix("::warning file=") }, "\(run.stderr)")
        #expect(!lines.contains { $0.hasPrefix("::error file=evil.yaml") })
        #expect(!run.stderr.contains("\u{1B}"))
        let text = try await TestSupport.runAsync(["validate", folder])
        #expect(!text.stderr.contains("\u{1B}"))
        #expect(text.stderr.contains("x\\n::error file=evil.yaml::forged\\u{1B}[2J.yaml:"))
    }
}
