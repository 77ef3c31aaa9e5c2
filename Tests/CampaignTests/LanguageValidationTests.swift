import CampaignLanguage
import CampaignModel
import Diagnostics
import Testing
import Workspace

@Suite("Campaign language: structure and types")
struct LanguageStructureTests {
    @Test func aValidCampaignHasNoDiagnostics() throws {
        let loaded = try ProjectFixture(campaign: validSegment).load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.campaigns.map(\.key) == ["campaign"])
        #expect(loaded.campaigns.first?.name == "Test campaign")
    }

    @Test func unknownKeysSuggestTheClosestField() throws {
        let loaded = try ProjectFixture(campaign: validSegment.replacingOccurrences(of: "schedule: now", with: "schedul: now")).load()
        let unknown = try #require(loaded.first("C001"))
        #expect(unknown.message == "unknown key `schedul` in a campaign")
        #expect(unknown.hint == "did you mean `schedule`?")
        #expect(unknown.location?.line == 8)
        #expect(unknown.location?.column == 1)
        // The missing schedule is reported too: every problem in one run.
        #expect(loaded.codes.contains("C003"))
        #expect(loaded.campaigns.isEmpty)
    }

    @Test func misplacedFieldsGetASpecificHint() throws {
        let loaded = try ProjectFixture(campaign: validSegment + "title: Oops\n").load()
        #expect(loaded.first("C001")?.hint == "`title` belongs inside `content`")
    }

    @Test func wrongTypesSayWhatWasExpected() throws {
        let text = validSegment.replacingOccurrences(of: "devices: [ios]", with: "devices: ios") + "stopped: yes\n"
        let loaded = try ProjectFixture(campaign: text).load()
        let devices = try #require(loaded.errors.first { $0.message.contains("devices") })
        #expect(devices.code == "C002")
        #expect(devices.message == "`devices` must be a list of `android`, `ios`, `windows`, not `ios`")
        #expect(devices.hint == "write a list, e.g. `devices: [ios]`")
        let stopped = try #require(loaded.errors.first { $0.message.contains("stopped") })
        #expect(stopped.message == "`stopped` must be a boolean, not `yes`")
        #expect(stopped.hint?.contains("YAML 1.2") == true)
    }

    @Test func stringFieldsKeepWhatWasWritten() throws {
        let text = validSegment.replacingOccurrences(of: "name: Test campaign", with: "name: NO")
            .replacingOccurrences(of: "title: Hello", with: "title: 0123")
        let loaded = try ProjectFixture(campaign: text).load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.campaigns.first?.name == "NO")
        #expect(loaded.campaigns.first?.content == .push(title: "0123", body: "World"))
    }

    @Test func requiredFieldsAreReportedTogether() throws {
        let loaded = try ProjectFixture(campaign: "type: segment\n").load()
        let messages = loaded.errors.map(\.message)
        #expect(messages.contains("campaign has no `name`"))
        #expect(messages.contains("segment campaign has no `devices`"))
        #expect(messages.contains("segment campaign has no `audience`"))
        #expect(messages.contains("segment campaign has no `schedule`"))
        #expect(messages.contains("campaign has no `content`"))
        #expect(loaded.errors.allSatisfy { $0.code == "C003" })
    }

    @Test func emptyValuesAndEmptyFiles() throws {
        let loaded = try ProjectFixture([
            "a.yaml": validSegment.replacingOccurrences(of: "title: Hello", with: "title: \"  \""),
            "b.yaml": "",
            "c.yaml": "# only a comment\n",
        ]).load()
        #expect(loaded.first("C005")?.message == "`title` must not be empty")
        #expect(loaded.errors.filter { $0.code == "C007" }.count == 2)
    }

    @Test func aDocumentMustBeAMapping() throws {
        let loaded = try ProjectFixture(campaign: "- just\n- a list\n").load()
        #expect(loaded.first("C002")?.message == "a campaign must be a mapping, not a list")
    }

    @Test func fieldsForTheOtherType() throws {
        let identity = """
            name: Identity
            type: identity
            devices: [ios]
            schedule: "2030-01-01 10:00"
            stopped: false
            audience: {identity: [u1]}
            content: {title: T, body: B}
            platform_specific: {android: {wzrk_cid: c}}

            """
        let loaded = try ProjectFixture(campaign: identity).load()
        let notForType = loaded.errors.filter { $0.code == "C006" }
        #expect(notForType.count == 3)
        #expect(notForType.map(\.location?.line) == [3, 4, 5])
        let nowIsFine = identity.replacingOccurrences(of: "schedule: \"2030-01-01 10:00\"", with: "schedule: now")
            .replacingOccurrences(of: "devices: [ios]\n", with: "").replacingOccurrences(of: "stopped: false\n", with: "")
        #expect(try ProjectFixture(campaign: nowIsFine).load().diagnostics.isEmpty)
        // Since issue 13 a segment campaign has a channel too: an email takes a subject and no devices.
        let channelOnSegment = try ProjectFixture(campaign: validSegment + "channel: email\n").load()
        #expect(channelOnSegment.first("C006") == nil)
        #expect(channelOnSegment.first("C008")?.message == "`devices` is for push and web push campaigns, not email")
    }

    @Test func enumsSuggestTheirValues() throws {
        let loaded = try ProjectFixture(campaign: validSegment.replacingOccurrences(of: "[ios]", with: "[ios, andriod]") + "type: segmnet\n").load()
        let device = try #require(loaded.errors.first { $0.message.contains("andriod") })
        #expect(device.code == "C004")
        #expect(device.hint == "did you mean `android`?")
        #expect(loaded.errors.contains { $0.hint == "did you mean `segment`?" })
    }

    @Test func duplicateDevices() throws {
        let loaded = try ProjectFixture(campaign: validSegment.replacingOccurrences(of: "[ios]", with: "[ios, ios]")).load()
        let duplicate = try #require(loaded.first("C004"))
        #expect(duplicate.message == "device `ios` is listed twice")
        #expect(duplicate.related.first?.location.column == 11)
    }
}

