import CampaignLanguage
import CampaignModel
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace

@Suite("Campaign language: identity sends and recipients")
struct LanguageIdentityTests {
    func identity(_ audience: String, channel: String = "push") -> String {
        let content = channel == "email" ? "content: {subject: S, body: <p>B</p>}\n" : "content: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n"
        return "name: Send\ntype: identity\nchannel: \(channel)\naudience:\n\(audience)" + content
    }

    @Test func recipientsInKindOrderInlineBeforeCSV() throws {
        let fixture = try ProjectFixture([
            "send.yaml": identity("  objectid: [o1]\n  email: [z@example.com]\n  file: people.csv\n  identity: [i1]\n"),
            "people.csv": "identity,email\ni2,a@example.com\ni3,\n",
        ])
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty)
        let requests = loaded.requests
        #expect(requests.count == 1)
        #expect(requests[0].path == "/1/send/push.json")
        #expect(requests[0].body["to"]?.compactText == #"{"Email":["z@example.com","a@example.com"],"Identity":["i1","i2","i3"],"objectId":["o1"]}"#)
    }

    @Test func batchesOfAtMostAThousandCountedOverAllLists() throws {
        var csv = "email\n"
        for index in 0..<999 { csv += "user\(index)@example.com\n" }
        let fixture = try ProjectFixture([
            "send.yaml": identity("  file: many.csv\n  identity: [a, b, c]\n  fbid: [f1]\n"),
            "many.csv": csv,
        ])
        let requests = fixture.load().requests
        #expect(requests.count == 2)
        #expect(requests.map(\.batch) == [1, 2])
        #expect(requests.allSatisfy { $0.batchCount == 2 })
        // fbid first, then 999 emails, which fill the first request; identities spill into the second.
        let first = try #require(requests[0].body["to"])
        #expect(first["FBID"]?.compactText == #"["f1"]"#)
        if case .array(let emails)? = first["Email"] { #expect(emails.count == 999) } else { Issue.record("no Email list") }
        #expect(first["Identity"] == nil)
        #expect(requests[1].body["to"]?.compactText == #"{"Identity":["a","b","c"]}"#)
    }

    @Test func duplicatesAreDroppedWithAWarning() throws {
        let fixture = try ProjectFixture([
            "send.yaml": identity("  email: [a@example.com, A@Example.com]\n  file: people.csv\n"),
            "people.csv": "email\na@example.com\nb@example.com\n",
        ])
        let loaded = fixture.load()
        #expect(loaded.errors.isEmpty)
        #expect(loaded.warnings.map(\.code) == ["C031", "C031"])
        let csvWarning = try #require(loaded.warnings.first { $0.location?.file == fixture.path("people.csv") })
        #expect(csvWarning.location?.line == 2)
        #expect(csvWarning.related.first?.location.file == fixture.path("send.yaml"))
        #expect(loaded.requests.first?.body["to"]?.compactText == #"{"Email":["a@example.com","b@example.com"]}"#)
    }

    @Test func emailsMustLookLikeEmails() throws {
        let loaded = try ProjectFixture(campaign: identity("  email: [ok@example.com, not-an-email, a@b, \"x y@example.com\"]\n")).load()
        #expect(loaded.errors.map(\.code) == ["C030", "C030", "C030"])
        #expect(loaded.errors.first?.location?.column == 27)
    }

    @Test func csvProblemsPointIntoTheCSV() throws {
        let fixture = try ProjectFixture([
            "a.yaml": identity("  file: bad-header.csv\n"),
            "b.yaml": identity("  file: missing.csv\n").replacingOccurrences(of: "name: Send", with: "name: B"),
            "c.yaml": identity("  file: bad-email.csv\n").replacingOccurrences(of: "name: Send", with: "name: C"),
            "bad-header.csv": "email,phone\nx@example.com,123\n",
            "bad-email.csv": "identity,email\nu1,\"quoted, ok@example.com\"\n",
        ])
        let loaded = fixture.load()
        let header = try #require(loaded.errors.first { $0.location?.file == fixture.path("bad-header.csv") })
        #expect(header.message == "unknown column `phone`")
        #expect(header.location?.line == 1)
        #expect(header.location?.column == 7)
        let missing = try #require(loaded.errors.first { $0.message.contains("missing.csv") })
        #expect(missing.code == "C032")
        #expect(missing.location?.file == fixture.path("b.yaml"))
        let email = try #require(loaded.errors.first { $0.location?.file == fixture.path("bad-email.csv") })
        #expect(email.code == "C030")
        #expect(email.location?.line == 2)
        #expect(email.location?.column == 4)
        #expect(loaded.campaigns.isEmpty)
    }

    @Test func aSendNeedsRecipients() throws {
        let loaded = try ProjectFixture([
            "send.yaml": identity("  file: empty.csv\n"),
            "empty.csv": "email\n",
        ]).load()
        #expect(loaded.first("C024")?.message == "identity send has no recipients")
    }

    @Test func emailContentUsesSubject() throws {
        let loaded = try ProjectFixture(campaign: identity("  email: [a@example.com]\n", channel: "email").replacingOccurrences(of: "subject: S", with: "title: S")).load()
        #expect(loaded.first("C001")?.hint == "an email has a `subject`, not a `title`")
        let ok = try ProjectFixture(campaign: identity("  email: [a@example.com]\n", channel: "email")).load()
        #expect(ok.diagnostics.isEmpty)
        #expect(ok.requests.first?.path == "/1/send/email.json")
        #expect(ok.requests.first?.body.compactText == #"{"to":{"Email":["a@example.com"]},"content":{"subject":"S","body":"<p>B</p>"}}"#)
    }
}