@Suite("Campaign language: keys and cross-file rules")
struct LanguageKeyTests {
    @Test func keysDefaultToThePathBelowTheRoot() throws {
        let loaded = try ProjectFixture(["promos/spring.yaml": validSegment, "x.yml": validSegment.replacingOccurrences(of: "Test campaign", with: "Other")], project: "timezone: UTC\n").load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.campaigns.map(\.key).sorted() == ["promos/spring", "x"])
        // Naming a single file finds the project root above it, so the key is the same.
        let fixture = try ProjectFixture(["promos/spring.yaml": validSegment], project: "timezone: UTC\n")
        #expect(ProjectLoader.load([fixture.path("promos/spring.yaml")]).campaigns.map(\.key) == ["promos/spring"])
    }

    @Test func invalidKeys() throws {
        let loaded = try ProjectFixture([
            "Promo Spring.yaml": validSegment,
            "b.yaml": "key: Bad_Key\n" + validSegment.replacingOccurrences(of: "Test campaign", with: "B"),
        ]).load()
        let errors = loaded.errors.filter { $0.code == "C010" }
        #expect(errors.count == 2)
        #expect(errors.contains { $0.message.contains("derived from the file's path") })
        #expect(errors.contains { $0.message == "invalid key `Bad_Key`" })
    }

    @Test func severalDocumentsNeedKeys() throws {
        let loaded = try ProjectFixture(campaign: validSegment + "---\n" + validSegment.replacingOccurrences(of: "Test campaign", with: "Second")).load()
        #expect(loaded.errors.filter { $0.code == "C011" }.count == 2)
        let keyed = try ProjectFixture(campaign: "key: one\n" + validSegment + "---\nkey: two\n" + validSegment.replacingOccurrences(of: "Test campaign", with: "Second")).load()
        #expect(keyed.diagnostics.isEmpty)
        #expect(keyed.campaigns.map(\.key).sorted() == ["one", "two"])
    }

    @Test func duplicateKeysAndNamesNameBothPlaces() throws {
        let fixture = try ProjectFixture([
            "a.yaml": "key: shared\n" + validSegment,
            "b.yaml": "key: shared\n" + validSegment,
        ])
        let loaded = fixture.load()
        let key = try #require(loaded.first("C012"))
        #expect(key.location?.file == fixture.path("b.yaml"))
        #expect(key.location?.line == 1)
        #expect(key.related.first?.location.file == fixture.path("a.yaml"))
        let name = try #require(loaded.first("C013"))
        #expect(name.message == "campaign name `Test campaign` is used twice")
        #expect(name.location?.file == fixture.path("b.yaml"))
        #expect(name.location?.line == 2)
        #expect(name.related.first?.location.file == fixture.path("a.yaml"))
        #expect(loaded.campaigns.count == 1)
    }

    @Test func atMostTwentyTagGroups() throws {
        var files: [String: String] = [:]
        for index in 0..<22 {
            files[String(format: "c%02d.yaml", index)] = validSegment.replacingOccurrences(of: "Test campaign", with: "C\(index)")
                + "options:\n  tag_group: group-\(index % 21)\n"
        }
        let fixture = try ProjectFixture(files)
        let loaded = fixture.load()
        let diagnostic = try #require(loaded.first("C014"))
        #expect(diagnostic.message == "21 distinct tag groups; CleverTap keeps at most 20")
        #expect(diagnostic.location?.file == fixture.path("c20.yaml"))
        #expect(diagnostic.related.map(\.location.file) == [fixture.path("c00.yaml"), fixture.path("c19.yaml")])
        files.removeValue(forKey: "c20.yaml")
        #expect(try ProjectFixture(files).load().diagnostics.isEmpty)
    }
}