@Suite("Campaign language: platform_specific")
struct LanguagePlatformTests {
    func campaign(devices: String, platforms: String) -> String {
        validSegment.replacingOccurrences(of: "devices: [ios]", with: "devices: \(devices)") + "platform_specific:\n" + platforms
    }

    @Test func typedKeysAreCheckedAndConverted() throws {
        let loaded = try ProjectFixture(campaign: campaign(devices: "[ios, android]", platforms: """
              ios:
                mutable-content: true
                badge_count: 3
                sound_file: a.caf
                Custom: 12
              android:
                wzrk_cid: promo
                default_sound: false
                deep_link: 42

            """)).load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.requests.first?.body["content"]?["platform_specific"]?.compactText
            == #"{"ios":{"mutable-content":"true","badge_count":3,"sound_file":"a.caf","Custom":12},"android":{"wzrk_cid":"promo","default_sound":false,"deep_link":"42"}}"#)
    }

    @Test func typedKeysRejectWrongTypes() throws {
        let loaded = try ProjectFixture(campaign: campaign(devices: "[ios, android]", platforms: """
              ios:
                mutable-content: "yes"
                badge_count: -1
              android:
                wzrk_cid: promo
                default_sound: on
                nested: {a: 1}
              linux: {}

            """)).load()
        #expect(loaded.errors.map(\.code) == ["C002", "C004", "C002", "C002", "C001"])
    }

    @Test func androidNeedsANotificationChannel() throws {
        let loaded = try ProjectFixture(campaign: campaign(devices: "[android]", platforms: "  android: {deep_link: x}\n")).load()
        let missing = try #require(loaded.first("C041"))
        #expect(missing.message == "Android campaigns need `platform_specific.android.wzrk_cid`")
        #expect(missing.hint?.contains("code 9") == true)
        let identityPush = try ProjectFixture(campaign: "name: P\ntype: identity\naudience: {identity: [u]}\ncontent: {title: T, body: B}\n").load()
        #expect(identityPush.first("C041")?.message == "an identity push needs `platform_specific.android.wzrk_cid`")
        // iOS-only segment campaigns need none.
        #expect(try ProjectFixture(campaign: validSegment).load().diagnostics.isEmpty)
    }

    @Test func platformsMissingFromDevicesWarn() throws {
        let loaded = try ProjectFixture(campaign: campaign(devices: "[ios]", platforms: "  windows: {deep_link: x}\n")).load()
        #expect(loaded.errors.isEmpty)
        #expect(loaded.warnings.map(\.code) == ["C040"])
        #expect(loaded.warnings.first?.location?.line == 10)
    }
}

@Suite("Campaign language: schedules")
struct LanguageScheduleTests {
    func when(_ schedule: String, timezone: String = "Europe/Berlin") throws -> (String?, [Diagnostic]) {
        let text = validSegment.replacingOccurrences(of: "schedule: now", with: "schedule: \(schedule)")
        let loaded = try ProjectFixture(campaign: text, project: "timezone: \(timezone)\n").load()
        if case .string(let value)? = loaded.requests.first?.body["when"] { return (value, loaded.diagnostics) }
        return (nil, loaded.diagnostics)
    }

    @Test func acceptedForms() throws {
        #expect(try when("now").0 == "now")
        #expect(try when("\"2027-03-20 09:05\"").0 == "20270320 09:05")
        // Winter: Berlin is UTC+1; summer: UTC+2.
        #expect(try when("2027-01-15T08:00:00Z").0 == "20270115 09:00")
        #expect(try when("2027-07-01T12:00:00Z").0 == "20270701 14:00")
        #expect(try when("2027-11-26T08:00:00-05:00").0 == "20271126 14:00")
        #expect(try when("2027-03-01T23:30+0530").0 == "20270301 19:00")
        // Crossing midnight and a year.
        #expect(try when("2027-12-31T23:30:00-02:00", timezone: "Asia/Tokyo").0 == "20280101 10:30")
    }

    @Test(arguments: [
        ("tomorrow", "`tomorrow` is not a schedule"),
        ("\"2027-03-20 9:05\"", "`2027-03-20 9:05` is not a schedule"),
        ("2027-03-20T09:00:00", "`2027-03-20T09:00:00` is not a schedule"),
        ("\"2027-02-30 10:00\"", "`2027-02-30 10:00` is not a real date and time"),
        ("\"2027-03-20 24:00\"", "`2027-03-20 24:00` is not a real date and time"),
        ("2027-03-20T09:00:30Z", "`2027-03-20T09:00:30Z` has seconds; CleverTap schedules to the minute"),
    ])
    func rejectedForms(schedule: String, message: String) throws {
        let (value, diagnostics) = try when(schedule)
        #expect(value == nil)
        #expect(diagnostics.map(\.code.rawValue) == ["C050"])
        #expect(diagnostics.first?.message == message)
        #expect(diagnostics.first?.hint?.contains("Europe/Berlin") == true)
    }
}

@Suite("Campaign language: project.yaml and defaults")
struct LanguageProjectTests {
    @Test func defaultsMergeUnderCampaignsAndCampaignsWin() throws {
        let project = """
            timezone: UTC
            defaults:
              devices: [android]
              channel: push
              platform_specific:
                android: {wzrk_cid: default-channel, deep_link: app://home}
              options: {respect_frequency_caps: true, tag_group: general}

            """
        let fixture = try ProjectFixture([
            "a.yaml": "name: A\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: now\nplatform_specific: {android: {deep_link: app://a}}\n",
            "b.yaml": "name: B\ntype: identity\naudience: {identity: [u]}\ncontent: {title: T, body: B}\noptions: {tag_group: own}\n",
            "c.yaml": "name: C\ntype: identity\nchannel: email\naudience: {email: [c@example.com]}\ncontent: {subject: S, body: B}\n",
        ], project: project)
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty)
        let requests = Dictionary(uniqueKeysWithValues: loaded.requests.map { ($0.key, $0.body) })
        #expect(requests["a"]?["devices"]?.compactText == #"["android"]"#)
        #expect(requests["a"]?["content"]?["platform_specific"]?.compactText == #"{"android":{"deep_link":"app://a","wzrk_cid":"default-channel"}}"#)
        #expect(requests["a"]?["tag_group"]?.compactText == #""general""#)
        #expect(requests["b"]?["tag_group"]?.compactText == #""own""#)
        #expect(requests["b"]?["respect_frequency_caps"]?.compactText == "true")
        // Segment-only defaults do not reach identity sends; push-only ones do not reach email.
        #expect(requests["c"]?.compactText == #"{"to":{"Email":["c@example.com"]},"tag_group":"general","respect_frequency_caps":true,"content":{"subject":"S","body":"B"}}"#)
    }

    @Test func problemsInDefaultsAreReportedOnceAtProjectYaml() throws {
        let fixture = try ProjectFixture([
            "a.yaml": validSegment,
            "b.yaml": validSegment.replacingOccurrences(of: "Test campaign", with: "B"),
        ], project: "defaults:\n  schedul: now\n  options: {respect_frequency_caps: maybe}\n  name: X\n")
        let loaded = fixture.load()
        let unknown = loaded.errors.filter { $0.code == "C001" }
        #expect(unknown.count == 2)
        #expect(unknown.allSatisfy { $0.location?.file == fixture.path("project.yaml") })
        let wrongType = loaded.errors.filter { $0.code == "C002" }
        #expect(wrongType.count == 1)
        #expect(wrongType.first?.location?.file == fixture.path("project.yaml"))
    }

    @Test func projectSettingsAreChecked() throws {
        let fixture = try ProjectFixture(["a.yaml": validSegment], project: "timezone: Mars/Olympus\nregion: moon1\ncolour: blue\n")
        let loaded = fixture.load()
        #expect(loaded.codes.sorted() == ["C001", "C004", "C061"])
    }

    @Test func environmentsNameVariablesNotSecrets() throws {
        let project = """
            environments:
              staging: {api_url: "http://127.0.0.1:9000", account_id_env: CLEVERTAP_STAGING_ACCOUNT, passcode_env: CLEVERTAP_STAGING_PASSCODE, state: .campaign/staging.json}
              production: {region: eu1, account_id_env: CLEVERTAP_PROD_ACCOUNT, passcode_env: "abc-123-secret"}

            """
        let loaded = try ProjectFixture(["a.yaml": validSegment], project: project).load()
        #expect(loaded.errors.map(\.code) == ["C004"])
        #expect(loaded.projects.first?.context.environments["staging"]?.providers["clevertap"]?["passcode_env"] == "CLEVERTAP_STAGING_PASSCODE")
    }
}