@Suite("Campaign language: audiences")
struct LanguageAudienceTests {
    func segment(audience: String) -> String {
        validSegment.replacingOccurrences(of: "audience:\n  all: true\n", with: "audience:\n" + audience)
    }

    @Test func allExcludesFiltersAndFalseSelectsNobody() throws {
        let both = try ProjectFixture(campaign: segment(audience: "  all: true\n  event: Charged\n")).load()
        #expect(both.first("C020")?.message == "`all: true` excludes other audience filters")
        #expect(both.first("C020")?.related.first?.location.line == 4)
        let none = try ProjectFixture(campaign: segment(audience: "  all: false\n")).load()
        #expect(none.first("C020")?.message == "`all: false` selects nobody")
        let empty = try ProjectFixture(campaign: segment(audience: "  {}\n")).load()
        #expect(empty.first("C024") != nil)
    }

    @Test func dateRangesNeedAnEventAndBothEnds() throws {
        let noEvent = try ProjectFixture(campaign: segment(audience: "  from: 2027-01-01\n  to: 2027-01-31\n")).load()
        #expect(noEvent.first("C021")?.message == "`from` and `to` need an `event`")
        let half = try ProjectFixture(campaign: segment(audience: "  event: Charged\n  from: 2027-01-01\n")).load()
        #expect(half.first("C021")?.message == "`from` and `to` come as a pair")
        #expect(half.first("C021")?.hint == "add `to: YYYY-MM-DD`")
    }

    @Test func datesMustExistAndBeOrdered() throws {
        let bad = try ProjectFixture(campaign: segment(audience: "  event: Charged\n  from: 2027-02-29\n  to: 20270301\n")).load()
        let dates = bad.errors.filter { $0.code == "C022" }
        #expect(dates.map(\.message) == ["`from`: `2027-02-29` is no such date", "`to`: `20270301` is not a date"])
        let reversed = try ProjectFixture(campaign: segment(audience: "  event: Charged\n  from: 2027-03-02\n  to: 2027-03-01\n")).load()
        #expect(reversed.first("C023")?.message == "`from` (2027-03-02) is after `to` (2027-03-01)")
        let leap = try ProjectFixture(campaign: segment(audience: "  event: Charged\n  from: 2028-02-29\n  to: 2028-02-29\n")).load()
        #expect(leap.diagnostics.isEmpty)
    }

    @Test func profileValuesAreTypedByTheCoreSchema() throws {
        let profile = """
              profile:
                Tier: Platinum
                Opted In: true
                Quoted: "true"
                Yes Word: yes
                Points: 1200
                Ratio: .5
                Plus: +7
                Hex: 0x1F
                Exp: 1e3
                Zip: 0123
                Empty String: ""

            """
        let loaded = try ProjectFixture(campaign: segment(audience: profile)).load()
        #expect(loaded.errors.isEmpty)
        #expect(loaded.warnings.map(\.code) == ["C042"])
        #expect(loaded.warnings.first?.message == "`0123` is read as the number 123")
        let body = try #require(loaded.requests.first?.body)
        let fields = body["where"]?["common_profile_properties"]?["profile_fields"]
        #expect(fields?.compactText == #"[{"Key":"Tier","value":"Platinum"},{"Key":"Opted In","value":true},{"Key":"Quoted","value":"true"},{"Key":"Yes Word","value":"yes"},{"Key":"Points","value":1200},{"Key":"Ratio","value":0.5},{"Key":"Plus","value":7},{"Key":"Hex","value":31},{"Key":"Exp","value":1e3},{"Key":"Zip","value":123},{"Key":"Empty String","value":""}]"#)
    }

    @Test func profileValuesMustBeScalars() throws {
        let loaded = try ProjectFixture(campaign: segment(audience: "  profile:\n    A: [1]\n    B:\n    C: .inf\n")).load()
        #expect(loaded.errors.map(\.code) == ["C002", "C005", "C004"])
    }
}
